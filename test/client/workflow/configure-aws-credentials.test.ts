// The built-in aws-actions/configure-aws-credentials in keyship run, against a twin holding the seed's
// terraform/common: its outputs (official-actions.md §1.3), the variables it exports (masked in the log), and
// v5's strict booleans.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { applyConfiguration } from "../../../src/client/terraform/apply.ts";
import { clientsFor } from "../../../src/client/workflow/aws-target.ts";
import { runWorkflow } from "../../../src/client/workflow/runner.ts";
import { startTwin, type Twin } from "../../../src/main.ts";

const REGION = "ap-northeast-1";
const seed = join(import.meta.dirname, "../../../examples/seed-scenario/terraform/common");
let twin: Twin;
let stateDir: string;

before(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "keyship-cac-state-"));
  twin = await startTwin({ stateDir, port: 0, region: REGION, log: () => {}, runtime: "simulated" });
  await applyConfiguration({
    dir: seed,
    clients: clientsFor(twin.url, REGION, twin.admin),
    region: REGION,
    twinUrl: twin.url,
  });
});
after(() => twin.close());

async function run(workflow: string) {
  const repo = await mkdtemp(join(tmpdir(), "keyship-cac-repo-"));
  await mkdir(join(repo, ".github/workflows"), { recursive: true });
  const path = join(repo, ".github/workflows/w.yml");
  await writeFile(path, workflow);
  const lines: string[] = [];
  const result = await runWorkflow({
    workflowPath: path,
    repository: "example-org/sample-app",
    endpoint: twin.url,
    stateDir,
    containerCli: null,
    hostEnv: { PATH: process.env.PATH },
    log: (l) => lines.push(l),
  });
  return { result, log: lines.join("\n") };
}

test("outputs aws-account-id, authenticated-arn and (output-credentials) the keys and quoted expiration; exports AWS_* masked", async () => {
  const { result, log } = await run(`
on: push
permissions: { id-token: write }
jobs:
  j:
    steps:
      - id: creds
        uses: aws-actions/configure-aws-credentials@v6
        with:
          role-to-assume: arn:aws:iam::123456789012:role/github-actions-deploy
          aws-region: ${REGION}
          output-credentials: true
      - run: |
          echo "account=\${{ steps.creds.outputs.aws-account-id }}"
          echo "arn=\${{ steps.creds.outputs.authenticated-arn }}"
          echo 'expiration=\${{ steps.creds.outputs.aws-expiration }}'
          echo "region=$AWS_REGION default=$AWS_DEFAULT_REGION"
          echo "key=$AWS_ACCESS_KEY_ID"
          [ "\${{ steps.creds.outputs.aws-access-key-id }}" = "$AWS_ACCESS_KEY_ID" ] && echo "output and env agree"
          [ -n "$AWS_SESSION_TOKEN" ] && echo "session token exported"
`);
  assert.equal(result.status, "success", log);
  assert.match(log, /account=123456789012/);
  assert.match(log, /arn=arn:aws:sts::123456789012:assumed-role\/github-actions-deploy\/GitHubActions/);
  assert.match(log, /expiration="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/);
  assert.match(log, /region=ap-northeast-1 default=ap-northeast-1/);
  assert.match(log, /key=\*\*\*/);
  assert.doesNotMatch(log, /ASIA[A-Z0-9]{16}/);
  assert.match(log, /output and env agree/);
  assert.match(log, /session token exported/);
  const outputs = result.jobs[0]!.steps[0]!.outputs;
  assert.match(outputs["aws-access-key-id"] ?? "", /^ASIA[A-Z0-9]{16}$/);
});

test("v5+ booleans: anything but true/True/TRUE/false/False/FALSE fails the step, naming the input", async () => {
  const { result } = await run(`
on: push
permissions: { id-token: write }
jobs:
  j:
    steps:
      - uses: aws-actions/configure-aws-credentials@v5
        with:
          role-to-assume: arn:aws:iam::123456789012:role/github-actions-deploy
          aws-region: ${REGION}
          output-credentials: "yes"
`);
  assert.equal(result.status, "failure");
  assert.match(
    result.failure!.error,
    /Input does not meet YAML 1\.2 "Core Schema" specification: output-credentials/,
  );
});
