// `keyship token`: prints a GitHub Actions ID token signed by the state's issuer key.
import { systemClock } from "../core/clock.ts";
import { randomIds } from "../core/ids.ts";
import {
  type Claims,
  DEFAULT_IMMUTABLE_SUBJECT_CUTOFF,
  defaultSubjectFormat,
  type Job,
  type JobInput,
  jobFor,
} from "../oidc/claims.ts";
import { withStateIssuer } from "../oidc/component.ts";
import { misuse, parseCommand } from "./args.ts";

/** Help lines for --repo-created and --subject-format (token, job-env, explain, run). */
export const subjectFormatHelp = `  --repo-created DATE
                     when the repository was created or last transferred (YYYY-MM-DD or ISO
                     8601): on or after ${DEFAULT_IMMUTABLE_SUBJECT_CUTOFF} its sub is immutable by default,
                     repo:OWNER@OWNER_ID/REPO@REPO_ID:..., as GitHub's; before it, legacy
  --subject-format legacy|immutable
                     the repository's default sub format; wins over --repo-created. Without either
                     the sub is legacy: keyship cannot know how old a repository is. A subject
                     customization's use_immutable_subject (REST, repo then org) wins over both.
`;

export const usage = `Usage: keyship token --state DIR --repo ORG/REPO [--ref REF] [--event EVENT] [--environment ENV]
                    [--actor LOGIN] [--repo-created DATE] [--subject-format legacy|immutable]
                    [--audience AUD] [--issuer URL] [--claim key=value ...]

Prints a signed ID token for a simulated job, as a workflow with \`permissions: id-token: write\`
would get it from GitHub. Works on a fresh state dir (the signing key is created on first use).

  --ref REF          default refs/heads/main (refs/pull/1/merge for pull request events)
  --event EVENT      default push
  --environment ENV  the job's environment (its sub becomes repo:ORG/REPO:environment:ENV)
${subjectFormatHelp}  --audience AUD     default https://github.com/ORG, as GitHub's; AWS wants sts.amazonaws.com
  --issuer URL       default https://token.actions.githubusercontent.com
  --claim key=value  set any claim after derivation (repeatable). iat, nbf and exp take epoch
                     seconds or now, now+N, now-N; values starting with { or [ are JSON.
`;

/** The options that describe a job, shared by token, job-env and explain. */
export const jobOptions = {
  state: { type: "string" },
  repo: { type: "string" },
  ref: { type: "string" },
  event: { type: "string" },
  environment: { type: "string" },
  actor: { type: "string" },
  issuer: { type: "string" },
  "repo-created": { type: "string" },
  "subject-format": { type: "string" },
} as const;

export function jobInput(values: {
  repo?: string | undefined;
  ref?: string | undefined;
  event?: string | undefined;
  environment?: string | undefined;
  actor?: string | undefined;
  "repo-created"?: string | undefined;
  "subject-format"?: string | undefined;
}): JobInput {
  const input: JobInput = { repository: values.repo ?? "" };
  if (values.ref !== undefined) input.ref = values.ref;
  if (values.event !== undefined) input.event = values.event;
  if (values.environment !== undefined) input.environment = values.environment;
  if (values.actor !== undefined) input.actor = values.actor;
  Object.assign(input, subjectInput(values));
  return input;
}

/**
 * --repo-created and --subject-format as JobInput members, checked: a value keyship cannot read is a
 * UsageError naming the flag (exit 2). Shared by token, job-env, explain and run.
 */
export function subjectInput(values: {
  "repo-created"?: string | undefined;
  "subject-format"?: string | undefined;
}): Pick<JobInput, "subjectFormat" | "repositoryCreatedAt"> {
  const out: Pick<JobInput, "subjectFormat" | "repositoryCreatedAt"> = {};
  const format = values["subject-format"];
  if (format !== undefined) {
    if (format !== "legacy" && format !== "immutable")
      throw new UsageError(`--subject-format must be legacy or immutable, got '${format}'`);
    out.subjectFormat = format;
  }
  const created = values["repo-created"];
  if (created !== undefined) {
    try {
      defaultSubjectFormat({ repositoryCreatedAt: created });
    } catch {
      throw new UsageError(
        `--repo-created takes a date, YYYY-MM-DD or ISO 8601 (2026-07-15T09:30:00Z), got '${created}'`,
      );
    }
    out.repositoryCreatedAt = created;
  }
  return out;
}

/** `key=value` pairs into claims: times accept now±N, JSON for objects/arrays, strings otherwise. */
export function parseClaims(pairs: string[], now: Date): Claims {
  const out: Claims = {};
  const nowSeconds = Math.floor(now.getTime() / 1000);
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--claim takes key=value, got '${pair}'`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (key === "iat" || key === "nbf" || key === "exp") {
      const rel = /^now(?:([+-])(\d+))?$/.exec(raw);
      if (rel) out[key] = nowSeconds + (rel[1] === "-" ? -1 : 1) * Number(rel[2] ?? 0);
      else if (/^-?\d+$/.test(raw)) out[key] = Number(raw);
      else out[key] = raw;
    } else if (raw.startsWith("{") || raw.startsWith("[")) {
      try {
        out[key] = JSON.parse(raw);
      } catch {
        throw new UsageError(`--claim ${key}: not valid JSON`);
      }
    } else out[key] = raw;
  }
  return out;
}

export class UsageError extends Error {}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    { ...jobOptions, audience: { type: "string" }, claim: { type: "string", multiple: true } },
    usage,
    { positionals: false },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if (!values.state || !values.repo) return misuse("keyship token: --state and --repo are required", usage);
  let job: Job;
  let overrides: Claims;
  try {
    job = jobFor(jobInput(values));
    overrides = parseClaims(values.claim ?? [], systemClock.now());
  } catch (err) {
    process.stderr.write(`keyship token: ${(err as Error).message}\n`);
    return 2;
  }
  const token = await withStateIssuer(
    values.state,
    { clock: systemClock, ids: randomIds },
    values.issuer,
    (issuer) =>
      issuer.mint(job, {
        ...(values.audience !== undefined ? { audience: values.audience } : {}),
        overrides,
      }),
  );
  process.stdout.write(`${token}\n`);
  return 0;
}
