// iam:PassRole where ECS checks it, through the SDK against a live twin: RunTask (the task definition's
// roles and overridden ones), CreateService (task roles for ecs-tasks.amazonaws.com, the service role for
// ecs.amazonaws.com) and UpdateService onto a task definition with roles. RegisterTaskDefinition is in api.test.ts.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html#specify-task-iam-roles
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { clientConfig, withTwin } from "../support/twin.ts";

const ACCOUNT = "123456789012";
const taskRole = `arn:aws:iam::${ACCOUNT}:role/app-task`;
const otherRole = `arn:aws:iam::${ACCOUNT}:role/other-task`;
const serviceRole = `arn:aws:iam::${ACCOUNT}:role/ecs-service`;
const container = { name: "app", image: "public.ecr.aws/x/app:1", memory: 128 };

const ecsTrust = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });

/** The deployer's policy: all of ECS, and iam:PassRole only as `passRole` allows. */
const deployerPolicy = (passRole: object[]) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "Ecs", Effect: "Allow", Action: "ecs:*", Resource: "*" }, ...passRole],
  });

const passDenied = (role: string) => ({
  name: "AccessDeniedException",
  message: `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: iam:PassRole on resource: ${role} because no identity-based policy allows the iam:PassRole action`,
});

describe("iam:PassRole in RunTask, CreateService and UpdateService", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let iam: IAMClient;
  let deployer: ECSClient;
  let withRole: string;
  let withoutRole: string;

  const allowPassRole = (statements: object[]) =>
    iam.send(
      new PutUserPolicyCommand({
        UserName: "deployer",
        PolicyName: "deploy",
        PolicyDocument: deployerPolicy(statements),
      }),
    );

  before(async () => {
    twin = await withTwin({
      ecs: { tickMs: 25, simulated: { pullMs: 5, startMs: 5, stopMs: 5, healthyMs: 5 } },
    });
    iam = new IAMClient(clientConfig(twin));
    for (const [name, service] of [
      ["app-task", "ecs-tasks.amazonaws.com"],
      ["other-task", "ecs-tasks.amazonaws.com"],
      ["ecs-service", "ecs.amazonaws.com"],
    ] as const) {
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: ecsTrust(service) }));
    }
    // The admin registers the definitions (it may pass any role); the deployer only uses them.
    const admin = new ECSClient(clientConfig(twin));
    await admin.send(new CreateClusterCommand({ clusterName: "c" }));
    withRole = (
      await admin.send(
        new RegisterTaskDefinitionCommand({
          family: "with-role",
          taskRoleArn: taskRole,
          containerDefinitions: [container],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    withoutRole = (
      await admin.send(
        new RegisterTaskDefinitionCommand({ family: "no-role", containerDefinitions: [container] }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    await admin.send(
      new CreateServiceCommand({
        cluster: "c",
        serviceName: "plain",
        taskDefinition: withoutRole,
        desiredCount: 0,
      }),
    );
    admin.destroy();
    await iam.send(new CreateUserCommand({ UserName: "deployer" }));
    await allowPassRole([]);
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "deployer" }))).AccessKey!;
    deployer = new ECSClient(
      clientConfig(twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
  });
  after(async () => {
    deployer.destroy();
    iam.destroy();
    await twin.dispose();
  });

  it("without iam:PassRole: every call that hands ECS a role is refused, naming that role", async () => {
    await assert.rejects(
      deployer.send(new RunTaskCommand({ cluster: "c", taskDefinition: withRole })),
      passDenied(taskRole),
    );
    await assert.rejects(
      deployer.send(
        new RunTaskCommand({
          cluster: "c",
          taskDefinition: withoutRole,
          overrides: { taskRoleArn: otherRole },
        }),
      ),
      passDenied(otherRole),
    );
    await assert.rejects(
      deployer.send(
        new CreateServiceCommand({
          cluster: "c",
          serviceName: "s1",
          taskDefinition: withRole,
          desiredCount: 0,
        }),
      ),
      passDenied(taskRole),
    );
    await assert.rejects(
      deployer.send(new UpdateServiceCommand({ cluster: "c", service: "plain", taskDefinition: withRole })),
      passDenied(taskRole),
    );
    // Nothing to pass: the same calls without roles go through.
    const run = await deployer.send(new RunTaskCommand({ cluster: "c", taskDefinition: withoutRole }));
    assert.equal(run.tasks?.length, 1);
    await deployer.send(new UpdateServiceCommand({ cluster: "c", service: "plain", desiredCount: 0 }));
  });

  it("PassRole scoped to ecs-tasks.amazonaws.com lets task roles through, not a service role", async () => {
    await allowPassRole([
      {
        Sid: "PassTaskRoles",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: `arn:aws:iam::${ACCOUNT}:role/*-task`,
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ]);
    const run = await deployer.send(
      new RunTaskCommand({
        cluster: "c",
        taskDefinition: withoutRole,
        overrides: { taskRoleArn: otherRole },
      }),
    );
    assert.equal(run.tasks?.[0]?.overrides?.taskRoleArn, otherRole);
    await deployer.send(new RunTaskCommand({ cluster: "c", taskDefinition: withRole }));
    await deployer.send(
      new CreateServiceCommand({
        cluster: "c",
        serviceName: "s1",
        taskDefinition: withRole,
        desiredCount: 0,
      }),
    );
    const updated = await deployer.send(
      new UpdateServiceCommand({ cluster: "c", service: "plain", taskDefinition: withRole }),
    );
    assert.equal(updated.service?.taskDefinition, withRole);
    // The service-linked load-balancer role is passed to ecs.amazonaws.com, which the condition excludes.
    await assert.rejects(
      deployer.send(
        new CreateServiceCommand({
          cluster: "c",
          serviceName: "s2",
          taskDefinition: withoutRole,
          desiredCount: 0,
          role: serviceRole,
        }),
      ),
      passDenied(serviceRole),
    );
  });

  it("the decision log records each PassRole with iam:PassedToService", async () => {
    const res = await fetch(
      `${twin.url}/_keyship/decisions?action=iam:PassRole&principal=user/deployer&limit=100`,
    );
    const log = (await res.json()) as {
      operation: string;
      decision: string;
      resource: string;
      context?: Record<string, string>;
    }[];
    const ops = new Set(log.map((d) => d.operation));
    for (const op of ["RunTask", "CreateService", "UpdateService"])
      assert.ok(ops.has(op), `${op} checked PassRole`);
    const service = log.find((d) => d.resource === serviceRole && d.decision !== "allowed");
    assert.equal(service?.context?.["iam:PassedToService"], "ecs.amazonaws.com");
  });
});
