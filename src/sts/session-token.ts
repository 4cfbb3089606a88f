// Session tokens that carry their session, as AWS's do: any twin on the state opens one, so issuing a
// session writes nothing and a `kill -9` can lose no session.
//
// Version 2 (issued now): the session's lasting part (role, session name, policies, tags, web
// identity) is sealed with AES-256-GCM once and reused by every session that shares it; the token
// adds the session's times and an HMAC-SHA512 over the key id, the sealed part (by its SHA-256) and
// the times. The MAC's first 16 bytes end the token, and the next 30 are the session's secret access
// key: a PRF output nobody can compute without the state's key, which the twin derives again from
// the token rather than storing it. A token altered by one bit, spelled otherwise, or presented with
// another key id opens nothing. A job assumes the same role with the same token again and again, so
// a session costs one short HMAC.
//   token  = `IQoJb3JpZ2luX2Vj` (AWS's prefix) + base64(2 | u16 length | sealed | u48 issued ms | u32 expiry s | tag)
//   sealed = iv | AES-256-GCM(JSON lasting part, aad "keyship sts session v2") | gcm tag
//   mac    = HMAC-SHA512(HKDF(state key), key id | 2 | SHA-256(sealed) | issued | expiry) = tag | secret | …
// Version 1 (issued before): base64(1 | iv | AES-256-GCM(JSON whole session, aad key id) | tag); opened still.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hash,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from "node:crypto";
import { randomBytesPooled } from "../core/random.ts";
import { sameEntries, sameStrings } from "../core/same.ts";
import type { RoleSession } from "../core/service.ts";
import type { Store } from "../store/sqlite.ts";

export const SESSION_TOKEN_PREFIX = "IQoJb3JpZ2luX2Vj";
const V1 = 1;
const V2 = 2;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SECRET_BYTES = 30; // 40 base64 characters, as AWS's secret keys
const KEY_SETTING = "sts.sessionTokenKey";
const LASTING_AAD = Buffer.from("keyship sts session v2");
const MAC_DOMAIN = Buffer.of(V2);
const MAX_SEALED = 1024;

/** What a sealed token holds: everything needed to authenticate and authorize the session's calls. */
export interface SealedSession {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  issuedAt: Date;
  session: RoleSession;
}

/** What issuing a session returns: the token and the secret derived with it. */
export interface IssuedToken {
  sessionToken: string;
  secretAccessKey: string;
}

export class SessionSealer {
  readonly #key: Buffer;
  readonly #macKey: KeyObject;
  /** sealed lasting parts by their JSON: sessions that share one are sealed once */
  readonly #sealed = new Map<string, Lasting>();
  /** the lasting part sealed last, and the session fields it was sealed from (the common case: the same again) */
  #last: { accountId: string; session: RoleSession; lasting: Lasting } | undefined;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError("session token key must be 32 bytes");
    this.#key = key;
    // the MAC has a key of its own, derived from the state's (HKDF, RFC 5869)
    // (a KeyObject: a Buffer key is converted again on every createHmac)
    this.#macKey = createSecretKey(
      Buffer.from(hkdfSync("sha512", key, "", "keyship sts session mac v2", 64)),
    );
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

  /** A token for the session of this key id, and the session's secret access key. */
  issue(accessKeyId: string, accountId: string, issuedAt: Date, session: RoleSession): IssuedToken {
    const lasting = this.#lastingFor(accountId, session);
    const times = Buffer.allocUnsafe(10 + TAG_BYTES);
    times.writeUIntBE(issuedAt.getTime(), 0, 6);
    times.writeUInt32BE(Math.floor(session.expiration.getTime() / 1000), 6);
    const mac = this.#mac(accessKeyId, lasting.digest, times.subarray(0, 10));
    mac.copy(times, 10, 0, TAG_BYTES);
    return {
      // the head's bytes are a multiple of 3, so its base64 is kept and the rest appended
      sessionToken: SESSION_TOKEN_PREFIX + lasting.head64 + times.toString("base64").replace(/=+$/, ""),
      secretAccessKey: mac.toString("base64", TAG_BYTES, TAG_BYTES + SECRET_BYTES),
    };
  }

  #lastingFor(accountId: string, session: RoleSession): Lasting {
    const last = this.#last;
    if (last !== undefined && last.accountId === accountId && sameLasting(last.session, session))
      return last.lasting;
    const plain = lastingPart(accountId, session);
    let lasting = this.#sealed.get(plain);
    if (lasting === undefined) {
      // JSON ignores trailing blanks: they make the head (version, length, sealed part) a multiple of 3 bytes
      const padded =
        plain + " ".repeat((3 - ((3 + IV_BYTES + Buffer.byteLength(plain) + TAG_BYTES) % 3)) % 3);
      const iv = randomBytesPooled(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
      cipher.setAAD(LASTING_AAD);
      const sealed = Buffer.concat([iv, cipher.update(padded, "utf8"), cipher.final(), cipher.getAuthTag()]);
      if (sealed.length > 0xffff) throw new RangeError("session too large for a token");
      const head = Buffer.allocUnsafe(3 + sealed.length);
      head[0] = V2;
      head.writeUInt16BE(sealed.length, 1);
      sealed.copy(head, 3);
      lasting = { digest: sealedDigest(sealed), head64: head.toString("base64") };
      if (this.#sealed.size >= MAX_SEALED) this.#sealed.clear();
      this.#sealed.set(plain, lasting);
    }
    this.#last = { accountId, session: snapshot(session), lasting };
    return lasting;
  }

  /** HMAC-SHA512 over the key id, the sealed part (by its digest) and the session's times. */
  #mac(accessKeyId: string, digest: Buffer, times: Buffer): Buffer {
    return createHmac("sha512", this.#macKey)
      .update(accessKeyId, "latin1")
      .update(MAC_DOMAIN)
      .update(digest)
      .update(times)
      .digest();
  }

  /** The session the token seals for this key id; undefined for anything else. */
  open(token: string, accessKeyId: string): SealedSession | undefined {
    if (!token.startsWith(SESSION_TOKEN_PREFIX)) return undefined;
    const encoded = token.slice(SESSION_TOKEN_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+$/.test(encoded)) return undefined;
    const body = Buffer.from(encoded, "base64");
    // one token, one spelling: trailing bits a decoder ignores must not make a second one
    if (body.toString("base64").replace(/=+$/, "") !== encoded) return undefined;
    if (body[0] === V2) return this.#openV2(body, accessKeyId);
    if (body[0] === V1) return this.#openV1(body, accessKeyId);
    return undefined;
  }

  #openV2(body: Buffer, accessKeyId: string): SealedSession | undefined {
    if (body.length < 3) return undefined;
    const sealedLength = body.readUInt16BE(1);
    const end = 3 + sealedLength + 10;
    if (sealedLength < IV_BYTES + TAG_BYTES || body.length !== end + TAG_BYTES) return undefined;
    const sealed = body.subarray(3, 3 + sealedLength);
    const mac = this.#mac(accessKeyId, sealedDigest(sealed), body.subarray(end - 10, end));
    if (!timingSafeEqual(mac.subarray(0, TAG_BYTES), body.subarray(end))) return undefined;
    const plain = this.#decrypt(sealed, LASTING_AAD);
    if (plain === undefined) return undefined;
    const [accountId, ...lasting] = JSON.parse(plain);
    const session = sessionOf(lasting, body.readUInt32BE(end - 4) * 1000);
    return {
      accessKeyId,
      secretAccessKey: mac.toString("base64", TAG_BYTES, TAG_BYTES + SECRET_BYTES),
      accountId,
      issuedAt: new Date(body.readUIntBE(end - 10, 6)),
      session,
    };
  }

  #openV1(body: Buffer, accessKeyId: string): SealedSession | undefined {
    if (body.length < 1 + IV_BYTES + TAG_BYTES) return undefined;
    const plain = this.#decrypt(body.subarray(1), Buffer.from(accessKeyId, "latin1"));
    if (plain === undefined) return undefined;
    const [
      secretAccessKey,
      accountId,
      issuedAt,
      roleArn,
      roleId,
      roleName,
      sessionName,
      expiration,
      ...rest
    ] = JSON.parse(plain);
    const session = sessionOf([roleArn, roleId, roleName, sessionName, ...rest], expiration);
    return { accessKeyId, secretAccessKey, accountId, issuedAt: new Date(issuedAt), session };
  }

  /** iv | ciphertext | tag, opened under the state's key; undefined when it does not authenticate. */
  #decrypt(sealed: Buffer, aad: Buffer): string | undefined {
    if (sealed.length < IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return (
        decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES), undefined, "utf8") +
        decipher.final("utf8")
      );
    } catch {
      return undefined;
    }
  }
}

/** A sealed lasting part: its digest (what the MAC covers) and the token's head in base64. */
interface Lasting {
  digest: Buffer;
  head64: string;
}

function sealedDigest(sealed: Buffer): Buffer {
  return hash("sha256", sealed, "buffer") as unknown as Buffer;
}

/** The lasting fields of a session, copied (a later change to the caller's objects changes nothing here). */
function snapshot(s: RoleSession): RoleSession {
  const copy: RoleSession = {
    ...s,
    policyArns: [...s.policyArns],
    tags: { ...s.tags },
    transitiveTagKeys: [...s.transitiveTagKeys],
  };
  if (s.webIdentity) copy.webIdentity = { ...s.webIdentity };
  return copy;
}

/** Whether two sessions share their lasting part (everything but key, secret and times). */
function sameLasting(a: RoleSession, b: RoleSession): boolean {
  return (
    a.roleArn === b.roleArn &&
    a.roleId === b.roleId &&
    a.roleName === b.roleName &&
    a.sessionName === b.sessionName &&
    a.policy === b.policy &&
    a.sourceIdentity === b.sourceIdentity &&
    a.chained === b.chained &&
    a.via === b.via &&
    sameStrings(a.policyArns, b.policyArns) &&
    sameStrings(a.transitiveTagKeys, b.transitiveTagKeys) &&
    sameEntries(a.tags, b.tags) &&
    a.webIdentity?.provider === b.webIdentity?.provider &&
    a.webIdentity?.subject === b.webIdentity?.subject &&
    a.webIdentity?.audience === b.webIdentity?.audience &&
    (a.webIdentity === undefined) === (b.webIdentity === undefined)
  );
}

/** The part of a session that does not change from one issue to the next (JSON, for sealing and reuse). */
function lastingPart(accountId: string, session: RoleSession): string {
  return JSON.stringify([
    accountId,
    session.roleArn,
    session.roleId,
    session.roleName,
    session.sessionName,
    session.policy ?? null,
    session.policyArns,
    session.tags,
    session.transitiveTagKeys,
    session.sourceIdentity ?? null,
    session.chained,
    session.via,
    session.webIdentity ?? null,
  ]);
}

function sessionOf(lasting: unknown[], expirationMs: number): RoleSession {
  const [
    roleArn,
    roleId,
    roleName,
    sessionName,
    policy,
    policyArns,
    tags,
    transitiveTagKeys,
    sourceIdentity,
    chained,
    via,
    webIdentity,
  ] = lasting as [
    string,
    string,
    string,
    string,
    string | null,
    string[],
    Record<string, string>,
    string[],
    string | null,
    boolean,
    string,
    RoleSession["webIdentity"] | null,
  ];
  const session: RoleSession = {
    roleArn,
    roleId,
    roleName,
    sessionName,
    expiration: new Date(expirationMs),
    policyArns,
    tags,
    transitiveTagKeys,
    chained,
    via,
  };
  if (policy !== null) session.policy = policy;
  if (sourceIdentity !== null) session.sourceIdentity = sourceIdentity;
  if (webIdentity !== null) session.webIdentity = webIdentity;
  return session;
}
