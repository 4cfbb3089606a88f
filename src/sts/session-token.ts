// Session tokens that carry their session, as AWS's do: the session (its key id, secret, role, policies,
// tags, expiry) sealed with AES-256-GCM under a key kept in the state, bound to its ASIA key id as
// associated data. Any twin on that state can open it, so issuing a session writes nothing and a
// `kill -9` can lose no session; a token altered by one bit, or presented with another key id,
// does not open. Shape: `IQoJb3JpZ2luX2Vj` (AWS's prefix) + base64(version | iv | ciphertext | tag).
import { createCipheriv, createDecipheriv } from "node:crypto";
import { randomBytesPooled } from "../core/random.ts";
import type { RoleSession } from "../core/service.ts";
import type { Store } from "../store/sqlite.ts";

export const SESSION_TOKEN_PREFIX = "IQoJb3JpZ2luX2Vj";
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_SETTING = "sts.sessionTokenKey";

/** What a sealed token holds: everything needed to authenticate and authorize the session's calls. */
export interface SealedSession {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  issuedAt: Date;
  session: RoleSession;
}

export class SessionSealer {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError("session token key must be 32 bytes");
    this.#key = key;
  }

  /** The state's key, created (and committed) the first time. */
  static forStore(store: Store): SessionSealer {
    let encoded = store.getSetting(KEY_SETTING);
    if (encoded === undefined) {
      encoded = randomBytesPooled(32).toString("base64");
      store.setSetting(KEY_SETTING, encoded);
    }
    return new SessionSealer(Buffer.from(encoded, "base64"));
  }

  seal(s: SealedSession): string {
    const { session } = s;
    const plain = JSON.stringify([
      s.secretAccessKey,
      s.accountId,
      s.issuedAt.getTime(),
      session.roleArn,
      session.roleId,
      session.roleName,
      session.sessionName,
      session.expiration.getTime(),
      session.policy ?? null,
      session.policyArns,
      session.tags,
      session.transitiveTagKeys,
      session.sourceIdentity ?? null,
      session.chained,
      session.via,
      session.webIdentity ?? null,
    ]);
    const iv = randomBytesPooled(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(s.accessKeyId, "latin1"));
    const body = Buffer.concat([
      Buffer.of(VERSION),
      iv,
      cipher.update(plain, "utf8"),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return SESSION_TOKEN_PREFIX + body.toString("base64").replace(/=+$/, "");
  }

  /** The session the token seals for this key id; undefined for anything else. */
  open(token: string, accessKeyId: string): SealedSession | undefined {
    if (!token.startsWith(SESSION_TOKEN_PREFIX)) return undefined;
    const encoded = token.slice(SESSION_TOKEN_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+$/.test(encoded)) return undefined;
    const body = Buffer.from(encoded, "base64");
    if (body.length < 1 + IV_BYTES + TAG_BYTES || body[0] !== VERSION) return undefined;
    let plain: string;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, body.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(Buffer.from(accessKeyId, "latin1"));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      plain =
        decipher.update(body.subarray(1 + IV_BYTES, body.length - TAG_BYTES), undefined, "utf8") +
        decipher.final("utf8");
    } catch {
      return undefined;
    }
    const [
      secretAccessKey,
      accountId,
      issuedAt,
      roleArn,
      roleId,
      roleName,
      sessionName,
      expiration,
      policy,
      policyArns,
      tags,
      transitiveTagKeys,
      sourceIdentity,
      chained,
      via,
      webIdentity,
    ] = JSON.parse(plain);
    const session: RoleSession = {
      roleArn,
      roleId,
      roleName,
      sessionName,
      expiration: new Date(expiration),
      policyArns,
      tags,
      transitiveTagKeys,
      chained,
      via,
    };
    if (policy !== null) session.policy = policy;
    if (sourceIdentity !== null) session.sourceIdentity = sourceIdentity;
    if (webIdentity !== null) session.webIdentity = webIdentity;
    return { accessKeyId, secretAccessKey, accountId, issuedAt: new Date(issuedAt), session };
  }
}
