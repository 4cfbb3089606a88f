// Human-readable explanation of a decision: what matched, and for a denial the closest statement and
// which element or condition failed, with the values compared (iam-policy.md §12).

import type {
  ConditionExplain,
  EvalRequest,
  EvalResult,
  PolicyExplain,
  StatementExplain,
} from "./evaluate.ts";

function quote(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(" or ");
}

function label(p: PolicyExplain, s: StatementExplain): string {
  const name = s.sid ? `Sid ${s.sid}` : `statement ${s.index + 1}`;
  return `${name} in ${p.type} policy ${p.id}`;
}

/** One sentence per failed condition: "sub was 'x'; StringLike requires 'y'". */
export function conditionSentence(c: ConditionExplain): string {
  const was = c.requestValues === null ? `${c.key} was absent` : `${c.key} was ${quote(c.requestValues)}`;
  const wants = `${c.operator} requires ${c.resolvedPolicyValues.length ? quote(c.resolvedPolicyValues) : "no value"}`;
  switch (c.reason) {
    case "failedBecauseMissing":
      return `${was}; ${wants}`;
    case "failedBecauseMultivalued":
      return `${was}; ${c.operator} without ForAnyValue/ForAllValues fails on a key with several values`;
    case "invalidValue":
      return `${was}; ${c.operator} could not parse a value (${c.policyValues.join(", ")})`;
    case "variableUnresolved":
      return `${was}; ${c.operator} uses a policy variable with no value in the request (${c.policyValues.join(", ")})`;
    case "matchedBecauseMissing":
      return `${was}, so ${c.operator} is true`;
    default:
      return `${was}; ${wants}`;
  }
}

/** How near a non-applying statement came: action, resource, principal, then the share of conditions met. */
function closeness(s: StatementExplain): number {
  let n = 0;
  if (s.action.matched) n += 4;
  if (s.resource.matched) n += 2;
  if (s.principal === null || s.principal.matched) n += 1;
  if (s.conditions.length) n += s.conditions.filter((c) => c.result).length / s.conditions.length;
  return n;
}

function whyNot(s: StatementExplain, request: EvalRequest): string[] {
  const out: string[] = [];
  if (!s.action.matched) {
    out.push(
      `its ${s.action.not ? "NotAction" : "Action"} is ${quote(s.action.patterns)}, not ${request.action}`,
    );
  }
  if (!s.resource.matched) {
    out.push(
      s.resource.patterns.length === 0
        ? "it names no resource"
        : s.resource.not
          ? `its NotResource excludes ${request.resource}`
          : `it allows ${quote(s.resource.patterns)}`,
    );
  }
  if (s.principal !== null && !s.principal.matched)
    out.push(`its Principal does not name ${principalText(request)}`);
  for (const c of s.conditions) if (!c.result) out.push(conditionSentence(c));
  return out;
}

/** "it allows X" reads "the closest, Sid S, allows X"; a condition reads "fails: key was …". */
function firstReason(r: string): string {
  if (r.startsWith("it ")) return r.slice(3);
  if (r.startsWith("its ")) return `has ${r.slice(4)}`;
  return `fails: ${r}`;
}

function principalText(request: EvalRequest): string {
  return typeof request.principal === "string" ? request.principal : "an anonymous caller";
}

/** Known patterns worth a hint (§12 `hint`), from facts in the record only. */
export function hintFor(result: EvalResult): string | undefined {
  for (const p of result.policies) {
    for (const s of p.statements) {
      // A statement that does not cover the action cannot be why it was denied.
      if (!s.action.matched) continue;
      for (const c of s.conditions) {
        if (c.result) continue;
        const key = c.key.toLowerCase();
        const value = c.requestValues?.[0] ?? "";
        if (
          key.endsWith(":sub") &&
          value.includes(":environment:") &&
          c.policyValues.some((v) => v.includes(":ref:"))
        ) {
          return "The token's sub uses the environment form because the job declares an environment; the trust policy expects the ref form.";
        }
        if (key.endsWith(":aud") && value) {
          return `The token's audience is '${value}'; the trust policy expects ${quote(c.resolvedPolicyValues)} (configure-aws-credentials uses sts.amazonaws.com).`;
        }
        if (key === "iam:passedtoservice") {
          return `The role was passed to ${value || "no service"}; the PassRole statement allows ${quote(c.resolvedPolicyValues)}.`;
        }
      }
      for (const c of s.conditions) {
        if (
          c.operator.toLowerCase().startsWith("forallvalues:") &&
          c.reason === "matchedBecauseMissing" &&
          s.applies
        ) {
          return `ForAllValues is true when ${c.key} is absent: add a Null condition on the key to require it.`;
        }
      }
    }
  }
  return undefined;
}

/**
 * Explain a result in a few lines. Uses the explain record when the result was computed with
 * `explain: true`; otherwise it can only name the matched statements.
 */
export function explainText(request: EvalRequest, result: EvalResult): string {
  const lines: string[] = [];
  const head = `${result.decision}: ${principalText(request)} → ${request.action} on ${request.resource}`;
  lines.push(result.blockedBy.length ? `${head} (blocked by ${result.blockedBy.join(", ")})` : head);
  if (result.serviceRule) lines.push(`decided by a fixed AWS rule: ${result.serviceRule}`);
  const byId = new Map(result.policies.map((p) => [`${p.type}|${p.id}`, p]));
  const describe = (kind: string) => {
    for (const m of result.matchedStatements) {
      if (m.effect !== kind) continue;
      const name = m.sid ? `Sid ${m.sid}` : `statement ${m.index + 1}`;
      lines.push(
        `- ${m.effect === "Deny" ? "denied" : "allowed"} by ${name} in ${m.policyType} policy ${m.sourcePolicyId}`,
      );
      const p = byId.get(`${m.policyType}|${m.sourcePolicyId}`);
      const s = p?.statements.find((x) => x.index === m.index);
      for (const c of s?.conditions ?? []) lines.push(`  ${c.key}: ${conditionSentence(c)}`);
    }
  };
  if (result.decision === "explicitDeny") describe("Deny");
  if (result.decision === "allowed") describe("Allow");
  if (result.decision !== "allowed") {
    for (const type of result.blockedBy) {
      if (result.decision === "explicitDeny") break;
      const candidates = result.policies
        .filter((p) => p.type === type)
        .flatMap((p) => p.statements.filter((s) => s.effect === "Allow").map((s) => ({ p, s })));
      if (candidates.length === 0) {
        const given = result.policies.some((p) => p.type === type);
        lines.push(
          given
            ? `- no ${type} policy has an Allow statement`
            : `- no ${type} policy allows ${request.action}${result.policies.length ? " (none was given)" : ""}`,
        );
        continue;
      }
      candidates.sort((x, y) => closeness(y.s) - closeness(x.s));
      const best = candidates[0]!;
      const reasons = whyNot(best.s, request);
      lines.push(
        `- no ${type} statement allows ${request.action} on ${request.resource}; the closest, ${label(best.p, best.s)}, ${
          reasons.length ? firstReason(reasons[0]!) : "applies only partly"
        }`,
      );
      for (const r of reasons.slice(1)) lines.push(`  ${r}`);
    }
  }
  if (result.missingContextKeys.length)
    lines.push(`missing context keys: ${result.missingContextKeys.join(", ")}`);
  const hint = result.decision === "allowed" ? undefined : hintFor(result);
  if (hint) lines.push(`hint: ${hint}`);
  return lines.join("\n");
}
