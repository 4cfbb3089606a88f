// The ECS operations api.test.ts does not reach, through the SDK v3 and the aws CLI (simulated runtime):
// clusters, the task definition lifecycle, UntagResource, what UpdateService counts as a change, the
// tasks-running/tasks-stopped waiters of the CLI, and ECR image references pinned by digest.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  waitUntilServicesInactive,
  waitUntilServicesStable,
  waitUntilTasksRunning,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import { aws, cliEnv, clientConfig, withTwin } from "../support/twin.ts";

type LiveTwin = Awaited<ReturnType<typeof withTwin>>;

const fast = {
  tickMs: 25,
  reconcile: { noHealthCheckSettleSeconds: 0 },
  simulated: { pullMs: 30, startMs: 30, stopMs: 30, healthyMs: 30, crashAfterMs: 10 },
};
const waitFast = { minDelay: 1, maxDelay: 1, maxWaitTime: 60 };
const container = (image: string) => ({ name: "app", image, memory: 128 });

describe("ECS operations (SDK v3 and aws CLI, simulated runtime)", () => {
  let twin: LiveTwin;
  let ecs: ECSClient;
  let acct: string;
  before(async () => {
    twin = await withTwin({ ecs: fast });
    ecs = new ECSClient(clientConfig(twin));
    acct = twin.accountId;
  });
  after(async () => {
    ecs.destroy();
    await twin.dispose();
  });

  it("clusters: create with tags, describe (TAGS, MISSING), list, delete only when empty", async () => {
    const created = await ecs.send(
      new CreateClusterCommand({ clusterName: "ops", tags: [{ key: "team", value: "a" }] }),
    );
    const arn = `arn:aws:ecs:us-east-1:${acct}:cluster/ops`;
    assert.equal(created.cluster!.clusterArn, arn);
    assert.equal(created.cluster!.status, "ACTIVE");
    const d = await ecs.send(new DescribeClustersCommand({ clusters: ["ops", "ghost"], include: ["TAGS"] }));
    assert.equal(d.clusters!.length, 1);
    assert.equal(d.clusters![0]!.clusterName, "ops");
    assert.deepEqual(d.clusters![0]!.tags, [{ key: "team", value: "a" }]);
    assert.deepEqual(d.failures, [{ arn: `arn:aws:ecs:us-east-1:${acct}:cluster/ghost`, reason: "MISSING" }]);
    assert.ok((await ecs.send(new ListClustersCommand({}))).clusterArns!.includes(arn));

    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "ops", containerDefinitions: [container("ops:1")] }),
    );
    await ecs.send(
      new CreateServiceCommand({ cluster: "ops", serviceName: "s", taskDefinition: "ops", desiredCount: 1 }),
    );
    await assert.rejects(ecs.send(new DeleteClusterCommand({ cluster: "ops" })), {
      name: "ClusterContainsServicesException",
      message: "The Cluster cannot be deleted while Services are active.",
    });
    await waitUntilServicesStable({ client: ecs, ...waitFast }, { cluster: "ops", services: ["s"] });
    const tasks = (await ecs.send(new ListTasksCommand({ cluster: "ops", serviceName: "s" }))).taskArns!;
    assert.equal(tasks.length, 1);
    await ecs.send(new DeleteServiceCommand({ cluster: "ops", service: "s", force: true }));
    // INACTIVE once its tasks are STOPPING or STOPPED; the cluster keeps them until they are STOPPED
    await waitUntilServicesInactive({ client: ecs, ...waitFast }, { cluster: "ops", services: ["s"] });
    await waitUntilTasksStopped({ client: ecs, ...waitFast }, { cluster: "ops", tasks });

    const deleted = await ecs.send(new DeleteClusterCommand({ cluster: "ops" }));
    assert.equal(deleted.cluster!.status, "INACTIVE");
    assert.ok(!(await ecs.send(new ListClustersCommand({}))).clusterArns!.includes(arn));
    const after = await ecs.send(new DescribeClustersCommand({ clusters: ["ops"] }));
    assert.equal(after.clusters![0]!.status, "INACTIVE", "stays describable, INACTIVE");
    await assert.rejects(ecs.send(new DeleteClusterCommand({ cluster: "ops" })), {
      name: "ClusterNotFoundException",
      message: "Cluster not found.",
    });
  });

  it("task definitions: list, families, deregister, delete; the revision keeps counting", async () => {
    const reg = (family: string, tag: string) =>
      ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [container(`x:${tag}`)] }));
    for (const t of ["1", "2", "3"]) await reg("tdl-a", t);
    await reg("tdl-b", "1");
    const arn = (family: string, rev: number) =>
      `arn:aws:ecs:us-east-1:${acct}:task-definition/${family}:${rev}`;

    // familyPrefix names one family exactly (specs/ecs.md §3.4), revisions ascending; DESC reverses
    const asc = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "tdl-a" }));
    assert.deepEqual(asc.taskDefinitionArns, [arn("tdl-a", 1), arn("tdl-a", 2), arn("tdl-a", 3)]);
    const desc = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "tdl-a", sort: "DESC" }));
    assert.deepEqual(desc.taskDefinitionArns, [arn("tdl-a", 3), arn("tdl-a", 2), arn("tdl-a", 1)]);
    const paged = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "tdl-a", maxResults: 2 }));
    assert.equal(paged.taskDefinitionArns!.length, 2);
    const rest = await ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: "tdl-a", maxResults: 2, nextToken: paged.nextToken }),
    );
    assert.deepEqual(rest.taskDefinitionArns, [arn("tdl-a", 3)]);
    const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "tdl-" }));
    assert.deepEqual(families.families, ["tdl-a", "tdl-b"]);

    await assert.rejects(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "tdl-b" })), {
      name: "ClientException",
      message: "Revision is missing.",
    });
    const dereg = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "tdl-b:1" }));
    assert.equal(dereg.taskDefinition!.status, "INACTIVE");
    assert.ok(dereg.taskDefinition!.deregisteredAt instanceof Date);
    assert.deepEqual(
      (await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "tdl-", status: "ACTIVE" })))
        .families,
      ["tdl-a"],
    );
    assert.deepEqual(
      (await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: "tdl-", status: "INACTIVE" })))
        .families,
      ["tdl-b"],
    );
    assert.deepEqual(
      (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "tdl-b", status: "INACTIVE" })))
        .taskDefinitionArns,
      [arn("tdl-b", 1)],
    );
    assert.deepEqual(
      (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "tdl-b" }))).taskDefinitionArns,
      [],
    );
    // an INACTIVE revision is still describable, but no new service may use it
    assert.equal(
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "tdl-b:1" }))).taskDefinition!
        .status,
      "INACTIVE",
    );

    const del = await ecs.send(
      new DeleteTaskDefinitionsCommand({ taskDefinitions: ["tdl-a:1", "tdl-b:1", "tdl-z:9"] }),
    );
    assert.deepEqual(
      del.taskDefinitions!.map((t) => [t.taskDefinitionArn, t.status]),
      [[arn("tdl-b", 1), "DELETE_IN_PROGRESS"]],
    );
    assert.ok(del.taskDefinitions![0]!.deleteRequestedAt instanceof Date);
    assert.deepEqual(
      del.failures!.map((f) => f.arn),
      [arn("tdl-a", 1), "tdl-z:9"],
    );
    assert.match(del.failures![0]!.reason!, /still in ACTIVE status/);
    await assert.rejects(ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [] })), {
      name: "InvalidParameterException",
    });
    // "the revision is incremented the next time you create a task definition with that name"
    assert.equal((await reg("tdl-b", "2")).taskDefinition!.revision, 2);
  });

  it("UntagResource removes the named keys, ignores unknown ones; task definitions take tags too", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "tags" }));
    const cluster = `arn:aws:ecs:us-east-1:${acct}:cluster/tags`;
    await ecs.send(
      new TagResourceCommand({
        resourceArn: cluster,
        tags: [
          { key: "a", value: "1" },
          { key: "b", value: "2" },
          { key: "c", value: "3" },
        ],
      }),
    );
    await ecs.send(new UntagResourceCommand({ resourceArn: cluster, tagKeys: ["b", "nope"] }));
    const left = (await ecs.send(new ListTagsForResourceCommand({ resourceArn: cluster }))).tags!;
    assert.deepEqual(left.map((t) => t.key).sort(), ["a", "c"]);
    const td = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({ family: "tagged", containerDefinitions: [container("t:1")] }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    await ecs.send(new TagResourceCommand({ resourceArn: td, tags: [{ key: "k", value: "v" }] }));
    await ecs.send(new UntagResourceCommand({ resourceArn: td, tagKeys: ["k"] }));
    assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: td }))).tags, []);
    await assert.rejects(
      ecs.send(new UntagResourceCommand({ resourceArn: `${cluster}-gone`, tagKeys: ["a"] })),
      { name: "ResourceNotFoundException", message: "The specified resource could not be found." },
    );
    await assert.rejects(ecs.send(new UntagResourceCommand({ resourceArn: "not-an-arn", tagKeys: ["a"] })), {
      name: "InvalidParameterException",
      message: "The ARN provided is invalid.",
    });
  });

  it("UpdateService: volumeConfigurations [] and the same revision are no change; desiredCount scales in place; forceNewDeployment redeploys", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "upd" }));
    const td = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({ family: "upd", containerDefinitions: [container("u:1")] }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    await ecs.send(
      new CreateServiceCommand({ cluster: "upd", serviceName: "u", taskDefinition: "upd", desiredCount: 2 }),
    );
    await waitUntilServicesStable({ client: ecs, ...waitFast }, { cluster: "upd", services: ["u"] });
    const first = (await ecs.send(new DescribeServicesCommand({ cluster: "upd", services: ["u"] })))
      .services![0]!;
    const firstId = first.deployments![0]!.id!;

    // what amazon-ecs-deploy-task-definition sends for a service without volumes
    const same = await ecs.send(
      new UpdateServiceCommand({
        cluster: "upd",
        service: "u",
        taskDefinition: td,
        volumeConfigurations: [],
      }),
    );
    assert.deepEqual(
      same.service!.deployments!.map((d) => d.id),
      [firstId],
      "no new deployment",
    );
    const onlyVolumes = await ecs.send(
      new UpdateServiceCommand({ cluster: "upd", service: "u", volumeConfigurations: [] }),
    );
    assert.deepEqual(
      onlyVolumes.service!.deployments!.map((d) => d.id),
      [firstId],
    );

    const scaled = await ecs.send(
      new UpdateServiceCommand({ cluster: "upd", service: "u", desiredCount: 3 }),
    );
    assert.equal(scaled.service!.desiredCount, 3);
    assert.deepEqual(
      scaled.service!.deployments!.map((d) => [d.id, d.desiredCount]),
      [[firstId, 3]],
    );
    await waitUntilServicesStable({ client: ecs, ...waitFast }, { cluster: "upd", services: ["u"] });
    assert.equal(
      (await ecs.send(new DescribeServicesCommand({ cluster: "upd", services: ["u"] }))).services![0]!
        .runningCount,
      3,
    );

    const conf = await ecs.send(
      new UpdateServiceCommand({
        cluster: "upd",
        service: "u",
        deploymentConfiguration: {
          minimumHealthyPercent: 50,
          maximumPercent: 150,
          deploymentCircuitBreaker: { enable: true, rollback: true },
        },
      }),
    );
    assert.equal(conf.service!.deployments!.length, 1, "deploymentConfiguration alone is no new deployment");
    assert.equal(conf.service!.deploymentConfiguration!.minimumHealthyPercent, 50);
    assert.equal(conf.service!.deploymentConfiguration!.maximumPercent, 150);
    assert.deepEqual(conf.service!.deploymentConfiguration!.deploymentCircuitBreaker, {
      enable: true,
      rollback: true,
    });

    const forced = await ecs.send(
      new UpdateServiceCommand({ cluster: "upd", service: "u", forceNewDeployment: true }),
    );
    const deployments = forced.service!.deployments!;
    assert.equal(deployments.length, 2);
    assert.notEqual(deployments[0]!.id, firstId);
    assert.equal(deployments[0]!.status, "PRIMARY");
    assert.equal(deployments[0]!.taskDefinition, td, "same revision, new deployment");
    assert.equal(deployments[1]!.id, firstId);
    assert.equal(deployments[1]!.status, "ACTIVE");
    await waitUntilServicesStable({ client: ecs, ...waitFast }, { cluster: "upd", services: ["u"] });
    const done = (await ecs.send(new DescribeServicesCommand({ cluster: "upd", services: ["u"] })))
      .services![0]!;
    assert.deepEqual(
      done.deployments!.map((d) => [d.id, d.rolloutState]),
      [[deployments[0]!.id, "COMPLETED"]],
    );
    assert.equal(done.runningCount, 3);
  });

  it("aws ecs wait tasks-running and tasks-stopped (the CLI's waiters)", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "cli" }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: "cli", containerDefinitions: [container("c:1")] }),
    );
    const env = cliEnv(twin);
    const run = await aws(
      ["ecs", "run-task", "--cluster", "cli", "--task-definition", "cli", "--output", "json"],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    const arn: string = JSON.parse(run.stdout).tasks[0].taskArn;
    const running = await aws(["ecs", "wait", "tasks-running", "--cluster", "cli", "--tasks", arn], env);
    assert.equal(running.code, 0, running.stderr);
    const described = await aws(
      ["ecs", "describe-tasks", "--cluster", "cli", "--tasks", arn, "--output", "json"],
      env,
    );
    assert.equal(JSON.parse(described.stdout).tasks[0].lastStatus, "RUNNING");

    const stop = await aws(["ecs", "stop-task", "--cluster", "cli", "--task", arn, "--reason", "done"], env);
    assert.equal(stop.code, 0, stop.stderr);
    const stopped = await aws(["ecs", "wait", "tasks-stopped", "--cluster", "cli", "--tasks", arn], env);
    assert.equal(stopped.code, 0, stopped.stderr);
    const t = JSON.parse(
      (await aws(["ecs", "describe-tasks", "--cluster", "cli", "--tasks", arn, "--output", "json"], env))
        .stdout,
    ).tasks[0];
    assert.equal(t.lastStatus, "STOPPED");
    assert.equal(t.stopCode, "UserInitiated");
    assert.equal(t.stoppedReason, "done");

    // a stopped task makes tasks-running fail at once (its first acceptor)
    const failed = await aws(["ecs", "wait", "tasks-running", "--cluster", "cli", "--tasks", arn], env);
    assert.notEqual(failed.code, 0);
    assert.match(
      failed.stderr,
      /Waiter TasksRunning failed: Waiter encountered a terminal failure state: For expression "tasks\[\]\.lastStatus" we matched expected path: "STOPPED" at least once/,
    );
    // and a task ECS does not know: MISSING
    const missing = await aws(
      ["ecs", "wait", "tasks-running", "--cluster", "cli", "--tasks", "0123456789abcdef0123456789abcdef"],
      env,
    );
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /we matched expected path: "MISSING" at least once/);
  });

  it("an ECR image pinned by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…) runs; an unknown digest cannot be pulled", async () => {
    const ecr = new ECRClient(clientConfig(twin));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: "pinned" }));
    const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!
      .authorizationToken!;
    ecr.destroy();
    const auth = { authorization: `Basic ${token}` };
    const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
    const push = async (bytes: string) => {
      const r = await fetch(`${twin.url}/v2/pinned/blobs/uploads/?digest=${sha(bytes)}`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/octet-stream" },
        body: bytes,
      });
      assert.equal(r.status, 201);
      return { digest: sha(bytes), size: Buffer.byteLength(bytes) };
    };
    const config = await push(JSON.stringify({ architecture: "amd64", os: "linux", config: {} }));
    const layer = await push("layer bytes");
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
    });
    const put = await fetch(`${twin.url}/v2/pinned/manifests/${sha(manifest)}`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/vnd.oci.image.manifest.v1+json" },
      body: manifest,
    });
    assert.equal(put.status, 201, await put.text());

    await ecs.send(new CreateClusterCommand({ clusterName: "pin" }));
    const repo = `${acct}.dkr.ecr.us-east-1.amazonaws.com/pinned`;
    const runWith = async (family: string, image: string) => {
      await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [container(image)] }));
      return (await ecs.send(new RunTaskCommand({ cluster: "pin", taskDefinition: family }))).tasks![0]!
        .taskArn!;
    };
    const good = await runWith("pinned-good", `${repo}@${sha(manifest)}`);
    await waitUntilTasksRunning({ client: ecs, ...waitFast }, { cluster: "pin", tasks: [good] });
    const bad = await runWith("pinned-bad", `${repo}@${sha("no such manifest")}`);
    await waitUntilTasksStopped({ client: ecs, ...waitFast }, { cluster: "pin", tasks: [bad] });
    const t = (await ecs.send(new DescribeTasksCommand({ cluster: "pin", tasks: [bad] }))).tasks![0]!;
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(t.stoppedReason!, /^CannotPullContainerError: /);
  });
});
