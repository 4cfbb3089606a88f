// `keyship apply` through the real executable, on one state dir: the seed's app configuration before its
// common one exits 0 with the attachment pending ("will attach when role … exists"), and common completes it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const keyship = join(import.meta.dirname, "../../bin/keyship");
const seed = join(import.meta.dirname, "../../examples/seed-scenario/terraform");

async function apply(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [keyship, "apply", ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

test("app then common on one state dir: both exit 0; the pending attachment is reported, then made", {
  timeout: 120_000,
}, async () => {
  const state = await mkdtemp(join(tmpdir(), "keyship-apply-cli-"));
  const plan = await apply([join(seed, "app"), "--state", state, "--plan"]);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /\* aws_iam_role_policy_attachment\.role_policy_attachment: pending/);
  const app = await apply([join(seed, "app"), "--state", state]);
  assert.equal(app.code, 0, app.stderr);
  assert.match(app.stdout, /will attach when role github-actions-deploy exists/);
  assert.match(app.stdout, /1 attachment\(s\) waiting for their role\.\n$/);
  assert.equal(app.stderr, "", "no SDK notice or other noise on stderr");
  const common = await apply([join(seed, "common"), "--state", state]);
  assert.equal(common.code, 0, common.stderr);
  assert.match(
    common.stdout,
    /pending attachment of policy github-actions-deploy-policy to role github-actions-deploy: attached/,
  );
  const again = await apply([join(seed, "app"), "--state", state, "--plan"]);
  assert.match(again.stdout, /Plan: 0 to create, 0 to change, 2 unchanged, 0 deferred, 0 unsupported\.\n$/);
});
