// kill -9 of the twin in the middle of a deployment: after a restart on the same state the deployment
// finishes with no task lost or duplicated.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { describe, it } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
} from "@aws-sdk/client-ecs";
import { readAdmin } from "../support/admin.ts";
import { killHard, spawnTwin, tempDir } from "../support/twin.ts";

const client = (url: string, keys: { accessKeyId: string; secretAccessKey: string }) =>
  new ECSClient({ endpoint: url, region: "us-east-1", credentials: keys, maxAttempts: 1 });

const td = (tag: string) =>
  new RegisterTaskDefinitionCommand({
    family: "web",
    containerDefinitions: [
      {
        name: "app",
        image: `web:${tag}`,
        memory: 64,
        // a health check makes tasks count as healthy after the simulated settle, not after 40 s
        healthCheck: { command: ["CMD-SHELL", "true"], interval: 5 },
      },
    ],
  });

describe("ECS durability", { timeout: 120_000 }, () => {
  it("finishes a deployment interrupted by kill -9, no task lost or duplicated", async () => {
    const stateDir = await tempDir();
    const first = await spawnTwin(stateDir);
    const { admin } = await readAdmin(stateDir);
    let ecs = client(first.url, admin);
    await ecs.send(new CreateClusterCommand({ clusterName: "c" }));
    await ecs.send(td("v1"));
    await ecs.send(
      new CreateServiceCommand({ cluster: "c", serviceName: "web", taskDefinition: "web", desiredCount: 2 }),
    );
    await waitUntilServicesStable(
      { client: ecs, minDelay: 1, maxDelay: 1, maxWaitTime: 60 },
      { cluster: "c", services: ["web"] },
    );
    // ServicesStable does not wait for health; the rollout completes once the tasks are healthy
    for (;;) {
      const s = (await ecs.send(new DescribeServicesCommand({ cluster: "c", services: ["web"] })))
        .services![0]!;
      if (s.deployments![0]!.rolloutState === "COMPLETED") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const v2 = await ecs.send(td("v2"));
    const updated = await ecs.send(
      new UpdateServiceCommand({ cluster: "c", service: "web", taskDefinition: "web" }),
    );
    const newId = updated.service!.deployments![0]!.id!;
    // let the scheduler start the new tasks, then kill it mid-deployment
    await new Promise((r) => setTimeout(r, 1500));
    const mid = (await ecs.send(new DescribeServicesCommand({ cluster: "c", services: ["web"] })))
      .services![0]!;
    assert.equal(mid.deployments!.length, 2, "killed mid-deployment");
    await killHard(first.child);
    ecs.destroy();

    const second = await spawnTwin(stateDir);
    try {
      ecs = client(second.url, admin);
      await waitUntilServicesStable(
        { client: ecs, minDelay: 1, maxDelay: 1, maxWaitTime: 60 },
        { cluster: "c", services: ["web"] },
      );
      const svc = (await ecs.send(new DescribeServicesCommand({ cluster: "c", services: ["web"] })))
        .services![0]!;
      assert.equal(svc.deployments![0]!.id, newId);
      assert.equal(svc.deployments![0]!.rolloutState, "COMPLETED");
      const all = [
        ...(await ecs.send(new ListTasksCommand({ cluster: "c", serviceName: "web" }))).taskArns!,
        ...(
          await ecs.send(new ListTasksCommand({ cluster: "c", serviceName: "web", desiredStatus: "STOPPED" }))
        ).taskArns!,
      ];
      const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: "c", tasks: all }))).tasks!;
      const fresh = tasks.filter((t) => t.startedBy === newId);
      assert.equal(fresh.length, 2, "exactly desiredCount tasks were started for the new deployment");
      for (const t of fresh) {
        assert.equal(t.lastStatus, "RUNNING");
        assert.equal(t.taskDefinitionArn, v2.taskDefinition!.taskDefinitionArn);
      }
      const old = tasks.filter((t) => t.startedBy !== newId);
      assert.equal(old.length, 2);
      for (const t of old) assert.equal(t.lastStatus, "STOPPED");
    } finally {
      ecs.destroy();
      second.child.kill("SIGKILL");
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
