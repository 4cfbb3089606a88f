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
];

export class DecisionLog {
  readonly #store: Store;
  readonly #max: number;
  #pending: DecisionRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #insert;
  readonly #trim;

  constructor(store: Store, options: { max?: number } = {}) {
    this.#store = store;
    this.#max = options.max ?? 10_000;
    store.migrate("decisions", MIGRATIONS);
    this.#insert = store.db.prepare(
      "INSERT INTO decisions (id, time, principal, action, decision, record) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.#trim = store.db.prepare("DELETE FROM decisions WHERE seq <= (SELECT MAX(seq) FROM decisions) - ?");
  }

  record(record: DecisionRecord): void {
    this.#pending.push(record);
    this.#timer ??= setTimeout(() => this.flush(), 50);
  }

  /** Writes pending records now (called on close and before reads). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#store.tx(() => {
      for (const r of batch) {
        this.#insert.run(r.id, r.time, r.principal, r.action, r.decision, JSON.stringify(r));
      }
      this.#trim.run(this.#max);
    });
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
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (q.principal) {
    where.push("principal LIKE ?");
    args.push(`%${q.principal}%`);
  }
  if (q.action) {
    where.push("lower(action) = lower(?)");
    args.push(q.action);
  }
  if (q.denied) where.push("decision != 'allowed'");
  else if (q.decision) {
    where.push("decision = ?");
    args.push(q.decision);
  }
  const sql = `SELECT record FROM decisions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
  args.push(Math.min(Math.max(q.limit ?? 100, 1), 10_000));
  return store.db
    .prepare<(string | number)[], { record: string }>(sql)
    .all(...args)
    .map((row) => JSON.parse(row.record) as DecisionRecord);
}
