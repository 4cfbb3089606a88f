// keyship apply against an in-process twin: the seed's two configurations in either order, idempotence,
// --plan changing nothing, unsupported resources listed, ECR/ECS resources and drift correction.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { applyConfiguration } from "../../../src/client/terraform/apply.ts";
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

test("app before common: the attachment is deferred with the reason, then completes; a third run changes nothing", {
  timeout: 120_000,
}, async () => {
  await withTwin(async (clients, twinUrl) => {
    const apply = (part: string, planOnly = false) =>
      applyConfiguration({ dir: join(seed, part), clients, region, twinUrl, planOnly });
    const first = await apply("app");
    assert.deepEqual(actions(first), [
      "aws_iam_policy.github_actions_deploy=create",
      "aws_iam_role_policy_attachment.role_policy_attachment=deferred",
    ]);
    assert.equal(first.incomplete, true);
    assert.match(
      first.resources[1]!.reason!,
      /role "github-actions-deploy" does not exist \(AWS would answer NoSuchEntity/,
    );
    const common = await apply("common");
    assert.equal(common.incomplete, false);
    assert.ok(actions(common).every((a) => a.endsWith("=create")));
    const again = await apply("app");
    assert.deepEqual(actions(again), [
      "aws_iam_policy.github_actions_deploy=no-op",
      "aws_iam_role_policy_attachment.role_policy_attachment=create",
    ]);
    const attached = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: "github-actions-deploy" }),
    );
    assert.deepEqual(attached.AttachedPolicies?.map((p) => p.PolicyName).sort(), [
      "github-actions-deploy",
      "github-actions-deploy-policy",
    ]);
    for (const part of ["common", "app"])
      assert.ok(
        actions(await apply(part, true)).every((a) => a.endsWith("=no-op")),
        `${part} is idempotent`,
      );
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
