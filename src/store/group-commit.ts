// Group commit: writes submitted in the same turn of the event loop share one SQLite transaction, so
// a burst of RegisterTaskDefinition calls pays one commit (~25 µs of WAL writes and fcntl locks on
// these machines) per batch instead of one per call.
//
// What a caller can rely on, as with one transaction per call:
// - its promise settles only after the batch has committed: a resolved write is in the WAL file
//   (synchronous=NORMAL, store/sqlite.ts), so it survives kill -9 of the twin;
// - writes run in submission order, each in its own savepoint: one that throws is rolled back alone
//   and rejects alone, the others commit;
// - if the transaction itself fails (BEGIN, COMMIT, or an error SQLite answers by rolling back the
//   whole transaction), nothing of the batch is committed and every promise rejects with that error.
import type { Db } from "./sqlite.ts";

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  readonly #db: Db;
  /** better-sqlite3 runs a transaction function called inside a transaction as a savepoint */
  readonly #savepoint: (work: () => unknown) => unknown;
  #pending: Pending[] = [];

  constructor(db: Db) {
    this.#db = db;
    this.#savepoint = db.transaction((work: () => unknown) => work());
  }

  /** Runs `work` in the next batch's transaction; resolves with its result once that has committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // after the I/O callbacks of this turn: every request already read joins the batch
      if (this.#pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits what is pending now (the owner calls it before closing the store). */
  flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      // inside someone else's transaction, "committed" would be a lie
      if (this.#db.inTransaction) throw new TypeError("GroupCommit.flush inside an open transaction");
      this.#db
        .transaction(() => {
          for (const p of batch) {
            try {
              outcomes.push({ ok: true, value: this.#savepoint(p.work) });
            } catch (error) {
              // SQLite rolled the whole transaction back (SQLITE_FULL, IOERR, ...): the batch fails as one
              if (!this.#db.inTransaction) throw error;
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}
