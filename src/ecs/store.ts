// ECS tables in the twin's SQLite store. Records are JSON documents beside the columns queries filter on;
// callers wrap each mutating API call (and each scheduler tick's decision) in one `store.tx`.
//
// Reads of clusters, services and tags (what every Describe call and its authorization read) go
// through a read-through cache. The twin is the only writer of these tables and every write below
// goes through `#write`, which empties the cache; reads inside a transaction bypass it, so a value
// written by a transaction that then rolls back is never cached. Cached values are shared between
// callers, so they are frozen: code that edits a record reads it inside its write transaction.
import type { Statement } from "better-sqlite3";
import { GroupCommit } from "../store/group-commit.ts";
import { ReadCache } from "../store/read-cache.ts";
import type { Store } from "../store/sqlite.ts";
import type { Json, ServiceRecord, TaskRecord } from "./model.ts";

const MIGRATIONS = [
  `CREATE TABLE ecs_clusters (arn TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL,
     created INTEGER NOT NULL, doc TEXT NOT NULL);
   CREATE TABLE ecs_families (family TEXT PRIMARY KEY, last_revision INTEGER NOT NULL);
   CREATE TABLE ecs_task_definitions (arn TEXT PRIMARY KEY, family TEXT NOT NULL, revision INTEGER NOT NULL,
     status TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (family, revision));
   CREATE TABLE ecs_services (arn TEXT PRIMARY KEY, cluster TEXT NOT NULL, name TEXT NOT NULL,
     status TEXT NOT NULL, created INTEGER NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX ecs_services_cluster ON ecs_services (cluster, status);
   CREATE TABLE ecs_tasks (arn TEXT PRIMARY KEY, cluster TEXT NOT NULL, service TEXT, last_status TEXT NOT NULL,
     desired_status TEXT NOT NULL, family TEXT NOT NULL, started_by TEXT, created INTEGER NOT NULL,
     seq INTEGER NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX ecs_tasks_cluster ON ecs_tasks (cluster, desired_status);
   CREATE INDEX ecs_tasks_live ON ecs_tasks (last_status);
   CREATE TABLE ecs_tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key));`,
  // RunTask clientTokens (client-token.ts): per cluster, the request's fingerprint and the tasks it started
  `CREATE TABLE ecs_run_tokens (cluster TEXT NOT NULL, token TEXT NOT NULL, fingerprint TEXT NOT NULL,
     task_arns TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (cluster, token));
   CREATE INDEX ecs_run_tokens_created ON ecs_run_tokens (created);`,
];

export interface ClusterRow {
  arn: string;
  name: string;
  status: string;
  created: number;
  doc: Json;
}

export interface TaskDefinitionRow {
  arn: string;
  family: string;
  revision: number;
  status: string;
  doc: Json;
}

export class EcsStore {
  readonly store: Store;
  #seq = 0;
  readonly #cache: ReadCache;
  readonly #grouped: GroupCommit;
  constructor(store: Store) {
    this.store = store;
    this.#grouped = new GroupCommit(store.db);
    this.#cache = new ReadCache(store.db, { prepare: deepFreeze });
    store.migrate("ecs", MIGRATIONS);
    const row = store.db
      .prepare<[], { s: number | null }>(
        "SELECT MAX(s) AS s FROM (SELECT MAX(seq) AS s FROM ecs_services UNION ALL SELECT MAX(seq) FROM ecs_tasks)",
      )
      .get();
    this.#seq = row?.s ?? 0;
  }

  tx<T>(fn: () => T): T {
    return this.store.tx(fn);
  }

  /**
   * Like `tx`, for calls that come in bursts: `fn` runs in a transaction shared with the other calls
   * of this turn of the event loop, in its own savepoint, and the promise settles once that has
   * committed (store/group-commit.ts).
   */
  txGrouped<T>(fn: () => T): Promise<T> {
    return this.#grouped.run(fn);
  }

  /** Commits grouped writes still pending; the owner calls it before the store closes. */
  flushGrouped(): void {
    this.#grouped.flush();
  }

  /** The statement for a write: every write empties the read cache first. */
  #write(sql: string): Statement<unknown[]> {
    this.#cache.invalidate();
    return this.store.prepared(sql);
  }

  #cached<T>(key: string, load: () => T): T {
    return this.#cache.get(key, load);
  }

  // clusters
  getCluster(arn: string): ClusterRow | undefined {
    return this.#cached(`cluster ${arn}`, () => this.#loadCluster(arn));
  }
  #loadCluster(arn: string): ClusterRow | undefined {
    const r = this.store
      .prepared<[string], Omit<ClusterRow, "doc"> & { doc: string }>(
        "SELECT * FROM ecs_clusters WHERE arn = ?",
      )
      .get(arn);
    return r ? { ...r, doc: JSON.parse(r.doc) } : undefined;
  }
  putCluster(c: ClusterRow): void {
    this.#write(
      `INSERT INTO ecs_clusters (arn, name, status, created, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET status = excluded.status, doc = excluded.doc`,
    ).run(c.arn, c.name, c.status, c.created, JSON.stringify(c.doc));
  }
  listClusters(): ClusterRow[] {
    return this.store
      .prepared<[], Omit<ClusterRow, "doc"> & { doc: string }>(
        "SELECT * FROM ecs_clusters WHERE status = 'ACTIVE' ORDER BY created, arn",
      )
      .all()
      .map((r) => ({ ...r, doc: JSON.parse(r.doc) }));
  }

  // task definitions
  nextRevision(family: string): number {
    const row = this.#write(
      `INSERT INTO ecs_families (family, last_revision) VALUES (?, 1)
         ON CONFLICT(family) DO UPDATE SET last_revision = last_revision + 1 RETURNING last_revision`,
    ).get(family) as { last_revision: number };
    return row.last_revision;
  }
  /** The revision the family's next registration will get, without taking it. */
  peekRevision(family: string): number {
    const row = this.store
      .prepared<[string], { last_revision: number }>(
        "SELECT last_revision FROM ecs_families WHERE family = ?",
      )
      .get(family);
    return (row?.last_revision ?? 0) + 1;
  }
  putTaskDefinition(td: TaskDefinitionRow): void {
    this.#write(
      `INSERT INTO ecs_task_definitions (arn, family, revision, status, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET status = excluded.status, doc = excluded.doc`,
    ).run(td.arn, td.family, td.revision, td.status, JSON.stringify(td.doc));
  }
  getTaskDefinition(family: string, revision?: number): TaskDefinitionRow | undefined {
    const r =
      revision === undefined
        ? this.store
            .prepared<[string], TaskDefinitionRow & { doc: string }>(
              "SELECT * FROM ecs_task_definitions WHERE family = ? AND status = 'ACTIVE' ORDER BY revision DESC LIMIT 1",
            )
            .get(family)
        : this.store
            .prepared<[string, number], TaskDefinitionRow & { doc: string }>(
              "SELECT * FROM ecs_task_definitions WHERE family = ? AND revision = ?",
            )
            .get(family, revision);
    return r ? { ...r, doc: JSON.parse(r.doc) } : undefined;
  }
  getTaskDefinitionByArn(arn: string): TaskDefinitionRow | undefined {
    const r = this.store
      .prepared<[string], TaskDefinitionRow & { doc: string }>(
        "SELECT * FROM ecs_task_definitions WHERE arn = ?",
      )
      .get(arn);
    return r ? { ...r, doc: JSON.parse(r.doc) } : undefined;
  }
  listTaskDefinitions(status: string, family?: string, desc = false): { arn: string; family: string }[] {
    const order = desc ? "family DESC, revision DESC" : "family, revision";
    return family === undefined
      ? this.store
          .prepared<[string], { arn: string; family: string }>(
            `SELECT arn, family FROM ecs_task_definitions WHERE status = ? ORDER BY ${order}`,
          )
          .all(status)
      : this.store
          .prepared<[string, string], { arn: string; family: string }>(
            `SELECT arn, family FROM ecs_task_definitions WHERE status = ? AND family = ? ORDER BY ${order}`,
          )
          .all(status, family);
  }
  families(): { family: string; active: number }[] {
    return this.store
      .prepared<[], { family: string; active: number }>(
        "SELECT family, SUM(status = 'ACTIVE') AS active FROM ecs_task_definitions GROUP BY family ORDER BY family",
      )
      .all();
  }

  // services
  getService(arn: string): ServiceRecord | undefined {
    return this.#cached(`service ${arn}`, () => this.#loadService(arn));
  }
  #loadService(arn: string): ServiceRecord | undefined {
    const r = this.store
      .prepared<[string], { doc: string }>("SELECT doc FROM ecs_services WHERE arn = ?")
      .get(arn);
    return r ? JSON.parse(r.doc) : undefined;
  }
  putService(s: ServiceRecord): void {
    this.#write(
      `INSERT INTO ecs_services (arn, cluster, name, status, created, seq, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET status = excluded.status, doc = excluded.doc,
           created = excluded.created`,
    ).run(s.serviceArn, s.clusterArn, s.serviceName, s.status, s.createdAt, ++this.#seq, JSON.stringify(s));
  }
  listServices(cluster: string, statuses: string[]): ServiceRecord[] {
    return this.store
      .prepared<[string], { doc: string; status: string }>(
        "SELECT doc, status FROM ecs_services WHERE cluster = ? ORDER BY created, seq",
      )
      .all(cluster)
      .filter((r) => statuses.includes(r.status))
      .map((r) => JSON.parse(r.doc));
  }
  servicesToSchedule(): ServiceRecord[] {
    return this.store
      .prepared<[], { doc: string }>(
        "SELECT doc FROM ecs_services WHERE status IN ('ACTIVE', 'DRAINING') ORDER BY seq",
      )
      .all()
      .map((r) => JSON.parse(r.doc));
  }

  // tasks
  getTask(arn: string): TaskRecord | undefined {
    const r = this.store
      .prepared<[string], { doc: string }>("SELECT doc FROM ecs_tasks WHERE arn = ?")
      .get(arn);
    return r ? JSON.parse(r.doc) : undefined;
  }
  putTask(t: TaskRecord): void {
    const family = t.taskDefinitionArn.slice(
      t.taskDefinitionArn.indexOf("/") + 1,
      t.taskDefinitionArn.lastIndexOf(":"),
    );
    this.#write(
      `INSERT INTO ecs_tasks (arn, cluster, service, last_status, desired_status, family, started_by, created, seq, doc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(arn) DO UPDATE SET last_status = excluded.last_status,
           desired_status = excluded.desired_status, doc = excluded.doc`,
    ).run(
      t.taskArn,
      t.clusterArn,
      t.serviceName ?? null,
      t.lastStatus,
      t.desiredStatus,
      family,
      t.startedBy ?? null,
      t.createdAt,
      ++this.#seq,
      JSON.stringify(t),
    );
  }
  liveTasks(): TaskRecord[] {
    return this.store
      .prepared<[], { doc: string }>("SELECT doc FROM ecs_tasks WHERE last_status != 'STOPPED' ORDER BY seq")
      .all()
      .map((r) => JSON.parse(r.doc));
  }
  /** A service's tasks: every one not STOPPED, plus stopped ones not yet acknowledged by the scheduler. */
  serviceTasks(cluster: string, service: string): TaskRecord[] {
    return this.store
      .prepared<[string, string], { doc: string }>(
        "SELECT doc FROM ecs_tasks WHERE cluster = ? AND service = ? AND (last_status != 'STOPPED' OR json_extract(doc, '$.stopAcknowledged') IS NOT 1) ORDER BY seq",
      )
      .all(cluster, service)
      .map((r) => JSON.parse(r.doc));
  }
  listTasks(
    cluster: string,
    filter: { desiredStatus: string; service?: string; family?: string; startedBy?: string },
  ): TaskRecord[] {
    return this.store
      .prepared<[string, string], { doc: string }>(
        "SELECT doc FROM ecs_tasks WHERE cluster = ? AND desired_status = ? ORDER BY seq",
      )
      .all(cluster, filter.desiredStatus)
      .map((r) => JSON.parse(r.doc) as TaskRecord)
      .filter(
        (t) =>
          (filter.service === undefined || t.serviceName === filter.service) &&
          (filter.family === undefined ||
            t.taskDefinitionArn.includes(`:task-definition/${filter.family}:`)) &&
          (filter.startedBy === undefined || t.startedBy === filter.startedBy),
      );
  }
  countTasks(cluster: string): { running: number; pending: number; live: number } {
    const r = this.store
      .prepared<[string], { running: number; pending: number; live: number }>(
        `SELECT SUM(last_status = 'RUNNING') AS running,
                SUM(last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING')) AS pending,
                SUM(last_status != 'STOPPED') AS live FROM ecs_tasks WHERE cluster = ?`,
      )
      .get(cluster);
    return { running: r?.running ?? 0, pending: r?.pending ?? 0, live: r?.live ?? 0 };
  }
  /** Stopped tasks past retention are forgotten (specs/ecs.md §7.1). */
  purgeStoppedBefore(cutoff: number): void {
    this.#write(
      "DELETE FROM ecs_tasks WHERE last_status = 'STOPPED' AND json_extract(doc, '$.stoppedAt') < ?",
    ).run(cutoff);
  }

  // RunTask client tokens
  /** The call a token was first used for in `cluster`, if it was used at or after `since` (its TTL). */
  runToken(
    cluster: string,
    token: string,
    since: number,
  ): { fingerprint: string; taskArns: string[] } | undefined {
    const r = this.store
      .prepared<[string, string, number], { fingerprint: string; task_arns: string }>(
        "SELECT fingerprint, task_arns FROM ecs_run_tokens WHERE cluster = ? AND token = ? AND created >= ?",
      )
      .get(cluster, token, since);
    return r ? { fingerprint: r.fingerprint, taskArns: JSON.parse(r.task_arns) } : undefined;
  }
  /** Records a token's call (replacing an expired one), and forgets tokens older than `expiredBefore`. */
  putRunToken(
    cluster: string,
    token: string,
    call: { fingerprint: string; taskArns: string[]; created: number },
    expiredBefore: number,
  ): void {
    this.#write("DELETE FROM ecs_run_tokens WHERE created < ?").run(expiredBefore);
    this.#write(
      `INSERT INTO ecs_run_tokens (cluster, token, fingerprint, task_arns, created) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(cluster, token) DO UPDATE SET fingerprint = excluded.fingerprint,
           task_arns = excluded.task_arns, created = excluded.created`,
    ).run(cluster, token, call.fingerprint, JSON.stringify(call.taskArns), call.created);
  }

  // tags
  tags(arn: string): { key: string; value: string }[] {
    return this.#cached(`tags ${arn}`, () => this.#loadTags(arn));
  }
  #loadTags(arn: string): { key: string; value: string }[] {
    return this.store
      .prepared<[string], { key: string; value: string }>(
        "SELECT key, value FROM ecs_tags WHERE arn = ? ORDER BY rowid",
      )
      .all(arn);
  }
  tag(arn: string, tags: { key: string; value: string }[]): void {
    const put = this.#write(
      "INSERT INTO ecs_tags (arn, key, value) VALUES (?, ?, ?) ON CONFLICT(arn, key) DO UPDATE SET value = excluded.value",
    );
    for (const t of tags) put.run(arn, t.key, t.value ?? "");
  }
  untag(arn: string, keys: string[]): void {
    const del = this.#write("DELETE FROM ecs_tags WHERE arn = ? AND key = ?");
    for (const k of keys) del.run(arn, k);
  }
  dropTags(arn: string): void {
    this.#write("DELETE FROM ecs_tags WHERE arn = ?").run(arn);
  }
}

/** Freezes a parsed row and everything in it (plain JSON: objects and arrays only). */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
