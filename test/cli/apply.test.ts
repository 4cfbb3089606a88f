// `keyship apply` through the real executable, on one state dir: the seed's app configuration before its
// common one exits 0 with the attachment pending ("will attach when role … exists"), and common completes it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const keyship = join(import.meta.dirname, "../../bin/keyship");
const seed = join(import.meta.dirname, "../../examples/seed-scenario/terraform");

async function apply(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [keyship, "apply", ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv },
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

test("variables through the CLI: default < TF_VAR_ < terraform.tfvars < *.auto.tfvars < --var-file < --var", {
  timeout: 120_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyship-apply-vars-"));
  const vars = ["a", "b", "c", "d", "e", "f"]
    .map((v) => `variable "${v}" { default = "default" }`)
    .join("\n");
  await writeFile(
    join(dir, "main.tf"),
    `${vars}
variable "envs" {
  type    = list(string)
  default = []
}
resource "aws_ecr_repository" "r" {
  name = "\${var.a}.\${var.b}.\${var.c}.\${var.d}.\${var.e}.\${var.f}"
}
resource "aws_ecs_cluster" "per_env" {
  for_each = toset(var.envs)
  name     = "cluster-\${each.key}"
}
`,
  );
  await writeFile(join(dir, "terraform.tfvars"), 'c = "tfvars"\nd = "tfvars"\ne = "tfvars"\nf = "tfvars"\n');
  await writeFile(join(dir, "z.auto.tfvars"), 'd = "auto"\ne = "auto"\nf = "auto"\n');
  const extra = join(await mkdtemp(join(tmpdir(), "keyship-apply-varfile-")), "extra.tfvars");
  await writeFile(extra, 'e = "varfile"\nf = "varfile"\n');
  const state = await mkdtemp(join(tmpdir(), "keyship-apply-vars-state-"));
  const args = [
    dir,
    "--state",
    state,
    "--var-file",
    extra,
    "--var",
    "f=cli",
    "--var",
    'envs=["blue","green"]',
  ];
  const plan = await apply([...args, "--plan"], { TF_VAR_b: "env", TF_VAR_c: "env" });
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /name = "default\.env\.tfvars\.auto\.varfile\.cli"/);
  assert.match(plan.stdout, /\+ aws_ecs_cluster\.per_env\["blue"\]: will be created/);
  assert.match(plan.stdout, /\+ aws_ecs_cluster\.per_env\["green"\]: will be created/);
  const applied = await apply(args, { TF_VAR_b: "env", TF_VAR_c: "env" });
  assert.equal(applied.code, 0, applied.stderr);
  const again = await apply([...args, "--plan"], { TF_VAR_b: "env", TF_VAR_c: "env" });
  assert.match(again.stdout, /Plan: 0 to create, 0 to change, 3 unchanged/);
});

test("a syntax error names the file and line; an undeclared --var is refused", async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyship-apply-broken-"));
  await writeFile(join(dir, "ok.tf"), 'variable "x" { default = "y" }\n');
  await writeFile(join(dir, "broken.tf"), 'resource "aws_ecr_repository" "r" {\n  name = \n}\n');
  const broken = await apply([dir, "--state", await mkdtemp(join(tmpdir(), "keyship-apply-s-")), "--plan"]);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /broken\.tf:\d+/);
  await writeFile(join(dir, "broken.tf"), "");
  const undeclared = await apply([
    dir,
    "--state",
    await mkdtemp(join(tmpdir(), "keyship-apply-s-")),
    "--var",
    "nope=1",
  ]);
  assert.equal(undeclared.code, 1, undeclared.stdout);
  assert.match(undeclared.stderr, /undeclared variable "nope"/);
});
