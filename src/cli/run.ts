// `keyship run`: runs a deploy workflow locally against the twin (or real AWS), with built-in actions.
import { resolve } from "node:path";
import { openTarget } from "../client/workflow/aws-target.ts";
import { loadWorkflow, workflowRegion } from "../client/workflow/model.ts";
import { runWorkflow } from "../client/workflow/runner.ts";
import { misuse, parseCommand } from "./args.ts";
import { subjectFormatHelp, subjectInput, UsageError } from "./token.ts";

export const usage = `Usage: keyship run WORKFLOW.yml [--state DIR] [--repo ORG/REPO] [--event push|workflow_dispatch|pull_request]
                    [--ref REF] [--job NAME] [--secret K=V ...] [--region R]
                    [--repo-created DATE] [--subject-format legacy|immutable]

Runs a workflow's job(s) on this machine the way a GitHub-hosted runner would: contexts, env,
permissions, \`\${{ }}\` expressions and if:, run: steps in bash with GITHUB_OUTPUT/ENV/PATH/STEP_SUMMARY,
jobs in the order their needs: give (a job whose needs failed is skipped unless its if: says always(),
failure(), ...), job outputs as needs.<job>.outputs, strategy.matrix legs (include/exclude, fail-fast;
legs and independent jobs run one at a time, whatever max-parallel says), and built-in
actions/checkout, aws-actions/configure-aws-credentials, amazon-ecr-login,
amazon-ecs-render-task-definition, amazon-ecs-deploy-task-definition and keyship's own action.

AWS calls go to AWS_ENDPOINT_URL (a running twin: pass the --state DIR it runs on so the job's OIDC
request token can be issued); without AWS_ENDPOINT_URL an in-process twin starts on --state.
A job without \`permissions: id-token: write\` gets no ACTIONS_ID_TOKEN_REQUEST_* variables, as on GitHub.
\`docker\` in run steps is Docker, or Podman through a shim when no Docker engine answers.

  --repo ORG/REPO   the repository the job runs for (default example-org/sample-app)
  --event E         push, workflow_dispatch or pull_request (default: the workflow's first)
  --ref REF         default refs/heads/main (refs/pull/1/merge for pull_request)
  --job NAME        run only this job and the jobs it needs (directly or not), in order
  --secret K=V      a secret (repeatable)
  --state DIR       the twin's state dir (default .keyship)
  --region R        the in-process twin's region (default: the region the workflow's steps name,
                    e.g. configure-aws-credentials' aws-region, else AWS_REGION, else us-east-1)
${subjectFormatHelp}
Exit codes: 0 every job succeeded or was skipped, 1 a step failed, 2 usage error or an invalid workflow
(a needs: naming an unknown job or making a cycle, a matrix without legs).
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      state: { type: "string", default: ".keyship" },
      repo: { type: "string", default: "example-org/sample-app" },
      event: { type: "string" },
      ref: { type: "string" },
      job: { type: "string" },
      secret: { type: "string", multiple: true },
      region: { type: "string" },
      "repo-created": { type: "string" },
      "subject-format": { type: "string" },
    },
    usage,
    { name: "keyship run" },
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return misuse("keyship run: name one WORKFLOW.yml", usage);
  if (!/^[^/]+\/[^/]+$/.test(values.repo)) return misuse("keyship run: --repo is ORG/REPO", usage);
  if (values.event && !["push", "workflow_dispatch", "pull_request"].includes(values.event))
    return misuse("keyship run: --event must be push, workflow_dispatch or pull_request", usage);
  const secrets: Record<string, string> = {};
  for (const s of values.secret ?? []) {
    const i = s.indexOf("=");
    if (i <= 0) return misuse("keyship run: --secret needs NAME=VALUE", usage);
    secrets[s.slice(0, i)] = s.slice(i + 1);
  }
  let subject: ReturnType<typeof subjectInput>;
  try {
    subject = subjectInput(values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return misuse(`keyship run: ${err.message}`, usage);
  }
  const stateDir = resolve(values.state);
  let region = values.region;
  // An in-process twin serves the workflow's region, so that its registry accepts the job's ECR tokens.
  if (!region && !process.env.AWS_ENDPOINT_URL) {
    try {
      region = workflowRegion(await loadWorkflow(positionals[0]!));
    } catch {
      // an unreadable workflow is reported by runWorkflow below
    }
  }
  const target = await openTarget({ stateDir, region });
  if (target.twin) process.stdout.write(`Twin on ${stateDir} in ${target.region} (${target.twin.url})\n`);
  try {
    const result = await runWorkflow({
      workflowPath: positionals[0]!,
      repository: values.repo,
      ...(values.event ? { event: values.event } : {}),
      ...(values.ref ? { ref: values.ref } : {}),
      ...(values.job ? { job: values.job } : {}),
      subject,
      secrets,
      endpoint: target.endpoint,
      stateDir,
    });
    if (result.failure) {
      process.stdout.write(`\nJob ${result.failure.job} failed at "${result.failure.step}".\n`);
      return 1;
    }
    // A skipped job is listed with the successful ones, as it always was.
    process.stdout.write(`\nJob(s) ${result.jobs.map((j) => j.job).join(", ")} succeeded.\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`keyship run: ${(err as Error).message}\n`);
    return err instanceof Error && err.name === "WorkflowError" ? 2 : 1;
  } finally {
    await target.close();
  }
}
