// Audit targets other than JSON: a Terraform configuration read through `keyship apply`'s loader
// without applying it, and the roles of a live twin read through the IAM API.
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { run } from "../../../src/cli/audit.ts";
import { auditInventory } from "../../../src/client/audit/audit.ts";
import { loadTerraformTarget } from "../../../src/client/audit/terraform-roles.ts";
import { startTwin } from "../../../src/main.ts";

const root = join(import.meta.dirname, "../../..");

test("terraform: the seed scenario's roles, policies and findings", async () => {
  const inv = await loadTerraformTarget([join(root, "examples/seed-scenario/terraform")], { baseDir: root });
  const deploy = inv.roles.find((r) => r.name === "github-actions-deploy")!;
  assert.ok(deploy.trustPolicy?.includes("repo:example-org/sample-app:*"));
  assert.deepEqual(deploy.policies.map((p) => p.name).sort(), [
    "github-actions-deploy",
    "github-actions-deploy-policy",
  ]);
  assert.equal(deploy.location?.file, "examples/seed-scenario/terraform/common/main.tf");
  const report = auditInventory(inv);
  const rules = report.findings.map((f) => f.rule).sort();
  assert.deepEqual(rules, ["KS-OIDC-004", "KS-OIDC-007", "KS-OIDC-010", "KS-OIDC-012", "KS-PERM-005"]);
  // iam-policy.md §9: the per-app PassRole has no iam:PassedToService condition — an audit finding.
  const pass = report.findings.find((f) => f.rule === "KS-PERM-005")!;
  assert.match(pass.message, /sample-app-task-role/);
  assert.equal(pass.location?.file, "examples/seed-scenario/terraform/app/main.tf");
  const pr = report.matrix.find((r) => r.context === "pull-request")!;
  assert.equal(pr.sub, "repo:example-org/sample-app:pull_request");
  assert.equal(pr.classic, "allowed");
});

test("terraform: the article's attachment by ARN is a finding and lands on the task role", async () => {
  const inv = await loadTerraformTarget([join(root, "test/fixtures/audit/article/terraform")], {
    baseDir: root,
  });
  assert.deepEqual(
    inv.loadFindings.map((f) => f.rule),
    ["KS-TF-001"],
  );
  const task = inv.roles.find((r) => r.name === "sample-app-task-role")!;
  assert.deepEqual(
    task.policies.map((p) => p.name),
    ["github-actions-deploy-policy"],
  );
  assert.equal(task.trustPolicy, undefined);
});

test("live: the twin's roles through the IAM API (--live --state)", async () => {
  const stateDir = await mkdtemp(join(tmpdir(), "keyship-audit-live-"));
  const twin = await startTwin({ stateDir, port: 0, runtime: "simulated" });
  try {
    const iam = new IAMClient({
      endpoint: twin.url,
      region: "us-east-1",
      credentials: { accessKeyId: twin.admin.accessKeyId, secretAccessKey: twin.admin.secretAccessKey },
    });
    const provider = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: "https://token.actions.githubusercontent.com",
        ClientIDList: ["sts.amazonaws.com"],
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: "org-wide",
        MaxSessionDuration: 43200,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: provider.OpenIDConnectProviderArn },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: { StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/*" } },
            },
          ],
        }),
      }),
    );
    const policy = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "ecr-everything",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }],
        }),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: "org-wide", PolicyArn: policy.Policy!.Arn! }));
  } finally {
    await twin.close();
  }
  const out = join(stateDir, "report.json");
  const code = await run(["--live", "--state", stateDir, "--format", "json", "--output", out]);
  assert.equal(code, 1);
  const report = JSON.parse(await readFile(out, "utf8")) as {
    findings: { role: string; rule: string }[];
    matrix: { role: string; context: string; classic: string }[];
  };
  const mine = report.findings.filter((f) => f.role === "org-wide").map((f) => f.rule);
  for (const rule of ["KS-OIDC-002", "KS-OIDC-007", "KS-OIDC-014", "KS-PERM-002", "KS-PERM-003"]) {
    assert.ok(mine.includes(rule), `${rule} in ${mine.join(", ")}`);
  }
  const other = report.matrix.find((r) => r.role === "org-wide" && r.context === "other-repo")!;
  assert.equal(other.classic, "allowed");
});
