// The "who can assume" matrix: mint GitHub's claims for a set of jobs (same repository on its default
// branch, another branch, a tag, a pull request, each environment; another repository of the owner;
// another owner; callers of a reusable workflow), build the request STS builds for
// AssumeRoleWithWebIdentity, and let the engine decide, once with classic and once with immutable
// subjects. Nothing here guesses from patterns: the decision is evaluate()'s.
import { type EvalRequest, type EvalResult, evaluate } from "../../iam/evaluate.ts";
import { conditionSentence } from "../../iam/explain.ts";
import { type Claims, claimsFor, type Job, jobFor } from "../../oidc/claims.ts";
import { isGithubProvider, webIdentityTrustRequest } from "../../sts/web-identity.ts";
import type { Decision, MatrixRow } from "./model.ts";
import { GITHUB_ISSUER_KEY, type Home } from "./trust-policy.ts";

export const PROBE_ORG = "keyship-probe-org";
export const DEFAULT_AUDIENCE = "sts.amazonaws.com";
/** A fixed instant: the matrix must not depend on the clock (claims carry iat/exp only). */
const PROBE_TIME = new Date("2026-11-25T12:00:00Z");

export interface ProbeJob {
  id: string;
  label: string;
  repository: string;
  event: string;
  ref: string;
  environment?: string;
  /** the called reusable workflow (`owner/repo/path@ref`) */
  jobWorkflowRef?: string;
  /** the job's repository belongs to the home owner (keeps the owner's id) */
  sameOwner: boolean;
  home: boolean;
}

/** The matrix rows, in the order they are printed. */
export function probeJobs(home: Home): ProbeJob[] {
  const repo = `${home.owner}/${home.repo}`;
  const main = `refs/heads/${home.defaultBranch}`;
  const reusable =
    home.reusableWorkflowRef ?? `${repo}/.github/workflows/deploy.yml@refs/heads/${home.defaultBranch}`;
  const jobs: ProbeJob[] = [
    {
      id: "default-branch",
      label: `push to ${home.defaultBranch}`,
      repository: repo,
      event: "push",
      ref: main,
      sameOwner: true,
      home: true,
    },
    {
      id: "other-branch",
      label: "push to another branch (feature-x)",
      repository: repo,
      event: "push",
      ref: "refs/heads/feature-x",
      sameOwner: true,
      home: true,
    },
    {
      id: "prefix-branch",
      label: `branch sharing the prefix (${home.defaultBranch}-evil)`,
      repository: repo,
      event: "push",
      ref: `${main}-evil`,
      sameOwner: true,
      home: true,
    },
    {
      id: "tag",
      label: "tag v1.0.0",
      repository: repo,
      event: "push",
      ref: "refs/tags/v1.0.0",
      sameOwner: true,
      home: true,
    },
    {
      id: "pull-request",
      label: "pull request",
      repository: repo,
      event: "pull_request",
      ref: "refs/pull/7/merge",
      sameOwner: true,
      home: true,
    },
  ];
  for (const env of home.environments) {
    jobs.push({
      id: `environment:${env}`,
      label: `environment ${env}`,
      repository: repo,
      event: "push",
      ref: main,
      environment: env,
      sameOwner: true,
      home: true,
    });
  }
  jobs.push(
    {
      id: "other-repo",
      label: `another repository of ${home.owner}`,
      repository: `${home.owner}/keyship-probe-other`,
      event: "push",
      ref: main,
      sameOwner: true,
      home: false,
    },
    {
      id: "other-org",
      label: "a repository of another owner",
      repository: `${PROBE_ORG}/${home.repo}`,
      event: "push",
      ref: main,
      sameOwner: false,
      home: false,
    },
    {
      id: "reusable-same-org",
      label: `another repository of ${home.owner} calling ${reusable.split("@")[0]}`,
      repository: `${home.owner}/keyship-probe-caller`,
      event: "push",
      ref: main,
      jobWorkflowRef: reusable,
      sameOwner: true,
      home: false,
    },
    {
      id: "reusable-other-org",
      label: "another owner's repository calling the same reusable workflow",
      repository: `${PROBE_ORG}/keyship-probe-caller`,
      event: "push",
      ref: main,
      jobWorkflowRef: reusable,
      sameOwner: false,
      home: false,
    },
  );
  for (const env of home.environments.slice(0, 1)) {
    jobs.push({
      id: `other-org-environment:${env}`,
      label: `another owner's repository with environment ${env}`,
      repository: `${PROBE_ORG}/${home.repo}`,
      event: "push",
      ref: main,
      environment: env,
      sameOwner: false,
      home: false,
    });
  }
  return jobs;
}

/** A complete simulated job; the home repository keeps the ids the policy pins, if any. */
export function jobOf(probe: ProbeJob, home: Home, immutable: boolean): Job {
  const job = jobFor({
    repository: probe.repository,
    event: probe.event,
    ref: probe.ref,
    ...(probe.environment !== undefined ? { environment: probe.environment } : {}),
    subjectFormat: immutable ? "immutable" : "legacy",
  });
  if (probe.sameOwner && home.ownerId) job.ownerId = home.ownerId;
  if (probe.home && home.repoId) job.repositoryId = home.repoId;
  if (probe.jobWorkflowRef) job.jobWorkflowRef = probe.jobWorkflowRef;
  return job;
}

export function mintClaims(job: Job, audience = DEFAULT_AUDIENCE): Claims {
  return claimsFor(job, {
    issuer: `https://${GITHUB_ISSUER_KEY}`,
    audience,
    iat: Math.floor(PROBE_TIME.getTime() / 1000),
    ttlSeconds: 300,
    nbfSkewSeconds: 300,
    jti: "00000000-0000-4000-8000-000000000000",
  });
}

export interface TrustTarget {
  roleName: string;
  roleArn: string;
  accountId: string;
  trustPolicy: string;
  /** the provider ARN the token's issuer resolves to in IAM */
  providerArn: string;
}

/** The request src/sts builds for AssumeRoleWithWebIdentity with these claims (sts.md §2.5). */
export function trustRequest(target: TrustTarget, claims: Claims): EvalRequest {
  const providerKey = target.providerArn.replace(/^.*:oidc-provider\//, "");
  return webIdentityTrustRequest({
    identity: {
      claims,
      iss: String(claims.iss),
      providerKey,
      providerArn: target.providerArn,
      audience: String(claims.aud),
      subject: String(claims.sub),
    },
    roleArn: target.roleArn,
    accountId: target.accountId,
    sessionName: "GitHubActions",
    now: PROBE_TIME,
    github: isGithubProvider(providerKey),
  });
}

export function evaluateTrust(
  target: TrustTarget,
  claims: Claims,
): { request: EvalRequest; result: EvalResult } {
  const request = trustRequest(target, claims);
  const result = evaluate(
    request,
    { identity: [], resource: { id: `trust:${target.roleName}`, document: target.trustPolicy } },
    { explain: true },
  );
  return { request, result };
}

/** The failing conditions of the statements that came closest, for a denied trust request. */
export function whyDenied(result: EvalResult): string | undefined {
  if (result.decision === "allowed") return undefined;
  const reasons: string[] = [];
  for (const p of result.policies) {
    for (const s of p.statements) {
      if (s.applies) {
        if (s.effect === "Deny") reasons.push(`denied by statement ${s.sid ?? s.index + 1}`);
        continue;
      }
      if (s.principal && !s.principal.matched) continue;
      if (!s.action.matched) continue;
      for (const c of s.conditions) if (!c.result) reasons.push(conditionSentence(c));
    }
  }
  if (reasons.length === 0) return "no statement trusts this provider for sts:AssumeRoleWithWebIdentity";
  return reasons[0];
}

export function matrixFor(target: TrustTarget, home: Home): MatrixRow[] {
  return probeJobs(home).map((probe) => {
    const classicClaims = mintClaims(jobOf(probe, home, false));
    const immutableClaims = mintClaims(jobOf(probe, home, true));
    const classic = evaluateTrust(target, classicClaims).result;
    const immutable = evaluateTrust(target, immutableClaims).result;
    const row: MatrixRow = {
      role: target.roleName,
      context: probe.id,
      label: probe.label,
      sub: String(classicClaims.sub),
      classic: classic.decision as Decision,
      immutableSub: String(immutableClaims.sub),
      immutable: immutable.decision as Decision,
    };
    const why = whyDenied(classic);
    if (why) row.why = why;
    return row;
  });
}
