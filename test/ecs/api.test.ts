// ECS through the SDK v3 and the aws CLI against a live twin (simulated runtime with short timings).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  waitUntilServicesInactive,
  waitUntilServicesStable,
  waitUntilTasksRunning,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { aws, cliEnv, clientConfig, withTwin } from "../support/twin.ts";

type LiveTwin = Awaited<ReturnType<typeof withTwin>>;

const fast = {
  tickMs: 25,
  reconcile: { noHealthCheckSettleSeconds: 0 },
  simulated: { pullMs: 30, startMs: 30, stopMs: 30, healthyMs: 30, crashAfterMs: 10 },
};
const waitFast = { minDelay: 1, maxDelay: 1, maxWaitTime: 60 };
const container = (image: string) => ({
  name: "app",
  image,
  memory: 128,
  portMappings: [{ containerPort: 8080 }],
});

describe("ECS API (SDK v3, simulated runtime)", () => {
  let twin: LiveTwin;
  let ecs: ECSClient;
  before(async () => {
    twin = await withTwin({ ecs: fast });
    ecs = new ECSClient(clientConfig(twin));
    await ecs.send(new CreateClusterCommand({ clusterName: "c" }));
  });
  after(async () => {
    ecs.destroy();
    await twin.dispose();
  });

  it("rejects task definitions in ECS's words", async () => {
    await assert.rejects(
      ecs.send(
        new RegisterTaskDefinitionCommand({ family: "bad@x", containerDefinitions: [container("x")] }),
      ),
      { name: "ClientException", message: "Family contains invalid characters." },
    );
    await assert.rejects(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "web",
          requiresCompatibilities: ["FARGATE"],
          networkMode: "awsvpc",
          cpu: "1024",
          memory: "1024",
          containerDefinitions: [container("x")],
        }),
      ),
      {
        name: "ClientException",
        message:
          "No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values.",
      },
    );
    await assert.rejects(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "nope" })), {
      name: "ClientException",
      message: "Unable to describe task definition.",
    });
  });

  it("registers with normalised sizes and what ECS adds", async () => {
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "sized",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "1 vCPU",
        memory: "2 GB",
        containerDefinitions: [container("busybox")],
        tags: [{ key: "team", value: "a" }],
      }),
    );
    const td = out.taskDefinition!;
    assert.equal(td.cpu, "1024");
    assert.equal(td.memory, "2048");
    assert.equal(td.revision, 1);
    assert.equal(td.status, "ACTIVE");
    assert.ok(td.registeredAt instanceof Date);
    assert.match(td.registeredBy!, /^arn:aws:iam::\d{12}:user\//);
    assert.deepEqual(td.compatibilities, ["EC2", "FARGATE"]);
    assert.equal(td.containerDefinitions![0]!.portMappings![0]!.hostPort, 8080);
    const d = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: "sized", include: ["TAGS"] }),
    );
    assert.deepEqual(d.tags, [{ key: "team", value: "a" }]);
  });

  it("rolls a service to a new revision and reports a steady state; waiters agree", async () => {
    const v1 = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "web", containerDefinitions: [container("web:v1")] }),
    );
    const created = await ecs.send(
      new CreateServiceCommand({
        cluster: "c",
        serviceName: "web",
        taskDefinition: "web",
        desiredCount: 3,
        deploymentConfiguration: {
          deploymentCircuitBreaker: { enable: true, rollback: true },
          minimumHealthyPercent: 50,
          maximumPercent: 100,
        },
      }),
    );
    assert.equal(created.service!.deployments!.length, 1);
    assert.equal(created.service!.deployments![0]!.rolloutState, "IN_PROGRESS");
    await waitUntilServicesStable({ client: ecs, ...waitFast }, { cluster: "c", services: ["web"] });

    const v2 = await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "web", containerDefinitions: [container("web:v2")] }),
    );
    const updated = await ecs.send(
      new UpdateServiceCommand({
        cluster: "c",
        service: "web",
        taskDefinition: "web",
        volumeConfigurations: [],
      }),
    );
    assert.equal(updated.service!.deployments!.length, 2, "the response already has the new PRIMARY");
    assert.equal(updated.service!.deployments![0]!.taskDefinition, v2.taskDefinition!.taskDefinitionArn);
    const newId = updated.service!.deployments![0]!.id!;
    await waitUntilServicesStable({ client: ecs, ...waitFast }, { cluster: "c", services: ["web"] });

    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: "c", services: ["web"] })))
      .services![0]!;
    assert.equal(svc.deployments!.length, 1);
    assert.equal(svc.deployments![0]!.id, newId);
    assert.equal(svc.deployments![0]!.rolloutState, "COMPLETED");
    assert.equal(svc.deployments![0]!.rolloutStateReason, `ECS deployment ${newId} completed.`);
    assert.equal(svc.runningCount, 3);
    assert.equal(svc.events![0]!.message, "(service web) has reached a steady state.");
    assert.equal(svc.events![1]!.message, `(service web) (deployment ${newId}) deployment completed.`);
    const running = await ecs.send(new ListTasksCommand({ cluster: "c", serviceName: "web" }));
    const tasks = await ecs.send(new DescribeTasksCommand({ cluster: "c", tasks: running.taskArns! }));
    assert.equal(tasks.tasks!.length, 3);
    for (const t of tasks.tasks!) assert.equal(t.taskDefinitionArn, v2.taskDefinition!.taskDefinitionArn);
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: "c", serviceName: "web", desiredStatus: "STOPPED" }),
    );
    const old = await ecs.send(new DescribeTasksCommand({ cluster: "c", tasks: stopped.taskArns! }));
    assert.equal(old.tasks!.length, 3);
    for (const t of old.tasks!) {
      assert.equal(t.taskDefinitionArn, v1.taskDefinition!.taskDefinitionArn);
      assert.equal(t.stopCode, "ServiceSchedulerInitiated");
      assert.equal(t.stoppedReason, `Scaling activity initiated by (deployment ${newId})`);
    }
  });

  it("trips the circuit breaker on a crashing image and rolls back", async () => {
    const good = (await ecs.send(new DescribeServicesCommand({ cluster: "c", services: ["web"] })))
      .services![0]!;
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "web", containerDefinitions: [container("web:crash")] }),
    );
    const updated = await ecs.send(
      new UpdateServiceCommand({ cluster: "c", service: "web", taskDefinition: "web" }),
    );
    const badId = updated.service!.deployments![0]!.id!;
    const goodId = good.deployments![0]!.id!;
    await waitUntilServicesStable({ client: ecs, ...waitFast }, { cluster: "c", services: ["web"] });
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: "c", services: ["web"] })))
      .services![0]!;
    assert.equal(svc.taskDefinition, good.taskDefinition);
    assert.equal(
      svc.deployments![0]!.rolloutStateReason?.startsWith("ECS deployment") &&
        svc.deployments![0]!.taskDefinition,
      good.taskDefinition,
    );
    const messages = svc.events!.map((e) => e.message);
    assert.ok(
      messages.includes(`(service web) (deployment ${badId}) deployment failed: tasks failed to start.`),
    );
    assert.ok(messages.includes(`(service web) (deployment ${badId}) rolling back to deployment ${goodId}.`));
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: "c", serviceName: "web", desiredStatus: "STOPPED" }),
    );
    const tasks = await ecs.send(new DescribeTasksCommand({ cluster: "c", tasks: stopped.taskArns! }));
    const crashed = tasks.tasks!.filter((t) => t.startedBy === badId);
    assert.ok(crashed.length >= 3);
    for (const t of crashed) {
      assert.equal(t.stopCode, "EssentialContainerExited");
      assert.equal(t.stoppedReason, "Essential container in task exited");
      assert.equal(t.containers![0]!.exitCode, 1);
    }
  });

  it("runs and stops a task; tasks-running and tasks-stopped waiters succeed", async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "job", containerDefinitions: [container("job:1")] }),
    );
    const run = await ecs.send(new RunTaskCommand({ cluster: "c", taskDefinition: "job", startedBy: "me" }));
    const arn = run.tasks![0]!.taskArn!;
    assert.match(arn, /^arn:aws:ecs:us-east-1:\d{12}:task\/c\/[0-9a-f]{32}$/);
    assert.equal(run.tasks![0]!.group, "family:job");
    await waitUntilTasksRunning({ client: ecs, ...waitFast }, { cluster: "c", tasks: [arn] });
    const stop = await ecs.send(new StopTaskCommand({ cluster: "c", task: arn }));
    assert.equal(stop.task!.desiredStatus, "STOPPED");
    assert.equal(stop.task!.stopCode, "UserInitiated");
    assert.equal(stop.task!.stoppedReason, "Task stopped by user");
    await waitUntilTasksStopped({ client: ecs, ...waitFast }, { cluster: "c", tasks: [arn] });
    const t = (await ecs.send(new DescribeTasksCommand({ cluster: "c", tasks: [arn] }))).tasks![0]!;
    assert.equal(t.lastStatus, "STOPPED");
    assert.equal(typeof t.containers![0]!.exitCode, "number");
    assert.ok(t.stoppedAt instanceof Date);
  });

  it("fails a task whose image is missing from the registry with CannotPullContainerError", async () => {
    const image = `${twin.accountId}.dkr.ecr.us-east-1.amazonaws.com/nothere:v1`;
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "missing", containerDefinitions: [container(image)] }),
    );
    const run = await ecs.send(new RunTaskCommand({ cluster: "c", taskDefinition: "missing" }));
    const arn = run.tasks![0]!.taskArn!;
    await waitUntilTasksStopped({ client: ecs, ...waitFast }, { cluster: "c", tasks: [arn] });
    const t = (await ecs.send(new DescribeTasksCommand({ cluster: "c", tasks: [arn] }))).tasks![0]!;
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(t.stoppedReason!, /^CannotPullContainerError: /);
  });

  it("answers unknown resources as ECS does", async () => {
    const d = await ecs.send(new DescribeServicesCommand({ cluster: "c", services: ["ghost"] }));
    assert.deepEqual(d.failures, [
      { arn: `arn:aws:ecs:us-east-1:${twin.accountId}:service/c/ghost`, reason: "MISSING" },
    ]);
    await assert.rejects(ecs.send(new DescribeServicesCommand({ cluster: "nope", services: ["x"] })), {
      name: "ClusterNotFoundException",
      message: "Cluster not found.",
    });
    await assert.rejects(
      ecs.send(new UpdateServiceCommand({ cluster: "c", service: "ghost", desiredCount: 1 })),
      {
        name: "ServiceNotFoundException",
        message: "Service not found.",
      },
    );
    await assert.rejects(ecs.send(new DescribeTasksCommand({ cluster: "c", tasks: [] })), {
      name: "InvalidParameterException",
      message: "Tasks cannot be empty.",
    });
    await assert.rejects(ecs.send(new StopTaskCommand({ cluster: "c", task: "0".repeat(32) })), {
      name: "InvalidParameterException",
      message: "The referenced task was not found",
    });
  });

  it("tags resources and deletes a service through DRAINING to INACTIVE", async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "tmp", containerDefinitions: [container("tmp:1")] }),
    );
    const s = await ecs.send(
      new CreateServiceCommand({ cluster: "c", serviceName: "tmp", taskDefinition: "tmp", desiredCount: 1 }),
    );
    const arn = s.service!.serviceArn!;
    await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "k", value: "v" }] }));
    assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, [
      { key: "k", value: "v" },
    ]);
    await assert.rejects(ecs.send(new DeleteServiceCommand({ cluster: "c", service: "tmp" })), {
      name: "InvalidParameterException",
      message: "The service cannot be stopped while it is scaled above 0.",
    });
    const del = await ecs.send(new DeleteServiceCommand({ cluster: "c", service: "tmp", force: true }));
    assert.equal(del.service!.status, "DRAINING");
    await waitUntilServicesInactive({ client: ecs, ...waitFast }, { cluster: "c", services: ["tmp"] });
    const listed = await ecs.send(new ListServicesCommand({ cluster: "c" }));
    assert.ok(!listed.serviceArns!.includes(arn));
  });

  it("refuses iam:PassRole without a policy that allows it, and allows it with AmazonECS_FullAccess's statement", async () => {
    const iam = new IAMClient(clientConfig(twin));
    await iam.send(new CreateUserCommand({ UserName: "deployer" }));
    const allowEcs = { Effect: "Allow", Action: "ecs:*", Resource: "*" };
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "deployer",
        PolicyName: "ecs",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [allowEcs] }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "deployer" }))).AccessKey!;
    const deployer = new ECSClient(
      clientConfig(twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
    const role = `arn:aws:iam::${twin.accountId}:role/app-task`;
    const register = () =>
      deployer.send(
        new RegisterTaskDefinitionCommand({
          family: "passrole",
          taskRoleArn: role,
          containerDefinitions: [container("x")],
        }),
      );
    await assert.rejects(register(), {
      name: "AccessDeniedException",
      message: `User: arn:aws:iam::${twin.accountId}:user/deployer is not authorized to perform: iam:PassRole on resource: ${role} because no identity-based policy allows the iam:PassRole action`,
    });
    // eventual consistency is not simulated: the new policy applies to the next call
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "deployer",
        PolicyName: "ecs",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            allowEcs,
            {
              Effect: "Allow",
              Action: "iam:PassRole",
              Resource: "*",
              Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
            },
          ],
        }),
      }),
    );
    const ok = await register();
    assert.equal(ok.taskDefinition!.taskRoleArn, role);
    deployer.destroy();
    iam.destroy();
  });

  it("answers the aws CLI: validation error text and wait services-stable", async () => {
    const env = cliEnv(twin);
    const bad = await aws(
      [
        "ecs",
        "register-task-definition",
        "--family",
        "cli",
        "--container-definitions",
        JSON.stringify([{ name: "app", image: "x" }]),
      ],
      env,
    );
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      /An error occurred \(ClientException\) when calling the RegisterTaskDefinition operation: Invalid setting for container 'app'\. At least one of 'memory' or 'memoryReservation' must be specified\./,
    );
    const wait = await aws(["ecs", "wait", "services-stable", "--cluster", "c", "--services", "web"], env);
    assert.equal(wait.code, 0, wait.stderr);
    const missing = await aws(
      ["ecs", "wait", "services-stable", "--cluster", "c", "--services", "ghost"],
      env,
    );
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Waiter ServicesStable failed: Waiter encountered a terminal failure state/);
  });
});
