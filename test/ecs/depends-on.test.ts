// Container dependencies (dependsOn) in the scheduler with the simulated runtime, through the SDK against a
// live twin: each condition (START, COMPLETE, SUCCESS, HEALTHY) holds a container back until its dependency
// reached it, a SUCCESS dependency that exits non-zero stops the task before its essential container ever
// runs, and a dependency's startTimeout makes the dependent give up. The task is watched by polling
// DescribeTasks, so every state it passed through is checked, not only the last one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type ContainerDefinition,
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { clientConfig, withTwin } from "../support/twin.ts";

type LiveTwin = Awaited<ReturnType<typeof withTwin>>;
// starts slow enough that a poll every few ms sees each step
const timings = { pullMs: 20, startMs: 150, stopMs: 20, healthyMs: 300, crashAfterMs: 250 };
const health = { command: ["CMD-SHELL", "true"], interval: 5, retries: 1 };

describe("dependsOn ordering (simulated runtime)", () => {
  let twin: LiveTwin;
  let ecs: ECSClient;
  before(async () => {
    twin = await withTwin({ ecs: { tickMs: 10, simulated: timings } });
    ecs = new ECSClient(clientConfig(twin));
    await ecs.send(new CreateClusterCommand({ clusterName: "dep" }));
  });
  after(async () => {
    ecs.destroy();
    await twin.dispose();
  });

  /** Runs a task of these containers and polls it until it is RUNNING (all started) or STOPPED. */
  const watch = async (family: string, containers: ContainerDefinition[]): Promise<Task[]> => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: containers.map((c) => ({ memory: 64, ...c })),
      }),
    );
    const arn = (await ecs.send(new RunTaskCommand({ cluster: "dep", taskDefinition: family }))).tasks![0]!
      .taskArn!;
    const seen: Task[] = [];
    const deadline = Date.now() + 20_000;
    for (;;) {
      const t = (await ecs.send(new DescribeTasksCommand({ cluster: "dep", tasks: [arn] }))).tasks![0]!;
      seen.push(t);
      if (t.lastStatus === "RUNNING" || t.lastStatus === "STOPPED") return seen;
      assert.ok(Date.now() < deadline, `task still ${t.lastStatus}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const c = (t: Task, name: string) => t.containers!.find((x) => x.name === name)!;

  it("START: the dependent starts only once its dependency runs (here itself held back by another)", async () => {
    const seen = await watch("start", [
      { name: "app", image: "example/app", dependsOn: [{ containerName: "proxy", condition: "START" }] },
      {
        name: "proxy",
        image: "example/proxy",
        dependsOn: [{ containerName: "certs", condition: "SUCCESS" }],
      },
      { name: "certs", image: "example/oneshot-certs", essential: false },
    ]);
    const last = seen.at(-1)!;
    assert.equal(last.lastStatus, "RUNNING");
    assert.equal(c(last, "app").lastStatus, "RUNNING");
    assert.ok(
      seen.some((t) => c(t, "proxy").lastStatus === "RUNNING" && c(t, "app").lastStatus === "PENDING"),
      "seen: proxy running, app not yet",
    );
    for (const t of seen) {
      if (c(t, "app").lastStatus === "RUNNING") assert.equal(c(t, "proxy").lastStatus, "RUNNING");
      // the task runs once every container has started
      if (c(t, "app").lastStatus === "PENDING") assert.notEqual(t.lastStatus, "RUNNING");
    }
  });

  it("COMPLETE: the dependent starts once its dependency exited, whatever its exit code", async () => {
    const seen = await watch("complete", [
      { name: "init", image: "example/crash-init", essential: false },
      { name: "app", image: "example/app", dependsOn: [{ containerName: "init", condition: "COMPLETE" }] },
    ]);
    const last = seen.at(-1)!;
    assert.equal(last.lastStatus, "RUNNING");
    assert.equal(c(last, "init").exitCode, 1);
    assert.equal(c(last, "app").lastStatus, "RUNNING");
    assert.ok(
      seen.some((t) => c(t, "init").lastStatus === "RUNNING" && c(t, "app").lastStatus === "PENDING"),
    );
    for (const t of seen) {
      if (c(t, "app").lastStatus === "RUNNING") assert.equal(c(t, "init").lastStatus, "STOPPED");
    }
  });

  it("SUCCESS: the dependent starts once its dependency exited with code 0", async () => {
    const seen = await watch("success", [
      { name: "migrate", image: "example/oneshot-migrate", essential: false },
      { name: "app", image: "example/app", dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }] },
    ]);
    const last = seen.at(-1)!;
    assert.equal(last.lastStatus, "RUNNING");
    assert.equal(c(last, "migrate").exitCode, 0);
    assert.equal(c(last, "app").lastStatus, "RUNNING");
    for (const t of seen) {
      if (c(t, "app").lastStatus === "RUNNING") assert.equal(c(t, "migrate").exitCode, 0);
    }
  });

  it("SUCCESS: a dependency that exits non-zero stops the task before its essential container runs", async () => {
    const seen = await watch("success-failed", [
      { name: "migrate", image: "example/crash-migrate", essential: false },
      { name: "app", image: "example/app", dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }] },
    ]);
    const last = seen.at(-1)!;
    assert.equal(last.lastStatus, "STOPPED");
    assert.equal(last.stopCode, "TaskFailedToStart");
    const reason =
      "CannotStartContainerError: dependency graph: failed to resolve container ordering dependency [migrate] for target [app] as dependency did not exit successfully.";
    assert.equal(last.stoppedReason, reason);
    assert.equal(c(last, "migrate").exitCode, 1);
    assert.equal(c(last, "app").exitCode, 143, "stopped without running, as the agent marks it");
    assert.equal(c(last, "app").reason, reason);
    assert.equal(last.startedAt, undefined, "the task never ran");
    assert.ok(seen.every((t) => c(t, "app").lastStatus !== "RUNNING"));
    assert.ok(seen.every((t) => t.lastStatus !== "RUNNING"));
  });

  it("HEALTHY: the dependent starts once its dependency's health check passes", async () => {
    const seen = await watch("healthy", [
      { name: "db", image: "example/db", healthCheck: health },
      { name: "app", image: "example/app", dependsOn: [{ containerName: "db", condition: "HEALTHY" }] },
    ]);
    const last = seen.at(-1)!;
    assert.equal(last.lastStatus, "RUNNING");
    assert.equal(c(last, "db").healthStatus, "HEALTHY");
    assert.ok(
      seen.some((t) => c(t, "db").lastStatus === "RUNNING" && c(t, "db").healthStatus !== "HEALTHY"),
      "seen: db running, not yet healthy",
    );
    for (const t of seen) {
      if (c(t, "app").lastStatus === "RUNNING") assert.equal(c(t, "db").healthStatus, "HEALTHY");
    }
  });

  it("startTimeout: a dependency that does not reach the condition in time makes the dependent give up", async () => {
    const seen = await watch("timeout", [
      // runs on and never exits: COMPLETE cannot hold before its startTimeout (1 s) runs out
      { name: "sidecar", image: "example/sidecar", essential: false, startTimeout: 1 },
      { name: "app", image: "example/app", dependsOn: [{ containerName: "sidecar", condition: "COMPLETE" }] },
    ]);
    const last = seen.at(-1)!;
    assert.equal(last.lastStatus, "STOPPED");
    assert.equal(last.stopCode, "TaskFailedToStart");
    assert.equal(
      last.stoppedReason,
      "CannotStartContainerError: dependency graph: container ordering dependency [sidecar] for target [app] has timed out.",
    );
    const started = Date.parse(String(seen[0]!.createdAt));
    const stoppedAt = Date.parse(String(last.stoppingAt));
    assert.ok(stoppedAt - started >= 1000, "not before the timeout");
    assert.ok(seen.every((t) => c(t, "app").lastStatus !== "RUNNING"));
  });

  it("a non-essential dependent that can never start leaves the task running", async () => {
    const seen = await watch("optional", [
      { name: "migrate", image: "example/crash-migrate", essential: false },
      {
        name: "reporter",
        image: "example/reporter",
        essential: false,
        dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }],
      },
      { name: "app", image: "example/app" },
    ]);
    const last = seen.at(-1)!;
    assert.equal(last.lastStatus, "RUNNING");
    assert.equal(c(last, "reporter").lastStatus, "STOPPED");
    assert.equal(c(last, "reporter").exitCode, 143);
    assert.match(c(last, "reporter").reason ?? "", /did not exit successfully/);
  });
});
