// GitHub Actions expressions: `${{ }}` templates and `if:` conditions, evaluated as the runner does
// (https://docs.github.com/en/actions/reference/workflows-and-actions/expressions): loose equality
// with number coercion, case-insensitive string comparison, && and || yielding operands.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type ExprValue = null | boolean | number | string | ExprValue[] | { [k: string]: ExprValue };

type Node =
  | { k: "lit"; v: ExprValue }
  | { k: "ctx"; name: string }
  | { k: "prop"; target: Node; name: string }
  | { k: "index"; target: Node; key: Node }
  | { k: "filter"; target: Node }
  | { k: "not"; v: Node }
  | { k: "bin"; op: string; l: Node; r: Node }
  | { k: "call"; name: string; args: Node[] };

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpressionError";
  }
}

/** What status functions and hashFiles need from the job. */
export interface EvalEnv {
  contexts: Record<string, ExprValue>;
  /** "success" | "failure" | "cancelled": the job status so far */
  jobStatus?: string;
  workspace?: string;
}

type Tok = { t: "num" | "str" | "id" | "op" | "eof"; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let s = "";
      i++;
      for (;;) {
        if (i >= src.length)
          throw new ExpressionError(`Unexpected end of expression: unterminated string in '${src}'`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: "str", v: s });
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?|\.[0-9]+)/.exec(src.slice(i));
    if (num && (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? "")))) {
      out.push({ t: "num", v: num[0] });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: "id", v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ",", "*"].find(
      (o) => src.startsWith(o, i),
    );
    if (!op)
      throw new ExpressionError(
        `Unexpected symbol: '${c}'. Located at position ${i + 1} within expression: ${src}`,
      );
    out.push({ t: "op", v: op });
    i += op.length;
  }
  out.push({ t: "eof", v: "" });
  return out;
}

class Parser {
  toks: Tok[];
  i = 0;
  src: string;
  constructor(src: string) {
    this.src = src;
    this.toks = tokenize(src);
  }
  peek(): Tok {
    return this.toks[this.i]!;
  }
  next(): Tok {
    return this.toks[this.i++]!;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t.t === "op" && t.v === v;
  }
  expect(v: string): void {
    const t = this.next();
    if (t.t !== "op" || t.v !== v)
      throw new ExpressionError(
        `Unexpected symbol: '${t.v || "end"}' in expression: ${this.src} (expected '${v}')`,
      );
  }
  parse(): Node {
    const n = this.or();
    if (this.peek().t !== "eof")
      throw new ExpressionError(`Unexpected symbol: '${this.peek().v}' in expression: ${this.src}`);
    return n;
  }
  or(): Node {
    let l = this.and();
    while (this.isOp("||")) {
      this.next();
      l = { k: "bin", op: "||", l, r: this.and() };
    }
    return l;
  }
  and(): Node {
    let l = this.eq();
    while (this.isOp("&&")) {
      this.next();
      l = { k: "bin", op: "&&", l, r: this.eq() };
    }
    return l;
  }
  eq(): Node {
    let l = this.cmp();
    while (this.isOp("==") || this.isOp("!=")) {
      const op = this.next().v;
      l = { k: "bin", op, l, r: this.cmp() };
    }
    return l;
  }
  cmp(): Node {
    let l = this.unary();
    while (this.isOp("<") || this.isOp(">") || this.isOp("<=") || this.isOp(">=")) {
      const op = this.next().v;
      l = { k: "bin", op, l, r: this.unary() };
    }
    return l;
  }
  unary(): Node {
    if (this.isOp("!")) {
      this.next();
      return { k: "not", v: this.unary() };
    }
    return this.postfix(this.primary());
  }
  postfix(n: Node): Node {
    for (;;) {
      if (this.isOp(".")) {
        this.next();
        const t = this.next();
        if (t.t === "op" && t.v === "*") n = { k: "filter", target: n };
        else if (t.t === "id") n = { k: "prop", target: n, name: t.v };
        else throw new ExpressionError(`Unexpected symbol after '.' in expression: ${this.src}`);
      } else if (this.isOp("[")) {
        this.next();
        if (this.isOp("*")) {
          this.next();
          this.expect("]");
          n = { k: "filter", target: n };
        } else {
          const key = this.or();
          this.expect("]");
          n = { k: "index", target: n, key };
        }
      } else return n;
    }
  }
  primary(): Node {
    const t = this.next();
    if (t.t === "num") return { k: "lit", v: Number(t.v) };
    if (t.t === "str") return { k: "lit", v: t.v };
    if (t.t === "op" && t.v === "(") {
      const n = this.or();
      this.expect(")");
      return n;
    }
    if (t.t === "id") {
      if (t.v === "true") return { k: "lit", v: true };
      if (t.v === "false") return { k: "lit", v: false };
      if (t.v === "null") return { k: "lit", v: null };
      if (t.v === "NaN") return { k: "lit", v: Number.NaN };
      if (t.v === "Infinity") return { k: "lit", v: Number.POSITIVE_INFINITY };
      if (this.isOp("(")) {
        this.next();
        const args: Node[] = [];
        if (!this.isOp(")")) {
          for (;;) {
            args.push(this.or());
            if (this.isOp(")")) break;
            this.expect(",");
          }
        }
        this.expect(")");
        return { k: "call", name: t.v.toLowerCase(), args };
      }
      return { k: "ctx", name: t.v.toLowerCase() };
    }
    throw new ExpressionError(
      `Unexpected symbol: '${t.v || "end of expression"}' in expression: ${this.src}`,
    );
  }
}

export function parseExpression(src: string): Node {
  return new Parser(src).parse();
}

/** Truthiness as the runner defines it: false, 0, -0, "", null and NaN are falsy. */
export function truthy(v: ExprValue): boolean {
  if (v === null || v === false || v === "") return false;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  return true;
}

function toNumber(v: ExprValue): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    if (v.trim() === "") return 0;
    const n = Number(v.trim());
    return n;
  }
  return Number.NaN;
}

/** String form used by templates and format(): null → "", objects → JSON. */
export function toText(v: ExprValue): string {
  if (v === null) return "";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === "string") return v;
  return JSON.stringify(v, null, 2);
}

/** Loose equality: same type compares directly (strings ignoring case), else both become numbers. */
function looseEquals(a: ExprValue, b: ExprValue): boolean {
  const ta = kind(a);
  const tb = kind(b);
  if (ta === tb) {
    if (ta === "string") return (a as string).toLowerCase() === (b as string).toLowerCase();
    if (ta === "object" || ta === "array") return a === b;
    return a === b;
  }
  if (ta === "object" || ta === "array" || tb === "object" || tb === "array") return false;
  return toNumber(a) === toNumber(b);
}

function compare(op: string, a: ExprValue, b: ExprValue): boolean {
  let x: number | string;
  let y: number | string;
  if (typeof a === "string" && typeof b === "string") {
    x = a.toLowerCase();
    y = b.toLowerCase();
  } else {
    x = toNumber(a);
    y = toNumber(b);
  }
  switch (op) {
    case "<":
      return x < y;
    case ">":
      return x > y;
    case "<=":
      return x <= y;
    default:
      return x >= y;
  }
}

function kind(v: ExprValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Property lookup, case-insensitive as contexts are. */
function getProp(obj: ExprValue, name: string): ExprValue {
  if (obj === null || typeof obj !== "object") return null;
  if (Array.isArray(obj)) return null;
  if (name in obj) return obj[name]!;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return null;
}

const statusFunctions = new Set(["success", "failure", "always", "cancelled"]);

export function usesStatusFunction(n: Node): boolean {
  switch (n.k) {
    case "call":
      return statusFunctions.has(n.name) || n.args.some(usesStatusFunction);
    case "prop":
    case "filter":
      return usesStatusFunction(n.target);
    case "index":
      return usesStatusFunction(n.target) || usesStatusFunction(n.key);
    case "not":
      return usesStatusFunction(n.v);
    case "bin":
      return usesStatusFunction(n.l) || usesStatusFunction(n.r);
    default:
      return false;
  }
}

export function evaluate(n: Node, env: EvalEnv): ExprValue {
  switch (n.k) {
    case "lit":
      return n.v;
    case "ctx": {
      const v = getProp(env.contexts as ExprValue, n.name);
      if (v === null && !Object.keys(env.contexts).some((k) => k.toLowerCase() === n.name)) {
        throw new ExpressionError(`Unrecognized named-value: '${n.name}'`);
      }
      return v;
    }
    case "prop": {
      const t = evaluate(n.target, env);
      if (Array.isArray(t) && n.target.k === "filter")
        return t.map((x) => getProp(x, n.name)).filter((x) => x !== null);
      return getProp(t, n.name);
    }
    case "index": {
      const t = evaluate(n.target, env);
      const key = evaluate(n.key, env);
      if (Array.isArray(t)) {
        const i = toNumber(key);
        return Number.isInteger(i) ? (t[i] ?? null) : null;
      }
      return getProp(t, toText(key));
    }
    case "filter": {
      const t = evaluate(n.target, env);
      if (Array.isArray(t)) return t;
      if (t && typeof t === "object") return Object.values(t);
      return [];
    }
    case "not":
      return !truthy(evaluate(n.v, env));
    case "bin": {
      const l = evaluate(n.l, env);
      if (n.op === "&&") return truthy(l) ? evaluate(n.r, env) : l;
      if (n.op === "||") return truthy(l) ? l : evaluate(n.r, env);
      const r = evaluate(n.r, env);
      if (n.op === "==") return looseEquals(l, r);
      if (n.op === "!=") return !looseEquals(l, r);
      return compare(n.op, l, r);
    }
    case "call":
      return callFunction(n.name, n.args, env);
  }
}

function callFunction(name: string, argNodes: Node[], env: EvalEnv): ExprValue {
  const status = env.jobStatus ?? "success";
  switch (name) {
    case "success":
      return status === "success";
    case "failure":
      return status === "failure";
    case "cancelled":
      return status === "cancelled";
    case "always":
      return true;
  }
  const args = argNodes.map((a) => evaluate(a, env));
  const arity = (min: number, max = min) => {
    if (args.length < min || args.length > max)
      throw new ExpressionError(
        `Function '${name}' expects ${min === max ? min : `${min}-${max}`} argument(s), got ${args.length}`,
      );
  };
  switch (name) {
    case "contains": {
      arity(2);
      const [hay, needle] = args as [ExprValue, ExprValue];
      if (Array.isArray(hay)) return hay.some((x) => looseEquals(x, needle));
      return toText(hay).toLowerCase().includes(toText(needle).toLowerCase());
    }
    case "startswith":
      arity(2);
      return toText(args[0]!).toLowerCase().startsWith(toText(args[1]!).toLowerCase());
    case "endswith":
      arity(2);
      return toText(args[0]!).toLowerCase().endsWith(toText(args[1]!).toLowerCase());
    case "format": {
      if (!args.length) throw new ExpressionError("Function 'format' expects at least 1 argument");
      const fmt = toText(args[0]!);
      return fmt.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, i: string | undefined) => {
        if (m === "{{") return "{";
        if (m === "}}") return "}";
        const v = args[Number(i) + 1];
        if (v === undefined)
          throw new ExpressionError(
            `The following format string references more arguments than were supplied: ${fmt}`,
          );
        return toText(v);
      });
    }
    case "join": {
      arity(1, 2);
      const sep = args[1] === undefined ? "," : toText(args[1]);
      const v = args[0]!;
      return Array.isArray(v) ? v.map(toText).join(sep) : toText(v);
    }
    case "tojson":
      arity(1);
      return JSON.stringify(args[0], null, 2);
    case "fromjson":
      arity(1);
      try {
        return JSON.parse(toText(args[0]!)) as ExprValue;
      } catch (err) {
        throw new ExpressionError(`Error parsing fromJson: ${(err as Error).message}`);
      }
    case "hashfiles":
      return hashFiles(args.map(toText), env.workspace ?? process.cwd());
    default:
      throw new ExpressionError(`Unrecognized function: '${name}'`);
  }
}

/** A glob as the runner's @actions/glob reads it: `**` any depth, `*` and `?` within a segment. */
function globRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      re += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += pattern[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === ".git") continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(join(dir, e.name), rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** hashFiles: SHA-256 over the SHA-256 of each matched file, in path order; "" when none match. */
function hashFiles(patterns: string[], workspace: string): string {
  const include = patterns.filter((p) => !p.startsWith("!")).map(globRegex);
  const exclude = patterns.filter((p) => p.startsWith("!")).map((p) => globRegex(p.slice(1)));
  const files = walk(workspace)
    .filter((f) => include.some((r) => r.test(f)) && !exclude.some((r) => r.test(f)))
    .sort();
  if (!files.length) return "";
  const outer = createHash("sha256");
  for (const f of files)
    outer.update(
      createHash("sha256")
        .update(readFileSync(join(workspace, f)))
        .digest(),
    );
  return outer.digest("hex");
}

/** Evaluates `${{ }}` parts of a string. A string that is exactly one expression keeps its type. */
export function interpolate(text: string, env: EvalEnv): ExprValue {
  const re = /\$\{\{([\s\S]*?)\}\}/g;
  const parts: { start: number; end: number; expr: string }[] = [];
  for (const m of text.matchAll(re)) parts.push({ start: m.index, end: m.index + m[0].length, expr: m[1]! });
  if (!parts.length) return text;
  if (parts.length === 1 && parts[0]!.start === 0 && parts[0]!.end === text.length) {
    return evaluate(parseExpression(parts[0]!.expr), env);
  }
  let out = "";
  let pos = 0;
  for (const p of parts) {
    out += text.slice(pos, p.start) + toText(evaluate(parseExpression(p.expr), env));
    pos = p.end;
  }
  return out + text.slice(pos);
}

/** Same, always as a string (env values, inputs, run scripts). */
export function interpolateText(text: string, env: EvalEnv): string {
  return toText(interpolate(text, env));
}

/**
 * An `if:` condition: `${{ }}` optional; without a status function the runner evaluates
 * `success() && (<condition>)` (https://docs.github.com/en/actions/reference/workflows-and-actions/expressions#status-check-functions).
 */
export function evaluateCondition(condition: string | boolean | undefined, env: EvalEnv): boolean {
  if (condition === undefined || condition === "") return (env.jobStatus ?? "success") === "success";
  if (typeof condition === "boolean") return condition && (env.jobStatus ?? "success") === "success";
  let text = condition.trim();
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
  if (whole && !whole[1]!.includes("}}")) text = whole[1]!;
  else if (text.includes("${{")) return truthy(interpolate(text, env));
  const node = parseExpression(text);
  if (!usesStatusFunction(node) && (env.jobStatus ?? "success") !== "success") return false;
  return truthy(evaluate(node, env));
}
