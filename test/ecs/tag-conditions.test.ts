// ECS's tag condition keys through the SDK against a live twin: aws:RequestTag/* and aws:TagKeys on the
// calls that create or change tags, aws:ResourceTag/* on calls naming a tagged cluster, service, task or
// task definition. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  ECSClient,
  ListTagsForResourceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
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
const red = [{ key: "team", value: "red" }];

const policy = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "CreateBlue",
      Effect: "Allow",
      Action: ["ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:RequestTag/team": "blue" },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] },
      },
    },
    {
      // tags given on create also need ecs:TagResource (supported-iam-actions-tagging.html)
      Sid: "TagOnCreate",
      Effect: "Allow",
      Action: "ecs:TagResource",
      Resource: "*",
      Condition: {
        StringEquals: { "ecs:CreateAction": ["CreateCluster", "RegisterTaskDefinition", "CreateService"] },
      },
    },
    {
      Sid: "UseBlue",
      Effect: "Allow",
      Action: [
        "ecs:DescribeClusters",
        "ecs:DeleteCluster",
        "ecs:DescribeServices",
        "ecs:RunTask",
        "ecs:ListTagsForResource",
      ],
      Resource: "*",
      Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } },
    },
    {
      Sid: "CostTagsOnBlue",
      Effect: "Allow",
      Action: ["ecs:TagResource", "ecs:UntagResource"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:ResourceTag/team": "blue" },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["cost"] },
      },
    },
  ],
});

describe("ECS tag condition keys", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let admin: ECSClient;
  let user: ECSClient;

  const refused = async (p: Promise<unknown>, action: string) =>
    assert.rejects(p, (e: Error) => {
      assert.equal(e.name, "AccessDeniedException");
      assert.match(e.message, new RegExp(`not authorized to perform: ${action} on resource: `));
      return true;
    });

  before(async () => {
    twin = await withTwin();
    admin = new ECSClient(clientConfig(twin));
    const iam = new IAMClient(clientConfig(twin));
    await iam.send(new CreateUserCommand({ UserName: "tagged-ops" }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: "tagged-ops", PolicyName: "ecs", PolicyDocument: policy }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "tagged-ops" }))).AccessKey!;
    iam.destroy();
    user = new ECSClient(
      clientConfig(twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
  });
  after(async () => {
    admin.destroy();
    user.destroy();
    await twin.dispose();
  });

  it("aws:RequestTag and aws:TagKeys decide CreateCluster, RegisterTaskDefinition and CreateService", async () => {
    await user.send(new CreateClusterCommand({ clusterName: "blue", tags: blue }));
    await refused(
      user.send(new CreateClusterCommand({ clusterName: "red", tags: red })),
      "ecs:CreateCluster",
    );
    await refused(user.send(new CreateClusterCommand({ clusterName: "bare" })), "ecs:CreateCluster");
    await refused(
      user.send(
        new CreateClusterCommand({ clusterName: "extra", tags: [...blue, { key: "owner", value: "x" }] }),
      ),
      "ecs:CreateCluster",
    );
    await user.send(
      new RegisterTaskDefinitionCommand({
        family: "blue-app",
        containerDefinitions: [container],
        tags: blue,
      }),
    );
    await refused(
      user.send(
        new RegisterTaskDefinitionCommand({
          family: "red-app",
          containerDefinitions: [container],
          tags: red,
        }),
      ),
      "ecs:RegisterTaskDefinition",
    );
    await user.send(
      new CreateServiceCommand({
        cluster: "blue",
        serviceName: "web",
        taskDefinition: "blue-app",
        desiredCount: 0,
        tags: blue,
      }),
    );
    await refused(
      user.send(
        new CreateServiceCommand({
          cluster: "blue",
          serviceName: "api",
          taskDefinition: "blue-app",
          desiredCount: 0,
        }),
      ),
      "ecs:CreateService",
    );
  });

  it("aws:ResourceTag decides calls on existing clusters, services and task definitions", async () => {
    await admin.send(new CreateClusterCommand({ clusterName: "red", tags: red }));
    await admin.send(
      new RegisterTaskDefinitionCommand({ family: "red-app", containerDefinitions: [container], tags: red }),
    );
    const described = await user.send(new DescribeClustersCommand({ clusters: ["blue"] }));
    assert.equal(described.clusters?.[0]?.clusterName, "blue");
    await refused(user.send(new DescribeClustersCommand({ clusters: ["red"] })), "ecs:DescribeClusters");
    const services = await user.send(new DescribeServicesCommand({ cluster: "blue", services: ["web"] }));
    assert.equal(services.services?.[0]?.serviceName, "web");
    const run = await user.send(new RunTaskCommand({ cluster: "blue", taskDefinition: "blue-app" }));
    assert.equal(run.tasks?.length, 1);
    await refused(
      user.send(new RunTaskCommand({ cluster: "blue", taskDefinition: "red-app" })),
      "ecs:RunTask",
    );
    await refused(user.send(new DeleteClusterCommand({ cluster: "red" })), "ecs:DeleteCluster");
  });

  it("TagResource sees the resource's tags and the new keys; UntagResource the removed keys", async () => {
    const [cluster] = (await admin.send(new DescribeClustersCommand({ clusters: ["blue", "red"] })))
      .clusters!;
    const blueArn = cluster!.clusterArn!;
    const redArn = blueArn.replace(/blue$/, "red");
    await user.send(new TagResourceCommand({ resourceArn: blueArn, tags: [{ key: "cost", value: "42" }] }));
    await refused(
      user.send(new TagResourceCommand({ resourceArn: blueArn, tags: [{ key: "team", value: "red" }] })),
      "ecs:TagResource",
    );
    await refused(
      user.send(new TagResourceCommand({ resourceArn: redArn, tags: [{ key: "cost", value: "1" }] })),
      "ecs:TagResource",
    );
    await refused(
      user.send(new UntagResourceCommand({ resourceArn: blueArn, tagKeys: ["team"] })),
      "ecs:UntagResource",
    );
    await user.send(new UntagResourceCommand({ resourceArn: blueArn, tagKeys: ["cost"] }));
    assert.deepEqual((await user.send(new ListTagsForResourceCommand({ resourceArn: blueArn }))).tags, blue);
  });
});
