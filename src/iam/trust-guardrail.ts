// IAM's write-time guardrail for trust policies that let GitHub's shared OIDC issuer assume a role
// without scoping the subject (June 2025): sts.md §8.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc_secure-by-default.html

import { compileGlobText, globMatch } from "./arn.ts";

const GITHUB_PROVIDER = /:oidc-provider\/(token\.actions\.githubusercontent\.com(?:\/[^/]+)?)$/;
const SCOPING_OPERATORS = new Set(["StringEquals", "StringLike", "StringEqualsIgnoreCase"]);
const ASSUME = "sts:assumerolewithwebidentity";

type Json = unknown;
const list = (v: Json): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Returns AWS's error message for the first statement that trusts a GitHub provider without a scoped
 * `sub` or `job_workflow_ref` condition, or undefined. The document must already be valid JSON.
 * Only the first value of a condition is read, as AWS does (`["repo:acme/x", "*"]` passes).
 */
export function githubTrustGuardrail(text: string): string | undefined {
  let doc: { Statement?: Json };
  try {
    doc = JSON.parse(text) as { Statement?: Json };
  } catch {
    return undefined;
  }
  for (const s of list(doc?.Statement) as Record<string, Json>[]) {
    if (!s || typeof s !== "object" || s.Effect !== "Allow") continue;
    const actions = list(s.Action).filter((a): a is string => typeof a === "string");
    if (!actions.some((a) => globMatch(compileGlobText(a.toLowerCase()), ASSUME))) continue;
    const principal = s.Principal as Record<string, Json> | undefined;
    if (!principal || typeof principal !== "object") continue;
    for (const federated of list(principal.Federated)) {
      if (typeof federated !== "string") continue;
      const m = GITHUB_PROVIDER.exec(federated);
      if (!m) continue;
      const providerKey = m[1]!;
      if (!scoped(s.Condition, providerKey)) {
        const sub = `${providerKey}:sub`;
        const workflow = `${providerKey}:job_workflow_ref`;
        return `Trust policy with trusted principal ${federated} must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, ${sub} or ${workflow} which is not scoped to all.`;
      }
    }
  }
  return undefined;
}

function scoped(condition: Json, providerKey: string): boolean {
  if (!condition || typeof condition !== "object") return false;
  const wanted = new Set(
    [`${providerKey}:sub`, `${providerKey}:job_workflow_ref`].map((k) => k.toLowerCase()),
  );
  for (const [operator, block] of Object.entries(condition as Record<string, Json>)) {
    if (!SCOPING_OPERATORS.has(operator) || !block || typeof block !== "object") continue;
    for (const [key, value] of Object.entries(block as Record<string, Json>)) {
      if (!wanted.has(key.toLowerCase())) continue;
      const first = list(value)[0];
      if (first !== undefined && first !== "*") return true;
    }
  }
  return false;
}
