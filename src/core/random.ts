// Random bytes for identifiers and credentials, drawn from node:crypto's CSPRNG in 4 KiB blocks: a
// randomBytes call per id costs more than the id (Node pools randomUUID's entropy the same way).
// Each block is handed out once, front to back, and never refilled in place.
import { randomBytes } from "node:crypto";

const BLOCK = 4096;
let block = Buffer.alloc(0);
let offset = 0;

export function randomBytesPooled(size: number): Buffer {
  if (size > BLOCK / 8) return randomBytes(size);
  if (offset + size > block.length) {
    block = randomBytes(BLOCK);
    offset = 0;
  }
  const out = block.subarray(offset, offset + size);
  offset += size;
  return out;
}
