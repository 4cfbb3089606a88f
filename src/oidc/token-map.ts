// A bounded map keyed by whole JWTs that hashes only their tail. A token is a kilobyte, arrives as a
// new string on every request, and V8 hashes a string key in full the first time it is looked up;
// the last characters (of the signature) tell tokens apart as well, and an entry is returned only
// for a token identical to the one it was stored with.
const TAIL = 32;

export class TokenMap<V> {
  readonly #max: number;
  readonly #entries = new Map<string, { token: string; value: V }>();

  constructor(max: number) {
    this.#max = max;
  }

  get(token: string): V | undefined {
    const entry = this.#entries.get(token.length > TAIL ? token.slice(-TAIL) : token);
    return entry !== undefined && entry.token === token ? entry.value : undefined;
  }

  /** Cleared whole when full (evicting a Map's oldest entry one at a time walks its deleted slots). */
  set(token: string, value: V): void {
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(token.length > TAIL ? token.slice(-TAIL) : token, { token, value });
  }
}
