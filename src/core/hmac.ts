// HMAC (RFC 2104) for keys that sign or check something on every request (SigV4 signing keys, the STS
// session MAC): the key's padded blocks are prepared once, and each MAC is two one-shot hashes.
// node:crypto's createHmac builds and frees an OpenSSL context per call, which costs several times
// the hashing of a short message (about 2 µs against 0.5 here). Checked against RFC 4231's vectors
// and createHmac (test/core/hmac.test.ts).
import { hash } from "node:crypto";

export type HmacAlgorithm = "sha256" | "sha512";

const BLOCK_BYTES: Record<HmacAlgorithm, number> = { sha256: 64, sha512: 128 };
const IPAD = 0x36;
const OPAD = 0x5c;

export class HmacKey {
  readonly #algorithm: HmacAlgorithm;
  /** K ⊕ ipad and K ⊕ opad, K zero-padded to the block (hashed first when longer than a block) */
  readonly #inner: Buffer;
  readonly #outer: Buffer;

  constructor(algorithm: HmacAlgorithm, key: Uint8Array | string) {
    const block = BLOCK_BYTES[algorithm];
    let k: Uint8Array = typeof key === "string" ? Buffer.from(key, "utf8") : key;
    if (k.length > block) k = hash(algorithm, k, "buffer") as unknown as Buffer;
    this.#algorithm = algorithm;
    this.#inner = Buffer.alloc(block, IPAD);
    this.#outer = Buffer.alloc(block, OPAD);
    for (let i = 0; i < k.length; i++) {
      this.#inner[i]! ^= k[i]!;
      this.#outer[i]! ^= k[i]!;
    }
  }

  /** HMAC(K, parts joined), strings taken as UTF-8. */
  mac(...parts: (Uint8Array | string)[]): Buffer {
    const block = this.#inner.length;
    let length = block;
    for (const p of parts) length += typeof p === "string" ? Buffer.byteLength(p, "utf8") : p.length;
    const inner = Buffer.allocUnsafe(length);
    this.#inner.copy(inner, 0);
    let at = block;
    for (const p of parts) {
      if (typeof p === "string") at += inner.write(p, at, "utf8");
      else {
        inner.set(p, at);
        at += p.length;
      }
    }
    const innerHash = hash(this.#algorithm, inner, "buffer") as unknown as Buffer;
    const outer = Buffer.allocUnsafe(block + innerHash.length);
    this.#outer.copy(outer, 0);
    innerHash.copy(outer, block);
    return hash(this.#algorithm, outer, "buffer") as unknown as Buffer;
  }
}
