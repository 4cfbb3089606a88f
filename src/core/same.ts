// Shallow comparisons for the caches that recognise "the same request again" (STS sessions and trust
// decisions): values equal by ===, except lists of strings, equal item by item.

export function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The same keys with the same values (=== , or item by item for two lists); undefined only equals undefined. */
export function sameEntries(
  a: Readonly<Record<string, unknown>> | undefined,
  b: Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  let n = 0;
  for (const k in a) {
    const x = a[k];
    const y = b[k];
    if (x !== y && !(Array.isArray(x) && Array.isArray(y) && sameStrings(x, y))) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}
