// keyship preflight on a twin's state (--state): roles and policies read through the IAM API. The seed applied
// with keyship apply passes; after the article's mistake is made live (the per-app policy moved to the task
// role), the same command exits 1 before any deploy and names the role the policy is on.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { startTwin } from "../../../src/main.ts";

const root = join(import.meta.dirname, "../../..");
const keyship = join(root, "bin/keyship");
const seed = join(root, "examples/seed-scenario");
const workflow = join(seed, "app/.github/workflows/deploy.yml");

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [keyship, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, out: (e.stdout ?? "") + (e.stderr ?? "") };
  }
}

test("preflight --state: the applied seed passes; the article's attachment made live is caught", {
  timeout: 120_000,
}, async () => {
  const state = await mkdtemp(join(tmpdir(), "keyship-preflight-live-"));
  for (const part of ["common", "app"]) {
    const r = await cli(["apply", join(seed, "terraform", part), "--state", state]);
    assert.equal(r.code, 0, r.out);
  }
  const good = await cli(["preflight", workflow, "--state", state]);
  assert.equal(good.code, 0, good.out);
  assert.match(good.out, /13 AWS call\(s\) checked: all allowed\./);

  const twin = await startTwin({ stateDir: state, port: 0, log: () => {}, runtime: "simulated" });
  try {
    const iam = new IAMClient({ region: "us-east-1", endpoint: twin.url, credentials: twin.admin });
    const policyArn = "arn:aws:iam::123456789012:policy/github-actions-deploy-policy";
    await iam.send(
      new CreateRoleCommand({
        RoleName: "sample-app-task-role",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    await iam.send(new DetachRolePolicyCommand({ RoleName: "github-actions-deploy", PolicyArn: policyArn }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: "sample-app-task-role", PolicyArn: policyArn }));
  } finally {
    await twin.close();
  }
  const bad = await cli(["preflight", workflow, "--state", state]);
  assert.equal(bad.code, 1, bad.out);
  assert.match(
    bad.out,
    /DENY\s+ecr:PutImage on arn:aws:ecr:ap-northeast-1:123456789012:repository\/sample-app/,
  );
  assert.match(
    bad.out,
    /policy github-actions-deploy-policy .*allows this, but it is attached to role sample-app-task-role, not to github-actions-deploy/,
  );
  assert.match(bad.out, /DENY\s+ecs:UpdateService/);
  assert.match(bad.out, /Fix these before deploying\./);
});
