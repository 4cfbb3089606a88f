// The seed scenario end to end: the article's Terraform applied, its workflows run by keyship run
// against an in-process twin, the service stable on the new revision; and the two classic failures.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { runSeedScenario } from "../../src/client/demo/scenario.ts";

const exampleDir = new URL("../../examples/seed-scenario", import.meta.url).pathname;

async function edit(path: string, from: string, to: string): Promise<void> {
  const text = await readFile(path, "utf8");
  assert.ok(text.includes(from), `${path} contains ${from}`);
  await writeFile(path, text.replace(from, to));
}

/**
 * auto (the default): real containers when Docker or Podman answers (CI starts Podman's socket with
 * .ci/containers-setup), else simulated; KEYSHIP_E2E_CONTAINERS=simulated or real forces one.
 */
const containers = (process.env.KEYSHIP_E2E_CONTAINERS ?? "auto") as "auto" | "real" | "simulated";

test("apply, run deploy.yml, then deploy-with-render.yml: the service ends stable on the new revision", {
  timeout: 600_000,
}, async (t) => {
  const r = await runSeedScenario({
    exampleDir,
    workflows: ["deploy.yml", "deploy-with-render.yml"],
    containers,
  });
  t.diagnostic(`containers: ${r.mode} (${r.modeReason}); ECS runtime: ${r.ecsRuntime}`);
  if (containers === "simulated") assert.equal(r.mode, "simulated");
  if (containers === "real") assert.equal(r.mode, "real");
  for (const a of r.applies) assert.equal(a.report.incomplete, false, `${a.dir} applied completely`);
  assert.deepEqual(
    r.runs.map((x) => [x.workflow, x.result.status, x.result.failure?.error]),
    [
      ["deploy.yml", "success", undefined],
      ["deploy-with-render.yml", "success", undefined],
    ],
  );
  // deploy.yml registered revision 2, deploy-with-render.yml revision 3 with the commit-tagged image
  assert.match(r.service!.taskDefinition, /task-definition\/sample-app:3$/);
  assert.match(r.service!.image, /\/sample-app:[0-9a-f]{40}$/);
  assert.equal(r.service!.deployments, 1);
  assert.equal(r.service!.running, r.service!.desired);
  const names = r.runs[0]!.timeline.map((t) => t.name);
  for (const n of ["token", "role", "push", "register", "roll", "stable"])
    assert.ok(names.includes(n), `timeline has ${n}`);
});

test("a trust policy naming another repository fails at the credentials step, with the explanation", {
  timeout: 300_000,
}, async () => {
  const r = await runSeedScenario({
    exampleDir,
    workflows: ["deploy.yml"],
    containers: "simulated",
    customize: (dir) =>
      edit(
        join(dir, "terraform/common/main.tf"),
        "repo:example-org/sample-app:*",
        "repo:example-org/other-app:*",
      ),
  });
  const failure = r.runs[0]!.result.failure!;
  assert.equal(failure.step, "Configure AWS Credentials");
  assert.match(failure.error, /Could not assume role with OIDC: .*sts:AssumeRoleWithWebIdentity/);
  // the explanation: the claims the trust policy saw, and what would match them
  assert.match(failure.error, /repo:example-org\/sample-app:ref:refs\/heads\/main/);
  assert.match(failure.error, /StringLike "repo:example-org\/sample-app:\*"/);
  assert.equal(r.service!.taskDefinition.endsWith(":1"), true, "nothing was deployed");
});

test("a workflow without id-token: write fails at the credentials step, saying so", {
  timeout: 300_000,
}, async () => {
  const r = await runSeedScenario({
    exampleDir,
    workflows: ["deploy.yml"],
    containers: "simulated",
    customize: (dir) => edit(join(dir, "app/.github/workflows/deploy.yml"), "  id-token: write\n", ""),
  });
  const failure = r.runs[0]!.result.failure!;
  assert.equal(failure.step, "Configure AWS Credentials");
  assert.match(failure.error, /Could not load credentials from any providers/);
  assert.match(failure.error, /no `id-token: write` permission/);
  assert.match(failure.error, /ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set/);
});
