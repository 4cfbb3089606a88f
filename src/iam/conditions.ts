// The condition operator table: parse an operator name, compile its values once, evaluate against a request.
// Rules: iam-policy.md §6; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

import { compileGlob, type Glob, globMatch, splitArn } from "./arn.ts";
import { type Context, parseTemplate, resolvePieces, resolveString, type Template } from "./variables.ts";

type Kind =
  | "string"
  | "stringIgnoreCase"
  | "stringLike"
  | "numeric"
  | "date"
  | "bool"
  | "binary"
  | "ip"
  | "arn"
  | "null";
type Cmp = "eq" | "lt" | "lte" | "gt" | "gte";

export interface OperatorDef {
  name: string;
  kind: Kind;
  cmp: Cmp;
  negated: boolean;
  /** policy variables are substituted in this operator's values (§7) */
  variables: boolean;
}

function def(name: string, kind: Kind, negated = false, cmp: Cmp = "eq"): OperatorDef {
  const variables =
    kind === "string" || kind === "stringIgnoreCase" || kind === "stringLike" || kind === "arn";
  return { name, kind, cmp, negated, variables: variables || kind === "bool" };
}

const OPERATORS: OperatorDef[] = [
  def("StringEquals", "string"),
  def("StringNotEquals", "string", true),
  def("StringEqualsIgnoreCase", "stringIgnoreCase"),
  def("StringNotEqualsIgnoreCase", "stringIgnoreCase", true),
  def("StringLike", "stringLike"),
  def("StringNotLike", "stringLike", true),
  def("NumericEquals", "numeric"),
  def("NumericNotEquals", "numeric", true),
  def("NumericLessThan", "numeric", false, "lt"),
  def("NumericLessThanEquals", "numeric", false, "lte"),
  def("NumericGreaterThan", "numeric", false, "gt"),
  def("NumericGreaterThanEquals", "numeric", false, "gte"),
  def("DateEquals", "date"),
  def("DateNotEquals", "date", true),
  def("DateLessThan", "date", false, "lt"),
  def("DateLessThanEquals", "date", false, "lte"),
  def("DateGreaterThan", "date", false, "gt"),
  def("DateGreaterThanEquals", "date", false, "gte"),
  def("Bool", "bool"),
  def("BinaryEquals", "binary"),
  def("IpAddress", "ip"),
  def("NotIpAddress", "ip", true),
  // ArnEquals and ArnLike behave the same (§6.3).
  def("ArnEquals", "arn"),
  def("ArnLike", "arn"),
  def("ArnNotEquals", "arn", true),
  def("ArnNotLike", "arn", true),
  def("Null", "null"),
];
const BY_NAME = new Map(OPERATORS.map((o) => [o.name.toLowerCase(), o]));

export interface ParsedOperator {
  op: OperatorDef;
  set: "all" | "any" | null;
  ifExists: boolean;
}

/** Parse `[ForAllValues:|ForAnyValue:]<Op>[IfExists]`; undefined for an unknown or malformed name. */
export function parseOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: "all" | "any" | null = null;
  const colon = rest.indexOf(":");
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === "forallvalues") set = "all";
    else if (prefix === "foranyvalue") set = "any";
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  let op = BY_NAME.get(rest.toLowerCase());
  if (op === undefined && rest.toLowerCase().endsWith("ifexists")) {
    op = BY_NAME.get(rest.slice(0, -8).toLowerCase());
    ifExists = true;
    // `Null` takes no IfExists suffix (§6.3).
    if (op?.kind === "null") return undefined;
  }
  if (op === undefined) return undefined;
  if (set !== null && op.kind === "null") return undefined;
  return { op, set, ifExists };
}

// ---- parsed policy values ----

interface IpBlock {
  v6: boolean;
  addr: bigint;
  prefix: number;
}

interface CompiledValue {
  raw: string;
  template: Template;
  /** precompiled glob(s) when the value has no variables */
  glob: Glob | null;
  arn: { templates: Template[]; globs: (Glob | null)[] } | null;
  num: number;
  ip: IpBlock | null;
  bytes: string | null;
}

export interface CompiledCondition {
  /** operator as written in the policy */
  operator: string;
  parsed: ParsedOperator | undefined;
  /** lower-cased key, for lookup */
  key: string;
  /** key as written in the policy */
  keyName: string;
  values: CompiledValue[];
}

/** Condition values compare by their JSON text (`true` → "true", `10` → "10"); a scalar is a one-element list. */
export function conditionValueStrings(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
}

export function compileCondition(
  operator: string,
  keyName: string,
  value: unknown,
  variablesEnabled: boolean,
): CompiledCondition {
  const parsed = parseOperator(operator);
  const values = conditionValueStrings(value).map((raw) => compileValue(raw, parsed?.op, variablesEnabled));
  return { operator, parsed, key: keyName.toLowerCase(), keyName, values };
}

function compileValue(raw: string, op: OperatorDef | undefined, variablesEnabled: boolean): CompiledValue {
  const vars = variablesEnabled && op?.variables === true;
  const template = parseTemplate(op?.kind === "stringIgnoreCase" ? raw : raw, vars);
  const v: CompiledValue = { raw, template, glob: null, arn: null, num: Number.NaN, ip: null, bytes: null };
  switch (op?.kind) {
    case "stringLike":
      if (template.parts === null) v.glob = compileGlob([{ text: raw, wild: true }]);
      break;
    case "arn": {
      const parts = splitArn(raw, true);
      if (parts) {
        const templates = parts.map((p) => parseTemplate(p, vars));
        v.arn = {
          templates,
          globs: templates.map((t) => (t.parts === null ? compileGlob([{ text: t.raw, wild: true }]) : null)),
        };
      }
      break;
    }
    case "numeric":
      v.num = parseNumber(raw);
      break;
    case "date":
      v.num = parseDate(raw);
      break;
    case "ip":
      v.ip = parseIp(raw, true);
      break;
    case "binary":
      v.bytes = decodeBase64(raw);
      break;
  }
  return v;
}

// ---- value parsers ----

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
function parseNumber(s: string): number {
  return NUMBER.test(s.trim()) ? Number(s) : Number.NaN;
}

// W3C ISO 8601 profile (https://www.w3.org/TR/NOTE-datetime) or integer epoch seconds (§6.3).
const ISO =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?)?)?$/;
export function parseDate(s: string): number {
  const t = s.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return BigInt(t) <= 9223372036854775807n ? n * 1000 : Number.NaN;
  }
  const m = ISO.exec(t);
  if (!m) return Number.NaN;
  const [, y, mo = "01", d = "01", h = "00", mi = "00", sec = "00", frac = "", tz = "Z"] = m;
  if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +sec > 60) return Number.NaN;
  const zone = tz === "z" || tz === "Z" ? "Z" : tz.includes(":") ? tz : `${tz.slice(0, 3)}:${tz.slice(3)}`;
  const ms = frac ? frac.slice(0, 4).padEnd(4, "0") : "";
  const value = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${ms}${zone}`);
  return value;
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const b = Number(p);
    if (b > 255) return undefined;
    n = (n << 8n) | BigInt(b);
  }
  return n;
}

function parseIpv6(s: string): bigint | undefined {
  let text = s;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    // keep a trailing "::" (compressed zeros before the IPv4 tail), drop a single separating ":"
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const group = (h: string): bigint[] | undefined => {
    if (h === "") return [];
    const out: bigint[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const total = head.length + rest.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (total > 7) return undefined;
    groups = [...head, ...new Array<bigint>(8 - total).fill(0n), ...rest, ...tail];
  } else {
    if (total !== 8) return undefined;
    groups = [...head, ...tail];
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | g;
  return n;
}

/** Parse an address or CIDR block; a bare address is /32 (IPv4) or /128 (IPv6). */
export function parseIp(s: string, allowPrefix: boolean): IpBlock | null {
  const t = s.trim();
  const slash = t.indexOf("/");
  const addrText = slash >= 0 ? t.slice(0, slash) : t;
  if (slash >= 0 && !allowPrefix) return null;
  const v6 = addrText.includes(":");
  const addr = v6 ? parseIpv6(addrText) : parseIpv4(addrText);
  if (addr === undefined) return null;
  const max = v6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  return { v6, addr, prefix };
}

function inBlock(ip: IpBlock, block: IpBlock): boolean {
  // An IPv4 value never falls in an IPv6 block (§6.3).
  if (ip.v6 !== block.v6) return false;
  const shift = BigInt((block.v6 ? 128 : 32) - block.prefix);
  return ip.addr >> shift === block.addr >> shift;
}

function decodeBase64(s: string): string | null {
  const t = s.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 === 1) return null;
  return Buffer.from(t, "base64").toString("latin1");
}

// ---- evaluation ----

export type ConditionReason =
  | "matched"
  | "noValueMatched"
  | "matchedBecauseMissing"
  | "failedBecauseMissing"
  | "failedBecauseMultivalued"
  | "invalidValue"
  | "variableUnresolved";

export interface ConditionOutcome {
  result: boolean;
  reason: ConditionReason;
}

/** The request value parsed once for the operator; `invalid` when it does not parse. */
interface RequestValue {
  s: string;
  num: number;
  ip: IpBlock | null;
  arn: string[] | undefined;
  invalid: boolean;
}

function parseRequestValue(kind: Kind, s: string): RequestValue {
  const r: RequestValue = { s, num: Number.NaN, ip: null, arn: undefined, invalid: false };
  switch (kind) {
    case "numeric":
      r.num = parseNumber(s);
      r.invalid = Number.isNaN(r.num);
      break;
    case "date":
      r.num = parseDate(s);
      r.invalid = Number.isNaN(r.num);
      break;
    case "ip":
      r.ip = parseIp(s, false);
      r.invalid = r.ip === null;
      break;
    case "arn":
      r.arn = splitArn(s);
      r.invalid = r.arn === undefined;
      break;
    case "stringIgnoreCase":
      r.s = s.toLowerCase();
      break;
    case "bool":
      r.s = s.toLowerCase();
      break;
  }
  return r;
}

function compare(cmp: Cmp, a: number, b: number): boolean {
  switch (cmp) {
    case "eq":
      return a === b;
    case "lt":
      return a < b;
    case "lte":
      return a <= b;
    case "gt":
      return a > b;
    case "gte":
      return a >= b;
  }
}

/** 1 = match, 0 = no match, -1 = policy value invalid, -2 = variable unresolved */
function matchOne(
  op: OperatorDef,
  r: RequestValue,
  v: CompiledValue,
  ctx: Context,
  missing: string[] | null,
): number {
  switch (op.kind) {
    case "string": {
      const p = resolveString(v.template, ctx, missing ?? undefined);
      if (p === undefined) return -2;
      return p === r.s ? 1 : 0;
    }
    case "stringIgnoreCase": {
      const p = resolveString(v.template, ctx, missing ?? undefined);
      if (p === undefined) return -2;
      return p.toLowerCase() === r.s ? 1 : 0;
    }
    case "bool": {
      const p = resolveString(v.template, ctx, missing ?? undefined);
      if (p === undefined) return -2;
      return p.toLowerCase() === r.s ? 1 : 0;
    }
    case "stringLike": {
      if (v.glob) return globMatch(v.glob, r.s) ? 1 : 0;
      const pieces = resolvePieces(v.template, ctx, missing ?? undefined);
      if (pieces === undefined) return -2;
      return globMatch(compileGlob(pieces), r.s) ? 1 : 0;
    }
    case "numeric":
    case "date":
      if (Number.isNaN(v.num)) return -1;
      return compare(op.cmp, r.num, v.num) ? 1 : 0;
    case "ip":
      if (v.ip === null) return -1;
      return inBlock(r.ip!, v.ip) ? 1 : 0;
    case "binary":
      if (v.bytes === null) return -1;
      return decodeBase64(r.s) === v.bytes ? 1 : 0;
    case "arn": {
      if (v.arn === null) return -1;
      const parts = r.arn!;
      for (let i = 0; i < 6; i++) {
        let g = v.arn.globs[i]!;
        if (g === null) {
          const pieces = resolvePieces(v.arn.templates[i]!, ctx, missing ?? undefined);
          if (pieces === undefined) return -2;
          g = compileGlob(pieces);
        }
        if (!globMatch(g, parts[i]!)) return 0;
      }
      return 1;
    }
    case "null":
      return 0;
  }
}

/** Does one request value satisfy the operator against the policy values (positive: any; negated: none)? */
function satisfies(
  c: CompiledCondition,
  op: OperatorDef,
  raw: string,
  ctx: Context,
  out: Detail | null,
): boolean {
  const r = parseRequestValue(op.kind, raw);
  if (r.invalid) {
    // Malformed input makes the comparison false for positive and negated operators alike (§6.3, decision 2).
    if (out) out.invalid = true;
    return false;
  }
  let any = false;
  for (const v of c.values) {
    const m = matchOne(op, r, v, ctx, out ? out.missing : null);
    if (m === 1) {
      any = true;
      break;
    }
    if (m === -1) {
      if (out) out.invalid = true;
      if (op.negated) return false;
    }
    if (m === -2 && out) out.unresolved = true;
  }
  return op.negated ? !any : any;
}

interface Detail {
  invalid: boolean;
  unresolved: boolean;
  missing: string[];
}

function requestValues(ctx: Context, key: string): readonly string[] | undefined {
  const v = ctx.get(key);
  if (v === undefined) return undefined;
  return typeof v === "string" ? [v] : v;
}

/**
 * Evaluate one condition (one operator + one key). `missingKeys` collects keys (and variable keys)
 * the request lacked, for `MissingContextValues`.
 */
export function evaluateCondition(c: CompiledCondition, ctx: Context, missingKeys: string[] | null): boolean {
  return evaluateConditionDetailed(c, ctx, missingKeys, false).result;
}

export function evaluateConditionDetailed(
  c: CompiledCondition,
  ctx: Context,
  missingKeys: string[] | null,
  wantReason: boolean,
): ConditionOutcome {
  const parsed = c.parsed;
  if (parsed === undefined) return { result: false, reason: "invalidValue" };
  const { op, set, ifExists } = parsed;
  const vals = requestValues(ctx, c.key);
  if (vals === undefined) missingKeys?.push(c.keyName);
  if (op.kind === "null") {
    // Null: "true" means absent; an empty multivalued list counts as absent (decision 10).
    const absent = vals === undefined || vals.length === 0;
    const result = c.values.some((v) => {
      const p = v.raw.toLowerCase();
      return p === "true" ? absent : p === "false" ? !absent : false;
    });
    return { result, reason: result ? "matched" : "noValueMatched" };
  }
  if (vals === undefined) {
    if (ifExists || set === "all") return { result: true, reason: "matchedBecauseMissing" };
    if (set === "any") return { result: false, reason: "failedBecauseMissing" };
    return op.negated
      ? { result: true, reason: "matchedBecauseMissing" }
      : { result: false, reason: "failedBecauseMissing" };
  }
  const detail: Detail | null =
    wantReason || missingKeys ? { invalid: false, unresolved: false, missing: [] } : null;
  let result: boolean;
  if (set === null) {
    if (vals.length === 0) result = op.negated;
    else if (vals.length > 1) {
      // A bare operator on a multivalued key with several values is false (decision 1).
      return { result: false, reason: "failedBecauseMultivalued" };
    } else result = satisfies(c, op, vals[0]!, ctx, detail);
  } else if (set === "all") {
    result = true;
    for (const r of vals) {
      if (!satisfies(c, op, r, ctx, detail)) {
        result = false;
        break;
      }
    }
  } else {
    result = false;
    for (const r of vals) {
      if (satisfies(c, op, r, ctx, detail)) {
        result = true;
        break;
      }
    }
  }
  if (detail && missingKeys) for (const m of detail.missing) missingKeys.push(m);
  let reason: ConditionReason = result ? "matched" : "noValueMatched";
  if (detail?.invalid && !result) reason = "invalidValue";
  else if (detail?.unresolved) reason = "variableUnresolved";
  return { result, reason };
}

/** The policy values after variable substitution (for explanations); unresolved variables stay as written. */
export function resolvedValues(c: CompiledCondition, ctx: Context): string[] {
  return c.values.map((v) => resolveString(v.template, ctx) ?? v.raw);
}
