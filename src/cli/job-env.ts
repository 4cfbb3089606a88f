// `keyship job-env`: the environment a GitHub Actions job would have, as `export` lines, including
// the two ACTIONS_ID_TOKEN_REQUEST_* variables bound to that job (github-oidc.md §8.1).
import { type Clock, systemClock } from "../core/clock.ts";
import { type IdGenerator, randomIds } from "../core/ids.ts";
import { type Job, type JobInput, jobFor, owner } from "../oidc/claims.ts";
import { withStateIssuer } from "../oidc/component.ts";
import { tokenRequestUrl } from "../oidc/routes.ts";
import { misuse, parseCommand } from "./args.ts";
import { jobInput, jobOptions } from "./token.ts";

export const usage = `Usage: keyship job-env --state DIR --repo ORG/REPO [--ref REF] [--event EVENT] [--environment ENV]
                      [--actor LOGIN] [--no-id-token] [--url URL]

Prints the export lines a job would have: GITHUB_* and, unless --no-id-token (a job without
\`permissions: id-token: write\`), ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN,
which @actions/core getIDToken() and aws-actions/configure-aws-credentials use to get a token
from the running twin.

  --url URL   the twin's base URL (default http://127.0.0.1:4599)

  eval "$(keyship job-env --state .keyship --repo example-org/sample-app --environment production)"
`;

export interface JobEnvOptions {
  stateDir: string;
  job: JobInput;
  idToken?: boolean;
  url?: string;
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

/** POSIX-shell single quoting. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    { ...jobOptions, "no-id-token": { type: "boolean", default: false }, url: { type: "string" } },
    usage,
    { positionals: false },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if (!values.state || !values.repo) return misuse("keyship job-env: --state and --repo are required", usage);
  let env: Record<string, string>;
  try {
    env = await jobEnv({
      stateDir: values.state,
      job: jobInput(values),
      idToken: !values["no-id-token"],
      ...(values.url ? { url: values.url } : {}),
      ...(values.issuer ? { issuer: values.issuer } : {}),
    });
  } catch (err) {
    if (err instanceof TypeError) {
      process.stderr.write(`keyship job-env: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}=${shellQuote(v)}\n`);
  return 0;
}
