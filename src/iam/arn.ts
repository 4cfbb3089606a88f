// ARN splitting and the IAM glob matcher (`*` any run, `?` one character), compiled once, no regexes.
// Rules: iam-policy.md §3.1 (glob), §3.3 (six-part ARN matching).

/** One piece of a pattern: `wild` pieces give `*`/`?` their glob meaning, others are literal text. */
export interface GlobPiece {
  text: string;
  wild: boolean;
}

interface Segment {
  /** text between two `*`; positions listed in `any` are `?` wildcards. */
  text: string;
  any: number[] | null;
}

/** A compiled glob: either an exact string or `*`-separated segments matched leftmost-first. */
export interface Glob {
  exact: string | null;
  segs: Segment[];
  /** shortest string the pattern can match */
  minLength: number;
  matchesAll: boolean;
}

const STAR = 42; // "*"
const QMARK = 63; // "?"

/** Compile pieces; with `ignoreCase`, pattern text is lower-cased (callers lower-case inputs once). */
export function compileGlob(pieces: readonly GlobPiece[], ignoreCase = false): Glob {
  const segs: Segment[] = [];
  let text = "";
  let any: number[] | null = null;
  let hasWild = false;
  for (const piece of pieces) {
    const t = ignoreCase ? piece.text.toLowerCase() : piece.text;
    if (!piece.wild) {
      text += t;
      continue;
    }
    // literal runs are sliced whole: a character at a time made compiling cost more than parsing
    let start = 0;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c !== STAR && c !== QMARK) continue;
      text += t.slice(start, i);
      start = i + 1;
      hasWild = true;
      if (c === STAR) {
        segs.push({ text, any });
        text = "";
        any = null;
      } else {
        any ??= [];
        any.push(text.length);
        text += "?";
      }
    }
    text += t.slice(start);
  }
  segs.push({ text, any });
  if (!hasWild) return { exact: text, segs, minLength: text.length, matchesAll: false };
  let minLength = 0;
  for (const s of segs) minLength += s.text.length;
  const matchesAll = segs.length >= 2 && minLength === 0;
  return { exact: null, segs, minLength, matchesAll };
}

/** Compile a plain pattern string where `*` and `?` are wildcards. */
export function compileGlobText(pattern: string, ignoreCase = false): Glob {
  return compileGlob([{ text: pattern, wild: true }], ignoreCase);
}

function segAt(seg: Segment, s: string, pos: number): boolean {
  const t = seg.text;
  if (seg.any === null) return s.startsWith(t, pos);
  let k = 0;
  const any = seg.any;
  for (let i = 0; i < t.length; i++) {
    if (k < any.length && any[k] === i) {
      k++;
      continue;
    }
    if (t.charCodeAt(i) !== s.charCodeAt(pos + i)) return false;
  }
  return true;
}

function segFind(seg: Segment, s: string, from: number, limit: number): number {
  if (seg.any === null) {
    const at = s.indexOf(seg.text, from);
    return at === -1 || at + seg.text.length > limit ? -1 : at;
  }
  for (let p = from; p + seg.text.length <= limit; p++) if (segAt(seg, s, p)) return p;
  return -1;
}

/** Whole-string glob match; linear in practice (leftmost match of each middle segment is optimal). */
export function globMatch(g: Glob, s: string): boolean {
  if (g.exact !== null) return g.exact === s;
  if (g.matchesAll) return true;
  if (s.length < g.minLength) return false;
  const segs = g.segs;
  const first = segs[0]!;
  if (segs.length === 1) return s.length === first.text.length && segAt(first, s, 0);
  const last = segs[segs.length - 1]!;
  if (!segAt(first, s, 0)) return false;
  const end = s.length - last.text.length;
  if (end < first.text.length || !segAt(last, s, end)) return false;
  let pos = first.text.length;
  for (let i = 1; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    if (seg.text.length === 0) continue;
    const at = segFind(seg, s, pos, end);
    if (at < 0) return false;
    pos = at + seg.text.length;
  }
  return true;
}

/**
 * Split at the first five colons into six parts (the resource id keeps further `:` and `/`), or
 * undefined if there are fewer than five colons. Colons inside `${…}` (policy variables) do not split.
 */
export function splitArn(arn: string, skipVariables = false): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  let depth = 0;
  for (let i = 0; i < arn.length && parts.length < 5; i++) {
    const c = arn.charCodeAt(i);
    if (skipVariables) {
      if (c === 36 /* $ */ && arn.charCodeAt(i + 1) === 123 /* { */) {
        depth++;
        i++;
        continue;
      }
      if (c === 125 /* } */ && depth > 0) {
        depth--;
        continue;
      }
    }
    if (c === 58 /* : */ && depth === 0) {
      parts.push(arn.slice(start, i));
      start = i + 1;
    }
  }
  if (parts.length < 5) return undefined;
  parts.push(arn.slice(start));
  return parts;
}

/** Account id of an ARN (fifth part), or "" when absent. */
export function arnAccount(arn: string): string {
  return splitArn(arn)?.[4] ?? "";
}

/** Service prefix of an ARN (third part), lower-cased, or "". */
export function arnService(arn: string): string {
  return splitArn(arn)?.[2]?.toLowerCase() ?? "";
}

/**
 * Can some string match both glob patterns? Used only for iam-simulate's extension where the request
 * resource is itself a pattern ("does the policy allow any object under example-bucket/*?").
 */
export function globsIntersect(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const w = b.length + 1;
  const go = (i: number, j: number): boolean => {
    const k = i * w + j;
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (a[i] === "*") r = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (b[j] === "*") r = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i === a.length || j === b.length) r = false;
    else r = (a[i] === "?" || b[j] === "?" || a[i] === b[j]) && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}
