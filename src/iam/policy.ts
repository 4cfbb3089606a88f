// Policy documents: write-time validation with AWS's exact messages, and parsing into a compiled, cached form.
// Grammar and validation rules: iam-policy.md §2 and §4; precedence ported from getmoto/moto policy_validation.py.

import { compileGlobText, type Glob, globMatch, splitArn } from "./arn.ts";
import { type CompiledCondition, compileCondition, parseOperator } from "./conditions.ts";
import { parseTemplate, type Template } from "./variables.ts";

export type PolicyKind = "identity" | "resource" | "trust" | "session" | "boundary" | "scp";

export interface PolicyProblem {
  code: "MalformedPolicyDocument" | "LimitExceeded";
  /** AWS's exact message */
  message: string;
}

export interface ValidateOptions {
  /** characters excluding whitespace; defaults per kind/attachment as AWS (§4.4) */
  limit?: number;
  /** for identity policies: where the policy goes (decides the version rule, the limit and its message) */
  attachment?: "managed" | "user" | "group" | "role";
  /** user/group/role name for the inline-policy size message */
  entityName?: string;
  /** trust policies: does this `AWS` principal ARN exist? (unknown ARNs → `Invalid principal in policy`) */
  principalExists?: (arn: string) => boolean;
}

// ---------------------------------------------------------------------------------------------
// Validation (§4)

const TOP_ELEMENTS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_ELEMENTS = new Set([
  "Sid",
  "Effect",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Principal",
  "NotPrincipal",
  "Condition",
]);
const VERSIONS = new Set(["2008-10-17", "2012-10-17"]);
const PRINCIPAL_TYPES = new Set(["AWS", "Federated", "Service", "CanonicalUser"]);
const PARTITIONS = new Set([
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
]);
const REGION_ERRORS: Record<string, (r: string) => string> = {
  iam: (r) => `IAM resource ${r} cannot contain region information.`,
  s3: (r) => `Resource ${r} can not contain region information.`,
};
const IAM_PATHS = [
  "user/",
  "federated-user/",
  "role/",
  "group/",
  "instance-profile/",
  "mfa/",
  "server-certificate/",
  "policy/",
  "sms-mfa/",
  "saml-provider/",
  "oidc-provider/",
  "report/",
  "access-report/",
];
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html (role trust) — the
// actions a trust policy may name (§4.3).
const TRUST_ACTIONS = [
  "sts:assumerole",
  "sts:assumerolewithsaml",
  "sts:assumerolewithwebidentity",
  "sts:tagsession",
  "sts:setsourceidentity",
  "sts:setcontext",
];

const SYNTAX = "Syntax errors in policy.";
const LEGACY = "The policy failed legacy parsing";

class Problem extends Error {}
function fail(message: string): never {
  throw new Problem(message);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function has(o: Obj, k: string): boolean {
  return Object.hasOwn(o, k);
}
function strList(v: Json | undefined): string[] {
  if (v === undefined) return [];
  if (typeof v === "string") return [v];
  return (v as Json[]).filter((x): x is string => typeof x === "string");
}

function checkStringOrList(s: Obj, key: string): void {
  if (!has(s, key)) return;
  const v = s[key];
  if (typeof v === "string") return;
  // IAM accepts null entries in a Resource list (moto's valid corpus, "NullResource"); they name nothing.
  const nullOk = key === "Resource" || key === "NotResource";
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string" || (nullOk && x === null))) fail(SYNTAX);
}

function checkPrincipalSyntax(v: Json | undefined): void {
  if (v === "*") return;
  if (!isObj(v)) fail(SYNTAX);
  for (const [k, val] of Object.entries(v)) {
    if (!PRINCIPAL_TYPES.has(k)) fail(SYNTAX);
    if (typeof val === "string") continue;
    if (!Array.isArray(val) || !val.every((x) => typeof x === "string")) fail(SYNTAX);
  }
}

function checkStatementSyntax(s: Json): asserts s is Obj {
  if (!isObj(s)) fail(SYNTAX);
  for (const k of Object.keys(s)) if (!STATEMENT_ELEMENTS.has(k)) fail(SYNTAX);
  if (has(s, "Resource") && has(s, "NotResource")) fail(SYNTAX);
  if (has(s, "Action") && has(s, "NotAction")) fail(SYNTAX);
  if (has(s, "Principal") && has(s, "NotPrincipal")) fail(SYNTAX);
  const effect = s.Effect;
  if (typeof effect !== "string" || !["allow", "deny"].includes(effect.toLowerCase())) fail(SYNTAX);
  for (const k of ["Action", "NotAction", "Resource", "NotResource"]) checkStringOrList(s, k);
  if (has(s, "Principal")) checkPrincipalSyntax(s.Principal);
  if (has(s, "NotPrincipal")) checkPrincipalSyntax(s.NotPrincipal);
  if (has(s, "Condition")) {
    const c = s.Condition;
    if (!isObj(c)) fail(SYNTAX);
    for (const [op, block] of Object.entries(c)) {
      if (!isObj(block)) fail(SYNTAX);
      for (const val of Object.values(block)) {
        const ok = (x: Json) => typeof x === "string" || typeof x === "number" || typeof x === "boolean";
        if (!ok(val) && !(Array.isArray(val) && val.every(ok))) fail(SYNTAX);
      }
      // Unknown operators are rejected unless their key map is empty (moto's valid corpus: `{"a": {}}`).
      if (parseOperator(op) === undefined && Object.keys(block).length > 0) fail(SYNTAX);
    }
  }
  if (has(s, "Sid") && typeof s.Sid !== "string") fail(SYNTAX);
}

/** Python's int() as moto applies it to date parts (surrounding whitespace, sign, underscores). */
function pyInt(s: string): number {
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(s)) fail(LEGACY);
  return Number(s.replace(/_/g, ""));
}

function checkIsoDate(value: string): void {
  const [datePart, , timePart] = partition(value, "t");
  const negative = datePart.startsWith("-");
  const dateParts = (negative ? datePart.slice(1) : datePart).split("-");
  const year = pyInt((negative ? "-" : "") + dateParts[0]);
  if (year < -292275054 || year > 292278993) fail(LEGACY);
  if (dateParts.length > 1 && !inRange(pyInt(dateParts[1]!), 1, 12)) fail(LEGACY);
  if (dateParts.length > 2 && !inRange(pyInt(dateParts[2]!), 1, 31)) fail(LEGACY);
  if (dateParts.length >= 4) fail(LEGACY);
  const timeParts = timePart.split(":");
  if (timeParts[0] !== "" && !inRange(pyInt(timeParts[0]!), 0, 23)) fail(LEGACY);
  if (timeParts.length > 1 && !inRange(pyInt(timeParts[1]!), 0, 59)) fail(LEGACY);
  if (timeParts.length > 2) {
    const t = timeParts[2]!;
    let seconds: string;
    if (t.includes("z")) {
      const [before, , after] = partition(t, "z");
      if (after !== "") fail(LEGACY);
      seconds = before;
    } else if (t.includes("+")) {
      const [before, , zone] = partition(t, "+");
      seconds = before;
      const [zh, sep, zm] = partition(zone, ":");
      if (zh.length !== 2 || !inRange(pyInt(zh), 0, 23)) fail(LEGACY);
      if (sep === ":" && (zm.length !== 2 || !inRange(pyInt(zm), 0, 59))) fail(LEGACY);
    } else seconds = t;
    const [whole, dot, frac] = partition(seconds, ".");
    if (!inRange(pyInt(whole), 0, 59)) fail(LEGACY);
    if (dot === "." && !inRange(pyInt(frac), 0, 999999999)) fail(LEGACY);
  }
}

function inRange(n: number, lo: number, hi: number): boolean {
  return n >= lo && n <= hi;
}
function partition(s: string, sep: string): [string, string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, "", ""] : [s.slice(0, i), sep, s.slice(i + sep.length)];
}

function checkDateValue(v: Json): void {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  if (s.toLowerCase().includes("t") || s.includes("-")) checkIsoDate(s.toLowerCase());
  else {
    const n = pyInt(s);
    if (n < 0 || BigInt(s.replace(/_/g, "").trim()) > 9223372036854775807n) fail(LEGACY);
  }
}

/** First resource-format problem of one resource, or "" (moto's `_validate_resource_format`). */
function resourceFormatError(resource: string): string {
  if (resource === "*") return "";
  const [, sep1, afterFirst] = partition(resource, ":");
  if (sep1 === "") return `Resource ${resource} must be in ARN format or "*".`;
  const [partitionName, sep2, rest] = partition(afterFirst, ":");
  if (!PARTITIONS.has(partitionName)) {
    const p = rest.split(":");
    const a1 = p[0] !== "" || p.length > 1 ? p[0]! : "*";
    const a2 = p.length > 1 ? p[1]! : "*";
    const a3 = p.length > 2 ? p[2]! : "*";
    const a4 = p.length > 3 ? p.slice(3).join(":") : "*";
    return `Partition "${partitionName}" is not valid for resource "arn:${partitionName}:${a1}:${a2}:${a3}:${a4}".`;
  }
  if (sep2 !== ":") return "Resource vendor must be fully qualified and cannot contain regexes.";
  const [service, , afterService] = partition(rest, ":");
  const regionError = REGION_ERRORS[service];
  // S3 access points carry a region (`arn:aws:s3:us-east-1:111122223333:accesspoint/x`).
  if (regionError && !afterService.startsWith(":")) {
    const id = afterService.split(":").slice(2).join(":");
    if (!(service === "s3" && id.startsWith("accesspoint/"))) return regionError(resource);
  }
  const [, , afterRegion] = partition(afterService, ":");
  const [, , id] = partition(afterRegion, ":");
  if (service === "iam" && !IAM_PATHS.some((p) => id.startsWith(p)) && id !== "*") {
    return `IAM resource path must either be "*" or start with ${IAM_PATHS.join(", ")}.`;
  }
  return "";
}

function legacyResourceCheck(resource: string): void {
  if (resource === "*") return;
  const colons = resource.split(":").length - 1;
  if (colons < 5 && resource.includes("::")) fail(LEGACY);
  if (resource.split(":")[2] === "") fail(LEGACY);
}

/** Characters IAM counts for size quotas: everything but JSON whitespace outside strings (§4.4). */
export function policySize(text: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      n++;
      if (c === 92 /* \ */) {
        n++;
        i++;
      } else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
      n++;
    } else if (c !== 32 && c !== 9 && c !== 10 && c !== 13) n++;
  }
  return n;
}

function defaultLimit(
  kind: PolicyKind,
  options: ValidateOptions,
): { limit: number; message: (n: number) => string } {
  const quota = (name: string) => (n: number) => `Cannot exceed quota for ${name}: ${n}`;
  switch (kind) {
    case "trust":
      return { limit: 2048, message: quota("ACLSizePerRole") };
    case "session":
      return { limit: 2048, message: quota("PolicySize") };
    case "identity": {
      const who = options.attachment ?? "managed";
      if (who === "managed") return { limit: 6144, message: quota("PolicySize") };
      const limit = who === "user" ? 2048 : who === "group" ? 5120 : 10240;
      return {
        limit,
        message: (n) =>
          `Maximum policy size of ${n} bytes exceeded for ${who} ${options.entityName ?? ""}`.trimEnd(),
      };
    }
    default:
      return { limit: 6144, message: quota("PolicySize") };
  }
}

/**
 * Validate a policy document as IAM does on write. Returns the problems found (the first is what IAM
 * reports); an empty list means valid.
 */
export function validatePolicy(
  text: string,
  kind: PolicyKind,
  options: ValidateOptions = {},
): PolicyProblem[] {
  try {
    validateOrThrow(text, kind, options);
  } catch (e) {
    if (e instanceof Problem) return [{ code: "MalformedPolicyDocument", message: e.message }];
    if (e instanceof LimitProblem) return [{ code: "LimitExceeded", message: e.message }];
    throw e;
  }
  return [];
}

class LimitProblem extends Error {}

function validateOrThrow(text: string, kind: PolicyKind, options: ValidateOptions): void {
  // 1. syntax
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch {
    fail(SYNTAX);
  }
  if (!isObj(doc)) fail(SYNTAX);
  for (const k of Object.keys(doc)) if (!TOP_ELEMENTS.has(k)) fail(SYNTAX);
  if (has(doc, "Version") && !VERSIONS.has(doc.Version as string)) fail(SYNTAX);
  if (has(doc, "Id") && typeof doc.Id !== "string") fail(SYNTAX);
  if (!has(doc, "Statement")) fail(SYNTAX);
  const st = doc.Statement;
  if (!isObj(st) && !Array.isArray(st)) fail(SYNTAX);
  const statements: Json[] = Array.isArray(st) ? st : [st];
  if (statements.length === 0) fail(SYNTAX);
  for (const s of statements) checkStatementSyntax(s);
  const stmts = statements as Obj[];

  // 2. version: managed policies (and boundaries, SCPs) must use 2012-10-17.
  const managed =
    kind === "boundary" ||
    kind === "scp" ||
    (kind === "identity" && (options.attachment ?? "managed") === "managed");
  if (managed && doc.Version !== "2012-10-17") fail("Policy document must be version 2012-10-17 or greater.");

  // 3. legacy parsing: Effect case, Date values; then resource formats (first error kept for later).
  for (const s of stmts) {
    if (s.Effect !== "Allow" && s.Effect !== "Deny") fail(LEGACY);
    if (!has(s, "Condition")) continue;
    for (const [op, block] of Object.entries(s.Condition as Obj)) {
      if (parseOperator(op)?.op.kind !== "date") continue;
      for (const v of Object.values(block as Obj))
        for (const x of Array.isArray(v) ? v : [v]) checkDateValue(x);
    }
  }
  let resourceError = "";
  for (const key of ["Resource", "NotResource"]) {
    for (const s of stmts) {
      if (!has(s, key)) continue;
      const v = s[key] as Json;
      const list = typeof v === "string" ? [v] : strList(v).sort().reverse();
      // Like moto, a later format error replaces an earlier one (the corpus pins this).
      for (const r of list) {
        const e = resourceFormatError(r);
        if (e !== "") resourceError = e;
      }
      if (resourceError === "") for (const r of strList(v)) legacyResourceCheck(r);
    }
  }

  // 4. Sid uniqueness
  const sids = new Set<string>();
  for (const s of stmts) {
    const sid = s.Sid;
    if (typeof sid === "string" && sid !== "") {
      if (sids.has(sid)) fail("Statement IDs (SID) in a single policy must be unique.");
      sids.add(sid);
    }
  }

  // 5. actions present
  for (const s of stmts) {
    const key = has(s, "Action") ? "Action" : has(s, "NotAction") ? "NotAction" : undefined;
    if (key === undefined) fail("Policy statement must contain actions.");
    const v = s[key];
    if (Array.isArray(v) && v.length === 0) fail("Policy statement must contain actions.");
  }

  // 6. resource format (collected above), then action prefixes.
  if (resourceError !== "") fail(resourceError);
  for (const key of ["Action", "NotAction"]) {
    for (const s of stmts) {
      for (const a of strList(s[key])) {
        const parts = a.split(":");
        if (parts.length === 1 && parts[0] !== "*") {
          fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
        } else if (parts.length > 2) fail("Actions/Condition can contain only one colon.");
        if (parts[0] !== "*" && /[^a-zA-Z0-9\-.]/.test(parts[0]!)) fail(`Vendor ${parts[0]} is not valid`);
      }
    }
  }

  // 7b. resources present (not for trust/resource-based policies, where the resource is implicit)
  const needsResource = kind === "identity" || kind === "session" || kind === "boundary" || kind === "scp";
  if (needsResource) {
    for (const s of stmts) {
      const key = has(s, "Resource") ? "Resource" : has(s, "NotResource") ? "NotResource" : undefined;
      if (key === undefined) fail("Policy statement must contain resources.");
      const v = s[key];
      if (Array.isArray(v) && v.length === 0) fail("Policy statement must contain resources.");
    }
  }

  // 8. kind-specific rules (§4.3)
  if (kind === "identity" || kind === "session" || kind === "boundary" || kind === "scp") {
    for (const s of stmts) {
      if (has(s, "Principal") || has(s, "NotPrincipal"))
        fail("Policy document should not specify a principal.");
    }
  }
  if (kind === "trust") checkTrust(stmts, options);

  // 9. size
  const { limit: defaultMax, message } = defaultLimit(kind, options);
  const limit = options.limit ?? defaultMax;
  if (policySize(text) > limit) throw new LimitProblem(message(limit));
}

function checkTrust(stmts: Obj[], options: ValidateOptions): void {
  for (const s of stmts) {
    if (has(s, "Resource")) fail("Has prohibited field Resource.");
    if (has(s, "NotResource")) fail("AssumeRole policy must not contain resources.");
    if (has(s, "NotPrincipal")) fail("AssumeRole policy must not contain NotPrincipal field.");
    if (!has(s, "Principal")) {
      fail(
        "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
      );
    }
    for (const a of strList(s.Action ?? s.NotAction)) {
      const g = compileGlobText(a.toLowerCase());
      const ok =
        a === "*" || TRUST_ACTIONS.some((t) => (g.exact !== null ? g.exact === t : globMatchText(g, t)));
      if (!ok) fail("AssumeRole policy may only specify STS AssumeRole actions.");
    }
    const p = s.Principal;
    if (p === "*") continue;
    for (const [type, v] of Object.entries(p as Obj)) {
      for (const value of strList(v)) {
        if (type === "AWS" && value !== "*") {
          // Partial wildcards are not wildcards in principals (§2.2).
          if (value.includes("*") || value.includes("?"))
            fail(`Invalid principal in policy: "AWS":"${value}"`);
          if (/^\d{12}$/.test(value)) continue;
          const parts = splitArn(value);
          if (!parts || !["iam", "sts"].includes(parts[2]!))
            fail(`Invalid principal in policy: "AWS":"${value}"`);
          if (options.principalExists && !options.principalExists(value)) {
            fail(`Invalid principal in policy: "AWS":"${value}"`);
          }
        }
        if ((type === "Service" || type === "Federated") && value.includes("*")) {
          fail(`Invalid principal in policy: "${type}":"${value}"`);
        }
      }
    }
  }
}

function globMatchText(g: Glob, s: string): boolean {
  return globMatch(g, s);
}

// ---------------------------------------------------------------------------------------------
// Parsed (compiled) form

export interface ResourcePattern {
  raw: string;
  /** `*`: every resource */
  all: boolean;
  /** arn, partition, service, region, account globs (lower-cased), when the pattern has ≥ 6 parts */
  header: Glob[];
  id: Template;
  /** compiled resource-id glob when it has no variables */
  idGlob: Glob | null;
  /** fewer than six parts: trailing parts are `*` for identity-side policies, no match otherwise (§3.3) */
  short: boolean;
}

export interface PrincipalEntry {
  type: "*" | "AWS" | "Federated" | "Service" | "CanonicalUser" | string;
  value: string;
}

export interface ParsedStatement {
  index: number;
  sid: string | null;
  effect: "Allow" | "Deny" | string;
  action: { not: boolean; patterns: string[]; globs: Glob[] } | null;
  resource: { not: boolean; patterns: ResourcePattern[] } | null;
  principal: { not: boolean; entries: PrincipalEntry[] } | null;
  conditions: CompiledCondition[];
}

export interface Position {
  line: number;
  column: number;
}

const PARSED = Symbol("keyship.parsedPolicy");

export interface ParsedPolicy {
  readonly [PARSED]: true;
  version: string | null;
  id: string | null;
  /** `${…}` variables are substituted (Version 2012-10-17 only) */
  variables: boolean;
  statements: ParsedStatement[];
  /** the text positions refer to: as submitted, or the compact JSON of an object document */
  text: string;
}

export function isParsedPolicy(v: unknown): v is ParsedPolicy {
  return typeof v === "object" && v !== null && (v as { [PARSED]?: true })[PARSED] === true;
}

function compileResource(raw: string, variables: boolean): ResourcePattern {
  if (raw === "*") {
    return { raw, all: true, header: [], id: { raw, parts: null }, idGlob: null, short: false };
  }
  let parts = splitArn(raw, true);
  let short = false;
  if (parts === undefined) {
    short = true;
    parts = raw.split(":");
    while (parts.length < 6) parts.push("*");
  }
  const header = parts.slice(0, 5).map((p) => compileGlobText(p, true));
  const id = parseTemplate(parts[5]!, variables);
  const idGlob = id.parts === null ? compileGlobText(id.raw) : null;
  return { raw, all: false, header, id, idGlob, short };
}

function asList(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return [];
}

function compileStatement(s: unknown, index: number, variables: boolean): ParsedStatement | null {
  if (!isObj(s)) return null;
  const sid = typeof s.Sid === "string" ? s.Sid : null;
  const effect = typeof s.Effect === "string" ? s.Effect : "";
  let action: ParsedStatement["action"] = null;
  const actKey = has(s, "Action") ? "Action" : has(s, "NotAction") ? "NotAction" : null;
  if (actKey) {
    const patterns = asList(s[actKey]);
    action = { not: actKey === "NotAction", patterns, globs: patterns.map((p) => compileGlobText(p, true)) };
  }
  let resource: ParsedStatement["resource"] = null;
  const resKey = has(s, "Resource") ? "Resource" : has(s, "NotResource") ? "NotResource" : null;
  if (resKey) {
    resource = {
      not: resKey === "NotResource",
      patterns: asList(s[resKey]).map((r) => compileResource(r, variables)),
    };
  }
  let principal: ParsedStatement["principal"] = null;
  const prKey = has(s, "Principal") ? "Principal" : has(s, "NotPrincipal") ? "NotPrincipal" : null;
  if (prKey) {
    const p = s[prKey];
    const entries: PrincipalEntry[] = [];
    if (p === "*") entries.push({ type: "*", value: "*" });
    // A bare string other than "*" (only in injected data; IAM rejects it on write) names an AWS principal.
    else if (typeof p === "string") entries.push({ type: "AWS", value: p });
    else if (isObj(p))
      for (const [type, v] of Object.entries(p)) for (const value of asList(v)) entries.push({ type, value });
    principal = { not: prKey === "NotPrincipal", entries };
  }
  const conditions: CompiledCondition[] = [];
  if (isObj(s.Condition)) {
    for (const [op, block] of Object.entries(s.Condition)) {
      if (!isObj(block)) {
        conditions.push(compileCondition(`${op}`, "", [], variables));
        continue;
      }
      for (const [key, v] of Object.entries(block)) conditions.push(compileCondition(op, key, v, variables));
    }
  }
  return { index, sid, effect, action, resource, principal, conditions };
}

/** `text`: the policy as submitted, or how to write it (an object's JSON is needed only for positions). */
function compilePolicy(doc: unknown, text: string | (() => string)): ParsedPolicy {
  const o = isObj(doc) ? doc : {};
  const version = typeof o.Version === "string" ? o.Version : null;
  const variables = version === "2012-10-17";
  const raw = o.Statement;
  const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const statements: ParsedStatement[] = [];
  list.forEach((s, i) => {
    const c = compileStatement(s, i, variables);
    if (c) statements.push(c);
  });
  const id = typeof o.Id === "string" ? o.Id : null;
  if (typeof text === "string") return { [PARSED]: true, version, id, variables, statements, text };
  let written: string | undefined;
  return {
    [PARSED]: true,
    version,
    id,
    variables,
    statements,
    get text() {
      written ??= text();
      return written;
    },
  };
}

const objectCache = new WeakMap<object, ParsedPolicy>();
const textCache = new Map<string, ParsedPolicy>();
const TEXT_CACHE_MAX = 2048;

/**
 * Parse a policy (JSON text or object) into its compiled form, cached by identity (objects) or by text
 * (bounded). Lenient: unknown members are ignored; validate with `validatePolicy` first. Throws
 * TypeError for text that is not JSON or a value that is not a policy object.
 */
export function parsePolicy(doc: string | object): ParsedPolicy {
  if (typeof doc === "string") {
    const hit = textCache.get(doc);
    if (hit) return hit;
    let value: unknown;
    try {
      value = JSON.parse(doc);
    } catch {
      throw new TypeError("policy document is not valid JSON");
    }
    if (!isObj(value)) throw new TypeError("policy document must be a JSON object");
    const parsed = compilePolicy(value, doc);
    if (textCache.size >= TEXT_CACHE_MAX) textCache.delete(textCache.keys().next().value!);
    textCache.set(doc, parsed);
    return parsed;
  }
  if (isParsedPolicy(doc)) return doc;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new TypeError("policy document must be a string or an object");
  }
  const hit = objectCache.get(doc);
  if (hit) return hit;
  const parsed = compilePolicy(doc, () => JSON.stringify(doc));
  objectCache.set(doc, parsed);
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Statement positions (§11.3)

const positionCache = new WeakMap<ParsedPolicy, { start: Position; end: Position }[]>();

/**
 * Start/end of each statement in the policy text, as the simulator reports them (§11.3): Start is the
 * character after the token preceding the statement, End the character after its closing `}`.
 */
export function statementPositions(policy: ParsedPolicy): { start: Position; end: Position }[] {
  const hit = positionCache.get(policy);
  if (hit) return hit;
  const text = policy.text;
  const offsets: [number, number][] = [];
  let depth = 0;
  let i = 0;
  let lastKey = "";
  let stmtMode: "none" | "array" | "object" = "none";
  let prevTokenEnd = 0;
  let stmtStart = -1;
  let arrayAnchor = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const s = text.slice(i + 1, j);
      if (depth === 1) lastKey = s;
      i = j + 1;
      prevTokenEnd = i;
      continue;
    }
    if (c === "{" || c === "[") {
      if (depth === 1 && lastKey === "Statement" && stmtMode === "none") {
        if (c === "[") {
          stmtMode = "array";
          arrayAnchor = i + 1;
        } else {
          stmtMode = "object";
          stmtStart = prevTokenEnd;
        }
      } else if (depth === 2 && stmtMode === "array" && c === "{") stmtStart = arrayAnchor;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (
        c === "}" &&
        stmtStart >= 0 &&
        ((stmtMode === "array" && depth === 2) || (stmtMode === "object" && depth === 1))
      ) {
        offsets.push([stmtStart, i + 1]);
        stmtStart = -1;
        arrayAnchor = i + 1;
        if (stmtMode === "object") stmtMode = "none";
      }
      if (c === "]" && depth === 1 && stmtMode === "array") stmtMode = "none";
    } else if (c === ":" || c === ",") {
      if (depth === 1 && c === ",") lastKey = "";
    }
    if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") prevTokenEnd = i + 1;
    i++;
  }
  const toPos = (offset: number): Position => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < offset && k < text.length; k++) {
      if (text[k] === "\n") {
        line++;
        lineStart = k + 1;
      }
    }
    return { line, column: offset - lineStart + 1 };
  };
  const result = offsets.map(([s, e]) => ({ start: toPos(s), end: toPos(e) }));
  positionCache.set(policy, result);
  return result;
}
