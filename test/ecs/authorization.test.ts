// How the ECS twin authorizes, through the SDK against a live twin, as users with narrow policies:
// tag-on-create (ecs:TagResource with ecs:CreateAction,
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html), access
// decided before existence (AccessDeniedException, not ClusterNotFoundException, for a caller without
// permission), the condition keys ecs:ResourceTag/*, ecs:task-definition and ecs:enable-execute-command
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html),
// and the ARNs DeleteTaskDefinitions and DescribeTasks authorize on for references the twin does not hold.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { clientConfig, withTwin } from "../support/twin.ts";

const container = { name: "app", image: "public.ecr.aws/x/app:1", memory: 128 };
const blue = [{ key: "team", value: "blue" }];

const allow = (Action: string | string[], Condition?: object, Resource: string | string[] = "*") => ({
  Effect: "Allow",
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});

describe("ECS authorization", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let admin: ECSClient;
  let iam: IAMClient;
  let arn: (path: string) => string;
  const users: ECSClient[] = [];

  /** A user whose only permissions are `statements` (none when empty), as an ECS client. */
  const userWith = async (name: string, statements: object[]) => {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (statements.length > 0) {
      await iam.send(
        new PutUserPolicyCommand({
          UserName: name,
          PolicyName: "ecs",
          PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
        }),
      );
    }
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const client = new ECSClient(
      clientConfig(twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
    users.push(client);
    return client;
  };

  /** Refused with AccessDeniedException for `action` (on `resource` when given). */
  const refused = (p: Promise<unknown>, action: string, resource?: string) =>
    assert.rejects(p, (e: Error) => {
      assert.equal(e.name, "AccessDeniedException", e.message);
      const on = resource === undefined ? "" : resource.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      assert.match(e.message, new RegExp(`not authorized to perform: ${action} on resource: ${on}`));
      return true;
    });

  before(async () => {
    twin = await withTwin();
    arn = (path) => `arn:aws:ecs:us-east-1:${twin.accountId}:${path}`;
    admin = new ECSClient(clientConfig(twin));
    iam = new IAMClient(clientConfig(twin));
    await admin.send(new CreateClusterCommand({ clusterName: "c" }));
    await admin.send(new RegisterTaskDefinitionCommand({ family: "app", containerDefinitions: [container] }));
    await admin.send(
      new RegisterTaskDefinitionCommand({ family: "other", containerDefinitions: [container] }),
    );
  });
  after(async () => {
    for (const u of users) u.destroy();
    admin.destroy();
    iam.destroy();
    await twin.dispose();
  });

  describe("tag-on-create", () => {
    const creates = ["ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService", "ecs:RunTask"];

    it("tags on CreateCluster, RegisterTaskDefinition, CreateService and RunTask also need ecs:TagResource", async () => {
      const user = await userWith("creator", [allow(creates)]);
      // untagged: the create action alone
      await user.send(new CreateClusterCommand({ clusterName: "plain" }));
      await user.send(
        new RegisterTaskDefinitionCommand({ family: "plain", containerDefinitions: [container] }),
      );
      await user.send(
        new CreateServiceCommand({
          cluster: "c",
          serviceName: "plain",
          taskDefinition: "app",
          desiredCount: 0,
        }),
      );
      assert.equal(
        (await user.send(new RunTaskCommand({ cluster: "c", taskDefinition: "app" }))).tasks?.length,
        1,
      );

      // tagged: refused on the resource being created, and nothing is created
      await refused(
        user.send(new CreateClusterCommand({ clusterName: "tagged", tags: blue })),
        "ecs:TagResource",
        arn("cluster/tagged"),
      );
      const missing = await admin.send(new DescribeClustersCommand({ clusters: ["tagged"] }));
      assert.deepEqual(missing.failures, [{ arn: arn("cluster/tagged"), reason: "MISSING" }]);
      await refused(
        user.send(
          new RegisterTaskDefinitionCommand({
            family: "tagged",
            containerDefinitions: [container],
            tags: blue,
          }),
        ),
        "ecs:TagResource",
        arn("task-definition/tagged:1"),
      );
      await refused(
        user.send(
          new CreateServiceCommand({
            cluster: "c",
            serviceName: "tagged",
            taskDefinition: "app",
            desiredCount: 0,
            tags: blue,
          }),
        ),
        "ecs:TagResource",
        arn("service/c/tagged"),
      );
      const services = await admin.send(new DescribeServicesCommand({ cluster: "c", services: ["tagged"] }));
      assert.equal(services.services?.length, 0);
      const before = await admin.send(new ListTasksCommand({ cluster: "c", desiredStatus: "RUNNING" }));
      await refused(
        user.send(new RunTaskCommand({ cluster: "c", taskDefinition: "app", tags: blue })),
        "ecs:TagResource",
        arn("task/c/"),
      );
      const afterRun = await admin.send(new ListTasksCommand({ cluster: "c", desiredStatus: "RUNNING" }));
      assert.deepEqual(afterRun.taskArns, before.taskArns);
    });

    it("ecs:CreateAction lets a user tag on create yet not call TagResource", async () => {
      const user = await userWith("cluster-maker", [
        allow(creates),
        allow("ecs:TagResource", { StringEquals: { "ecs:CreateAction": "CreateCluster" } }),
      ]);
      const made = await user.send(new CreateClusterCommand({ clusterName: "made", tags: blue }));
      const clusterArn = made.cluster!.clusterArn!;
      assert.deepEqual(
        (await admin.send(new ListTagsForResourceCommand({ resourceArn: clusterArn }))).tags,
        blue,
      );
      await refused(
        user.send(new TagResourceCommand({ resourceArn: clusterArn, tags: [{ key: "x", value: "y" }] })),
        "ecs:TagResource",
        clusterArn,
      );
      // the key names the operation: CreateService is another one
      await refused(
        user.send(
          new CreateServiceCommand({
            cluster: "made",
            serviceName: "s",
            taskDefinition: "app",
            desiredCount: 0,
            tags: blue,
          }),
        ),
        "ecs:TagResource",
        arn("service/made/s"),
      );
    });

    it("RunTask authorizes tag-on-create on the ARN of each task it starts", async () => {
      const user = await userWith("task-tagger", [
        allow(creates),
        allow("ecs:TagResource", { StringEquals: { "ecs:CreateAction": "RunTask" } }, arn("task/c/*")),
      ]);
      const run = await user.send(
        new RunTaskCommand({ cluster: "c", taskDefinition: "app", count: 2, tags: blue }),
      );
      assert.equal(run.tasks?.length, 2);
      for (const t of run.tasks!) {
        assert.deepEqual(
          (await admin.send(new ListTagsForResourceCommand({ resourceArn: t.taskArn! }))).tags,
          blue,
        );
      }
      const res = await fetch(
        `${twin.url}/_keyship/decisions?action=ecs:TagResource&principal=user/task-tagger&limit=100`,
      );
      const log = (await res.json()) as {
        resource: string;
        decision: string;
        context?: Record<string, unknown>;
      }[];
      assert.deepEqual(log.map((d) => d.resource).sort(), run.tasks!.map((t) => t.taskArn!).sort());
      for (const d of log) assert.equal(d.decision, "allowed");
    });
  });

  describe("access before existence", () => {
    it("a caller without permission learns nothing about a cluster that does not exist", async () => {
      const nobody = await userWith("nobody", []);
      const ghost = arn("cluster/ghost");
      await refused(
        nobody.send(
          new CreateServiceCommand({
            cluster: "ghost",
            serviceName: "s",
            taskDefinition: "app",
            desiredCount: 0,
          }),
        ),
        "ecs:CreateService",
        arn("service/ghost/s"),
      );
      await refused(
        nobody.send(new UpdateServiceCommand({ cluster: "ghost", service: "s", desiredCount: 1 })),
        "ecs:UpdateService",
        arn("service/ghost/s"),
      );
      await refused(
        nobody.send(new DeleteServiceCommand({ cluster: "ghost", service: "s" })),
        "ecs:DeleteService",
      );
      await refused(
        nobody.send(new DescribeServicesCommand({ cluster: ghost, services: ["s"] })),
        "ecs:DescribeServices",
        arn("service/ghost/s"),
      );
      await refused(nobody.send(new ListServicesCommand({ cluster: "ghost" })), "ecs:ListServices");
      await refused(
        nobody.send(new RunTaskCommand({ cluster: "ghost", taskDefinition: "app" })),
        "ecs:RunTask",
      );
      await refused(
        nobody.send(new StopTaskCommand({ cluster: "ghost", task: "0".repeat(32) })),
        "ecs:StopTask",
        arn(`task/ghost/${"0".repeat(32)}`),
      );
      await refused(
        nobody.send(new DescribeTasksCommand({ cluster: "ghost", tasks: ["0".repeat(32)] })),
        "ecs:DescribeTasks",
      );
      await refused(nobody.send(new ListTasksCommand({ cluster: "ghost" })), "ecs:ListTasks");
      await refused(
        nobody.send(new TagResourceCommand({ resourceArn: ghost, tags: blue })),
        "ecs:TagResource",
        ghost,
      );
      await refused(
        nobody.send(new UntagResourceCommand({ resourceArn: ghost, tagKeys: ["team"] })),
        "ecs:UntagResource",
        ghost,
      );
      await refused(
        nobody.send(new ListTagsForResourceCommand({ resourceArn: arn("service/ghost/s") })),
        "ecs:ListTagsForResource",
      );
    });

    it("a caller who is allowed still gets ClusterNotFoundException and ResourceNotFoundException", async () => {
      const notFound = { name: "ClusterNotFoundException", message: "Cluster not found." };
      await assert.rejects(admin.send(new ListServicesCommand({ cluster: "ghost" })), notFound);
      await assert.rejects(
        admin.send(new DescribeTasksCommand({ cluster: "ghost", tasks: ["0".repeat(32)] })),
        notFound,
      );
      await assert.rejects(
        admin.send(new StopTaskCommand({ cluster: "ghost", task: "0".repeat(32) })),
        notFound,
      );
      await assert.rejects(
        admin.send(
          new CreateServiceCommand({
            cluster: "ghost",
            serviceName: "s",
            taskDefinition: "app",
            desiredCount: 0,
          }),
        ),
        notFound,
      );
      await assert.rejects(
        admin.send(new ListTagsForResourceCommand({ resourceArn: arn("service/ghost/s") })),
        notFound,
      );
      await assert.rejects(
        admin.send(new ListTagsForResourceCommand({ resourceArn: arn("cluster/ghost") })),
        {
          name: "ResourceNotFoundException",
        },
      );
    });
  });

  describe("condition keys", () => {
    it("ecs:ResourceTag/<key> is the resource's tag, as aws:ResourceTag/<key> is", async () => {
      await admin.send(new CreateClusterCommand({ clusterName: "blue", tags: blue }));
      await admin.send(
        new CreateClusterCommand({ clusterName: "red", tags: [{ key: "team", value: "red" }] }),
      );
      const user = await userWith("blue-reader", [
        allow("ecs:DescribeClusters", { StringEquals: { "ecs:ResourceTag/team": "blue" } }),
      ]);
      const d = await user.send(new DescribeClustersCommand({ clusters: ["blue"] }));
      assert.equal(d.clusters?.[0]?.clusterName, "blue");
      await refused(
        user.send(new DescribeClustersCommand({ clusters: ["red"] })),
        "ecs:DescribeClusters",
        arn("cluster/red"),
      );
    });

    it("ecs:task-definition is the task definition CreateService and UpdateService are given", async () => {
      const user = await userWith("app-deployer", [
        allow(["ecs:CreateService", "ecs:UpdateService"], {
          ArnLike: { "ecs:task-definition": arn("task-definition/app:*") },
        }),
      ]);
      await user.send(
        new CreateServiceCommand({ cluster: "c", serviceName: "td", taskDefinition: "app", desiredCount: 0 }),
      );
      await refused(
        user.send(
          new CreateServiceCommand({
            cluster: "c",
            serviceName: "td2",
            taskDefinition: "other",
            desiredCount: 0,
          }),
        ),
        "ecs:CreateService",
      );
      await user.send(new UpdateServiceCommand({ cluster: "c", service: "td", taskDefinition: "app:1" }));
      await refused(
        user.send(new UpdateServiceCommand({ cluster: "c", service: "td", taskDefinition: "other" })),
        "ecs:UpdateService",
      );
    });

    it("ecs:enable-execute-command is the request's enableExecuteCommand on RunTask, CreateService and UpdateService", async () => {
      const user = await userWith("no-exec", [
        allow(["ecs:RunTask", "ecs:CreateService", "ecs:UpdateService"], {
          StringEquals: { "ecs:enable-execute-command": "false" },
        }),
      ]);
      await user.send(
        new RunTaskCommand({ cluster: "c", taskDefinition: "app", enableExecuteCommand: false }),
      );
      await refused(
        user.send(new RunTaskCommand({ cluster: "c", taskDefinition: "app", enableExecuteCommand: true })),
        "ecs:RunTask",
      );
      await user.send(
        new CreateServiceCommand({
          cluster: "c",
          serviceName: "exec",
          taskDefinition: "app",
          desiredCount: 0,
          enableExecuteCommand: false,
        }),
      );
      await refused(
        user.send(
          new CreateServiceCommand({
            cluster: "c",
            serviceName: "exec2",
            taskDefinition: "app",
            desiredCount: 0,
            enableExecuteCommand: true,
          }),
        ),
        "ecs:CreateService",
      );
      await user.send(
        new UpdateServiceCommand({ cluster: "c", service: "exec", enableExecuteCommand: false }),
      );
      await refused(
        user.send(new UpdateServiceCommand({ cluster: "c", service: "exec", enableExecuteCommand: true })),
        "ecs:UpdateService",
      );
    });
  });

  describe("ARNs for references the twin does not hold", () => {
    it("DeleteTaskDefinitions authorizes an unknown family:revision on its task-definition ARN", async () => {
      const user = await userWith("td-cleaner", [
        allow("ecs:DeleteTaskDefinitions", undefined, arn("task-definition/ghost:*")),
      ]);
      const out = await user.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["ghost:1"] }));
      assert.deepEqual(out.failures, [
        { arn: "ghost:1", reason: "The specified task definition does not exist." },
      ]);
      await refused(
        user.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["phantom:1"] })),
        "ecs:DeleteTaskDefinitions",
        arn("task-definition/phantom:1"),
      );
      // an ARN of another region and account is authorized as given, not as one of the caller's
      const foreign = "arn:aws:ecs:eu-west-1:999999999999:task-definition/ghost:1";
      await refused(
        user.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [foreign] })),
        "ecs:DeleteTaskDefinitions",
        foreign,
      );
    });

    it("DescribeTasks authorizes an unparseable task reference on the task ARN in the cluster", async () => {
      const user = await userWith("task-reader", [allow("ecs:DescribeTasks", undefined, arn("task/c/*"))]);
      const out = await user.send(new DescribeTasksCommand({ cluster: "c", tasks: ["not a task id!"] }));
      assert.deepEqual(out.failures, [{ arn: "not a task id!", reason: "MISSING" }]);
      await refused(
        user.send(new DescribeTasksCommand({ cluster: "blue", tasks: ["not a task id!"] })),
        "ecs:DescribeTasks",
        arn("task/blue/not a task id!"),
      );
    });
  });
});
