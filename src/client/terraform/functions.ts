// The Terraform built-in functions keyship evaluates (a common subset of
// https://developer.hashicorp.com/terraform/language/functions), over plain values.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { goJson, isObject, isUnknown, toStringValue, Unknown, type Value } from "./value.ts";

export interface FunctionContext {
  /** directory of the configuration, for file() */
  baseDir: string;
}

type Fn = (args: Value[], ctx: FunctionContext) => Value;

function list(v: Value, fn: string): Value[] {
  if (Array.isArray(v)) return v;
  throw new TypeError(`${fn}: expected a list or set, got ${describe(v)}`);
}

function str(v: Value, fn: string): string {
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return toStringValue(v);
  throw new TypeError(`${fn}: expected a string, got ${describe(v)}`);
}

function num(v: Value, fn: string): number {
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n === "number" && !Number.isNaN(n)) return n;
  throw new TypeError(`${fn}: expected a number, got ${describe(v)}`);
}

export function describe(v: Value): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (isUnknown(v)) return "unknown value";
  return typeof v === "object" ? "object" : typeof v;
}

/** JSON text → Terraform value (numbers stay numbers, objects stay objects). */
function fromJson(text: string): Value {
  return JSON.parse(text) as Value;
}

/** Go-style verbs used by format(): %s %d %f %q %v %t %%. */
function format(spec: string, args: Value[]): string {
  let i = 0;
  return spec.replace(/%(%|[-+ #0]*\d*(?:\.\d+)?[sdfqvtx])/g, (m, verb: string) => {
    if (verb === "%") return "%";
    const v = args[i++];
    if (v === undefined) throw new TypeError(`format: not enough arguments for ${m}`);
    const kind = verb[verb.length - 1];
    const precision = /\.(\d+)/.exec(verb)?.[1];
    const flags = /^([-+ #0]*)(\d*)/.exec(verb)!;
    const width = Number(flags[2] || 0);
    const pad = (s: string) =>
      flags[1]!.includes("-")
        ? s.padEnd(width)
        : flags[1]!.includes("0") && kind !== "s"
          ? s.padStart(width, "0")
          : s.padStart(width);
    return pad(formatOne(kind, v, precision));
  });
}

function formatOne(kind: string | undefined, v: Value, precision: string | undefined): string {
  switch (kind) {
    case "d":
      return String(Math.trunc(num(v, "format")));
    case "f":
      return num(v, "format").toFixed(precision ? Number(precision) : 6);
    case "q":
      return JSON.stringify(str(v, "format"));
    case "t":
      return String(v);
    case "x":
      return Math.trunc(num(v, "format")).toString(16);
    case "v":
      return typeof v === "object" && v !== null ? goJson(v) : str(v, "format");
    default:
      return str(v, "format");
  }
}

function toSet(v: Value): Value[] {
  const items = list(v, "toset");
  const seen = new Map<string, Value>();
  for (const item of items) seen.set(goJson(item), item);
  const out = [...seen.values()];
  // Terraform iterates a set of strings in lexical order.
  if (out.every((x) => typeof x === "string")) out.sort();
  return out;
}

export const functions: Record<string, Fn> = {
  jsonencode: ([v]) => goJson(v ?? null),
  jsondecode: ([v]) => fromJson(str(v ?? null, "jsondecode")),
  format: ([spec, ...rest]) => format(str(spec ?? null, "format"), rest),
  formatlist: ([spec, ...rest]) => {
    const n = Math.max(...rest.map((r) => (Array.isArray(r) ? r.length : 1)));
    return Array.from({ length: n }, (_, i) =>
      format(
        str(spec ?? null, "formatlist"),
        rest.map((r) => (Array.isArray(r) ? (r[i] ?? null) : r)),
      ),
    );
  },
  join: ([sep, ...lists]) =>
    lists
      .flatMap((l) => list(l, "join"))
      .map((x) => str(x, "join"))
      .join(str(sep ?? null, "join")),
  split: ([sep, s]) => str(s ?? null, "split").split(str(sep ?? null, "split")),
  concat: (lists) => lists.flatMap((l) => list(l, "concat")),
  length: ([v]) => {
    if (typeof v === "string") return [...v].length;
    if (Array.isArray(v)) return v.length;
    if (isObject(v)) return Object.keys(v).length;
    throw new TypeError(`length: expected a collection, got ${describe(v ?? null)}`);
  },
  lower: ([s]) => str(s ?? null, "lower").toLowerCase(),
  upper: ([s]) => str(s ?? null, "upper").toUpperCase(),
  title: ([s]) => str(s ?? null, "title").replace(/\b\w/g, (c) => c.toUpperCase()),
  trimspace: ([s]) => str(s ?? null, "trimspace").trim(),
  trimprefix: ([s, p]) => {
    const a = str(s ?? null, "trimprefix");
    const b = str(p ?? null, "trimprefix");
    return a.startsWith(b) ? a.slice(b.length) : a;
  },
  trimsuffix: ([s, p]) => {
    const a = str(s ?? null, "trimsuffix");
    const b = str(p ?? null, "trimsuffix");
    return b && a.endsWith(b) ? a.slice(0, -b.length) : a;
  },
  startswith: ([s, p]) => str(s ?? null, "startswith").startsWith(str(p ?? null, "startswith")),
  endswith: ([s, p]) => str(s ?? null, "endswith").endsWith(str(p ?? null, "endswith")),
  substr: ([s, off, len]) => {
    const chars = [...str(s ?? null, "substr")];
    const o = num(off ?? null, "substr");
    const l = num(len ?? null, "substr");
    return chars.slice(o, l < 0 ? undefined : o + l).join("");
  },
  replace: ([s, search, rep]) => {
    const a = str(s ?? null, "replace");
    const b = str(search ?? null, "replace");
    const c = str(rep ?? null, "replace");
    const re = /^\/(.*)\/$/.exec(b);
    return re ? a.replace(new RegExp(re[1]!, "g"), c.replace(/\$\{(\w+)\}/g, "$<$1>")) : a.split(b).join(c);
  },
  merge: (objs) => Object.assign({}, ...objs.filter((o) => o !== null).map((o) => (isObject(o) ? o : {}))),
  lookup: ([m, k, d]) => {
    if (!isObject(m ?? null)) throw new TypeError("lookup: expected a map");
    const key = str(k ?? null, "lookup");
    const v = (m as Record<string, Value>)[key];
    if (v !== undefined) return v;
    if (d !== undefined) return d;
    throw new TypeError(`lookup: the given key "${key}" does not exist in the map`);
  },
  element: ([l, i]) => {
    const items = list(l ?? null, "element");
    if (!items.length) throw new TypeError("element: cannot use element function with an empty list");
    return items[num(i ?? null, "element") % items.length]!;
  },
  index: ([l, v]) => list(l ?? null, "index").findIndex((x) => goJson(x) === goJson(v)),
  contains: ([l, v]) => list(l ?? null, "contains").some((x) => goJson(x) === goJson(v)),
  keys: ([m]) => (isObject(m ?? null) ? Object.keys(m as object).sort() : []),
  values: ([m]) => {
    const o = isObject(m ?? null) ? (m as Record<string, Value>) : {};
    return Object.keys(o)
      .sort()
      .map((k) => o[k]!);
  },
  zipmap: ([ks, vs]) => {
    const k = list(ks ?? null, "zipmap");
    const v = list(vs ?? null, "zipmap");
    return Object.fromEntries(k.map((key, i) => [str(key, "zipmap"), v[i] ?? null]));
  },
  flatten: ([l]) => {
    const flat = (x: Value): Value[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
    return flat(l ?? []);
  },
  distinct: ([l]) => {
    const seen = new Set<string>();
    return list(l ?? null, "distinct").filter((x) => {
      const k = goJson(x);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  },
  compact: ([l]) => list(l ?? null, "compact").filter((x) => x !== null && x !== ""),
  coalesce: (args) => {
    const v = args.find((a) => a !== null && a !== "");
    if (v === undefined) throw new TypeError("coalesce: no non-null, non-empty-string arguments");
    return v;
  },
  coalescelist: (args) => args.find((a) => Array.isArray(a) && a.length > 0) ?? [],
  range: (args) => {
    const [start, end, step] =
      args.length === 1
        ? [0, num(args[0]!, "range"), 1]
        : [num(args[0]!, "range"), num(args[1]!, "range"), args[2] === undefined ? 1 : num(args[2], "range")];
    const out: number[] = [];
    for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
    return out;
  },
  max: (args) => Math.max(...args.map((a) => num(a, "max"))),
  min: (args) => Math.min(...args.map((a) => num(a, "min"))),
  abs: ([n]) => Math.abs(num(n ?? null, "abs")),
  ceil: ([n]) => Math.ceil(num(n ?? null, "ceil")),
  floor: ([n]) => Math.floor(num(n ?? null, "floor")),
  tostring: ([v]) => (v === null || v === undefined ? null : str(v, "tostring")),
  tonumber: ([v]) => (v === null || v === undefined ? null : num(v, "tonumber")),
  tobool: ([v]) => (v === null || v === undefined ? null : v === true || v === "true"),
  tolist: ([v]) => list(v ?? null, "tolist"),
  toset: ([v]) => toSet(v ?? []),
  tomap: ([v]) => {
    if (!isObject(v ?? null)) throw new TypeError("tomap: expected an object");
    return v as Value;
  },
  base64encode: ([s]) => Buffer.from(str(s ?? null, "base64encode")).toString("base64"),
  base64decode: ([s]) => Buffer.from(str(s ?? null, "base64decode"), "base64").toString("utf8"),
  sha1: ([s]) =>
    createHash("sha1")
      .update(str(s ?? null, "sha1"))
      .digest("hex"),
  sha256: ([s]) =>
    createHash("sha256")
      .update(str(s ?? null, "sha256"))
      .digest("hex"),
  md5: ([s]) =>
    createHash("md5")
      .update(str(s ?? null, "md5"))
      .digest("hex"),
  file: ([p], ctx) => readFileSync(resolve(ctx.baseDir, str(p ?? null, "file")), "utf8"),
  fileexists: ([p], ctx) => {
    try {
      readFileSync(resolve(ctx.baseDir, str(p ?? null, "fileexists")));
      return true;
    } catch {
      return false;
    }
  },
  one: ([l]) => {
    const items = list(l ?? null, "one");
    if (items.length > 1)
      throw new TypeError("one: must be a list, set, or tuple value with either zero or one elements");
    return items[0] ?? null;
  },
};

/** Calls a function by name; unknown arguments make an unknown result (as in a Terraform plan). */
export function callFunction(name: string, args: Value[], ctx: FunctionContext): Value {
  const fn = functions[name];
  if (!fn) throw new TypeError(`Call to unknown function: there is no function named "${name}"`);
  if (args.some((a) => isUnknown(a) || (Array.isArray(a) && a.some(isUnknown)))) return new Unknown();
  if (name === "jsonencode" && args[0] !== undefined && hasDeepUnknown(args[0])) return new Unknown();
  return fn(args, ctx);
}

function hasDeepUnknown(v: Value): boolean {
  if (isUnknown(v)) return true;
  if (Array.isArray(v)) return v.some(hasDeepUnknown);
  if (isObject(v)) return Object.values(v).some(hasDeepUnknown);
  return false;
}
