// The decision log: every authorization the twin performs, for `keyship decisions`,
// GET /_keyship/decisions and the explanations deploy prints. CloudTrail plus the "why".
//
// Records are kept in memory and written to SQLite in batches off the request path, so the log
// costs no fsync per request; the table is bounded (oldest rows dropped).
import type { Store } from "../store/sqlite.ts";
import type { MatchedStatement } from "./evaluate.ts";

export interface DecisionRecord {
  id: string;
  time: string;
  service: string;
  operation: string;
  requestId: string;
  principal: string;
  action: string;
  resource: string;
  decision: "allowed" | "explicitDeny" | "implicitDeny";
  /** the sentence the client received (denials only) */
  message?: string;
  /** Sid or index of the deciding statement, with its policy id */
  decidedBy?: string;
  /** human-readable trace: matched statements, failed conditions with values */
  explanation?: string;
  /** the structured evaluation (iam-policy.md §12), kept for denials */
  detail?: unknown;
  /** request context keys (incl. a web identity token's claims) */
  context?: Record<string, unknown>;
}

/** The deciding statement as the log names it: `<policy id>#<Sid or index>`; none when nothing matched. */
export function decidedBy(result: { matchedStatements: readonly MatchedStatement[] }): string | undefined {
  const first = result.matchedStatements[0];
  return first ? `${first.sourcePolicyId}#${first.sid ?? first.index}` : undefined;
}

/** What a caller records: the log names it (`id`) when the caller does not, and keeps time as given. */
export type NewDecision = Omit<DecisionRecord, "id" | "time"> & { id?: string; time: Date | string };

/**
 * What an allowed decision repeats from call to call (everything but its time and request id). The
 * authorizer keeps one per decision it reuses, so logging a call allocates nothing, and a batch
 * stores each head once however many of its records name it.
 */
export class AllowedHead {
  readonly decision = "allowed";
  readonly service: string;
  readonly operation: string;
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly decidedBy: string | undefined;
  /** what the record keeps of the request (STS: the token's claims and the call's own facts) */
  readonly context: Record<string, unknown> | undefined;
  constructor(
    service: string,
    operation: string,
    principal: string,
    action: string,
    resource: string,
    decidedBy: string | undefined,
    context?: Record<string, unknown>,
  ) {
    this.service = service;
    this.operation = operation;
    this.principal = principal;
    this.action = action;
    this.resource = resource;
    this.decidedBy = decidedBy;
    this.context = context;
  }
}

export interface DecisionQuery {
  principal?: string;
  action?: string;
  decision?: string;
  denied?: boolean;
  limit?: number;
}

const MIGRATIONS = [
  `CREATE TABLE decisions (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL,
     time TEXT NOT NULL,
     principal TEXT NOT NULL,
     action TEXT NOT NULL,
     decision TEXT NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX decisions_principal ON decisions (principal);`,
  // One row per flushed batch (a JSON array of records, oldest first): a row per decision cost more
  // than the authorization it recorded.
  // `skip`: how many of the batch's oldest records were dropped by the bound.
  `CREATE TABLE decision_batches (
     seq INTEGER PRIMARY KEY, count INTEGER NOT NULL, skip INTEGER NOT NULL DEFAULT 0, records TEXT NOT NULL);
   INSERT INTO decision_batches (count, records)
     SELECT count(*), json_group_array(json(record)) FROM (SELECT record FROM decisions ORDER BY seq)
     HAVING count(*) > 0;
   DROP TABLE decisions;`,
];

const FLUSH_AT = 512;

export class DecisionLog {
  readonly #store: Store;
  readonly #max: number;
  // The waiting records, as three parallel lists (a record's head, epoch ms and request id): logging
  // an allowed call then allocates no record object to outlive the young generation.
  #heads: (AllowedHead | NewDecision)[] = [];
  #times: number[] = [];
  #requestIds: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** records in the table, as far as this writer knows (it is the only one) */
  #stored: number;

  constructor(store: Store, options: { max?: number } = {}) {
    this.#store = store;
    this.#max = options.max ?? 10_000;
    store.migrate("decisions", MIGRATIONS);
    this.#stored =
      store.db.prepare<[], { n: number | null }>("SELECT sum(count - skip) AS n FROM decision_batches").get()
        ?.n ?? 0;
  }

  record(record: NewDecision): void {
    this.#push(
      record,
      typeof record.time === "string" ? Date.parse(record.time) : record.time.getTime(),
      record.requestId,
    );
  }

  /** An allowed call whose head the caller keeps (the hot path: every call the twin lets through). */
  recordAllowed(head: AllowedHead, time: Date, requestId: string): void {
    this.#push(head, time.getTime(), requestId);
  }

  #push(head: AllowedHead | NewDecision, ms: number, requestId: string): void {
    this.#times.push(ms);
    this.#requestIds.push(requestId);
    // Written within 50 ms, or as soon as FLUSH_AT wait: records kept longer outlive the young
    // generation, and the garbage collector's old-generation passes cost more than the extra commits.
    if (this.#heads.push(head) >= FLUSH_AT) queueMicrotask(() => this.flush());
    else this.#timer ??= setTimeout(() => this.flush(), 50);
  }

  /** Writes pending records now (called on close and before reads). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const count = this.#heads.length;
    if (count === 0) return;
    const encoded = encodeBatch(this.#heads, this.#times, this.#requestIds);
    this.#heads = [];
    this.#times = [];
    this.#requestIds = [];
    this.#store.tx(() => {
      this.#store.prepared("INSERT INTO decision_batches (count, records) VALUES (?, ?)").run(count, encoded);
      this.#stored += count;
      if (this.#stored > this.#max) this.#trim();
    });
  }

  /** Drops the oldest records beyond the newest `max`: whole batches, and the oldest part of the boundary one. */
  #trim(): void {
    let excess = this.#stored - this.#max;
    const oldest = this.#store
      .prepared("SELECT seq, count, skip FROM decision_batches ORDER BY seq")
      .iterate() as IterableIterator<{ seq: number; count: number; skip: number }>;
    const drop: number[] = [];
    let cut: { seq: number; skip: number } | undefined;
    for (const row of oldest) {
      const live = row.count - row.skip;
      if (live <= excess) {
        drop.push(row.seq);
        excess -= live;
      } else {
        if (excess > 0) cut = { seq: row.seq, skip: row.skip + excess };
        excess = 0;
      }
      if (excess === 0) break;
    }
    oldest.return?.();
    if (drop.length > 0) this.#store.prepared("DELETE FROM decision_batches WHERE seq <= ?").run(drop.at(-1));
    if (cut)
      this.#store.prepared("UPDATE decision_batches SET skip = ? WHERE seq = ?").run(cut.skip, cut.seq);
    this.#stored = this.#max;
  }

  /** Newest first. */
  query(q: DecisionQuery = {}): DecisionRecord[] {
    this.flush();
    return readDecisions(this.#store, q);
  }
}

/** Reads the log straight from a state's database (the CLI, with or without a running twin). */
export function readDecisions(store: Store, q: DecisionQuery = {}): DecisionRecord[] {
  store.migrate("decisions", MIGRATIONS);
  const principal = q.principal?.toLowerCase();
  const action = q.action?.toLowerCase();
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 10_000);
  const matches = (r: Pick<DecisionRecord, "principal" | "action" | "decision">) =>
    (principal === undefined || r.principal.toLowerCase().includes(principal)) &&
    (action === undefined || r.action.toLowerCase() === action) &&
    (q.denied ? r.decision !== "allowed" : q.decision === undefined || r.decision === q.decision);
  const out: DecisionRecord[] = [];
  const batches = store.db
    .prepare<[], { seq: number; skip: number; records: string }>(
      "SELECT seq, skip, records FROM decision_batches ORDER BY seq DESC",
    )
    .iterate();
  for (const { seq, skip, records } of batches) {
    decodeBatch(seq, skip, records, matches, limit - out.length, out);
    if (out.length >= limit) {
      batches.return?.();
      break;
    }
  }
  return out;
}

// A batch is stored as {t, s: strings, h: heads, o: objects, r: rows}: each row names its repeated
// strings (principal, action, resource…) by index into `s`, which makes a batch about a third of its
// records' JSON. An allowed call's row names its head (kept once in `h`) and adds only its time and
// request id. Objects inside a context (a web identity token's claims) are kept once per batch in
// `o`, named `{"$o": i}` where they appear: a job presents the same token, parsed once, many times.
// Row: [ms since `t`, service, operation, requestId, principal, action, resource, decision, decidedBy | -1,
//       id | 0 (when the caller named it), {message, explanation, detail, context} (when any)],
// or, for an allowed call: [ms since `t`, head, requestId], head: [service, operation, principal,
//       action, resource, decidedBy | -1, context (when any)].
interface EncodedBatch {
  /** epoch ms the rows' times count from (absent in older batches: times are absolute) */
  t?: number;
  s: string[];
  h?: unknown[][];
  o?: unknown[];
  r: unknown[][];
}

function encodeBatch(
  entries: readonly (AllowedHead | NewDecision)[],
  times: readonly number[],
  requestIds: readonly string[],
): string {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const heads: unknown[][] = [];
  const headIndex = new Map<AllowedHead, number>();
  const objects: unknown[] = [];
  const objectIndex = new Map<object, number>();
  const context = (ctx: Record<string, unknown>): Record<string, unknown> => {
    let out = ctx;
    for (const k in ctx) {
      const v = ctx[k];
      if (typeof v !== "object" || v === null || Array.isArray(v)) continue;
      let i = objectIndex.get(v);
      if (i === undefined) {
        i = objects.push(v) - 1;
        objectIndex.set(v, i);
      }
      if (out === ctx) out = { ...ctx };
      out[k] = { $o: i };
    }
    return out;
  };
  const ref = (v: string): number => {
    let i = index.get(v);
    if (i === undefined) {
      i = strings.push(v) - 1;
      index.set(v, i);
    }
    return i;
  };
  const t = times[0] ?? 0;
  const rows = entries.map((r, n): unknown[] => {
    if (r instanceof AllowedHead) {
      let h = headIndex.get(r);
      if (h === undefined) {
        const head: unknown[] = [
          ref(r.service),
          ref(r.operation),
          ref(r.principal),
          ref(r.action),
          ref(r.resource),
          r.decidedBy === undefined ? -1 : ref(r.decidedBy),
        ];
        if (r.context !== undefined) head.push(context(r.context));
        h = heads.push(head) - 1;
        headIndex.set(r, h);
      }
      return [times[n]! - t, h, requestIds[n]];
    }
    const row: unknown[] = [
      times[n]! - t,
      ref(r.service),
      ref(r.operation),
      r.requestId,
      ref(r.principal),
      ref(r.action),
      ref(r.resource),
      ref(r.decision),
      r.decidedBy === undefined ? -1 : ref(r.decidedBy),
    ];
    const extra =
      r.message !== undefined ||
      r.explanation !== undefined ||
      r.detail !== undefined ||
      r.context !== undefined
        ? {
            message: r.message,
            explanation: r.explanation,
            detail: r.detail,
            context: r.context && context(r.context),
          }
        : undefined;
    if (r.id !== undefined || extra !== undefined) row.push(r.id ?? 0);
    if (extra !== undefined) row.push(extra);
    return row;
  });
  const encoded: EncodedBatch = { t, s: strings, r: rows };
  if (heads.length > 0) encoded.h = heads;
  if (objects.length > 0) encoded.o = objects;
  return JSON.stringify(encoded);
}

/** Appends the batch's matching records to `out`, newest first, at most `room` of them. */
function decodeBatch(
  seq: number,
  skip: number,
  text: string,
  matches: (r: Pick<DecisionRecord, "principal" | "action" | "decision">) => boolean,
  room: number,
  out: DecisionRecord[],
): void {
  const parsed = JSON.parse(text) as EncodedBatch | DecisionRecord[];
  if (Array.isArray(parsed)) {
    // written before batches were encoded (migrated from the one-row-per-record table)
    for (let i = parsed.length - 1; i >= skip && room > 0; i--) {
      if (matches(parsed[i]!)) {
        out.push(parsed[i]!);
        room--;
      }
    }
    return;
  }
  const { t = 0, s, h, o, r: rows } = parsed;
  const withObjects = (ctx: Record<string, unknown>) => {
    if (o)
      for (const k in ctx) {
        const ref = (ctx[k] as { $o?: unknown } | null)?.$o;
        if (typeof ref === "number") ctx[k] = o[ref];
      }
    return ctx;
  };
  const headContexts = new Map<number, Record<string, unknown>>();
  for (let i = rows.length - 1; i >= skip && room > 0; i--) {
    if (rows[i]!.length === 3) {
      const [ms, head, requestId] = rows[i] as [number, number, string];
      const [service, operation, principal, action, resource, by, ctx] = h![head] as [
        number,
        number,
        number,
        number,
        number,
        number,
        Record<string, unknown>?,
      ];
      const record: DecisionRecord = {
        id: `${seq}.${i}`,
        time: new Date(t + ms).toISOString(),
        service: s[service]!,
        operation: s[operation]!,
        requestId,
        principal: s[principal]!,
        action: s[action]!,
        decision: "allowed",
        resource: s[resource]!,
      };
      if (by >= 0) record.decidedBy = s[by]!;
      if (!matches(record)) continue;
      // records of one head share its context object, resolved once
      if (ctx !== undefined) {
        let resolved = headContexts.get(head);
        if (resolved === undefined) {
          resolved = withObjects(ctx);
          headContexts.set(head, resolved);
        }
        record.context = resolved;
      }
      out.push(record);
      room--;
      continue;
    }
    const row = rows[i] as [
      number,
      number,
      number,
      string,
      number,
      number,
      number,
      number,
      number,
      unknown?,
      object?,
    ];
    const head = {
      principal: s[row[4]]!,
      action: s[row[5]]!,
      decision: s[row[7]] as DecisionRecord["decision"],
    };
    if (!matches(head)) continue;
    const record: DecisionRecord = {
      id: typeof row[9] === "string" ? row[9] : `${seq}.${i}`,
      time: new Date(t + row[0]).toISOString(),
      service: s[row[1]]!,
      operation: s[row[2]]!,
      requestId: row[3],
      ...head,
      resource: s[row[6]]!,
    };
    if (row[8] >= 0) record.decidedBy = s[row[8]]!;
    // JSON drops the extras' undefined members, so only what was recorded comes back
    if (row[10] !== undefined) {
      const extra = row[10] as { context?: Record<string, unknown> };
      if (extra.context) withObjects(extra.context);
      Object.assign(record, extra);
    }
    out.push(record);
    room--;
  }
}
