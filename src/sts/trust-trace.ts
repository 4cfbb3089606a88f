// A trust-policy decision as text: which statement allowed, or for a denial which principal, action
// or condition failed with which request value ("…:sub was 'repo:o/r:pull_request'; StringLike
// requires 'repo:o/r:ref:refs/heads/main'"). Used by the decision log and `keyship explain`.
import type { EvalRequest, EvalResult, StatementExplain } from "../iam/evaluate.ts";

export function trustTrace(request: EvalRequest, result: EvalResult): string {
  const principal = typeof request.principal === "string" ? request.principal : "anonymous";
  const lines = [`${request.action} on ${request.resource} by ${principal}: ${result.decision}`];
  const trust = result.policies.filter((p) => p.type === "resource");
  if (trust.length === 0) lines.push("  (no trust policy)");
  for (const policy of trust) {
    lines.push(`  trust policy ${policy.id}:`);
    if (policy.statements.length === 0) lines.push("    (no statements)");
    for (const s of policy.statements) lines.push(...statementLines(s));
  }
  if (result.decision === "implicitDeny" && trust.every((p) => !p.statements.some((s) => s.applies))) {
    lines.push("  no statement allows this request");
  }
  return lines.join("\n");
}

function statementLines(s: StatementExplain): string[] {
  const name = `statement ${s.sid ? `'${s.sid}'` : `#${s.index}`} (${s.effect})`;
  if (s.applies) return [`    ${name}: applies${s.effect === "Deny" ? " (explicit deny)" : ""}`];
  const why: string[] = [];
  if (s.principal && !s.principal.matched) why.push("principal does not match");
  if (!s.action.matched) why.push("action does not match");
  const out = [`    ${name}: does not apply${why.length ? ` (${why.join("; ")})` : ""}`];
  if (why.length === 0) {
    for (const c of s.conditions) {
      if (c.result) continue;
      out.push(`      ${conditionText(c.key, c.operator, c.requestValues, c.policyValues)}`);
    }
  }
  return out;
}

/** "<key> was 'v'; <Operator> requires 'p1' or 'p2'" (or "was absent"). */
export function conditionText(
  key: string,
  operator: string,
  requestValues: string[] | null,
  policyValues: string[],
) {
  const was =
    requestValues === null || requestValues.length === 0
      ? "was absent"
      : `was ${requestValues.map((v) => `'${v}'`).join(", ")}`;
  const requires = policyValues.map((v) => `'${v}'`).join(" or ");
  return `${key} ${was}; ${operator} requires ${requires}`;
}
