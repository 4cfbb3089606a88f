// `keyship run` through the real executable on a state dir (no AWS_ENDPOINT_URL): the in-process twin starts in
// the region the workflow names, so the article's ap-northeast-1 ECR login works against its registry.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseWorkflow, workflowRegion } from "../../src/client/workflow/model.ts";
import { keyship as cli } from "../support/cli.ts";

const seed = join(import.meta.dirname, "../../examples/seed-scenario/terraform");

test("workflowRegion: a literal region from the steps, then env; expressions are not regions", () => {
  const wf = (steps: string, env = "") =>
    workflowRegion(parseWorkflow(`on: push\n${env}jobs:\n  j:\n    steps:\n${steps}`, "w.yml"));
  assert.equal(
    wf(
      "      - uses: aws-actions/configure-aws-credentials@v4\n        with: { aws-region: ap-northeast-1 }\n",
    ),
    "ap-northeast-1",
  );
  assert.equal(wf("      - uses: keyship/keyship@v1\n        with: { region: eu-west-1 }\n"), "eu-west-1");
  assert.equal(wf("      - run: true\n", "env: { AWS_REGION: us-west-2 }\n"), "us-west-2");
  assert.equal(
    wf(
      "      - uses: aws-actions/configure-aws-credentials@v4\n        with: { aws-region: '${{ vars.REGION }}' }\n",
    ),
    undefined,
  );
  assert.equal(wf("      - run: true\n"), undefined);
});

test("the article's region: ECR login from the job works against the in-process twin's registry", {
  timeout: 120_000,
}, async () => {
  const state = await mkdtemp(join(tmpdir(), "keyship-run-cli-"));
  const applied = await cli(["apply", join(seed, "common"), "--state", state]);
  assert.equal(applied.code, 0, applied.stderr);
  // The login's outputs, checked by a plain HTTP client: GET /v2/ with the registry's Basic credentials.
  const probe = [
    "const o = JSON.parse(process.env.OUTS);",
    "const pw = Object.entries(o).find(([k]) => k.startsWith('docker_password_'))[1];",
    "const auth = Buffer.from('AWS:' + pw).toString('base64');",
    "fetch('http://' + o.registry + '/v2/', { headers: { authorization: 'Basic ' + auth } })",
    "  .then((r) => console.log('registry answered ' + r.status));",
  ].join("\n");
  const repo = await mkdtemp(join(tmpdir(), "keyship-run-repo-"));
  await mkdir(join(repo, ".github/workflows"), { recursive: true });
  const workflow = join(repo, ".github/workflows/login.yml");
  await writeFile(join(repo, "probe.mjs"), probe);
  await writeFile(
    workflow,
    `on: workflow_dispatch
permissions: { id-token: write, contents: read }
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::123456789012:role/github-actions-deploy
          aws-region: ap-northeast-1
      - id: login-ecr
        uses: aws-actions/amazon-ecr-login@v2
      - env:
          OUTS: \${{ toJSON(steps.login-ecr.outputs) }}
        run: node probe.mjs
`,
  );
  const r = await cli(["run", workflow, "--state", state]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /in ap-northeast-1 \(http:\/\/127\.0\.0\.1:\d+\)/);
  assert.match(r.stdout, /registry answered 200/);
});
