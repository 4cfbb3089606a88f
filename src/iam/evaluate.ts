// The IAM policy evaluator: a pure function from (request, policy sets) to a decision and its explanation.
// Algorithm: iam-policy.md §5; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

import { compileGlob, globMatch, globsIntersect, splitArn } from "./arn.ts";
import {
  type ConditionReason,
  evaluateCondition,
  evaluateConditionDetailed,
  resolvedValues,
} from "./conditions.ts";
import {
  isParsedPolicy,
  type ParsedPolicy,
  type ParsedStatement,
  type Position,
  type PrincipalEntry,
  parsePolicy,
  type ResourcePattern,
  statementPositions,
} from "./policy.ts";
import { serviceRule } from "./service-rules.ts";
import { type Context, resolvePieces } from "./variables.ts";

export type Decision = "allowed" | "explicitDeny" | "implicitDeny";
export type PolicyType = "scp" | "rcp" | "resource" | "identity" | "boundary" | "session" | "vpce";

export interface EvalRequest {
  principal: string | { type: "Anonymous" };
  action: string;
  resource: string;
  resourceAccount?: string;
  context: Record<string, string | string[]>;
}

export interface NamedPolicy {
  /** e.g. "arn:aws:iam::123:policy/X", "inline:role/R/P", "trust:R" */
  id: string;
  document: string | object | ParsedPolicy;
}

export type PolicyInput = object | string | NamedPolicy;

export interface OrgLevel {
  orgIdentifier: string;
  policies: PolicyInput[];
}

export interface PolicySet {
  identity: PolicyInput[];
  resource?: PolicyInput;
  permissionsBoundary?: PolicyInput[];
  session?: PolicyInput;
  scp?: OrgLevel[];
  rcp?: OrgLevel[];
  vpcEndpoint?: PolicyInput[];
}

export interface EvalOptions {
  /** build the per-policy, per-statement, per-condition record (iam-policy.md §12) */
  explain?: boolean;
  /**
   * iam-simulate's extension: a request resource `*` stands for "some resource", so an Allow on any
   * resource pattern applies (Deny only on `*`), and a request resource with wildcards
   * (`arn:aws:s3:::bucket/*`) is allowed by an overlapping pattern. Off by default: in AWS the request
   * resource is literal (`*` for actions without resource-level permissions).
   */
  requestResourceWildcard?: boolean;
}

export interface MatchedStatement {
  /** NamedPolicy id, or the simulator's id (`PolicyInputList.1`, `ResourcePolicy`, …) */
  sourcePolicyId: string;
  /** the simulator's wire value: `IAM Policy`, `Resource Policy`, … (§11.2) */
  sourcePolicyType: string;
  policyType: PolicyType;
  sid: string | null;
  index: number;
  effect: "Allow" | "Deny";
  start?: Position;
  end?: Position;
}

export interface ConditionExplain {
  operator: string;
  key: string;
  policyValues: string[];
  resolvedPolicyValues: string[];
  requestValues: string[] | null;
  result: boolean;
  reason: ConditionReason;
}

export interface StatementExplain {
  index: number;
  sid: string | null;
  effect: string;
  start: Position | null;
  end: Position | null;
  applies: boolean;
  /** `patterns`: the statement's Action (or NotAction, with `not`) list */
  action: { matched: boolean; by: string | null; not: boolean; patterns: string[] };
  /** `by: null` with matched true: not evaluated (trust policy) or implicit */
  resource: { matched: boolean; by: string | null; not: boolean; patterns: string[] };
  principal: { matched: boolean; by: string | null } | null;
  conditions: ConditionExplain[];
}

export interface PolicyExplain {
  type: PolicyType;
  id: string;
  arn: string | null;
  version: string | null;
  /** SCP/RCP level */
  orgIdentifier?: string;
  statements: StatementExplain[];
}

export interface EvalResult {
  decision: Decision;
  /** policy types that caused a deny, most decisive first (§10 order) */
  blockedBy: PolicyType[];
  matchedStatements: MatchedStatement[];
  missingContextKeys: string[];
  /** filled when `explain: true` */
  policies: PolicyExplain[];
  /** the resource-policy grant that decided (direct, role or account), when one applied */
  resourceGrant: GrantClass | null;
  /** set when a fixed AWS service rule decided (e.g. sts:GetCallerIdentity needs no permission) */
  serviceRule?: string;
}

export type GrantClass = "direct" | "role" | "account";

// ---------------------------------------------------------------------------------------------
// request normalisation

type PrincipalKind =
  | "user"
  | "role"
  | "session"
  | "federatedUser"
  | "root"
  | "federated"
  | "service"
  | "anonymous";

interface PrincipalInfo {
  kind: PrincipalKind;
  text: string;
  account: string;
  /** for sessions: the role name; for roles: the name after the path */
  roleName: string;
}

const WEB_IDENTITY_PROVIDERS = new Set([
  "accounts.google.com",
  "cognito-identity.amazonaws.com",
  "graph.facebook.com",
  "www.amazon.com",
]);

export function principalInfo(p: EvalRequest["principal"]): PrincipalInfo {
  if (typeof p !== "string") return { kind: "anonymous", text: "", account: "", roleName: "" };
  const parts = splitArn(p);
  if (parts === undefined) {
    if (WEB_IDENTITY_PROVIDERS.has(p.toLowerCase()))
      return { kind: "federated", text: p, account: "", roleName: "" };
    if (/^\d{12}$/.test(p)) return { kind: "root", text: `arn:aws:iam::${p}:root`, account: p, roleName: "" };
    return { kind: "service", text: p, account: "", roleName: "" };
  }
  const account = parts[4]!;
  const id = parts[5]!;
  const service = parts[2]!.toLowerCase();
  if (service === "sts") {
    if (id.startsWith("assumed-role/")) {
      return { kind: "session", text: p, account, roleName: id.split("/")[1] ?? "" };
    }
    if (id.startsWith("federated-user/")) return { kind: "federatedUser", text: p, account, roleName: "" };
  }
  if (service === "iam") {
    if (id === "root") return { kind: "root", text: p, account, roleName: "" };
    if (id.startsWith("user/")) return { kind: "user", text: p, account, roleName: "" };
    if (id.startsWith("role/"))
      return { kind: "role", text: p, account, roleName: id.slice(id.lastIndexOf("/") + 1) };
    if (id.startsWith("oidc-provider/") || id.startsWith("saml-provider/")) {
      return { kind: "federated", text: p, account, roleName: "" };
    }
  }
  return { kind: "user", text: p, account, roleName: "" };
}

interface Req {
  action: string;
  resource: string;
  /** ARN parts with the five header parts lower-cased; undefined when the resource is not an ARN */
  parts: string[] | undefined;
  principal: PrincipalInfo;
  ctx: Context;
  hasBoundary: boolean;
  wildcard: boolean;
  /** iam-simulate extension: the request resource is an ARN pattern (`arn:aws:s3:::bucket/*`) */
  patternRequest: boolean;
}

const contextCache = new WeakMap<object, Context>();

function contextMap(context: Record<string, string | string[]>): Context {
  const hit = contextCache.get(context);
  if (hit) return hit;
  const m = new Map<string, string | readonly string[]>();
  for (const [k, v] of Object.entries(context)) {
    if (v === undefined || v === null) continue;
    m.set(k.toLowerCase(), Array.isArray(v) ? v.map(String) : String(v));
  }
  contextCache.set(context, m);
  return m;
}

// ---------------------------------------------------------------------------------------------
// statement matching

function actionMatches(s: ParsedStatement, action: string): string | null | false {
  const a = s.action;
  if (a === null) return false;
  for (let i = 0; i < a.globs.length; i++) {
    if (globMatch(a.globs[i]!, action)) return a.not ? false : a.patterns[i]!;
  }
  return a.not ? null : false;
}

/** Does one Resource pattern match the request resource? */
function resourcePatternMatches(
  p: ResourcePattern,
  req: Req,
  resourceBased: boolean,
  missing: string[] | null,
): boolean {
  if (p.all) return true;
  if (p.short && resourceBased) return false;
  const parts = req.parts;
  if (parts === undefined) return p.raw === req.resource;
  for (let i = 0; i < 5; i++) if (!globMatch(p.header[i]!, parts[i]!)) return false;
  if (p.idGlob !== null) return globMatch(p.idGlob, parts[5]!);
  // A variable without value makes the entry match no resource (§7).
  const pieces = resolvePieces(p.id, req.ctx, missing ?? undefined);
  if (pieces === undefined) return false;
  return globMatch(compileGlob(pieces), parts[5]!);
}

/** Resource element: returns the matching pattern text, "" for a NotResource match, or false. */
function resourceMatches(
  s: ParsedStatement,
  req: Req,
  type: PolicyType,
  missing: string[] | null,
): string | false {
  const r = s.resource;
  const resourceBased = type === "resource" || type === "rcp" || type === "vpce";
  if (r === null) return resourceBased ? "" : false;
  if (req.wildcard) {
    // iam-simulate extension: request `*` = "some resource" (see EvalOptions.requestResourceWildcard).
    const allow = s.effect === "Allow";
    if (r.not) return allow && !r.patterns.some((p) => p.all) ? "" : false;
    const hit = r.patterns.find((p) => allow || p.all);
    return hit ? hit.raw : false;
  }
  for (const p of r.patterns) {
    if (resourcePatternMatches(p, req, resourceBased, missing)) return r.not ? false : p.raw;
    if (req.patternRequest && !r.not && s.effect === "Allow" && patternsIntersect(p.raw, req.resource))
      return p.raw;
  }
  return r.not ? "" : false;
}

/** iam-simulate extension: a request resource that is a pattern; an Allow applies when the two overlap. */
function patternsIntersect(pattern: string, request: string): boolean {
  const a = splitArn(pattern, true);
  const b = splitArn(request);
  if (!a || !b) return false;
  for (let i = 0; i < 5; i++) if (!globsIntersect(a[i]!.toLowerCase(), b[i]!.toLowerCase())) return false;
  return globsIntersect(a[5]!, b[5]!);
}

const CLASS_RANK: Record<GrantClass, number> = { account: 1, role: 2, direct: 3 };

function principalEntryMatch(e: PrincipalEntry, req: Req): GrantClass | null {
  const p = req.principal;
  const awsPrincipal =
    p.kind === "user" ||
    p.kind === "role" ||
    p.kind === "session" ||
    p.kind === "federatedUser" ||
    p.kind === "root" ||
    p.kind === "anonymous";
  if (e.type === "*") return "direct";
  if (e.type === "AWS") {
    const v = e.value;
    if (v === "*") return awsPrincipal ? "direct" : null;
    if (!awsPrincipal || p.kind === "anonymous") return null;
    if (/^\d{12}$/.test(v)) return v === p.account ? (p.kind === "root" ? "direct" : "account") : null;
    const parts = splitArn(v);
    if (parts === undefined) return null;
    const id = parts[5]!;
    const account = parts[4]!;
    if (account !== p.account) return null;
    if (id === "root") return p.kind === "root" ? "direct" : "account";
    // Partial wildcards are not wildcards in principals: exact comparison only (§2.2).
    if (id.startsWith("role/")) {
      if (p.kind === "role") return sameArn(v, p.text) ? "role" : null;
      if (p.kind === "session") return id.slice(id.lastIndexOf("/") + 1) === p.roleName ? "role" : null;
      return null;
    }
    return sameArn(v, p.text) ? "direct" : null;
  }
  if (e.type === "Federated") return p.kind === "federated" && e.value === p.text ? "direct" : null;
  if (e.type === "Service")
    return p.kind === "service" && e.value.toLowerCase() === p.text.toLowerCase() ? "direct" : null;
  return null;
}

/** ARNs compare case-insensitively in their header parts and exactly in the resource id. */
function sameArn(a: string, b: string): boolean {
  if (a === b) return true;
  const x = splitArn(a);
  const y = splitArn(b);
  if (!x || !y) return false;
  for (let i = 0; i < 5; i++) if (x[i]!.toLowerCase() !== y[i]!.toLowerCase()) return false;
  return x[5] === y[5];
}

/** Principal element: the grant class it gives, or null when it does not match. */
function principalMatches(s: ParsedStatement, req: Req): { cls: GrantClass | null; by: string | null } {
  const pr = s.principal;
  if (pr === null) return { cls: null, by: null };
  let best: GrantClass | null = null;
  let by: string | null = null;
  for (const e of pr.entries) {
    const c = principalEntryMatch(e, req);
    if (c !== null && (best === null || CLASS_RANK[c] > CLASS_RANK[best])) {
      best = c;
      by = e.type === "*" ? "*" : `${e.type}:${e.value}`;
    }
  }
  if (!pr.not) return { cls: best, by };
  // A principal with a permissions boundary is always denied by NotPrincipal + Deny (§2.2).
  if (s.effect === "Deny" && req.hasBoundary) return { cls: "direct", by: "NotPrincipal" };
  return best === null ? { cls: "direct", by: "NotPrincipal" } : { cls: null, by };
}

function usesPrincipal(type: PolicyType): boolean {
  return type === "resource" || type === "rcp" || type === "vpce";
}

/**
 * Does the statement apply? Returns the grant class (always "direct" for identity-side policies) or null.
 * `trust`: the resource policy is a role trust policy, whose Resource element is ignored.
 */
function statementApplies(
  s: ParsedStatement,
  req: Req,
  type: PolicyType,
  trust: boolean,
  missing: string[] | null,
): GrantClass | null {
  if (actionMatches(s, req.action) === false) return null;
  if (!(trust && type === "resource") && resourceMatches(s, req, type, missing) === false) return null;
  let cls: GrantClass | null = "direct";
  // Resource policies need a Principal; RCP and VPC endpoint statements without one apply to everyone.
  if (type === "resource" || (usesPrincipal(type) && s.principal !== null)) {
    cls = principalMatches(s, req).cls;
    if (cls === null) return null;
  }
  const conds = s.conditions;
  for (let i = 0; i < conds.length; i++) {
    if (!evaluateCondition(conds[i]!, req.ctx, missing)) {
      // keep collecting missing keys of the remaining conditions for MissingContextValues
      if (missing) for (let j = i + 1; j < conds.length; j++) evaluateCondition(conds[j]!, req.ctx, missing);
      return null;
    }
  }
  return cls;
}

function explainStatement(
  s: ParsedStatement,
  req: Req,
  type: PolicyType,
  trust: boolean,
  pos: { start: Position; end: Position } | undefined,
): StatementExplain {
  const a = actionMatches(s, req.action);
  const skipResource = trust && type === "resource";
  const r = skipResource ? "" : resourceMatches(s, req, type, null);
  const p =
    type === "resource" || (usesPrincipal(type) && s.principal !== null) ? principalMatches(s, req) : null;
  const conditions: ConditionExplain[] = s.conditions.map((c) => {
    const out = evaluateConditionDetailed(c, req.ctx, null, true);
    const v = req.ctx.get(c.key);
    return {
      operator: c.operator,
      key: c.keyName,
      policyValues: c.values.map((x) => x.raw),
      resolvedPolicyValues: resolvedValues(c, req.ctx),
      requestValues: v === undefined ? null : typeof v === "string" ? [v] : [...v],
      result: out.result,
      reason: out.reason,
    };
  });
  const applies = statementApplies(s, req, type, trust, null) !== null;
  return {
    index: s.index,
    sid: s.sid,
    effect: s.effect,
    start: pos?.start ?? null,
    end: pos?.end ?? null,
    applies,
    action: {
      matched: a !== false,
      by: a === false ? null : a === null ? "NotAction" : a,
      not: s.action?.not ?? false,
      patterns: s.action?.patterns ?? [],
    },
    resource: {
      matched: r !== false,
      by:
        r === false || r === ""
          ? r === "" && s.resource?.not === true && !skipResource
            ? "NotResource"
            : null
          : r,
      not: s.resource?.not ?? false,
      patterns: s.resource?.patterns.map((x) => x.raw) ?? [],
    },
    principal: p === null ? null : { matched: p.cls !== null, by: p.by },
    conditions,
  };
}

// ---------------------------------------------------------------------------------------------
// policy sets

const SOURCE_TYPE: Record<PolicyType, string> = {
  identity: "IAM Policy",
  resource: "Resource Policy",
  boundary: "Permissions Boundary Policy",
  session: "Session Policy",
  scp: "Service Control Policy",
  rcp: "Resource Control Policy",
  vpce: "VPC Endpoint Policy",
};

function isNamed(p: PolicyInput): p is NamedPolicy {
  return (
    typeof p === "object" &&
    p !== null &&
    !isParsedPolicy(p) &&
    typeof (p as NamedPolicy).id === "string" &&
    "document" in p &&
    !("Statement" in p)
  );
}

function resolvePolicy(p: PolicyInput, defaultId: string): { id: string; policy: ParsedPolicy } {
  if (isNamed(p)) return { id: p.id, policy: parsePolicy(p.document) };
  return { id: defaultId, policy: parsePolicy(p) };
}

interface SetOutcome {
  allow: MatchedStatement[];
  deny: MatchedStatement[];
  /** best grant class among applicable Allows (resource policies) */
  grant: GrantClass | null;
}

function evaluateSet(
  inputs: readonly PolicyInput[],
  type: PolicyType,
  idFor: (i: number) => string,
  req: Req,
  trust: boolean,
  missing: string[],
  explain: PolicyExplain[] | null,
  orgIdentifier?: string,
): SetOutcome {
  const out: SetOutcome = { allow: [], deny: [], grant: null };
  for (let i = 0; i < inputs.length; i++) {
    const { id, policy } = resolvePolicy(inputs[i]!, idFor(i));
    const positions = explain ? statementPositions(policy) : undefined;
    for (const s of policy.statements) {
      const cls = statementApplies(s, req, type, trust, missing);
      if (cls !== null) {
        const m: MatchedStatement = {
          sourcePolicyId: id,
          sourcePolicyType: SOURCE_TYPE[type],
          policyType: type,
          sid: s.sid,
          index: s.index,
          effect: s.effect === "Deny" ? "Deny" : "Allow",
        };
        const pos = positions?.[s.index];
        if (pos) {
          m.start = pos.start;
          m.end = pos.end;
        }
        if (s.effect === "Deny") out.deny.push(m);
        else if (s.effect === "Allow") {
          out.allow.push(m);
          if (out.grant === null || CLASS_RANK[cls] > CLASS_RANK[out.grant]) out.grant = cls;
        }
      }
    }
    if (explain) {
      explain.push({
        type,
        id,
        arn: id.startsWith("arn:") ? id : null,
        version: policy.version,
        ...(orgIdentifier !== undefined ? { orgIdentifier } : {}),
        statements: policy.statements.map((s) => explainStatement(s, req, type, trust, positions?.[s.index])),
      });
    }
  }
  return out;
}

/** Trust policies: sts:AssumeRole*, sts:TagSession, sts:SetSourceIdentity, sts:SetContext on a role (§5.6). */
function isTrustRequest(action: string, parts: string[] | undefined): boolean {
  if (!action.startsWith("sts:") || parts === undefined) return false;
  if (parts[2] !== "iam" || !parts[5]!.startsWith("role/")) return false;
  return (
    action.startsWith("sts:assumerole") ||
    action === "sts:tagsession" ||
    action === "sts:setsourceidentity" ||
    action === "sts:setcontext"
  );
}

// ---------------------------------------------------------------------------------------------
// the algorithm

/** Evaluate a request against its policy sets. Pure: no clock, no store, no I/O. */
export function evaluate(request: EvalRequest, policies: PolicySet, options: EvalOptions = {}): EvalResult {
  const action = request.action.toLowerCase();
  const raw = splitArn(request.resource);
  const parts = raw && [
    raw[0]!.toLowerCase(),
    raw[1]!.toLowerCase(),
    raw[2]!.toLowerCase(),
    raw[3]!.toLowerCase(),
    raw[4]!.toLowerCase(),
    raw[5]!,
  ];
  const principal = principalInfo(request.principal);
  const boundaries = policies.permissionsBoundary ?? [];
  const req: Req = {
    action,
    resource: request.resource,
    parts,
    principal,
    ctx: contextMap(request.context ?? {}),
    hasBoundary: boundaries.length > 0,
    wildcard: options.requestResourceWildcard === true && request.resource === "*",
    patternRequest:
      options.requestResourceWildcard === true && /[*?]/.test(request.resource) && request.resource !== "*",
  };
  const explain: PolicyExplain[] | null = options.explain ? [] : null;
  const missing: string[] = [];
  const trust = policies.resource !== undefined && isTrustRequest(action, parts);

  const identity = evaluateSet(
    policies.identity ?? [],
    "identity",
    (i) => `PolicyInputList.${i + 1}`,
    req,
    false,
    missing,
    explain,
  );
  const resource = policies.resource
    ? evaluateSet([policies.resource], "resource", () => "ResourcePolicy", req, trust, missing, explain)
    : null;
  const boundary = boundaries.length
    ? evaluateSet(
        boundaries,
        "boundary",
        (i) => `PermissionsBoundaryPolicyInputList.${i + 1}`,
        req,
        false,
        missing,
        explain,
      )
    : null;
  const session = policies.session
    ? evaluateSet([policies.session], "session", () => "SessionPolicy", req, false, missing, explain)
    : null;
  const level = (type: "scp" | "rcp") => (l: OrgLevel, li: number) =>
    evaluateSet(
      l.policies,
      type,
      (i) => `${type}:${l.orgIdentifier || li}.${i + 1}`,
      req,
      false,
      missing,
      explain,
      l.orgIdentifier,
    );
  const scps = (policies.scp ?? []).map(level("scp"));
  const rcps = (policies.rcp ?? []).map(level("rcp"));
  const vpce = policies.vpcEndpoint?.length
    ? evaluateSet(
        policies.vpcEndpoint,
        "vpce",
        (i) => `VpcEndpointPolicy.${i + 1}`,
        req,
        false,
        missing,
        explain,
      )
    : null;

  const missingContextKeys = [...new Set(missing)].sort();
  const result = (decision: Decision, blockedBy: PolicyType[], matched: MatchedStatement[]): EvalResult => ({
    decision,
    blockedBy,
    matchedStatements: matched,
    missingContextKeys: decision === "allowed" ? [] : missingContextKeys,
    policies: explain ?? [],
    resourceGrant: resource?.grant ?? null,
  });

  const rule = serviceRule(request.action, request.resource, principal);
  if (rule?.effect === "allowAlways") return { ...result("allowed", [], []), serviceRule: rule.name };

  // 1. explicit deny anywhere wins
  const iamPrincipal =
    principal.kind !== "anonymous" && principal.kind !== "federated" && principal.kind !== "service";
  // SCPs bind IAM principals of the organization only (not anonymous, web-identity or service principals).
  const denies: [PolicyType, SetOutcome | null][] = [
    ["scp", iamPrincipal ? mergeLevels(scps) : null],
    ["rcp", mergeLevels(rcps)],
    ["resource", resource],
    ["identity", identity],
    ["boundary", boundary],
    ["session", session],
    ["vpce", vpce],
  ];
  const denyTypes = denies.filter(([, o]) => o !== null && o.deny.length > 0).map(([t]) => t);
  if (denyTypes.length > 0) {
    const matched = denies.flatMap(([, o]) => o?.deny ?? []);
    // Deny statements first, then the applicable Allows (decision 14 of §13).
    const allows = [resource, identity].flatMap((o) => o?.allow ?? []);
    return result("explicitDeny", denyTypes, [...matched, ...allows]);
  }
  if (rule?.effect === "implicitDeny") return { ...result("implicitDeny", [], []), serviceRule: rule.name };

  // 2./3. every SCP and RCP level must allow (SCPs bind IAM principals only; RCPs never service principals).
  const blocked: PolicyType[] = [];
  if (iamPrincipal && scps.some((o) => o.allow.length === 0)) blocked.push("scp");
  if (principal.kind !== "service" && rcps.some((o) => o.allow.length === 0)) blocked.push("rcp");
  if (vpce !== null && vpce.allow.length === 0) blocked.push("vpce");
  if (blocked.length > 0) return result("implicitDeny", blocked, []);

  // 4.–6. resource grant, identity, boundary, session
  const grant = resource?.grant ?? null;
  const resourceAccount = request.resourceAccount || (parts?.[4] ?? "");
  const sameAccount = iamPrincipal && (resourceAccount === "" || resourceAccount === principal.account);
  const identityAllows = identity.allow.length > 0;
  const boundaryOk = boundary === null || boundary.allow.length > 0;
  const sessionOk = session === null || session.allow.length > 0;
  const resourceAllows = resource?.allow ?? [];
  const principalSide = (): PolicyType[] => {
    const b: PolicyType[] = [];
    if (!identityAllows) b.push("identity");
    if (!boundaryOk) b.push("boundary");
    if (!sessionOk) b.push("session");
    return b;
  };
  const sideAllows = [...identity.allow, ...(boundary?.allow ?? []), ...(session?.allow ?? [])];

  if (!iamPrincipal) {
    // Anonymous, web-identity and service principals: the resource (trust) policy alone decides.
    return grant !== null ? result("allowed", [], resourceAllows) : result("implicitDeny", ["resource"], []);
  }
  // The resource policy must grant: trust policies (§5.6), KMS key policies, and every cross-account request.
  const resourceRequired = trust || rule?.effect === "resourcePolicyRequired" || !sameAccount;
  if (sameAccount && principal.kind === "root" && !resourceRequired) return result("allowed", [], sideAllows);
  // A same-account grant naming the caller directly overrides the principal side's implicit denies (§5.4).
  if (grant === "direct" && sameAccount) return result("allowed", [], [...resourceAllows, ...sideAllows]);
  if (sameAccount && grant === "role") {
    const b: PolicyType[] = [];
    if (!boundaryOk) b.push("boundary");
    if (!sessionOk) b.push("session");
    return b.length
      ? result("implicitDeny", b, [])
      : result("allowed", [], [...resourceAllows, ...sideAllows]);
  }
  if (resourceRequired && grant === null) {
    const b: PolicyType[] = ["resource", ...(sameAccount ? [] : principalSide())];
    return result("implicitDeny", b, []);
  }
  const side = principalSide();
  if (side.length > 0) return result("implicitDeny", side, []);
  return result("allowed", [], [...resourceAllows, ...sideAllows]);
}

function mergeLevels(levels: SetOutcome[]): SetOutcome | null {
  if (levels.length === 0) return null;
  return { allow: levels.flatMap((l) => l.allow), deny: levels.flatMap((l) => l.deny), grant: null };
}
