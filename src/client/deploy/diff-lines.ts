// A small line diff of two JSON documents, for `keyship diff` and --dry-run (pretty JSON, longest common subsequence).

/** Unified-style lines: " " unchanged, "-" only in `before`, "+" only in `after`. Context trimmed to `context` lines. */
export function diffLines(before: string, after: string, context = 3): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const n = a.length;
  const m = b.length;
  // LCS table; task definitions are a few hundred lines, so O(n·m) is fine.
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const all: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      all.push(` ${a[i]}`);
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // removals first, as unified diffs print them
      all.push(`-${a[i]}`);
      i++;
    } else {
      all.push(`+${b[j]}`);
      j++;
    }
  }
  const keep = all.map((line) => line[0] !== " ");
  const out: string[] = [];
  let skipped = false;
  for (let k = 0; k < all.length; k++) {
    let near = false;
    for (let d = -context; d <= context && !near; d++) near = keep[k + d] === true;
    if (near) {
      if (skipped) out.push(" ...");
      skipped = false;
      out.push(all[k]!);
    } else skipped = true;
  }
  return out;
}

/** Stable pretty JSON with object keys sorted, so member order in a file does not show up as a change. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}
