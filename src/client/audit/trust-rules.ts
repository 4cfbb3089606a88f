// Findings about a role's trust policy (anchors.md §5, KS-OIDC-001…015). Each one rests on the
// engine's decision for minted claims (the matrix rows, or a probe token built here); the policy text
// is only read to say *which* condition is at fault and to propose a fixed policy.
import { compileGlobText, globMatch } from "../../iam/arn.ts";
import { githubTrustGuardrail } from "../../iam/trust-guardrail.ts";
import type { Finding, MatrixRow, RoleModel, Severity } from "./model.ts";
import {
  evaluateTrust,
  jobOf,
  mintClaims,
  PROBE_ORG,
  probeJobs,
  type TrustTarget,
  whyDenied,
} from "./trust-matrix.ts";
import {
  type ConditionEntry,
  GITHUB_ISSUER_KEY,
  type Home,
  isLike,
  isPositiveString,
  type WebIdentityStatement,
} from "./trust-policy.ts";

export interface TrustRuleInput {
  role: RoleModel;
  target: TrustTarget;
  home: Home;
  statements: WebIdentityStatement[];
  matrix: MatrixRow[];
  /** the role can change something (push, deploy, pass roles); PR/branch access matters */
  deployRole: boolean;
  /** why the role counts as a deploy role, for the message */
  deployReason: string;
}

/** The policy AWS and GitHub recommend (anchors.md §5): exact aud and an exact, environment-scoped sub. */
export function fixedTrustPolicy(providerArn: string, home: Home, immutable = false): unknown {
  const providerKey = providerArn.replace(/^.*:oidc-provider\//, "") || GITHUB_ISSUER_KEY;
  const env = home.environments[0];
  const context = env ? `environment:${env}` : `ref:refs/heads/${home.defaultBranch}`;
  const classic = `repo:${home.owner}/${home.repo}:${context}`;
  const sub = immutable
    ? [
        classic,
        `repo:${home.owner}@${home.ownerId ?? "<owner_id>"}/${home.repo}@${home.repoId ?? "<repo_id>"}:${context}`,
      ]
    : classic;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${providerKey}:aud`]: "sts.amazonaws.com", [`${providerKey}:sub`]: sub },
        },
      },
    ],
  };
}

const ALLOWED = (d: string) => d === "allowed";

function rowLine(r: MatrixRow, immutable = false): string {
  const sub = immutable ? r.immutableSub : r.sub;
  const d = immutable ? r.immutable : r.classic;
  return `${r.label}: sub '${sub}' → ${d}`;
}

export function trustFindings(input: TrustRuleInput): Finding[] {
  const { role, target, home, statements, matrix } = input;
  const out: Finding[] = [];
  const location = role.location;
  const fixed = fixedTrustPolicy(target.providerArn, home);
  const add = (severity: Severity, rule: string, message: string, evidence: string[], fix: unknown = fixed) =>
    out.push({
      role: role.name,
      severity,
      rule,
      message,
      evidence: evidence.join("\n"),
      fix,
      ...(location ? { location } : {}),
    });
  const row = (id: string) => matrix.find((r) => r.context === id);
  const allowStatements = statements.filter((s) => s.effect === "Allow");
  const subKeys = (c: ConditionEntry) => c.claim === "sub" || c.claim === "job_workflow_ref";

  // KS-OIDC-011: the statement trusts every principal, not GitHub's provider in this account.
  for (const s of allowStatements) {
    if (s.anyPrincipal) {
      add(
        "critical",
        "KS-OIDC-011",
        `Statement ${s.sid ?? s.index + 1} trusts every principal ("*"), not GitHub's OIDC provider.`,
        [`Principal: ${JSON.stringify(s.raw.Principal)}`],
      );
    } else if (
      s.providerKey &&
      s.federated.some((f) => /^arn:[^:]+:iam::(\d{12}):/.exec(f)?.[1] !== target.accountId)
    ) {
      add(
        "high",
        "KS-OIDC-011",
        `Statement ${s.sid ?? s.index + 1} trusts an OIDC provider of another account.`,
        [`Principal.Federated: ${s.federated.join(", ")}; role account ${target.accountId}`],
      );
    }
  }

  const otherOrg = matrix.filter((r) => r.context.startsWith("other-org") && ALLOWED(r.classic));
  const reusableOther = row("reusable-other-org");
  const otherRepo = row("other-repo");
  const reusableSame = row("reusable-same-org");
  const scoped = allowStatements.some((s) =>
    s.conditions.some((c) => subKeys(c) && isPositiveString(c.base)),
  );

  // KS-OIDC-001: no sub / job_workflow_ref condition at all, and the engine lets another owner in.
  if (!scoped && otherOrg.length > 0) {
    add(
      "critical",
      "KS-OIDC-001",
      "The trust policy has no condition on token.actions.githubusercontent.com:sub or :job_workflow_ref: any workflow in any GitHub repository can assume this role.",
      otherOrg.map((r) => rowLine(r)),
    );
  } else if (otherOrg.length > 0 || ALLOWED(reusableOther?.classic ?? "")) {
    // KS-OIDC-002 (critical): a wildcard spans owners.
    const rows = [...otherOrg, ...(reusableOther && ALLOWED(reusableOther.classic) ? [reusableOther] : [])];
    add(
      "critical",
      "KS-OIDC-002",
      "The sub/job_workflow_ref condition matches repositories of other owners: workflows outside your organisation can assume this role.",
      [...rows.map((r) => rowLine(r)), ...subValues(allowStatements)],
    );
  } else if (ALLOWED(otherRepo?.classic ?? "") || ALLOWED(reusableSame?.classic ?? "")) {
    const rows = [otherRepo, reusableSame].filter((r): r is MatrixRow => !!r && ALLOWED(r.classic));
    add(
      "high",
      "KS-OIDC-002",
      `The sub condition matches every repository of ${home.owner}${home.repo === "your-repo" ? "" : `, not only ${home.owner}/${home.repo}`}.`,
      [...rows.map((r) => rowLine(r)), ...subValues(allowStatements)],
    );
  }

  // KS-OIDC-003: a multi-value list in which one value alone is a catch-all (values are ORed).
  const foreignClaims = mintClaims(jobOf(probeJobs(home).find((j) => j.id === "other-org")!, home, false));
  const foreignReusable = mintClaims(
    jobOf(probeJobs(home).find((j) => j.id === "reusable-other-org")!, home, false),
  );
  for (const s of allowStatements) {
    for (const c of s.conditions) {
      if (!subKeys(c) || !isPositiveString(c.base) || c.values.length < 2) continue;
      const probe = String(c.claim === "sub" ? foreignClaims.sub : foreignReusable.job_workflow_ref);
      const catchAll = c.values.filter((v) =>
        isLike(c.base) ? globMatch(compileGlobText(v), probe) : false,
      );
      if (catchAll.length === 0) continue;
      const first =
        c.values[0] === catchAll[0]
          ? " (it is the first value, so IAM's guardrail rejects it on write)"
          : " (IAM's guardrail reads only the first value and accepts it)";
      add(
        "critical",
        "KS-OIDC-003",
        `The ${c.key} list contains the catch-all value ${catchAll.map((v) => `'${v}'`).join(", ")}: values are ORed, so the other values restrict nothing${first}.`,
        [`${c.operator} ${c.key}: ${JSON.stringify(c.values)}`, `'${catchAll[0]}' alone matches '${probe}'`],
      );
    }
  }

  // KS-OIDC-004: pull requests or any branch on a role that can deploy.
  const pr = row("pull-request");
  const branch = row("other-branch");
  const risky = [pr, branch].filter((r): r is MatrixRow => !!r && ALLOWED(r.classic));
  if (risky.length > 0 && input.deployRole) {
    add(
      "high",
      "KS-OIDC-004",
      `${risky.map((r, i) => (r.context === "pull-request" ? "pull requests" : "any branch").replace(/^./, (ch) => (i === 0 ? ch.toUpperCase() : ch))).join(" and ")} can assume a role that can deploy (${input.deployReason}).`,
      risky.map((r) => rowLine(r)),
    );
  }

  // KS-OIDC-005: branch-prefix collision (only when arbitrary branches are otherwise refused).
  const prefix = row("prefix-branch");
  if (prefix && ALLOWED(prefix.classic) && branch && !ALLOWED(branch.classic)) {
    add(
      "high",
      "KS-OIDC-005",
      `A branch whose name merely starts with '${home.defaultBranch}' can assume the role: the pattern ends in '*' after the branch name.`,
      [rowLine(prefix), rowLine(branch)],
    );
  }

  // KS-OIDC-006: StringEquals with a wildcard never matches.
  for (const s of allowStatements) {
    for (const c of s.conditions) {
      if (c.claim === null || isLike(c.base) || !isPositiveString(c.base)) continue;
      const wild = c.values.filter((v) => /[*?]/.test(v));
      if (wild.length === 0) continue;
      const denied = matrix.filter(
        (r) => r.context === "default-branch" || r.context.startsWith("environment:"),
      );
      add(
        "medium",
        "KS-OIDC-006",
        `${c.operator} treats '*' and '?' literally: ${wild.map((v) => `'${v}'`).join(", ")} never match${denied.every((r) => !ALLOWED(r.classic)) ? "; no workflow can assume the role" : ""}. Use StringLike for patterns, or better an exact value.`,
        [`${c.operator} ${c.key}: ${JSON.stringify(c.values)}`, ...denied.map((r) => rowLine(r))],
      );
    }
  }

  // KS-OIDC-007: missing or wrong aud.
  const audConditions = allowStatements.flatMap((s) => s.conditions.filter((c) => c.claim === "aud"));
  const home0 = row("default-branch");
  if (audConditions.length === 0) {
    const job = jobOf(probeJobs(home)[0]!, home, false);
    const other = evaluateTrust(target, mintClaims(job, `https://github.com/${home.owner}`)).result;
    add(
      "medium",
      "KS-OIDC-007",
      "The trust policy does not check token.actions.githubusercontent.com:aud: tokens minted for other audiences are accepted by the policy (only the provider's client-id list stands in the way).",
      [`${home0?.label ?? "home job"} with aud 'https://github.com/${home.owner}' → ${other.decision}`],
    );
  } else {
    const wrong = audConditions.filter(
      (c) =>
        isPositiveString(c.base) &&
        !c.values.some((v) =>
          isLike(c.base) ? globMatch(compileGlobText(v), "sts.amazonaws.com") : v === "sts.amazonaws.com",
        ),
    );
    for (const c of wrong) {
      const r = home0
        ? evaluateTrust(target, mintClaims(jobOf(probeJobs(home)[0]!, home, false))).result
        : undefined;
      add(
        "medium",
        "KS-OIDC-007",
        `${c.key} expects ${c.values.map((v) => `'${v}'`).join(", ")}, but aws-actions/configure-aws-credentials requests tokens for 'sts.amazonaws.com'.`,
        [
          `${c.operator} ${c.key}: ${JSON.stringify(c.values)}`,
          `token with aud 'sts.amazonaws.com' → ${r?.decision ?? "?"}`,
        ],
      );
    }
  }

  // KS-OIDC-008: ForAllValues or IfExists on OIDC keys in an Allow statement.
  for (const s of allowStatements) {
    for (const c of s.conditions) {
      if (c.claim === null || (c.set !== "ForAllValues" && !c.ifExists)) continue;
      const vacuous = matrix.filter((r) => ALLOWED(r.classic) && !r.context.startsWith("environment"));
      add(
        "high",
        "KS-OIDC-008",
        `${c.operator} on ${c.key} is true when the key is absent${c.set === "ForAllValues" ? " (and the key is single-valued, so ForAllValues adds nothing but that hole)" : ""}. Use the plain operator.`,
        [
          `${c.operator} ${c.key}: ${JSON.stringify(c.values)}`,
          ...vacuous.slice(0, 3).map((r) => rowLine(r)),
        ],
      );
    }
  }

  // KS-OIDC-009: sub values in a format GitHub never emits.
  for (const s of allowStatements) {
    for (const c of s.conditions) {
      if (c.claim !== "sub") continue;
      for (const v of c.values) {
        const problem = subFormatProblem(v);
        if (problem)
          add("low", "KS-OIDC-009", `The sub value '${v}' can never match: ${problem}.`, [
            `${c.operator} ${c.key}: ${JSON.stringify(c.values)}`,
          ]);
      }
    }
  }

  // KS-OIDC-010: works for the classic subject, breaks for the immutable one.
  const breaks = matrix.filter(
    (r) => r.context !== "prefix-branch" && ALLOWED(r.classic) && !ALLOWED(r.immutable),
  );
  if (
    breaks.length > 0 &&
    breaks.some((r) => r.context === "default-branch" || r.context.startsWith("environment:"))
  ) {
    add(
      "medium",
      "KS-OIDC-010",
      "The trust policy only matches classic subjects (repo:OWNER/REPO:…): repositories created, renamed or transferred on or after 2026-07-15 get immutable subjects (repo:OWNER@ID/REPO@ID:…) and will be refused. Add the immutable form, and pin token.actions.githubusercontent.com:repository_id.",
      breaks.slice(0, 4).flatMap((r) => [rowLine(r), rowLine(r, true)]),
      fixedTrustPolicy(target.providerArn, home, true),
    );
  }

  // KS-OIDC-012: a deploy role reachable without a GitHub environment (bypasses protection rules).
  const mentionsEnv = allowStatements.some((s) =>
    s.conditions.some(
      (c) =>
        c.claim === "environment" || (c.claim === "sub" && c.values.some((v) => v.includes(":environment:"))),
    ),
  );
  if (input.deployRole && !mentionsEnv && home0 && ALLOWED(home0.classic)) {
    add(
      "medium",
      "KS-OIDC-012",
      "The role can deploy but the trust policy does not require a GitHub environment: environment protection rules (reviewers, branch rules) are bypassed.",
      [rowLine(home0)],
    );
  }

  // KS-OIDC-015: IAM's June 2025 guardrail (refused on CreateRole/UpdateAssumeRolePolicy; not retroactive).
  const guard = githubTrustGuardrail(target.trustPolicy);
  if (guard) {
    add(
      "high",
      "KS-OIDC-015",
      "IAM would reject this trust policy today (guardrail of June 2025): existing roles keep it, but any update fails.",
      [guard],
    );
  }

  // KS-OIDC-014: sessions far longer than a job.
  if (role.maxSessionDuration !== undefined && role.maxSessionDuration > 4 * 3600) {
    add(
      "low",
      "KS-OIDC-014",
      `MaxSessionDuration is ${role.maxSessionDuration / 3600} h; deploy jobs need 1 h (the default).`,
      [`MaxSessionDuration: ${role.maxSessionDuration}`],
      null,
    );
  }
  return out;
}

function subValues(statements: WebIdentityStatement[]): string[] {
  return statements.flatMap((s) =>
    s.conditions
      .filter((c) => c.claim === "sub" || c.claim === "job_workflow_ref")
      .map((c) => `${c.operator} ${c.key}: ${JSON.stringify(c.values)}`),
  );
}

/** Why a sub value cannot be something GitHub emits (github-oidc.md §6.1), or undefined. */
export function subFormatProblem(v: string): string | undefined {
  if (/[*?]/.test(v) && !v.startsWith("repo:")) return undefined;
  if (!v.startsWith("repo:")) {
    // custom templates start with the first claim key (repository_owner:…, job_workflow_ref:…)
    return /^[a-z_]+:/.test(v)
      ? undefined
      : "GitHub subjects start with 'repo:' (or a claim key of a custom template)";
  }
  const m = /^repo:[^/:]+\/[^:]+:(.*)$/.exec(v);
  if (!m) return /[*?]/.test(v) ? undefined : "it lacks the ':<context>' part after repo:OWNER/REPO";
  const ctx = m[1]!;
  if (/^[*?]/.test(ctx)) return undefined;
  if (ctx === "pull_request" || ctx.startsWith("environment:") || /^ref:refs\/(heads|tags)\//.test(ctx))
    return undefined;
  if (/^ref:refs\/[*?]/.test(ctx) || ctx === "ref:*") return undefined;
  if (ctx.startsWith("refs/"))
    return "the ref context is written 'ref:refs/…' (the 'ref:' prefix is missing)";
  if (/^(branch|tag|heads):/.test(ctx))
    return "branch and tag contexts are written 'ref:refs/heads/<branch>' or 'ref:refs/tags/<tag>'";
  if (/^[a-z_]+:/.test(ctx)) return undefined; // custom template keys after repo (job_workflow_ref:…)
  return `'${ctx}' is not a context GitHub emits (ref:refs/heads/…, ref:refs/tags/…, environment:…, pull_request)`;
}

export { PROBE_ORG, whyDenied };
