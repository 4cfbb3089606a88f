// The twin's durable state: one SQLite database in WAL mode inside the state dir.
//
// On-disk layout of a state dir (the one place it is written down):
//   keyship.db, -wal, -shm   every API resource (IAM, STS sessions, ECR metadata, ECS), the decision log
//   blobs/sha256/ab/<hex>    registry blob content, content-addressed (store/blobs.ts)
//   uploads/<uuid>           in-progress registry uploads; renamed into blobs/ once the digest checks
//   oidc/                    the issuer's signing keys (oidc/keys.ts)
//
// Durability: WAL with synchronous=NORMAL. A commit's frames are written to the WAL file before
// the call returns, so an acknowledged write survives `kill -9` of the twin (the bytes are in the
// OS's page cache); only an OS crash or power loss can roll back the last commits. FULL would add
// an fsync per commit (~2 ms of blocked event loop on these machines) for a guarantee a local twin
// does not need. Each mutating API call runs in one transaction (`store.tx`), or shares one with the
// calls of the same event-loop turn, answered only once it has committed (ECS
// RegisterTaskDefinition: store/group-commit.ts). STS sessions are not written at all: their tokens
// seal them (sts/session-token.ts).
// https://www.sqlite.org/pragma.html#pragma_synchronous
// Migrations are versioned per component (iam, sts, ecr, ecs, ...), so each service owns its
// schema: `migrate("ecr", [sql1, sql2])` applies the ones not yet recorded, in order.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

export interface Store {
  readonly db: Db;
  readonly dir: string;
  /**
   * The statement for `sql`, prepared once per connection and then reused: preparing costs more
   * than most of the twin's queries, so code on a request path asks here instead of db.prepare.
   */
  prepared: Db["prepare"];
  /** Runs `fn` in one IMMEDIATE transaction; rolled back if it throws. Nested calls join the outer one. */
  tx<T>(fn: () => T): T;
  /** Applies `steps[i]` for every i not yet applied to `component`. Idempotent. */
  migrate(component: string, steps: string[]): void;
  /** Key/value settings that belong to the state (account id, admin keys, ...). */
  getSetting(key: string): string | undefined;
  setSetting(key: string, value: string): void;
  close(): void;
}

export function openStore(dir: string): Store {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dir, "keyship.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.exec(`CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
           CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
  const getVersion = db.prepare<[string], { version: number }>(
    "SELECT version FROM schema_versions WHERE component = ?",
  );
  const setVersion = db.prepare(
    "INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version",
  );
  const getSetting = db.prepare<[string], { value: string }>("SELECT value FROM settings WHERE key = ?");
  const putSetting = db.prepare(
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );

  const tx = <T>(fn: () => T): T => {
    if (db.inTransaction) return fn();
    return db.transaction(fn).immediate();
  };

  const statements = new Map<string, Database.Statement>();
  const prepared = ((sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  }) as Db["prepare"];

  return {
    db,
    dir,
    prepared,
    tx,
    migrate(component, steps) {
      tx(() => {
        const current = getVersion.get(component)?.version ?? 0;
        for (let i = current; i < steps.length; i++) db.exec(steps[i]!);
        if (steps.length > current) setVersion.run(component, steps.length);
      });
    },
    getSetting: (key) => getSetting.get(key)?.value,
    setSetting: (key, value) => {
      putSetting.run(key, value);
    },
    close: () => db.close(),
  };
}
