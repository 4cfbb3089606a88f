// The environment a GitHub Actions job has: its GITHUB_* variables and, for a job with
// `permissions: id-token: write`, the two ACTIONS_ID_TOKEN_REQUEST_* variables bound to that job by the
// state dir's issuer (github-oidc.md §8.1). Used by `keyship job-env` and by `keyship run`'s runner.
import { type Clock, systemClock } from "../core/clock.ts";
import { type IdGenerator, randomIds } from "../core/ids.ts";
import { type Job, type JobInput, jobFor, owner } from "./claims.ts";
import { withStateIssuer } from "./component.ts";
import { tokenRequestUrl } from "./routes.ts";

export interface JobEnvOptions {
  stateDir: string;
  job: JobInput;
  /** false: a job without `id-token: write` (no ACTIONS_ID_TOKEN_REQUEST_* variables) */
  idToken?: boolean;
  /** the twin's base URL serving the token request endpoint (default http://127.0.0.1:4599) */
  url?: string;
  /** the issuer (`iss`) to sign as, when not the state dir's default */
  issuer?: string;
  clock?: Clock;
  ids?: IdGenerator;
}

/** The job's environment variables, in the order a runner sets them. */
export async function jobEnv(options: JobEnvOptions): Promise<Record<string, string>> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const job = jobFor(options.job);
  const env = githubEnv(job);
  if (options.idToken === false) return env;
  return withStateIssuer(options.stateDir, { clock, ids }, options.issuer, async (issuer) => {
    const planId = ids.uuid();
    const jobId = ids.uuid();
    env.ACTIONS_ID_TOKEN_REQUEST_URL = tokenRequestUrl(options.url ?? "http://127.0.0.1:4599", planId, jobId);
    env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = await issuer.requestToken({ job, planId, jobId });
    return env;
  });
}

/** Default environment variables of a job (https://docs.github.com/en/actions/reference/variables-reference). */
function githubEnv(job: Job): Record<string, string> {
  const isTag = job.ref.startsWith("refs/tags/");
  const workflowRef = `${job.repository}/${job.workflowPath}@${job.ref}`;
  return {
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: "https://api.github.com",
    GITHUB_REPOSITORY: job.repository,
    GITHUB_REPOSITORY_ID: job.repositoryId,
    GITHUB_REPOSITORY_OWNER: owner(job),
    GITHUB_REPOSITORY_OWNER_ID: job.ownerId,
    GITHUB_EVENT_NAME: job.event,
    GITHUB_REF: job.ref,
    GITHUB_REF_NAME: job.ref.replace(/^refs\/(heads|tags)\//, ""),
    GITHUB_REF_TYPE: isTag ? "tag" : "branch",
    GITHUB_REF_PROTECTED: String(job.refProtected),
    GITHUB_HEAD_REF: job.headRef,
    GITHUB_BASE_REF: job.baseRef,
    GITHUB_SHA: job.sha,
    GITHUB_ACTOR: job.actor,
    GITHUB_ACTOR_ID: job.actorId,
    GITHUB_TRIGGERING_ACTOR: job.actor,
    GITHUB_WORKFLOW: job.workflowName,
    GITHUB_WORKFLOW_REF: workflowRef,
    GITHUB_WORKFLOW_SHA: job.sha,
    GITHUB_RUN_ID: job.runId,
    GITHUB_RUN_NUMBER: job.runNumber,
    GITHUB_RUN_ATTEMPT: job.runAttempt,
    GITHUB_JOB: "deploy",
    RUNNER_ENVIRONMENT: job.runnerEnvironment,
  };
}
