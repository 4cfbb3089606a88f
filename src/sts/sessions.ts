// STS role sessions: temporary credentials (ASIA key, secret, session token) and the CredentialSource
// the front door resolves them through. Record shape: sts.md §3.2.
//
// The session token seals the session itself (session-token.ts), as AWS's tokens carry theirs: issuing
// a session writes nothing, and a restarted twin, even after `kill -9`, opens the token a client
// presents. The SigV4 verifier still compares the presented token with the session's (sigv4.md §7).
// States written before tokens were sealed keep their sessions in sts_sessions, read as before.
import { accountUniqueId } from "../core/ids.ts";
import type { CredentialSource, Principal, RoleSession } from "../core/service.ts";
import type { Store } from "../store/sqlite.ts";
import { SessionSealer } from "./session-token.ts";

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

export class SessionStore implements CredentialSource {
  readonly #sealer: SessionSealer;
  readonly #get;
  /** hot path: every signed call by a session resolves its key */
  readonly #cache = new Map<string, StoredSession>();

  constructor(store: Store) {
    store.migrate("sts", MIGRATIONS);
    this.#sealer = SessionSealer.forStore(store);
    this.#get = store.db.prepare<[string], Row>("SELECT * FROM sts_sessions WHERE access_key_id = ?");
  }

  /**
   * Mints credentials for a session. The session token carries the session sealed (session-token.ts),
   * so nothing is written: the credentials are valid on any twin serving this state, restarted or not.
   */
  create(accountId: string, issuedAt: Date, session: RoleSession): StoredSession {
    const accessKeyId = temporaryKeyId(accountId);
    const { sessionToken, secretAccessKey } = this.#sealer.issue(accessKeyId, accountId, issuedAt, session);
    // Not cached here: a session is cached when it is first used (opened from its token), so the
    // thousands a busy pipeline mints and never uses cost no memory.
    return {
      credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: secretAccessKey,
        SessionToken: sessionToken,
        Expiration: session.expiration,
      },
      accountId,
      issuedAt,
      session,
    };
  }

  /** The session of a key id: known, opened from the token presented with it, or (older states) stored. */
  get(accessKeyId: string, sessionToken?: string): StoredSession | undefined {
    const cached = this.#cache.get(accessKeyId);
    if (cached) return cached;
    if (!accessKeyId.startsWith("ASIA")) return undefined;
    const opened = sessionToken === undefined ? undefined : this.#sealer.open(sessionToken, accessKeyId);
    let stored: StoredSession | undefined;
    if (opened) {
      stored = {
        credentials: {
          AccessKeyId: accessKeyId,
          SecretAccessKey: opened.secretAccessKey,
          SessionToken: sessionToken!,
          Expiration: opened.session.expiration,
        },
        accountId: opened.accountId,
        issuedAt: opened.issuedAt,
        session: opened.session,
      };
    } else {
      // Sessions issued before tokens were sealed were written to this table.
      const row = this.#get.get(accessKeyId);
      if (row) stored = fromRow(row);
    }
    if (stored) this.#remember(stored);
    return stored;
  }

  /**
   * Bounded: sessions are created by the thousand, and any one can be opened again from its token.
   * Cleared whole when full (evicting a Map's oldest entry one at a time walks its deleted slots).
   */
  #remember(stored: StoredSession): void {
    if (this.#cache.size >= MAX_CACHED_SESSIONS) this.#cache.clear();
    this.#cache.set(stored.credentials.AccessKeyId, stored);
  }

  /** CredentialSource: expired sessions are returned with their expiration so the front door says ExpiredToken. */
  lookup(accessKeyId: string, sessionToken?: string) {
    const s = this.get(accessKeyId, sessionToken);
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
    issuedAt: s.issuedAt,
    sessionToken: s.credentials.SessionToken,
  };
}

/** `arn:aws:sts::<A>:assumed-role/<RoleName>/<RoleSessionName>`: the role path is omitted (sts.md §3.1). */
export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
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

/** `ASIA` + 16 base32 characters encoding the account the way AWS's keys do (sts.md §3.1). */
export function temporaryKeyId(accountId: string): string {
  return accountUniqueId("ASIA", accountId);
}
