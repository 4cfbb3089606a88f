// keyship apply against an in-process twin: the seed's two configurations in either order (a pending attachment
// recorded on the policy and completed by a later apply), idempotence,
// --plan changing nothing, unsupported resources listed, ECR/ECS resources and drift correction.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  CreateRoleCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListPolicyTagsCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { applyConfiguration, summary } from "../../../src/client/terraform/apply.ts";
import { clientsFor } from "../../../src/client/workflow/aws-target.ts";
import { startTwin } from "../../../src/main.ts";

const seed = new URL("../../../examples/seed-scenario/terraform", import.meta.url).pathname;
const region = "ap-northeast-1";

async function withTwin(
  fn: (clients: ReturnType<typeof clientsFor>, url: string) => Promise<void>,
): Promise<void> {
  const twin = await startTwin({
    stateDir: await mkdtemp(join(tmpdir(), "keyship-apply-")),
    port: 0,
    region,
    log: () => {},
    runtime: "simulated",
  });
  try {
    await fn(clientsFor(twin.url, region, twin.admin), twin.url);
  } finally {
    await twin.close();
  }
}

const actions = (r: Awaited<ReturnType<typeof applyConfiguration>>) =>
  r.resources.map((x) => `${x.address}=${x.action}`);

const policyArn = "arn:aws:iam::123456789012:policy/github-actions-deploy-policy";

async function attachedToDeployRole(clients: ReturnType<typeof clientsFor>): Promise<string[]> {
  const out = await clients.iam.send(
    new ListAttachedRolePoliciesCommand({ RoleName: "github-actions-deploy" }),
  );
  return (out.AttachedPolicies ?? []).map((p) => p.PolicyName ?? "").sort();
}

async function policyTags(clients: ReturnType<typeof clientsFor>): Promise<Record<string, string>> {
  const out = await clients.iam.send(new ListPolicyTagsCommand({ PolicyArn: policyArn }));
  return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key, t.Value]));
}

for (const order of [
  ["common", "app"],
  ["app", "common"],
]) {
  test(`${order.join(" then ")}: both apply cleanly and end with both policies on the role; again changes nothing`, {
    timeout: 120_000,
  }, async () => {
    await withTwin(async (clients, twinUrl) => {
      const apply = (part: string, planOnly = false) =>
        applyConfiguration({ dir: join(seed, part), clients, region, twinUrl, planOnly });
      for (const part of order) {
        const report = await apply(part);
        assert.equal(report.incomplete, false, `${part} applied completely`);
        assert.ok(
          report.resources.every((r) => r.action === "create" || r.action === "pending"),
          `${part}: ${actions(report)}`,
        );
      }
      assert.deepEqual(await attachedToDeployRole(clients), [
        "github-actions-deploy",
        "github-actions-deploy-policy",
      ]);
      assert.deepEqual(await policyTags(clients), {}, "no pending record is left behind");
      for (const part of ["common", "app"]) {
        const plan = await apply(part, true);
        assert.ok(
          actions(plan).every((a) => a.endsWith("=no-op")),
          `${part} is idempotent: ${actions(plan)}`,
        );
        assert.deepEqual(plan.pendingAttachments, []);
      }
    });
  });
}

test("app first: the attachment is pending, recorded on the policy, shown by --plan, and completed by common", {
  timeout: 120_000,
}, async () => {
  await withTwin(async (clients, twinUrl) => {
    const apply = (part: string, planOnly = false) =>
      applyConfiguration({ dir: join(seed, part), clients, region, twinUrl, planOnly });
    const plan = await apply("app", true);
    assert.deepEqual(actions(plan), [
      "aws_iam_policy.github_actions_deploy=create",
      "aws_iam_role_policy_attachment.role_policy_attachment=pending",
    ]);
    const first = await apply("app");
    assert.equal(first.incomplete, false);
    assert.equal(first.resources[1]!.action, "pending");
    assert.match(first.resources[1]!.reason!, /^will attach when role github-actions-deploy exists/);
    assert.match(summary(first, false), /1 attachment\(s\) waiting for their role\.$/);
    assert.deepEqual(await policyTags(clients), { "keyship:pending-attachment": "github-actions-deploy" });
    // applying app again records nothing new and is still clean
    const again = await apply("app");
    assert.deepEqual(actions(again), [
      "aws_iam_policy.github_actions_deploy=no-op",
      "aws_iam_role_policy_attachment.role_policy_attachment=pending",
    ]);
    assert.deepEqual(again.resources[1]!.changes, []);
    // --plan of the other configuration shows that it will complete the attachment, and changes nothing
    const commonPlan = await apply("common", true);
    assert.deepEqual(commonPlan.pendingAttachments, [
      { policyArn, role: "github-actions-deploy", state: "will-attach" },
    ]);
    assert.deepEqual(await policyTags(clients), { "keyship:pending-attachment": "github-actions-deploy" });
    const common = await apply("common");
    assert.deepEqual(common.pendingAttachments, [
      { policyArn, role: "github-actions-deploy", state: "attached" },
    ]);
    assert.match(summary(common, false), /1 pending attachment\(s\) completed\.$/);
    assert.deepEqual(await attachedToDeployRole(clients), [
      "github-actions-deploy",
      "github-actions-deploy-policy",
    ]);
    assert.deepEqual(await policyTags(clients), {});
  });
});

test("app first, then the role made some other way: re-applying app attaches it and removes the record", {
  timeout: 120_000,
}, async () => {
  await withTwin(async (clients, twinUrl) => {
    const apply = () => applyConfiguration({ dir: join(seed, "app"), clients, region, twinUrl });
    await apply();
    await clients.iam.send(
      new CreateRoleCommand({
        RoleName: "github-actions-deploy",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    const second = await apply();
    assert.deepEqual(actions(second), [
      "aws_iam_policy.github_actions_deploy=no-op",
      "aws_iam_role_policy_attachment.role_policy_attachment=create",
    ]);
    assert.deepEqual(second.pendingAttachments, [
      { policyArn, role: "github-actions-deploy", state: "already-attached" },
    ]);
    assert.deepEqual(await attachedToDeployRole(clients), ["github-actions-deploy-policy"]);
    assert.deepEqual(await policyTags(clients), {});
  });
});

test("drift in a trust policy is planned, not touched by --plan, and corrected by apply", {
  timeout: 120_000,
}, async () => {
  await withTwin(async (clients, twinUrl) => {
    await applyConfiguration({ dir: join(seed, "common"), clients, region, twinUrl });
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: "github-actions-deploy",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    const plan = await applyConfiguration({
      dir: join(seed, "common"),
      clients,
      region,
      twinUrl,
      planOnly: true,
    });
    const role = plan.resources.find((r) => r.address === "aws_iam_role.github_actions_deploy")!;
    assert.equal(role.action, "update");
    assert.match(role.changes.join("\n"), /assume_role_policy/);
    const live = await clients.iam.send(new GetRoleCommand({ RoleName: "github-actions-deploy" }));
    assert.doesNotMatch(
      decodeURIComponent(live.Role!.AssumeRolePolicyDocument!),
      /AssumeRoleWithWebIdentity/,
    );
    await applyConfiguration({ dir: join(seed, "common"), clients, region, twinUrl });
    const fixed = await clients.iam.send(new GetRoleCommand({ RoleName: "github-actions-deploy" }));
    assert.match(
      decodeURIComponent(fixed.Role!.AssumeRolePolicyDocument!),
      /repo:example-org\/sample-app:\*/,
    );
  });
});

test("ECR and ECS resources with count and for_each; unsupported resources are listed, not dropped", {
  timeout: 120_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyship-tf-"));
  await writeFile(
    join(dir, "main.tf"),
    `variable "apps" { default = ["api", "web"] }
resource "aws_ecr_repository" "repo" {
  for_each = toset(var.apps)
  name     = each.key
}
resource "aws_ecs_cluster" "c" { name = "main" }
resource "aws_iam_role" "task" {
  name = "task-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }] })
}
resource "aws_ecs_task_definition" "td" {
  family                   = "api"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "256"
  memory                   = "512"
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([{ name = "api", image = "\${aws_ecr_repository.repo["api"].repository_url}:v1", essential = true }])
}
resource "aws_ecs_service" "svc" {
  count           = 1
  name            = "api"
  cluster         = aws_ecs_cluster.c.id
  task_definition = aws_ecs_task_definition.td.arn
  desired_count   = 0
  launch_type     = "FARGATE"
  network_configuration { subnets = ["subnet-1"] }
}
resource "aws_s3_bucket" "logs" { bucket = "logs" }
output "repos" { value = [for r in aws_ecr_repository.repo : r.repository_url] }
`,
  );
  await withTwin(async (clients, twinUrl) => {
    const first = await applyConfiguration({ dir, clients, region, twinUrl });
    assert.deepEqual(actions(first), [
      'aws_ecr_repository.repo["api"]=create',
      'aws_ecr_repository.repo["web"]=create',
      "aws_ecs_cluster.c=create",
      "aws_iam_role.task=create",
      "aws_ecs_task_definition.td=create",
      "aws_ecs_service.svc[0]=create",
      "aws_s3_bucket.logs=unsupported",
    ]);
    assert.equal((first.outputs.repos as string[]).length, 2);
    const second = await applyConfiguration({ dir, clients, region, twinUrl });
    assert.deepEqual(
      actions(second).filter((a) => !a.endsWith("=no-op")),
      ["aws_s3_bucket.logs=unsupported"],
    );
  });
});

test("data sources from the twin: aws_caller_identity, aws_region, aws_partition; tls_certificate from its issuer", {
  timeout: 60_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyship-tf-data-"));
  await writeFile(
    join(dir, "main.tf"),
    `data "aws_caller_identity" "me" {}
data "aws_region" "here" {}
data "aws_partition" "p" {}
data "tls_certificate" "gh" { url = "https://token.actions.githubusercontent.com/.well-known/openid-configuration" }
resource "aws_ecr_repository" "r" {
  name = "acct-\${data.aws_caller_identity.me.account_id}-\${data.aws_region.here.name}"
}
output "arn" { value = "arn:\${data.aws_partition.p.partition}:iam::\${data.aws_caller_identity.me.account_id}:root" }
output "caller" { value = data.aws_caller_identity.me.arn }
output "thumbprint" { value = data.tls_certificate.gh.certificates[0].sha1_fingerprint }
output "repo" { value = aws_ecr_repository.r.repository_url }
`,
  );
  await withTwin(async (clients, twinUrl) => {
    const r = await applyConfiguration({ dir, clients, region, twinUrl });
    assert.equal(r.outputs.arn, "arn:aws:iam::123456789012:root");
    assert.equal(r.outputs.caller, "arn:aws:iam::123456789012:user/keyship-admin");
    assert.match(String(r.outputs.thumbprint), /^[0-9a-f]{40}$/);
    assert.match(String(r.outputs.repo), /\/acct-123456789012-ap-northeast-1$/);
  });
});

test("aws_iam_role with inline_policy and managed_policy_arns, and aws_iam_role_policy: applied, idempotent, exclusive", {
  timeout: 60_000,
}, async () => {
  const { GetRolePolicyCommand, ListRolePoliciesCommand } = await import("@aws-sdk/client-iam");
  const dir = await mkdtemp(join(tmpdir(), "keyship-tf-inline-"));
  const config = (inline: string[]) => `locals {
  trust = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }] })
}
resource "aws_iam_policy" "read" {
  name   = "read-ecr"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecr:BatchGetImage", Resource = "*" }] })
}
resource "aws_iam_role" "task" {
  name                = "task"
  assume_role_policy  = local.trust
  managed_policy_arns = [aws_iam_policy.read.arn]
${inline
  .map(
    (n) => `  inline_policy {
    name   = "${n}"
    policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }] })
  }`,
  )
  .join("\n")}
}
resource "aws_iam_role" "other" {
  name               = "other"
  assume_role_policy = local.trust
}
resource "aws_iam_role_policy" "extra" {
  name   = "extra"
  role   = aws_iam_role.other.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }] })
}
`;
  await writeFile(join(dir, "main.tf"), config(["logs", "more"]));
  await withTwin(async (clients, twinUrl) => {
    const first = await applyConfiguration({ dir, clients, region, twinUrl });
    assert.ok(
      actions(first).every((a) => a.endsWith("=create")),
      actions(first).join(", "),
    );
    const inlineNames = async (role: string) =>
      ((await clients.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? []).sort();
    assert.deepEqual(await inlineNames("task"), ["logs", "more"]);
    assert.deepEqual(
      (
        await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "task" }))
      ).AttachedPolicies?.map((p) => p.PolicyName),
      ["read-ecr"],
    );
    const extra = await clients.iam.send(
      new GetRolePolicyCommand({ RoleName: "other", PolicyName: "extra" }),
    );
    assert.match(decodeURIComponent(extra.PolicyDocument ?? ""), /s3:GetObject/);
    const again = await applyConfiguration({ dir, clients, region, twinUrl });
    assert.deepEqual(
      actions(again).filter((a) => !a.endsWith("=no-op")),
      [],
    );
    // inline_policy blocks are exclusive: one removed from the configuration is removed from the role
    await writeFile(join(dir, "main.tf"), config(["logs"]));
    const third = await applyConfiguration({ dir, clients, region, twinUrl });
    assert.deepEqual(
      actions(third).filter((a) => !a.endsWith("=no-op")),
      ["aws_iam_role.task=update"],
    );
    assert.deepEqual(await inlineNames("task"), ["logs"]);
  });
});
