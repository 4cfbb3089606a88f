// Container dependencies (dependsOn) with real containers: the docker runtime on Podman holds a dependent
// container, created but not started, until its dependency exited with code 0 (SUCCESS) or passed its
// health check (HEALTHY); a SUCCESS dependency that exits non-zero stops the task with the dependent never
// started. Start and finish times are the engine's own (podman inspect).
// Needs podman, busybox-static and the Podman API socket (`bash .ci/containers-setup`); a missing one fails.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  type ContainerDefinition,
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
  waitUntilTasksRunning,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import { detectSocket } from "../../src/ecs/runtime/docker-api.ts";
import { clientConfig, withTwin } from "../support/twin.ts";

const run = promisify(execFile);
type LiveTwin = Awaited<ReturnType<typeof withTwin>>;
const IMAGE = `localhost/ks-depends-on:${process.pid}`;
const waitFor = (maxWaitTime: number) => ({ minDelay: 1, maxDelay: 1, maxWaitTime });
const sh = (script: string) => ({ image: IMAGE, entryPoint: ["/bin/sh", "-c"], command: [script] });

/** The engine's state of a task's container, by its ECS container name. */
async function engineState(
  taskArn: string,
  name: string,
): Promise<{ status: string; startedAt: number; finishedAt: number; exitCode: number }> {
  const { stdout } = await run("podman", [
    "ps",
    "-a",
    "--filter",
    `label=com.amazonaws.ecs.task-arn=${taskArn}`,
    "--filter",
    `label=com.amazonaws.ecs.container-name=${name}`,
    "--format",
    "{{.ID}}",
  ]);
  const id = stdout.trim();
  assert.ok(id, `container ${name} exists`);
  const [state] = JSON.parse((await run("podman", ["inspect", "--format", "json", id])).stdout) as {
    State: { Status: string; StartedAt: string; FinishedAt: string; ExitCode: number };
  }[];
  return {
    status: state!.State.Status,
    startedAt: Date.parse(state!.State.StartedAt),
    finishedAt: Date.parse(state!.State.FinishedAt),
    exitCode: state!.State.ExitCode,
  };
}

before(async () => {
  assert.ok(
    existsSync("/usr/bin/podman") && existsSync("/bin/busybox"),
    "podman and busybox-static are required",
  );
  assert.ok(await detectSocket(), "a Docker Engine API socket is required (bash .ci/containers-setup)");
  const dir = mkdtempSync(join(tmpdir(), "ks-dep-img-"));
  copyFileSync("/bin/busybox", join(dir, "busybox"));
  writeFileSync(
    join(dir, "Containerfile"),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\nCOPY busybox /bin/sleep\nCOPY busybox /bin/touch\nCOPY busybox /bin/test\nCMD ["/bin/busybox", "sleep", "3600"]\n',
  );
  await run("podman", ["build", "-q", "-t", IMAGE, dir]);
});

after(async () => {
  await run("podman", ["rmi", "-f", IMAGE]).catch(() => {});
});

describe("dependsOn on the docker runtime (Podman)", { timeout: 300_000 }, () => {
  let twin: LiveTwin;
  let ecs: ECSClient;
  before(async () => {
    twin = await withTwin({ runtime: "docker", ecs: { tickMs: 100, removeContainersOnClose: true } });
    assert.equal(twin.runtime, "docker");
    ecs = new ECSClient(clientConfig(twin));
    await ecs.send(new CreateClusterCommand({ clusterName: "dep" }));
  });
  after(async () => {
    ecs?.destroy();
    await twin?.dispose();
  });

  const start = async (
    family: string,
    containers: ContainerDefinition[],
    awsvpc = false,
  ): Promise<string> => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: containers.map((c) => ({ memory: 64, stopTimeout: 2, ...c })),
        ...(awsvpc ? { networkMode: "awsvpc" as const } : {}),
      }),
    );
    const networkConfiguration = awsvpc ? { awsvpcConfiguration: { subnets: ["subnet-1"] } } : undefined;
    return (
      await ecs.send(new RunTaskCommand({ cluster: "dep", taskDefinition: family, networkConfiguration }))
    ).tasks![0]!.taskArn!;
  };
  const describeTask = async (arn: string): Promise<Task> =>
    (await ecs.send(new DescribeTasksCommand({ cluster: "dep", tasks: [arn] }))).tasks![0]!;
  const stop = async (arn: string) => {
    await ecs.send(new StopTaskCommand({ cluster: "dep", task: arn }));
    await waitUntilTasksStopped({ client: ecs, ...waitFor(120) }, { cluster: "dep", tasks: [arn] });
  };

  it("SUCCESS: the dependent starts after its dependency exited with code 0", async () => {
    const arn = await start("migrate-then-serve", [
      { name: "app", ...sh("sleep 3600"), dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }] },
      { name: "migrate", ...sh("sleep 2; exit 0"), essential: false },
    ]);
    // while migrate runs, app is created and waiting, and the task is not RUNNING
    await new Promise((r) => setTimeout(r, 1000));
    const early = await describeTask(arn);
    assert.notEqual(early.lastStatus, "RUNNING");
    assert.equal((await engineState(arn, "app")).status, "created");
    await waitUntilTasksRunning({ client: ecs, ...waitFor(120) }, { cluster: "dep", tasks: [arn] });
    const migrate = await engineState(arn, "migrate");
    const app = await engineState(arn, "app");
    assert.equal(migrate.exitCode, 0);
    assert.equal(app.status, "running");
    assert.ok(app.startedAt >= migrate.finishedAt, "app started only after migrate finished");
    const task = await describeTask(arn);
    assert.equal(task.containers!.find((c) => c.name === "migrate")!.exitCode, 0);
    await stop(arn);
  });

  it("SUCCESS: a dependency that exits non-zero stops the task; the dependent never starts", async () => {
    const arn = await start("migrate-fails", [
      { name: "app", ...sh("sleep 3600"), dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }] },
      { name: "migrate", ...sh("sleep 1; exit 3"), essential: false },
    ]);
    await waitUntilTasksStopped({ client: ecs, ...waitFor(120) }, { cluster: "dep", tasks: [arn] });
    const task = await describeTask(arn);
    assert.equal(task.stopCode, "TaskFailedToStart");
    assert.equal(
      task.stoppedReason,
      "CannotStartContainerError: dependency graph: failed to resolve container ordering dependency [migrate] for target [app] as dependency did not exit successfully.",
    );
    assert.equal(task.startedAt, undefined, "the task never ran");
    const app = task.containers!.find((c) => c.name === "app")!;
    assert.equal(app.exitCode, 143);
    assert.equal(task.containers!.find((c) => c.name === "migrate")!.exitCode, 3);
  });

  it("awsvpc: an essential app behind an init container starts after it and serves on its port", async () => {
    const arn = await start(
      "fargate-init",
      [
        {
          name: "app",
          ...sh("echo served > /index.html; /bin/busybox httpd -f -p 8080 -h /"),
          portMappings: [{ containerPort: 8080 }],
          dependsOn: [{ containerName: "init", condition: "SUCCESS" }],
        },
        { name: "init", ...sh("sleep 1; exit 0"), essential: false },
      ],
      true,
    );
    await waitUntilTasksRunning({ client: ecs, ...waitFor(120) }, { cluster: "dep", tasks: [arn] });
    const init = await engineState(arn, "init");
    const app = await engineState(arn, "app");
    assert.equal(init.exitCode, 0);
    assert.equal(init.status, "exited", "init ran once and was not started again with app");
    assert.ok(app.startedAt >= init.finishedAt, "app started only after init finished");
    const task = await describeTask(arn);
    const port = task.containers!.find((c) => c.name === "app")!.networkBindings![0]!.hostPort!;
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "served\n");
    await stop(arn);
  });

  it("HEALTHY: the dependent starts once its dependency's health check passes", async () => {
    const arn = await start("healthy-db", [
      {
        name: "db",
        ...sh("sleep 2; touch /ready; sleep 3600"),
        healthCheck: { command: ["CMD-SHELL", "test -f /ready"], interval: 5, timeout: 2, retries: 3 },
      },
      { name: "app", ...sh("sleep 3600"), dependsOn: [{ containerName: "db", condition: "HEALTHY" }] },
    ]);
    await waitUntilTasksRunning({ client: ecs, ...waitFor(120) }, { cluster: "dep", tasks: [arn] });
    const task = await describeTask(arn);
    assert.equal(task.containers!.find((c) => c.name === "db")!.healthStatus, "HEALTHY");
    const db = await engineState(arn, "db");
    const app = await engineState(arn, "app");
    // the first check (at once) fails, the next one (interval 5 s later) passes: app waited for it
    assert.ok(
      app.startedAt - db.startedAt >= 4000,
      `app started ${app.startedAt - db.startedAt} ms after db`,
    );
    await stop(arn);
  });
});
