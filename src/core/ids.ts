// Identifier generation in AWS's shapes. Randomness comes from node:crypto; tests that need fixed
// ids pass their own generator.
import { randomUUID } from "node:crypto";
import { randomBytesPooled } from "./random.ts";

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytesPooled(length);
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

export interface IdGenerator {
  /** x-amzn-RequestId: a UUID. */
  requestId(): string;
  /** IAM unique ids: 4-letter prefix (AIDA user, AROA role, ANPA policy, AKIA/ASIA keys) + 17 chars. */
  uniqueId(prefix: string): string;
  /** A secret access key: 40 characters of base64-ish text. */
  secret(): string;
  /** A lowercase hex id (ECS task ids are 32 hex chars). */
  hex(length: number): string;
  uuid(): string;
}

export const randomIds: IdGenerator = {
  requestId: () => randomUUID(),
  uniqueId: (prefix) => prefix + randomFrom(upperAlnum, 16),
  // 30 random bytes are exactly 40 base64 characters, each uniform over [A-Za-z0-9+/]
  secret: () => randomBytesPooled(30).toString("base64"),
  hex: (length) =>
    randomBytesPooled(Math.ceil(length / 2))
      .toString("hex")
      .slice(0, length),
  uuid: () => randomUUID(),
};
