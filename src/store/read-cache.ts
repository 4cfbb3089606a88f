// A read-through cache over one SQLite connection, for stores whose tables the twin alone writes:
// every write empties it (the store calls `invalidate` before each), reads made inside a transaction
// bypass it, so a value written by a transaction that then rolls back is never cached. Bounded:
// started over when full. `generation()` lets caches built on top (the authorizer's plans) see writes.
import type { Db } from "./sqlite.ts";

export class ReadCache {
  readonly #db: Db;
  readonly #max: number;
  readonly #prepare: (value: unknown) => unknown;
  readonly #entries = new Map<string, unknown>();
  #generation = 0;

  /** `prepare`: applied to each value before it is kept (e.g. freezing what callers share). */
  constructor(db: Db, options: { max?: number; prepare?: <T>(value: T) => T } = {}) {
    this.#db = db;
    this.#max = options.max ?? 10_000;
    this.#prepare = options.prepare ?? ((v) => v);
  }

  get<T>(key: string, load: () => T): T {
    if (this.#db.inTransaction) return load();
    if (this.#entries.has(key)) return this.#entries.get(key) as T;
    const value = this.#prepare(load()) as T;
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(key, value);
    return value;
  }

  /** Before every write. */
  invalidate(): void {
    this.#entries.clear();
    this.#generation++;
  }

  /** Changes with every write; undefined inside a transaction, where nothing read may be cached. */
  generation(): number | undefined {
    return this.#db.inTransaction ? undefined : this.#generation;
  }
}
