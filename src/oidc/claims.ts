// GitHub Actions ID-token claims for a simulated job: the full claim set with GitHub's types and the
// `sub` formats (default, immutable, customized). Pure: no clock, no store, no randomness.
// Spec: github-oidc.md §5–§6; https://docs.github.com/en/actions/reference/security/oidc
import { createHash } from "node:crypto";

/** A job as keyship models it; every claim is derived from this (github-oidc.md §5.3). */
export interface Job {
  /** owner/name */
  repository: string;
  repositoryId: string;
  ownerId: string;
  event: string;
  ref: string;
  sha: string;
  environment?: string;
  environmentNodeId?: string;
  actor: string;
  actorId: string;
  /** path of the workflow file, e.g. .github/workflows/deploy.yml */
  workflowPath: string;
  workflowName: string;
  /** the called reusable workflow, `owner/repo/path@ref`; defaults to workflow_ref */
  jobWorkflowRef?: string;
  jobWorkflowSha?: string;
  runId: string;
  runNumber: string;
  runAttempt: string;
  checkRunId: string;
  visibility: "public" | "private" | "internal";
  runnerEnvironment: "github-hosted" | "self-hosted";
  refProtected: boolean;
  headRef: string;
  baseRef: string;
  enterprise?: string;
  enterpriseId?: string;
  /** custom repository properties opted into OIDC: emitted as repo_property_<name> */
  repoProperties?: Record<string, string>;
  /** the repository's subject format when no customization says otherwise (github-oidc.md §6.2) */
  subjectFormat?: "legacy" | "immutable";
}

/** The events whose default `sub` context is `pull_request` (github-oidc.md §5.3, configurable). */
export const DEFAULT_PULL_REQUEST_EVENTS: readonly string[] = [
  "pull_request",
  "pull_request_target",
  "pull_request_review",
  "pull_request_review_comment",
];

/** What the org/repo customization REST endpoints store (github-oidc.md §6.3). */
export interface OrgSubCustomization {
  includeClaimKeys?: string[];
  useImmutableSubject?: boolean;
}

export interface RepoSubCustomization {
  useDefault: boolean;
  includeClaimKeys?: string[];
  useImmutableSubject?: boolean;
}

export interface SubCustomization {
  org?: OrgSubCustomization;
  repo?: RepoSubCustomization;
}

export interface SubjectOptions {
  pullRequestEvents?: readonly string[];
  /**
   * Repositories created or transferred on or after this instant get the immutable subject by
   * default (github-oidc.md §6.2 `oidc.immutableSubjectCutoff`; default 2026-07-15, UTC).
   */
  immutableSubjectCutoff?: string;
  /** how an empty claim renders in a custom template: `key:` (default) or left out */
  emptyClaimRendering?: "key:" | "omit";
}

/** A template names a claim the job does not have: the token request fails (github-oidc.md §6.3). */
export class MissingClaimError extends Error {
  readonly claim: string;
  constructor(claim: string) {
    super(`${/^[aeiou]/i.test(claim) ? "an" : "a"} ${claim} is required and must be provided`);
    this.name = "MissingClaimError";
    this.claim = claim;
  }
}

/** Claims of a token, GitHub's types: strings everywhere except the three timestamps. */
export type Claims = Record<string, string | number | Record<string, unknown>>;

export function owner(job: Pick<Job, "repository">): string {
  return job.repository.split("/")[0] ?? "";
}

export function repoName(job: Pick<Job, "repository">): string {
  return job.repository.split("/").slice(1).join("/");
}

/** `:` inside a value is written `%3A`; nothing else is escaped (github-oidc.md §6.1). */
export function escapeSubValue(value: string): string {
  return value.replaceAll(":", "%3A");
}

export function isPullRequestEvent(job: Pick<Job, "event">, options: SubjectOptions = {}): boolean {
  return (options.pullRequestEvents ?? DEFAULT_PULL_REQUEST_EVENTS).includes(job.event);
}

/** Whether the subject uses the `repo:OWNER@ID/REPO@ID` prefix: repo setting, then org, then the repo's own format. */
export function usesImmutableSubject(job: Job, custom: SubCustomization = {}): boolean {
  return (
    custom.repo?.useImmutableSubject ?? custom.org?.useImmutableSubject ?? job.subjectFormat === "immutable"
  );
}

export function subjectPrefix(job: Job, immutable: boolean): string {
  return immutable
    ? `repo:${owner(job)}@${job.ownerId}/${repoName(job)}@${job.repositoryId}`
    : `repo:${job.repository}`;
}

/** The default-format context, by GitHub's precedence: environment, then pull request, then ref. */
export function subjectContext(job: Job, options: SubjectOptions = {}): string {
  if (job.environment) return `environment:${escapeSubValue(job.environment)}`;
  if (isPullRequestEvent(job, options)) return "pull_request";
  return `ref:${escapeSubValue(job.ref)}`;
}

/** The template that applies: only when the repo opted out of the default (github-oidc.md §6.3). */
export function effectiveTemplate(custom: SubCustomization = {}): string[] | null {
  const repo = custom.repo;
  if (!repo || repo.useDefault) return null;
  return repo.includeClaimKeys ?? custom.org?.includeClaimKeys ?? null;
}

/** The `sub` claim (github-oidc.md §6.4). `claims` are the job's other claims, for custom templates. */
export function subjectFor(
  job: Job,
  claims: Claims,
  custom: SubCustomization = {},
  options: SubjectOptions = {},
): string {
  const immutable = usesImmutableSubject(job, custom);
  const prefix = subjectPrefix(job, immutable);
  const template = effectiveTemplate(custom);
  if (template === null) return `${prefix}:${subjectContext(job, options)}`;
  const parts: string[] = [];
  for (const key of template) {
    if (key === "repo") parts.push(prefix);
    else if (key === "context") parts.push(subjectContext(job, options));
    else {
      const value = claims[key];
      if (value === undefined) throw new MissingClaimError(key);
      const text = typeof value === "string" ? value : String(value);
      if (text === "" && options.emptyClaimRendering === "omit") continue;
      parts.push(`${key}:${escapeSubValue(text)}`);
    }
  }
  // The immutable ids "cannot be removed" from a customized subject (github-oidc.md §6.3).
  if (immutable && !template.includes("repo")) parts.unshift(prefix);
  return parts.join(":");
}

export interface ClaimTimes {
  issuer: string;
  audience: string;
  /** seconds since the epoch */
  iat: number;
  ttlSeconds: number;
  nbfSkewSeconds: number;
  jti: string;
}

/**
 * The full claim set in GitHub's alphabetical member order (github-oidc.md §5.2, §7). Throws
 * MissingClaimError when a custom subject template needs a claim the job lacks.
 */
export function claimsFor(
  job: Job,
  times: ClaimTimes,
  custom: SubCustomization = {},
  options: SubjectOptions = {},
): Claims {
  const workflowRef = `${job.repository}/${job.workflowPath}@${job.ref}`;
  const c: Claims = {
    actor: job.actor,
    actor_id: job.actorId,
    aud: times.audience,
    base_ref: job.baseRef,
    check_run_id: job.checkRunId,
    event_name: job.event,
    exp: times.iat + times.ttlSeconds,
    head_ref: job.headRef,
    iat: times.iat,
    iss: times.issuer,
    job_workflow_ref: job.jobWorkflowRef ?? workflowRef,
    job_workflow_sha: job.jobWorkflowSha ?? job.sha,
    jti: times.jti,
    nbf: times.iat - times.nbfSkewSeconds,
    ref: job.ref,
    ref_protected: String(job.refProtected),
    ref_type: job.ref.startsWith("refs/tags/") ? "tag" : "branch",
    repository: job.repository,
    repository_id: job.repositoryId,
    repository_owner: owner(job),
    repository_owner_id: job.ownerId,
    repository_visibility: job.visibility,
    run_attempt: job.runAttempt,
    run_id: job.runId,
    run_number: job.runNumber,
    runner_environment: job.runnerEnvironment,
    sha: job.sha,
    workflow: job.workflowName,
    workflow_ref: workflowRef,
    workflow_sha: job.sha,
  };
  if (job.enterprise !== undefined) c.enterprise = job.enterprise;
  if (job.enterpriseId !== undefined) c.enterprise_id = job.enterpriseId;
  if (job.environment !== undefined) {
    c.environment = job.environment;
    c.environment_node_id =
      job.environmentNodeId ?? simulatedNodeId("EN_", `${job.repository}:${job.environment}`);
  }
  for (const [name, value] of Object.entries(job.repoProperties ?? {})) c[`repo_property_${name}`] = value;
  c.sub = subjectFor(job, c, custom, options);
  return sortClaims(c);
}

/** Members in alphabetical order, as GitHub serializes them. */
export function sortClaims(claims: Claims): Claims {
  const out: Claims = {};
  for (const key of Object.keys(claims).sort()) out[key] = claims[key]!;
  return out;
}

export interface JobInput {
  repository: string;
  ref?: string;
  event?: string;
  environment?: string;
  actor?: string;
  sha?: string;
  workflowPath?: string;
  workflowName?: string;
  /** explicit; wins over repositoryCreatedAt */
  subjectFormat?: "legacy" | "immutable";
  /**
   * when the repository was created or last transferred (YYYY-MM-DD or ISO 8601): on or after the
   * cutoff the subject is immutable by default, before it legacy. Absent: legacy (github-oidc.md §6.2)
   */
  repositoryCreatedAt?: string;
  pullRequestNumber?: number;
}

/** GitHub's cutoff for immutable subjects by default (changelog 2026-04-23, github-oidc.md §6.2). */
export const DEFAULT_IMMUTABLE_SUBJECT_CUTOFF = "2026-07-15";

/**
 * A date (YYYY-MM-DD, read as UTC midnight) or an ISO 8601 date-time (without zone: UTC) as epoch
 * milliseconds; undefined when it is neither or names a day the calendar lacks (2026-02-30).
 */
export function parseIsoDate(text: string): number | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
      text,
    );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, zone] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined;
  if (h === undefined) return day.getTime();
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59) return undefined;
  const ms = Date.parse(zone ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The subject format a job's repository has by default: the explicit choice, else from its creation or
 * transfer date against the cutoff, else legacy (nothing says the repository is new). Throws TypeError
 * on a date or format it cannot read.
 */
export function defaultSubjectFormat(
  input: Pick<JobInput, "subjectFormat" | "repositoryCreatedAt">,
  options: Pick<SubjectOptions, "immutableSubjectCutoff"> = {},
): "legacy" | "immutable" {
  if (input.subjectFormat !== undefined) {
    if (input.subjectFormat !== "legacy" && input.subjectFormat !== "immutable")
      throw new TypeError(`subject format must be legacy or immutable, got '${input.subjectFormat}'`);
    return input.subjectFormat;
  }
  if (input.repositoryCreatedAt === undefined) return "legacy";
  const created = parseIsoDate(input.repositoryCreatedAt);
  if (created === undefined)
    throw new TypeError(
      `repository creation date must be YYYY-MM-DD or ISO 8601, got '${input.repositoryCreatedAt}'`,
    );
  const cutoffText = options.immutableSubjectCutoff ?? DEFAULT_IMMUTABLE_SUBJECT_CUTOFF;
  const cutoff = parseIsoDate(cutoffText);
  if (cutoff === undefined) throw new TypeError(`immutableSubjectCutoff is not a date: '${cutoffText}'`);
  return created >= cutoff ? "immutable" : "legacy";
}

/**
 * A complete job from the few things a user names; simulated ids are stable hashes of the names
 * so the same repository keeps the same repository_id across tokens (immutable subjects rely on it).
 */
export function jobFor(input: JobInput, options: SubjectOptions = {}): Job {
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(input.repository)) {
    throw new TypeError(`repository must be OWNER/NAME, got '${input.repository}'`);
  }
  const event = input.event ?? "push";
  const isPr = isPullRequestEvent({ event }, options);
  const prNumber = input.pullRequestNumber ?? 1;
  const ref =
    input.ref ??
    (isPr && event !== "pull_request_target" ? `refs/pull/${prNumber}/merge` : "refs/heads/main");
  const actor = input.actor ?? "octocat";
  const job: Job = {
    repository: input.repository,
    repositoryId: simulatedNumber(`repo:${input.repository.toLowerCase()}`, 700_000_000),
    ownerId: simulatedNumber(`owner:${owner(input).toLowerCase()}`, 90_000_000),
    event,
    ref,
    sha: input.sha ?? createHash("sha1").update(`${input.repository}@${ref}`).digest("hex"),
    actor,
    actorId: actor === "octocat" ? "583231" : simulatedNumber(`actor:${actor.toLowerCase()}`, 10_000_000),
    workflowPath: input.workflowPath ?? ".github/workflows/deploy.yml",
    workflowName: input.workflowName ?? "Deploy",
    runId: "9000000001",
    runNumber: "1",
    runAttempt: "1",
    checkRunId: "40000000001",
    visibility: "private",
    runnerEnvironment: "github-hosted",
    refProtected: ref === "refs/heads/main",
    headRef: isPr ? "feature" : "",
    baseRef: isPr ? "main" : "",
  };
  if (input.environment !== undefined) job.environment = input.environment;
  if (input.subjectFormat !== undefined || input.repositoryCreatedAt !== undefined)
    job.subjectFormat = defaultSubjectFormat(input, options);
  return job;
}

function simulatedNumber(seed: string, base: number): string {
  const h = createHash("sha256").update(seed).digest();
  return String(base + (h.readUInt32BE(0) % 99_999_999));
}

function simulatedNodeId(prefix: string, seed: string): string {
  return prefix + createHash("sha256").update(seed).digest("base64url").slice(0, 16);
}
