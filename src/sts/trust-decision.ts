// Trust-policy decisions for STS (web identity and a service assuming a role): evaluated by the engine,
// logged, explained when denied. An allowed decision is reused for a later request that agrees on
// everything the role's trust policy can read, as the authorizer reuses its decisions (authorize.ts):
// the engine is a pure function of principal, action, resource, resource account and the values of
// the keys the policy reads, so the answer cannot differ. A role object lives until the next IAM write
// (the IAM read cache), so a changed trust policy is a new role and starts with nothing reused.
import { sameEntries } from "../core/same.ts";
import { reuseKeys, withKeyValues } from "../iam/context-keys.ts";
import { AllowedHead, type DecisionLog, decidedBy } from "../iam/decisions.ts";
import { type EvalRequest, type EvalResult, evaluate, type NamedPolicy } from "../iam/evaluate.ts";
import type { IamRole } from "../iam/model.ts";
import { parsePolicy } from "../iam/policy.ts";
import { trustTrace } from "./trust-trace.ts";

const MAX_REUSED_PER_ROLE = 512;

/** How the log names a trust decision. */
export interface TrustLogEntry {
  operation: string;
  requestId: string;
  time: Date;
  /** the principal the log names (the provider ARN, the service principal) */
  principal: string;
  /** what an allowance keeps of the request: the call's own facts */
  facts: Record<string, string | string[]>;
  /** kept with either outcome (a web identity token's claims, as `{token: claims}`) */
  extra?: Record<string, unknown>;
  /** the sentence the caller receives when denied */
  message: string;
}

interface Reused {
  result: EvalResult;
  /** the log head of the last call that reused it, and what that head was built from */
  head: AllowedHead;
  facts: Record<string, string | string[]>;
  extra: Record<string, unknown> | undefined;
}

interface RolePlan {
  /** lower-cased context keys the trust policy reads; null when it reads the clock */
  keysRead: string[] | null;
  allowed: Map<string, Reused>;
}

export interface TrustJudge {
  /** Decides and logs; a denial comes back explained (its statements and failed conditions). */
  decide(role: IamRole, request: EvalRequest, log: TrustLogEntry): EvalResult;
  /**
   * A role that does not exist (or not at that path) is denied like a policy denial, so that its
   * existence is not leaked (sts.md §2.4 step 8), and logged as one.
   */
  missingRole(request: EvalRequest, log: TrustLogEntry): EvalResult;
}

export function createTrustJudge(decisions?: Pick<DecisionLog, "record" | "recordAllowed">): TrustJudge {
  const plans = new WeakMap<IamRole, RolePlan>();

  function planOf(role: IamRole): RolePlan {
    let plan = plans.get(role);
    if (plan === undefined) {
      plan = { keysRead: reuseKeys([parsePolicy(role.AssumeRolePolicyDocument)]), allowed: new Map() };
      plans.set(role, plan);
    }
    return plan;
  }

  function keyOf(plan: RolePlan, request: EvalRequest): string | undefined {
    if (plan.keysRead === null || typeof request.principal !== "string") return undefined;
    const account = request.resourceAccount ?? "";
    const key =
      `${request.principal.length}:${request.principal}${request.action.length}:${request.action}` +
      `${request.resource.length}:${request.resource}${account.length}:${account}`;
    if (plan.keysRead.length === 0) return key;
    const lower = new Map<string, string | string[]>();
    const context = request.context ?? {};
    for (const k in context) lower.set(k.toLowerCase(), context[k]!);
    return withKeyValues(key, plan.keysRead, (k) => lower.get(k));
  }

  function headFor(request: EvalRequest, result: EvalResult, log: TrustLogEntry): AllowedHead {
    return new AllowedHead(
      "sts",
      log.operation,
      log.principal,
      request.action,
      request.resource,
      decidedBy(result),
      log.extra ? { ...log.facts, ...log.extra } : log.facts,
    );
  }

  function logDenied(request: EvalRequest, detailed: EvalResult, log: TrustLogEntry) {
    decisions?.record({
      time: log.time,
      service: "sts",
      operation: log.operation,
      requestId: log.requestId,
      principal: log.principal,
      action: request.action,
      resource: request.resource,
      decision: detailed.decision,
      decidedBy: decidedBy(detailed),
      message: log.message,
      detail: detailed,
      explanation: trustTrace(request, detailed),
      // a denial keeps every condition key, derived claims included: they explain it
      context: { ...request.context, ...log.extra },
    });
  }

  function decide(role: IamRole, request: EvalRequest, log: TrustLogEntry): EvalResult {
    const plan = planOf(role);
    const key = keyOf(plan, request);
    const known = key === undefined ? undefined : plan.allowed.get(key);
    if (known !== undefined) {
      if (!sameHead(known, log)) {
        known.head = headFor(request, known.result, log);
        known.facts = log.facts;
        known.extra = log.extra;
      }
      decisions?.recordAllowed(known.head, log.time, log.requestId);
      return known.result;
    }
    const trust: NamedPolicy = { id: `trust:${role.RoleName}`, document: role.AssumeRolePolicyDocument };
    const result = evaluate(request, { identity: [], resource: trust });
    if (result.decision === "allowed") {
      const head = headFor(request, result, log);
      if (key !== undefined) {
        if (plan.allowed.size >= MAX_REUSED_PER_ROLE) plan.allowed.clear();
        plan.allowed.set(key, { result, head, facts: log.facts, extra: log.extra });
      }
      decisions?.recordAllowed(head, log.time, log.requestId);
      return result;
    }
    // Explanations are computed for denials only: they are what people ask about, and they cost.
    const detailed = evaluate(request, { identity: [], resource: trust }, { explain: true });
    logDenied(request, detailed, log);
    return detailed;
  }

  function missingRole(request: EvalRequest, log: TrustLogEntry): EvalResult {
    const result: EvalResult = {
      decision: "implicitDeny",
      blockedBy: ["resource"],
      matchedStatements: [],
      missingContextKeys: [],
      policies: [],
      resourceGrant: null,
    };
    logDenied(request, result, { ...log, extra: { ...log.extra, reason: "role does not exist" } });
    return result;
  }

  return { decide, missingRole };
}

/** Whether the reused decision's log head says what this call's record would (same facts, same claims). */
function sameHead(known: Reused, log: TrustLogEntry): boolean {
  if (known.head.operation !== log.operation || known.head.principal !== log.principal) return false;
  if (!sameEntries(known.extra, log.extra) || !sameEntries(known.facts, log.facts)) return false;
  return true;
}
