// STS role sessions: temporary credentials (ASIA key, secret, session token) persisted in SQLite,
// and the CredentialSource the front door resolves them through. Record shape: sts.md §3.2.
//
// The session token is kept as issued: the SigV4 verifier compares the presented token with it
// (sigv4.md §7); the state dir is private to its user (0700).
//
// Durability: sessions are group-committed in the store (WAL, synchronous=NORMAL: see
// store/sqlite.ts). A committed session is in the WAL before the credentials are returned, so it
// survives the twin being killed (kill -9).
import type { IdGenerator } from "../core/ids.ts";
import { randomBytesPooled } from "../core/random.ts";
import type { CredentialSource, Principal, RoleSession } from "../core/service.ts";
import type { Store } from "../store/sqlite.ts";

const MIGRATIONS = [
  `CREATE TABLE sts_sessions (
     access_key_id TEXT PRIMARY KEY,
     secret_access_key TEXT NOT NULL,
     session_token TEXT NOT NULL,
     account_id TEXT NOT NULL,
     role_arn TEXT NOT NULL,
     role_id TEXT NOT NULL,
     role_name TEXT NOT NULL,
     session_name TEXT NOT NULL,
     issued_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     policy TEXT,
     policy_arns TEXT NOT NULL,
     tags TEXT NOT NULL,
     transitive_tag_keys TEXT NOT NULL,
     source_identity TEXT,
     chained INTEGER NOT NULL,
     via TEXT NOT NULL,
     web_identity TEXT
   );
   CREATE INDEX sts_sessions_expires ON sts_sessions (expires_at);`,
];

interface Row {
  access_key_id: string;
  secret_access_key: string;
  session_token: string;
  account_id: string;
  role_arn: string;
  role_id: string;
  role_name: string;
  session_name: string;
  issued_at: number;
  expires_at: number;
  policy: string | null;
  policy_arns: string;
  tags: string;
  transitive_tag_keys: string;
  source_identity: string | null;
  chained: number;
  via: string;
  web_identity: string | null;
}

export interface IssuedCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: Date;
}

export interface StoredSession {
  credentials: IssuedCredentials;
  accountId: string;
  issuedAt: Date;
  session: RoleSession;
}

const MAX_CACHED_SESSIONS = 10_000;

/** Sessions expired for longer than this are deleted when new ones are written. */
const RETAIN_EXPIRED_MS = 24 * 3600_000;

export class SessionStore implements CredentialSource {
  readonly #store: Store;
  readonly #ids: Pick<IdGenerator, "secret">;
  readonly #insert;
  readonly #get;
  readonly #purge;
  /** hot path: every signed call by a session resolves its key */
  readonly #cache = new Map<string, StoredSession>();
  #pending: { stored: StoredSession; resolve: (s: StoredSession) => void; reject: (e: unknown) => void }[] =
    [];

  constructor(store: Store, ids: Pick<IdGenerator, "secret">) {
    this.#ids = ids;
    store.migrate("sts", MIGRATIONS);
    const db = store.db;
    this.#store = store;
    this.#insert = db.prepare(
      `INSERT INTO sts_sessions (access_key_id, secret_access_key, session_token, account_id, role_arn, role_id,
         role_name, session_name, issued_at, expires_at, policy, policy_arns, tags, transitive_tag_keys,
         source_identity, chained, via, web_identity)
       VALUES (@access_key_id, @secret_access_key, @session_token, @account_id, @role_arn, @role_id, @role_name,
         @session_name, @issued_at, @expires_at, @policy, @policy_arns, @tags, @transitive_tag_keys,
         @source_identity, @chained, @via, @web_identity)`,
    );
    this.#get = db.prepare<[string], Row>("SELECT * FROM sts_sessions WHERE access_key_id = ?");
    this.#purge = db.prepare("DELETE FROM sts_sessions WHERE expires_at < ?");
  }

  /**
   * Mints credentials for a session and records it durably before resolving. Concurrent calls are
   * group-committed: one transaction (one fsync) for every session created in the same turn of the
   * event loop, so durability costs one disk flush per batch rather than per request.
   */
  create(accountId: string, issuedAt: Date, session: RoleSession): Promise<StoredSession> {
    const credentials: IssuedCredentials = {
      AccessKeyId: temporaryKeyId(accountId),
      SecretAccessKey: this.#ids.secret(),
      SessionToken: sessionToken(),
      Expiration: session.expiration,
    };
    const stored = { credentials, accountId, issuedAt, session };
    return new Promise((resolve, reject) => {
      this.#pending.push({ stored, resolve, reject });
      // One commit per millisecond at most: under load a commit (~25 µs of WAL writes and locks)
      // then serves a dozen sessions instead of two or three; alone, a call waits 1 ms.
      if (this.#pending.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    try {
      const oldest = Math.min(...batch.map((b) => b.stored.issuedAt.getTime()));
      this.#store.tx(() => {
        this.#purge.run(oldest - RETAIN_EXPIRED_MS);
        for (const { stored } of batch) this.#insert.run(toRow(stored));
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    for (const b of batch) {
      this.#remember(b.stored);
      b.resolve(b.stored);
    }
  }

  /** Commits pending sessions; the store itself is closed by its owner. */
  close(): void {
    this.#flush();
  }

  get(accessKeyId: string): StoredSession | undefined {
    const cached = this.#cache.get(accessKeyId);
    if (cached) return cached;
    if (!accessKeyId.startsWith("ASIA")) return undefined;
    const row = this.#get.get(accessKeyId);
    if (!row) return undefined;
    const stored = fromRow(row);
    this.#remember(stored);
    return stored;
  }

  /** Bounded: sessions are created by the thousand, and any one is read back from the table. */
  #remember(stored: StoredSession): void {
    if (this.#cache.size >= MAX_CACHED_SESSIONS) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(stored.credentials.AccessKeyId, stored);
  }

  /** CredentialSource: expired sessions are returned with their expiration so the front door says ExpiredToken. */
  lookup(accessKeyId: string) {
    const s = this.get(accessKeyId);
    if (!s) return undefined;
    return {
      secretAccessKey: s.credentials.SecretAccessKey,
      sessionToken: s.credentials.SessionToken,
      expiration: s.credentials.Expiration,
      principal: principalOf(s),
    };
  }
}

/** The principal a session's credentials authenticate as (sts.md §3.1, §3.3). */
export function principalOf(s: StoredSession): Principal {
  const { session } = s;
  return {
    type: "AssumedRole",
    arn: assumedRoleArn(s.accountId, session.roleName, session.sessionName),
    accountId: s.accountId,
    userId: `${session.roleId}:${session.sessionName}`,
    name: session.roleName,
    accessKeyId: s.credentials.AccessKeyId,
    session,
  };
}

/** `arn:aws:sts::<A>:assumed-role/<RoleName>/<RoleSessionName>`: the role path is omitted (sts.md §3.1). */
export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

function toRow({ credentials, accountId, issuedAt, session }: StoredSession): Row {
  return {
    access_key_id: credentials.AccessKeyId,
    secret_access_key: credentials.SecretAccessKey,
    session_token: credentials.SessionToken,
    account_id: accountId,
    role_arn: session.roleArn,
    role_id: session.roleId,
    role_name: session.roleName,
    session_name: session.sessionName,
    issued_at: issuedAt.getTime(),
    expires_at: session.expiration.getTime(),
    policy: session.policy ?? null,
    policy_arns: JSON.stringify(session.policyArns),
    tags: JSON.stringify(session.tags),
    transitive_tag_keys: JSON.stringify(session.transitiveTagKeys),
    source_identity: session.sourceIdentity ?? null,
    chained: session.chained ? 1 : 0,
    via: session.via,
    web_identity: session.webIdentity ? JSON.stringify(session.webIdentity) : null,
  };
}

function fromRow(row: Row): StoredSession {
  const session: RoleSession = {
    roleArn: row.role_arn,
    roleName: row.role_name,
    roleId: row.role_id,
    sessionName: row.session_name,
    expiration: new Date(row.expires_at),
    policyArns: JSON.parse(row.policy_arns),
    tags: JSON.parse(row.tags),
    transitiveTagKeys: JSON.parse(row.transitive_tag_keys),
    chained: row.chained === 1,
    via: row.via,
  };
  if (row.policy !== null) session.policy = row.policy;
  if (row.source_identity !== null) session.sourceIdentity = row.source_identity;
  if (row.web_identity !== null) session.webIdentity = JSON.parse(row.web_identity);
  return {
    credentials: {
      AccessKeyId: row.access_key_id,
      SecretAccessKey: row.secret_access_key,
      SessionToken: row.session_token,
      Expiration: session.expiration,
    },
    accountId: row.account_id,
    issuedAt: new Date(row.issued_at),
    session,
  };
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * `ASIA` + 16 base32 characters encoding the account the way AWS's keys do (sts.md §3.1):
 * x = 2^47 | account << 7 | 7 random bits as 6 bytes, then 4 random bytes.
 */
export function temporaryKeyId(accountId: string): string {
  const x = (1n << 47n) | (BigInt(accountId) << 7n) | BigInt(randomBytesPooled(1)[0]! & 0x7f);
  const bytes = Buffer.alloc(10);
  bytes.writeUIntBE(Number(x), 0, 6);
  randomBytesPooled(4).copy(bytes, 6);
  return `ASIA${base32(bytes)}`;
}

/** The account a key id encodes (for keys whose fifth character is not I or J). */
export function keyIdAccount(keyId: string): string {
  let bits = 0n;
  for (const c of keyId.slice(4, 14)) bits = (bits << 5n) | BigInt(BASE32.indexOf(c));
  // 10 characters = 50 bits; the first 48 are x.
  const x = bits >> 2n;
  return String((x & 0x7fffffffff80n) >> 7n).padStart(12, "0");
}

function base32(bytes: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** `IQoJb3JpZ2luX2Vj` + base64 of 32 random bytes, unpadded (sts.md §3.1). */
function sessionToken(): string {
  return `IQoJb3JpZ2luX2Vj${randomBytesPooled(32).toString("base64").replace(/=+$/, "")}`;
}
