// Identifier generation in AWS's shapes. Randomness comes from node:crypto; tests that need fixed
// ids pass their own generator.
import { randomUUID } from "node:crypto";
import { randomBytesPooled } from "./random.ts";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Access key ids (AKIA, ASIA) carry 16 characters after the prefix; other unique ids 17 (sts.md §3.1). */
const KEY_PREFIXES: ReadonlySet<string> = new Set(["AKIA", "ASIA"]);

/**
 * A unique id encoding its account as AWS's do (sts.md §3.1): base32 of x = 2^47 | account << 7 | 7 random
 * bits as 6 bytes, then random bytes; 16 characters for access key ids, 17 for the others.
 */
export function accountUniqueId(prefix: string, accountId: string): string {
  // 48 bits fit a double exactly: 2^47 + account·2^7 + r, with account < 10^12 < 2^40
  const x = 2 ** 47 + Number(accountId) * 128 + (randomBytesPooled(1)[0]! & 0x7f);
  const bytes = Buffer.alloc(11);
  bytes.writeUIntBE(x, 0, 6);
  randomBytesPooled(5).copy(bytes, 6);
  return prefix + base32(bytes).slice(0, KEY_PREFIXES.has(prefix) ? 16 : 17);
}

/** The account a unique id or key id encodes (for ids whose fifth character is not I or J). */
export function uniqueIdAccount(id: string): string {
  let bits = 0n;
  for (const c of id.slice(4, 14)) bits = (bits << 5n) | BigInt(BASE32.indexOf(c));
  // 10 characters = 50 bits; the first 48 are x.
  const x = bits >> 2n;
  return String((x & 0x7fffffffff80n) >> 7n).padStart(12, "0");
}

function base32(bytes: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export interface IdGenerator {
  /** x-amzn-RequestId: a UUID. */
  requestId(): string;
  /**
   * IAM unique ids of an account: 4-letter prefix (AIDA user, AROA role, ANPA policy, AGPA group) + 17
   * characters, access key ids (AKIA, ASIA) + 16, encoding the account as AWS's do.
   */
  uniqueId(prefix: string, accountId: string): string;
  /** A secret access key: 40 characters of base64-ish text. */
  secret(): string;
  /** A lowercase hex id (ECS task ids are 32 hex chars). */
  hex(length: number): string;
  uuid(): string;
}

export const randomIds: IdGenerator = {
  requestId: () => randomUUID(),
  uniqueId: accountUniqueId,
  // 30 random bytes are exactly 40 base64 characters, each uniform over [A-Za-z0-9+/]
  secret: () => randomBytesPooled(30).toString("base64"),
  hex: (length) =>
    randomBytesPooled(Math.ceil(length / 2))
      .toString("hex")
      .slice(0, length),
  uuid: () => randomUUID(),
};
