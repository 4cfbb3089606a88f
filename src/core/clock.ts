// Time is injected (DESIGN.md §3.7): nothing reads Date.now() directly, so tests can move time.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and advance. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | number = Date.UTC(2026, 10, 25, 12, 0, 0)) {
    this.#ms = typeof start === "number" ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
  set(date: Date): void {
    this.#ms = date.getTime();
  }
}

/** ISO 8601 to the second, as AWS renders timestamps and date keys (`2026-11-25T13:00:00Z`). */
export function isoSeconds(d: Date): string {
  const iso = d.toISOString();
  // years 0–9999 render as YYYY-MM-DDTHH:mm:ss.sssZ; others carry a sign and more digits
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, "Z");
}
