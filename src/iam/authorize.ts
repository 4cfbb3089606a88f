// Authorization in front of every twin operation: builds the principal's policy set from IAM,
// adds the global condition keys AWS supplies, runs the engine and records the decision.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
import { isoSeconds } from "../core/clock.ts";
import type { AuthzCheck, Principal } from "../core/service.ts";
import { AccessDenied } from "../http/aws-error.ts";
import type { CallInfo } from "../http/serve.ts";
import { accessDeniedMessage } from "./access-denied.ts";
import { reuseKeys, withKeyValues } from "./context-keys.ts";
import { AllowedHead, type DecisionLog, decidedBy } from "./decisions.ts";
import { type EvalRequest, type EvalResult, evaluate, type NamedPolicy, type PolicySet } from "./evaluate.ts";
import { explainText } from "./explain.ts";
import type { IamDirectory, Tag } from "./model.ts";
import { parsePolicy } from "./policy.ts";

export interface AuthorizerDeps {
  directory: IamDirectory;
  decisions: DecisionLog;
}

/** Dynamic global keys, computed per call (lower-cased, as the engine looks keys up). */
const CALL_KEYS = new Set(["aws:securetransport", "aws:sourceip", "aws:requestedregion", "aws:useragent"]);
const MAX_PLANS = 1024;
const MAX_DECISIONS_PER_PLAN = 512;

/** An allowed decision kept for reuse, with the log head of the call that last reused it. */
interface Allowed {
  readonly result: EvalResult;
  head: AllowedHead;
}

/**
 * What authorization needs of one principal, whatever the request: its policies (parsed), the global
 * keys that do not change from call to call, and the allowed decisions already reached. Valid for
 * one IAM generation: any IAM write makes every plan stale.
 */
interface Plan {
  generation: number;
  policies: Omit<PolicySet, "resource">;
  /** the principal's global keys (tags, session claims…), as AWS names them */
  principalContext: Record<string, string | string[]>;
  /** the same, keyed by lower-cased name */
  principalLower: Map<string, string | string[]>;
  /** lower-cased context keys the policies read; null when decisions depend on the clock */
  keysRead: string[] | null;
  /** allowed decisions by request (action, resource, account and the values of `keysRead`) */
  allowed: Map<string, Allowed>;
  /**
   * the same, when the policies read no context key and the resource is in the principal's account:
   * by action, then resource (strings the caller already holds, so no key is built per call)
   */
  allowedByResource: Map<string, Map<string, Allowed>>;
  /** entries in both maps */
  size: number;
}

export function createAuthorizer(deps: AuthorizerDeps) {
  const { directory, decisions } = deps;
  const plans = new Map<string, Plan>();

  function planFor(principal: Principal): Plan {
    const generation = directory.generation();
    const cacheKey = principal.accessKeyId;
    const hit = plans.get(cacheKey);
    if (hit !== undefined && hit.generation === generation) return hit;
    const policies = principalPolicies(principal);
    const principalContext = principalGlobalContext(principal);
    const principalLower = new Map<string, string | string[]>();
    for (const [k, v] of Object.entries(principalContext)) principalLower.set(k.toLowerCase(), v);
    const all = [...policies.identity, ...(policies.permissionsBoundary ?? [])];
    if (policies.session) all.push(policies.session);
    const plan: Plan = {
      generation: generation ?? -1,
      policies,
      principalContext,
      principalLower,
      keysRead: reuseKeys((all as NamedPolicy[]).map((p) => parsePolicy(p.document))),
      allowed: new Map(),
      allowedByResource: new Map(),
      size: 0,
    };
    if (generation !== undefined) {
      if (plans.size >= MAX_PLANS) plans.clear();
      plans.set(cacheKey, plan);
    }
    return plan;
  }

  /** The policies that apply to a principal, whatever the request: identity, boundary, session. */
  function principalPolicies(principal: Principal): Omit<PolicySet, "resource"> {
    const session = principal.session;
    const kind = session ? "role" : "user";
    const name = session ? session.roleName : principal.name;
    const entity = session ? directory.getRole(name) : directory.getUser(name);
    // A user's policies include its groups' (inline and attached); membership and group policy changes are
    // IAM writes, so they make this plan stale like any other.
    const identity: NamedPolicy[] = directory
      .identityPolicies(kind, name)
      .map((p) => ({ id: p.id, document: parsePolicy(p.document) }));
    const set: Omit<PolicySet, "resource"> = { identity };
    const boundaryArn = entity?.PermissionsBoundary?.PermissionsBoundaryArn;
    if (boundaryArn) {
      const boundary = directory.managedPolicyDocument(boundaryArn);
      // A boundary that no longer resolves allows nothing: fail closed.
      set.permissionsBoundary = [
        boundary ?? { id: boundaryArn, document: '{"Version":"2012-10-17","Statement":[]}' },
      ];
    }
    if (session && (session.policy || session.policyArns.length > 0)) {
      set.session = sessionPolicy(session.policy, session.policyArns);
    }
    return set;
  }

  /** Inline and managed session policies act as one filter: any of them may allow (AWS unions them). */
  function sessionPolicy(inline: string | undefined, arns: string[]): NamedPolicy {
    const statements: unknown[] = [];
    const ids: string[] = [];
    if (inline) {
      ids.push("session:inline");
      statements.push(...asStatements(JSON.parse(inline)));
    }
    for (const arn of arns) {
      ids.push(arn);
      const doc = directory.managedPolicyDocument(arn);
      if (doc) statements.push(...asStatements(JSON.parse(doc.document)));
    }
    return { id: ids.join("+"), document: { Version: "2012-10-17", Statement: statements } };
  }

  /** Global keys that belong to the principal: the same on every call it makes. */
  function principalGlobalContext(principal: Principal): Record<string, string | string[]> {
    const session = principal.session;
    const ctx: Record<string, string | string[]> = {
      "aws:PrincipalArn": session ? session.roleArn : principal.arn,
      "aws:PrincipalAccount": principal.accountId,
      "aws:PrincipalType": principal.type,
      "aws:userid": principal.userId,
      "aws:ViaAWSService": "false",
    };
    if (!session) ctx["aws:username"] = principal.name;
    const tags: Tag[] = session
      ? (directory.getRole(session.roleName)?.Tags ?? [])
      : (directory.getUser(principal.name)?.Tags ?? []);
    for (const t of tags) ctx[`aws:PrincipalTag/${t.Key}`] = t.Value;
    if (session) {
      for (const [k, v] of Object.entries(session.tags)) ctx[`aws:PrincipalTag/${k}`] = v;
      // temporary credentials: never MFA-authenticated in the twin; absent for long-term keys (iam-policy.md §8)
      ctx["aws:MultiFactorAuthPresent"] = "false";
      if (principal.issuedAt) ctx["aws:TokenIssueTime"] = isoSeconds(principal.issuedAt);
      if (session.sourceIdentity) ctx["aws:SourceIdentity"] = session.sourceIdentity;
      if (session.webIdentity) {
        const host = session.webIdentity.provider.replace(/^.*oidc-provider\//, "");
        ctx["aws:FederatedProvider"] = session.webIdentity.provider;
        ctx[`${host}:sub`] = session.webIdentity.subject;
        ctx[`${host}:aud`] = session.webIdentity.audience;
      }
    }
    return ctx;
  }

  /** A per-call key's value for a decision key (the clock's keys never get here: they forbid reuse). */
  function callValue(key: string, call: CallInfo): string | undefined {
    switch (key) {
      case "aws:securetransport":
        return String(call.secureTransport);
      case "aws:sourceip":
        return call.sourceIp;
      case "aws:useragent":
        return call.userAgent;
      default:
        return call.region;
    }
  }

  function fullContext(plan: Plan, check: AuthzCheck, call: CallInfo): Record<string, string | string[]> {
    return {
      ...plan.principalContext,
      "aws:CurrentTime": isoSeconds(call.now),
      "aws:EpochTime": String(Math.floor(call.now.getTime() / 1000)),
      "aws:SecureTransport": String(call.secureTransport),
      "aws:SourceIp": call.sourceIp,
      "aws:RequestedRegion": call.region,
      ...(call.userAgent !== undefined ? { "aws:UserAgent": call.userAgent } : {}),
      ...check.context,
    };
  }

  /**
   * Identifies a request as far as the plan's policies can tell requests apart: two requests with the
   * same key get the same decision. Every part is length-prefixed, so no value can forge another's key.
   */
  function decisionKey(plan: Plan, check: AuthzCheck, call: CallInfo): string | undefined {
    if (plan.keysRead === null || check.resourcePolicy !== undefined) return undefined;
    const account = check.resourceAccount ?? "";
    const key = `${check.action.length}:${check.action}${check.resource.length}:${check.resource}${account.length}:${account}`;
    if (plan.keysRead.length === 0) return key;
    let requestLower: Map<string, string | string[]> | undefined;
    if (check.context) {
      requestLower = new Map();
      for (const [k, v] of Object.entries(check.context)) requestLower.set(k.toLowerCase(), v);
    }
    return withKeyValues(
      key,
      plan.keysRead,
      (k) => requestLower?.get(k) ?? (CALL_KEYS.has(k) ? callValue(k, call) : plan.principalLower.get(k)),
    );
  }

  /** The common case: nothing but action and resource can tell this plan's requests apart. */
  function plainRequest(plan: Plan, check: AuthzCheck): boolean {
    return (
      plan.keysRead !== null &&
      plan.keysRead.length === 0 &&
      check.resourceAccount === undefined &&
      check.resourcePolicy === undefined
    );
  }

  function knownDecision(plan: Plan, check: AuthzCheck, key: string | undefined): Allowed | undefined {
    if (plainRequest(plan, check)) return plan.allowedByResource.get(check.action)?.get(check.resource);
    return key === undefined ? undefined : plan.allowed.get(key);
  }

  function remember(plan: Plan, check: AuthzCheck, key: string | undefined, allowed: Allowed): void {
    if (!plainRequest(plan, check) && key === undefined) return;
    if (plan.size >= MAX_DECISIONS_PER_PLAN) {
      plan.allowed.clear();
      plan.allowedByResource.clear();
      plan.size = 0;
    }
    plan.size++;
    if (key !== undefined) plan.allowed.set(key, allowed);
    else {
      let byResource = plan.allowedByResource.get(check.action);
      if (!byResource) {
        byResource = new Map();
        plan.allowedByResource.set(check.action, byResource);
      }
      byResource.set(check.resource, allowed);
    }
  }

  return function authorize(principal: Principal, checks: AuthzCheck[], call: CallInfo): void {
    const plan = planFor(principal);
    for (const check of checks) {
      const key = plainRequest(plan, check) ? undefined : decisionKey(plan, check, call);
      const known = knownDecision(plan, check, key);
      if (known !== undefined) {
        let head = known.head;
        // an action can be checked by several operations; the log names the one called
        if (head.operation !== call.operation || head.service !== call.service) {
          head = allowedHead(call, principal, check, known.result);
          known.head = head;
        }
        decisions.recordAllowed(head, call.now, call.requestId);
        continue;
      }
      const request: EvalRequest = {
        principal: principal.arn,
        action: check.action,
        resource: check.resource,
        resourceAccount: check.resourceAccount ?? principal.accountId,
        context: fullContext(plan, check, call),
      };
      const policies: PolicySet = check.resourcePolicy
        ? { ...plan.policies, resource: check.resourcePolicy }
        : plan.policies;
      const result = evaluate(request, policies);
      if (result.decision === "allowed") {
        const head = allowedHead(call, principal, check, result);
        remember(plan, check, key, { result, head });
        decisions.recordAllowed(head, call.now, call.requestId);
        continue;
      }
      recordDenied(call, request, policies, principal);
      throw new AccessDenied(accessDeniedMessage(request, result));
    }
  };

  function allowedHead(call: CallInfo, principal: Principal, check: AuthzCheck, result: EvalResult) {
    return new AllowedHead(
      call.service,
      call.operation,
      principal.arn,
      check.action,
      check.resource,
      decidedBy(result),
    );
  }

  // Explanations are costly: computed for denials, which are what people ask about.
  function recordDenied(
    call: CallInfo,
    request: EvalRequest,
    policies: PolicySet,
    principal: Principal,
  ): void {
    const detailed = evaluate(request, policies, { explain: true });
    decisions.record({
      time: call.now,
      service: call.service,
      operation: call.operation,
      requestId: call.requestId,
      principal: principal.arn,
      action: request.action,
      resource: request.resource,
      decision: detailed.decision,
      decidedBy: decidedBy(detailed),
      message: accessDeniedMessage(request, detailed),
      explanation: explainText(request, detailed),
      detail: detailed,
      context: request.context,
    });
  }
}

function asStatements(doc: { Statement?: unknown }): unknown[] {
  const s = doc.Statement;
  return Array.isArray(s) ? s : s ? [s] : [];
}

export type Authorizer = ReturnType<typeof createAuthorizer>;
