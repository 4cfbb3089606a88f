// Reads a tar file's table of contents (ustar, pax and GNU long names) so members can be streamed by byte range.
import { open } from "node:fs/promises";

export interface TarMember {
  name: string;
  offset: number;
  size: number;
  type: string;
  /** Target of a hard or symbolic link (docker save links repeated layers). */
  linkName?: string;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
}

function octal(block: Buffer, start: number, length: number): number {
  const raw = block.subarray(start, start + length);
  // GNU base-256 for sizes ≥ 8 GiB: high bit set.
  if ((raw[0]! & 0x80) !== 0) {
    let n = 0;
    for (let i = 1; i < raw.length; i++) n = n * 256 + raw[i]!;
    return n;
  }
  const text = field(block, start, length).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number.parseInt(data.subarray(i, space).toString(), 10);
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, i + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Lists the members of a tar file (regular files and links), with the byte offset of each one's data. */
export async function readTarIndex(path: string): Promise<Map<string, TarMember>> {
  const fh = await open(path, "r");
  const members = new Map<string, TarMember>();
  try {
    const header = Buffer.alloc(512);
    let pos = 0;
    let longName: string | undefined;
    let pax: Record<string, string> = {};
    for (;;) {
      const { bytesRead } = await fh.read(header, 0, 512, pos);
      if (bytesRead < 512 || header.every((b) => b === 0)) break;
      const size = octal(header, 124, 12);
      const type = String.fromCharCode(header[156] || 48);
      const dataOffset = pos + 512;
      const next = dataOffset + Math.ceil(size / 512) * 512;
      if (type === "L" || type === "x" || type === "g") {
        const data = Buffer.alloc(size);
        await fh.read(data, 0, size, dataOffset);
        if (type === "L") longName = field(data, 0, size);
        else if (type === "x") pax = paxRecords(data);
        pos = next;
        continue;
      }
      const prefix = field(header, 345, 155);
      let name =
        pax.path ?? longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      name = name.replace(/^\.\//, "");
      const linkName = pax.linkpath ?? field(header, 157, 100);
      const realSize = pax.size ? Number(pax.size) : size;
      members.set(name, { name, offset: dataOffset, size: realSize, type, ...(linkName && { linkName }) });
      longName = undefined;
      pax = {};
      pos = next;
    }
  } finally {
    await fh.close();
  }
  return members;
}

/** Follows hard/symbolic links (docker save writes repeated layers as links) to the member holding the data. */
export function resolveMember(members: Map<string, TarMember>, name: string): TarMember | undefined {
  let m = members.get(name.replace(/^\.\//, ""));
  for (let hops = 0; m && (m.type === "1" || m.type === "2") && m.linkName && hops < 8; hops++) {
    const target = m.type === "2" ? new URL(m.linkName, `file:///${m.name}`).pathname.slice(1) : m.linkName;
    m = members.get(target.replace(/^\.\//, ""));
  }
  return m;
}
