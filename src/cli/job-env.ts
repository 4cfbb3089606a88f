// `keyship job-env`: the environment a GitHub Actions job would have, as `export` lines, including
// the two ACTIONS_ID_TOKEN_REQUEST_* variables bound to that job (github-oidc.md §8.1).
import { jobEnv } from "../oidc/job-env.ts";
import { misuse, parseCommand } from "./args.ts";
import { jobInput, jobOptions, subjectFormatHelp, UsageError } from "./token.ts";

// Callers that imported the function from the command keep working; new code imports src/oidc/job-env.ts.
export { type JobEnvOptions, jobEnv } from "../oidc/job-env.ts";

export const usage = `Usage: keyship job-env --state DIR --repo ORG/REPO [--ref REF] [--event EVENT] [--environment ENV]
                      [--actor LOGIN] [--repo-created DATE] [--subject-format legacy|immutable]
                      [--no-id-token] [--url URL]

Prints the export lines a job would have: GITHUB_* and, unless --no-id-token (a job without
\`permissions: id-token: write\`), ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN,
which @actions/core getIDToken() and aws-actions/configure-aws-credentials use to get a token
from the running twin. The request token carries the job, so the twin mints its sub in the
format chosen here.

  --url URL   the twin's base URL (default http://127.0.0.1:4599)
${subjectFormatHelp}
  eval "$(keyship job-env --state .keyship --repo example-org/sample-app --environment production)"
`;

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
    if (err instanceof TypeError || err instanceof UsageError) {
      process.stderr.write(`keyship job-env: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}=${shellQuote(v)}\n`);
  return 0;
}
