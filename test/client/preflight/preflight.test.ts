// preflight on the seed scenario: the working configuration passes; the article's Terraform exactly as
// written (per-app policy attached to the task role, short service ARN) is caught step by step, as
// are a missing push action and a missing PassRole, each with the engine's explanation.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { RoleInventory } from "../../../src/client/audit/model.ts";
import { loadTerraformTarget } from "../../../src/client/audit/terraform-roles.ts";
import { type PreflightReport, preflight } from "../../../src/client/preflight/preflight.ts";
import { expand, parseWorkflow } from "../../../src/client/preflight/workflow.ts";

const root = join(import.meta.dirname, "../../..");
const seedApp = join(root, "examples/seed-scenario/app");
const seedTf = join(root, "examples/seed-scenario/terraform");
const article = join(root, "test/fixtures/audit/article");
const deployYml = join(seedApp, ".github/workflows/deploy.yml");

async function check(
  workflow: string,
  inv: RoleInventory,
  extra: { event?: string } = {},
): Promise<PreflightReport> {
  return preflight({
    workflowText: await readFile(workflow, "utf8"),
    workflowPath: workflow,
    inventory: inv,
    repo: "example-org/sample-app",
    ...extra,
  });
}

const denied = (r: PreflightReport) =>
  r.jobs.flatMap((j) => j.steps.flatMap((s) => s.calls.filter((c) => c.decision !== "allowed")));

test("the seed scenario as it should be: every call of both workflows is allowed", async () => {
  const inv = await loadTerraformTarget([seedTf]);
  for (const wf of ["deploy.yml", "deploy-with-render.yml"]) {
    const r = await check(join(seedApp, ".github/workflows", wf), inv);
    assert.equal(r.denied, 0, wf);
    assert.equal(r.problems, 0, wf);
    const actions = r.jobs[0]!.steps.flatMap((s) => s.calls.map((c) => c.action));
    for (const a of [
      "sts:AssumeRoleWithWebIdentity",
      "ecr:GetAuthorizationToken",
      "ecr:PutImage",
      "ecs:RegisterTaskDefinition",
      "iam:PassRole",
      "ecs:UpdateService",
    ]) {
      assert.ok(actions.includes(a), `${wf} makes ${a}`);
    }
  }
  const render = await check(join(seedApp, ".github/workflows/deploy-with-render.yml"), inv);
  assert.equal(render.jobs[0]!.sub, "repo:example-org/sample-app:environment:production");
});

test("the article's Terraform exactly as written: preflight names the wrong role and the short ARN", async () => {
  const inv = await loadTerraformTarget([join(article, "terraform")], { baseDir: root });
  const r = await check(join(article, "app/.github/workflows/deploy.yml"), inv);
  const bad = denied(r);
  assert.deepEqual(
    bad.map((c) => c.action),
    [
      "ecr:BatchCheckLayerAvailability",
      "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload",
      "ecr:PutImage",
      "iam:PassRole",
      "ecs:DescribeServices",
      "ecs:UpdateService",
    ],
  );
  const push = bad.find((c) => c.action === "ecr:PutImage")!;
  assert.match(
    push.message!,
    /is not authorized to perform: ecr:PutImage on resource: arn:aws:ecr:ap-northeast-1:123456789012:repository\/sample-app because no identity-based policy allows/,
  );
  assert.match(
    push.diagnosis.join("\n"),
    /policy github-actions-deploy-policy \(test\/fixtures\/audit\/article\/terraform\/app\/main\.tf:\d+\) allows this, but it is attached to role sample-app-task-role, not to github-actions-deploy/,
  );
  assert.match(push.explanation!, /no identity statement allows ecr:PutImage/);
  const pass = bad.find((c) => c.action === "iam:PassRole")!;
  assert.equal(pass.resource, "arn:aws:iam::123456789012:role/sample-app-task-role");
  assert.match(pass.diagnosis.join("\n"), /passes the task role \(taskRoleArn in task-definition\.json\)/);
  const update = bad.find((c) => c.action === "ecs:UpdateService")!;
  assert.match(
    update.diagnosis.join("\n"),
    /old short ARN format arn:aws:ecs:ap-northeast-1:123456789012:service\/sample_ecs_service; .*service\/sample_ecs_cluster\/sample_ecs_service.*would allow this call \(and it is attached to role sample-app-task-role, not to github-actions-deploy\)/,
  );
});

test("the CLI turns the article's mistake into a readable error and exit 1, before any deploy", async () => {
  const out = await cliRun([
    join(article, "app/.github/workflows/deploy.yml"),
    "--terraform",
    join(article, "terraform"),
  ]);
  assert.equal(out.code, 1);
  assert.match(out.text, /DENY +ecr:PutImage/);
  assert.match(out.text, /attached to role sample-app-task-role, not to github-actions-deploy/);
  assert.match(out.text, /old short ARN format/);
  assert.match(out.text, /8 would be denied/);
  assert.match(out.text, /names the role by ARN/);
  const ok = await cliRun([deployYml, "--terraform", seedTf]);
  assert.equal(ok.code, 0);
  assert.match(ok.text, /all allowed/);
  const literal = await cliRun([
    join(article, "app/.github/workflows/deploy.yml"),
    "--terraform",
    join(root, "test/fixtures/audit/article-literal/terraform"),
  ]);
  assert.equal(literal.code, 1);
  assert.match(literal.err, /app\/main\.tf:52: Unexpected comma after argument/);
  assert.equal((await cliRun([deployYml])).code, 2);
  assert.equal((await cliRun([])).code, 2);
});

test("a missing ECR push action is named", async () => {
  const inv = await loadTerraformTarget([seedTf]);
  const perApp = inv.policies.get("arn:aws:iam::123456789012:policy/github-actions-deploy-policy")!;
  perApp.document = perApp.document.replace('"ecr:InitiateLayerUpload",', "");
  const r = await check(deployYml, inv);
  const bad = denied(r);
  assert.deepEqual(
    bad.map((c) => c.action),
    ["ecr:InitiateLayerUpload"],
  );
  assert.match(
    bad[0]!.diagnosis.join("\n"),
    /may call 4 of the 5 push actions .* but not ecr:InitiateLayerUpload/,
  );
});

test("PassRole missing for the execution role, or granted for the wrong service", async () => {
  const inv = await loadTerraformTarget([seedTf]);
  const common = inv.policies.get("arn:aws:iam::123456789012:policy/github-actions-deploy")!;
  const original = common.document;
  common.document = original.replace("ecsTaskExecutionRole", "someOtherRole");
  let bad = denied(await check(deployYml, inv));
  assert.deepEqual(
    bad.map((c) => `${c.action} ${c.resource}`),
    ["iam:PassRole arn:aws:iam::123456789012:role/ecsTaskExecutionRole"],
  );
  assert.match(
    bad[0]!.diagnosis.join("\n"),
    /passes the execution role \(executionRoleArn in task-definition\.json\)/,
  );
  common.document = original.replace('"ecs-tasks.amazonaws.com"', '"ec2.amazonaws.com"');
  bad = denied(await check(deployYml, inv));
  assert.equal(bad.length, 1);
  assert.match(bad[0]!.explanation!, /iam:PassedToService was 'ecs-tasks\.amazonaws\.com'/);
});

test("the trust policy is checked with the job's minted claims; a job without id-token: write is a problem", async () => {
  const inv = await loadTerraformTarget([seedTf]);
  const other = await preflight({
    workflowText: await readFile(deployYml, "utf8"),
    workflowPath: deployYml,
    inventory: inv,
    repo: "someone-else/sample-app",
  });
  const assume = denied(other)[0]!;
  assert.equal(assume.action, "sts:AssumeRoleWithWebIdentity");
  assert.equal(assume.message, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
  assert.match(
    assume.diagnosis[0]!,
    /sub was 'repo:someone-else\/sample-app:ref:refs\/heads\/main'; StringLike requires 'repo:example-org\/sample-app:\*'/,
  );

  const dir = await mkdtemp(join(tmpdir(), "keyship-preflight-"));
  const wf = join(dir, "wf.yml");
  await writeFile(wf, (await readFile(deployYml, "utf8")).replace(/permissions:\n( {2}.*\n)+/, ""));
  const r = await preflight({
    workflowText: await readFile(wf, "utf8"),
    workflowPath: wf,
    workspace: seedApp,
    inventory: inv,
    repo: "example-org/sample-app",
  });
  assert.equal(r.problems, 1);
  assert.match(r.jobs[0]!.steps[1]!.problems[0]!, /id-token: write/);
});

test("workflow parsing and expression expansion", () => {
  const wf = parseWorkflow(
    "on:\n  push:\n    branches: [release]\nenv:\n  A: x\njobs:\n  j:\n    environment: {name: prod}\n    permissions: write-all\n    steps:\n      - run: echo ${{ env.A }}-${{ steps.s.outputs.o }}-${{ secrets.T }}\n",
  );
  assert.deepEqual(wf.events, ["push"]);
  assert.deepEqual(wf.pushBranches, ["release"]);
  assert.equal(wf.jobs[0]!.environment, "prod");
  assert.equal(wf.jobs[0]!.idTokenWrite, true);
  assert.equal(
    expand(wf.jobs[0]!.steps[0]!.run!, { env: wf.env, github: {}, steps: { s: { o: "y" } } }),
    "echo x-y-${{ secrets.T }}",
  );
});

/** The real CLI in a child process: exit code, stdout and stderr as a user sees them. */
function cliRun(args: string[]): Promise<{ code: number; text: string; err: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts"), "preflight", ...args],
      { cwd: tmpdir() },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, text: stdout, err: stderr }),
    );
  });
}
