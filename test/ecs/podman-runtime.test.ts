// The Docker Engine API runtime on Podman, the parts the rolling-deployment test does not show: stopTimeout
// (SIGTERM, then SIGKILL once it runs out), ECS's container labels, an ECR image pinned by digest, and a
// twin killed with -9 that adopts its live task's container after a restart and removes its strays.
// Needs podman, busybox-static and the Podman API socket (`bash .ci/containers-setup`).
import assert from "node:assert/strict";
import { type ChildProcess, execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from "@aws-sdk/client-ecr";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
  waitUntilServicesInactive,
  waitUntilTasksRunning,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import { detectSocket } from "../../src/ecs/runtime/docker-api.ts";
import { readAdmin } from "../support/admin.ts";
import { clientConfig, killHard, spawnTwin, tempDir, withTwin } from "../support/twin.ts";

const run = promisify(execFile);
type LiveTwin = Awaited<ReturnType<typeof withTwin>>;
const IMAGE = `localhost/ks-runtime:${process.pid}`;
const waitFor = (maxWaitTime: number) => ({ minDelay: 1, maxDelay: 1, maxWaitTime });

async function podman(args: string[]): Promise<string> {
  return (await run("podman", args)).stdout.trim();
}

/** Labels of the containers Podman holds for a task (all states). */
async function containersOf(taskArn: string): Promise<{ id: string; labels: Record<string, string> }[]> {
  const out = await podman([
    "ps",
    "-a",
    "--filter",
    `label=com.amazonaws.ecs.task-arn=${taskArn}`,
    "--format",
    "json",
  ]);
  return (JSON.parse(out || "[]") as { Id: string; Labels: Record<string, string> }[]).map((c) => ({
    id: c.Id,
    labels: c.Labels,
  }));
}

before(async () => {
  assert.ok(
    existsSync("/usr/bin/podman") && existsSync("/bin/busybox"),
    "podman and busybox-static are required",
  );
  assert.ok(await detectSocket(), "a Docker Engine API socket is required (bash .ci/containers-setup)");
  const dir = mkdtempSync(join(tmpdir(), "ks-rt-img-"));
  copyFileSync("/bin/busybox", join(dir, "busybox"));
  mkdirSync(join(dir, "www"));
  writeFileSync(join(dir, "www", "index.html"), "adopted\n");
  // /bin/sh for CMD-SHELL and `sh -c` commands
  writeFileSync(
    join(dir, "Containerfile"),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n',
  );
  await run("podman", ["build", "-q", "-t", IMAGE, dir]);
});

after(async () => {
  await run("podman", ["rmi", "-f", IMAGE]).catch(() => {});
});

describe("docker runtime on Podman (in-process twin)", { timeout: 300_000 }, () => {
  let twin: LiveTwin;
  let ecs: ECSClient;
  before(async () => {
    twin = await withTwin({
      runtime: "docker",
      ecs: { tickMs: 100, removeContainersOnClose: true },
    });
    assert.equal(twin.runtime, "docker");
    ecs = new ECSClient(clientConfig(twin));
    await ecs.send(new CreateClusterCommand({ clusterName: "rt" }));
  });
  after(async () => {
    ecs?.destroy();
    await twin?.dispose();
  });

  const runTask = async (family: string, container: Record<string, unknown>): Promise<string> => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [{ name: "main", image: IMAGE, memory: 64, ...container }],
      }),
    );
    const arn = (await ecs.send(new RunTaskCommand({ cluster: "rt", taskDefinition: family }))).tasks![0]!
      .taskArn!;
    await waitUntilTasksRunning({ client: ecs, ...waitFor(120) }, { cluster: "rt", tasks: [arn] });
    return arn;
  };
  const describeTask = async (arn: string): Promise<Task> =>
    (await ecs.send(new DescribeTasksCommand({ cluster: "rt", tasks: [arn] }))).tasks![0]!;
  const stopAndTime = async (arn: string): Promise<{ seconds: number; task: Task }> => {
    const t0 = performance.now();
    await ecs.send(new StopTaskCommand({ cluster: "rt", task: arn }));
    await waitUntilTasksStopped({ client: ecs, ...waitFor(120) }, { cluster: "rt", tasks: [arn] });
    return { seconds: (performance.now() - t0) / 1000, task: await describeTask(arn) };
  };

  it("stopTimeout: a container that ignores SIGTERM is killed once stopTimeout runs out (exit 137)", async () => {
    // PID 1 with a trap that only logs: SIGTERM does not end it, SIGKILL must
    const arn = await runTask("ignores-term", {
      entryPoint: ["/bin/sh", "-c"],
      command: ["trap 'echo got SIGTERM' TERM; echo started; while true; do /bin/busybox sleep 1; done"],
      stopTimeout: 4,
    });
    const { seconds, task } = await stopAndTime(arn);
    assert.equal(task.containers![0]!.exitCode, 137, "SIGKILL");
    assert.ok(seconds >= 4, `waited the stopTimeout before SIGKILL (${seconds.toFixed(1)} s)`);
    assert.ok(seconds < 20, `then killed (${seconds.toFixed(1)} s)`);
    assert.equal(task.stopCode, "UserInitiated");
    const logs = await (await fetch(`${twin.url}/_keyship/ecs/tasks/${arn.split("/").pop()}/logs`)).text();
    assert.match(logs, /started\n[\s\S]*got SIGTERM/, "SIGTERM came first");
  });

  it("stopTimeout: a container that exits on SIGTERM stops at once, long before its stopTimeout", async () => {
    const arn = await runTask("handles-term", {
      entryPoint: ["/bin/sh", "-c"],
      command: ["trap 'exit 3' TERM; while true; do /bin/busybox sleep 1; done"],
      stopTimeout: 60,
    });
    const { seconds, task } = await stopAndTime(arn);
    assert.equal(task.containers![0]!.exitCode, 3, "its own SIGTERM handler ran");
    assert.ok(seconds < 20, `stopped in ${seconds.toFixed(1)} s, not after 60 s`);
  });

  it("labels each container as the ECS agent does, with the task's dockerLabels", async () => {
    // the image's server runs as PID 1 and ignores SIGTERM: a short stopTimeout ends the test sooner
    const arn = await runTask("labelled", { dockerLabels: { "team.name": "web" }, stopTimeout: 2 });
    const [c] = await containersOf(arn);
    assert.ok(c, "one container carries the task ARN label");
    const td = (await describeTask(arn)).taskDefinitionArn!;
    assert.equal(c.labels["com.amazonaws.ecs.cluster"], "rt");
    assert.equal(c.labels["com.amazonaws.ecs.container-name"], "main");
    assert.equal(c.labels["com.amazonaws.ecs.task-definition-family"], "labelled");
    assert.equal(c.labels["com.amazonaws.ecs.task-definition-version"], td.split(":").pop());
    assert.equal(c.labels["team.name"], "web");
    assert.match(c.labels["dev.keyship.ecs"] ?? "", /^[0-9a-f]{16,}$/, "the state's owner label");
    assert.equal((await describeTask(arn)).containers![0]!.runtimeId, c.id);
    await stopAndTime(arn);
  });

  it("pulls an ECR image pinned by digest (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO@sha256:…)", async () => {
    const ecr = new ECRClient(clientConfig(twin));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: "pinned" }));
    const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!;
    const password = Buffer.from(auth.authorizationToken!, "base64").toString("utf8").slice(4);
    await run("podman", [
      "push",
      "--tls-verify=false",
      "--creds",
      `AWS:${password}`,
      IMAGE,
      `${new URL(twin.url).host}/pinned:v1`,
    ]);
    const digest = (await ecr.send(new DescribeImagesCommand({ repositoryName: "pinned" }))).imageDetails![0]!
      .imageDigest!;
    ecr.destroy();
    const arn = await runTask("pinned", {
      image: `${twin.accountId}.dkr.ecr.us-east-1.amazonaws.com/pinned@${digest}`,
      portMappings: [{ containerPort: 8080 }],
      stopTimeout: 2,
    });
    const task = await describeTask(arn);
    const port = task.containers![0]!.networkBindings![0]!.hostPort!;
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "adopted\n");
    const [c] = await containersOf(arn);
    const image = await podman(["inspect", "--format", "{{.ImageName}}", c!.id]);
    assert.ok(image.endsWith(`/pinned@${digest}`), `engine pulled by digest: ${image}`);
    await stopAndTime(arn);
  });
  it("health checks run inside the container: CMD-SHELL healthy, failing, timing out, and held back by startPeriod", async () => {
    const check = (command: string, extra: Record<string, number> = {}) => ({
      healthCheck: { command: ["CMD-SHELL", command], interval: 5, timeout: 2, retries: 1, ...extra },
      stopTimeout: 2,
    });
    const healthOf = async (arn: string, want: string) => {
      for (let i = 0; i < 100; i++) {
        const t = await describeTask(arn);
        if (t.healthStatus === want) return t;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`task ${arn} never became ${want}: ${(await describeTask(arn)).healthStatus}`);
    };
    const healthy = await runTask("hc-ok", check("[ -e /www/index.html ]"));
    const ok = await healthOf(healthy, "HEALTHY");
    assert.equal(ok.containers![0]!.healthStatus, "HEALTHY");
    const failing = await runTask("hc-fail", check("[ -e /nothing ]"));
    await healthOf(failing, "UNHEALTHY");
    // a check that outlives its timeout fails
    const slow = await runTask("hc-slow", check("/bin/busybox sleep 10"));
    await healthOf(slow, "UNHEALTHY");
    // failures inside startPeriod do not count: still UNKNOWN after several checks would have failed
    const starting = await runTask("hc-start", check("exit 1", { startPeriod: 60, interval: 5 }));
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal((await describeTask(starting)).healthStatus, "UNKNOWN");
    for (const arn of [healthy, failing, slow, starting])
      await ecs.send(new StopTaskCommand({ cluster: "rt", task: arn }));
    await waitUntilTasksStopped(
      { client: ecs, ...waitFor(120) },
      { cluster: "rt", tasks: [healthy, failing, slow, starting] },
    );
  });

  it("a service replaces a task that fails its container health checks", async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "hc-service",
        containerDefinitions: [
          {
            name: "main",
            image: IMAGE,
            memory: 64,
            stopTimeout: 2,
            healthCheck: { command: ["CMD-SHELL", "exit 1"], interval: 5, timeout: 2, retries: 1 },
          },
        ],
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster: "rt",
        serviceName: "hc",
        taskDefinition: "hc-service",
        desiredCount: 1,
      }),
    );
    let stopped: Task | undefined;
    for (let i = 0; i < 300 && !stopped; i++) {
      const arns = (
        await ecs.send(new ListTasksCommand({ cluster: "rt", serviceName: "hc", desiredStatus: "STOPPED" }))
      ).taskArns!;
      if (arns.length > 0) stopped = (await describeTask(arns[0]!)) as Task;
      else await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(stopped, "the unhealthy task was stopped");
    assert.equal(stopped.stopCode, "ServiceSchedulerInitiated");
    assert.equal(stopped.stoppedReason, "Task failed container health checks");
    assert.equal(stopped.healthStatus, "UNHEALTHY");
    // the scheduler starts a replacement: a second task of the service, live or (failing again) stopped
    const seen = new Set<string>();
    for (let i = 0; i < 100 && seen.size < 2; i++) {
      for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
        const out = await ecs.send(new ListTasksCommand({ cluster: "rt", serviceName: "hc", desiredStatus }));
        for (const a of out.taskArns!) seen.add(a);
      }
      if (seen.size < 2) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(seen.size >= 2, "a replacement task was started");
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: "rt", services: ["hc"] })))
      .services![0]!;
    const stoppedId = stopped.taskArn!.split("/").pop()!;
    assert.ok(
      svc.events!.some((e) => e.message === `(service hc) has stopped 1 running tasks: (task ${stoppedId}).`),
      JSON.stringify(svc.events!.map((e) => e.message)),
    );
    await ecs.send(new DeleteServiceCommand({ cluster: "rt", service: "hc", force: true }));
    await waitUntilServicesInactive({ client: ecs, ...waitFor(120) }, { cluster: "rt", services: ["hc"] });
  });

  it("environment, entryPoint and command; awslogs names: keyship logs --group GROUP [STREAM] and --container, while running and after the stop", async () => {
    const group = "/ecs/logs-demo";
    const awslogs = (prefix?: string) => ({
      logDriver: "awslogs" as const,
      options: {
        "awslogs-group": group,
        "awslogs-region": "us-east-1",
        ...(prefix ? { "awslogs-stream-prefix": prefix } : {}),
      },
    });
    const say = (text: string) => ({
      image: IMAGE,
      memory: 64,
      entryPoint: ["/bin/sh", "-c"],
      command: [`echo ${text}; while true; do /bin/busybox sleep 1; done`],
      stopTimeout: 2,
    });
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "awslogs",
        containerDefinitions: [
          {
            name: "web",
            // the environment reaches the process: the shell expands it
            ...say("$GREETING from web"),
            environment: [{ name: "GREETING", value: "hello" }],
            logConfiguration: awslogs("ecs"),
          },
          { name: "side", ...say("hello from side"), essential: false, logConfiguration: awslogs() },
        ],
      }),
    );
    const arn = (await ecs.send(new RunTaskCommand({ cluster: "rt", taskDefinition: "awslogs" }))).tasks![0]!
      .taskArn!;
    await waitUntilTasksRunning({ client: ecs, ...waitFor(120) }, { cluster: "rt", tasks: [arn] });
    const taskId = arn.split("/").pop()!;
    const sideId = (await describeTask(arn)).containers!.find((c) => c.name === "side")!.runtimeId!;
    const keyship = (args: string[]) =>
      run(process.execPath, [
        join(import.meta.dirname, "../../bin/keyship"),
        "logs",
        "--url",
        twin.url,
        ...args,
      ]);
    const check = async () => {
      const streams = (await keyship(["--group", group])).stdout.trim().split("\n");
      assert.deepEqual(streams.sort(), [`ecs/web/${taskId}`, sideId].sort());
      const web = (await keyship(["--group", group, `ecs/web/${taskId}`])).stdout;
      assert.match(web, /hello from web/);
      assert.doesNotMatch(web, /hello from side/);
      assert.match((await keyship(["--group", group, sideId])).stdout, /^hello from side\n$/);
      const side = (await keyship(["--container", "side", taskId])).stdout;
      assert.equal(side, "hello from side\n");
      const both = (await keyship([taskId])).stdout;
      assert.match(both, /hello from web/);
      assert.match(both, /hello from side/);
    };
    await check();
    const missing = await keyship(["--group", group, `ecs/web/${"0".repeat(32)}`]).catch((e) => e);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no log stream ecs\/web\/0+ in group \/ecs\/logs-demo/);
    await stopAndTime(arn);
    await check();
  });
});

describe("a restarted twin adopts its containers (kill -9, docker runtime)", { timeout: 300_000 }, () => {
  let stateDir: string;
  let child: ChildProcess | undefined;
  const stray = `ks-stray-${process.pid}`;
  before(async () => {
    stateDir = await tempDir();
  });
  after(async () => {
    child?.kill("SIGKILL");
    await run("podman", ["rm", "-f", stray]).catch(() => {});
    const left = await podman([
      "ps",
      "-aq",
      "--filter",
      `label=com.amazonaws.ecs.cluster=adopt-${process.pid}`,
    ]);
    if (left) await run("podman", ["rm", "-f", ...left.split("\n")]).catch(() => {});
    await rm(stateDir, { recursive: true, force: true });
  });

  it("keeps the live task's container (same runtimeId, still serving) and removes a stray of its own", async () => {
    const cluster = `adopt-${process.pid}`;
    const first = await spawnTwin(stateDir, ["--runtime", "docker"]);
    child = first.child;
    const { admin } = await readAdmin(stateDir);
    let ecs = new ECSClient({ endpoint: first.url, region: "us-east-1", credentials: admin, maxAttempts: 1 });
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "adopt",
        containerDefinitions: [
          { name: "web", image: IMAGE, memory: 64, portMappings: [{ containerPort: 8080 }], stopTimeout: 2 },
        ],
      }),
    );
    const arn = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: "adopt" }))).tasks![0]!
      .taskArn!;
    await waitUntilTasksRunning({ client: ecs, ...waitFor(120) }, { cluster, tasks: [arn] });
    const before = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks![0]!;
    const runtimeId = before.containers![0]!.runtimeId!;
    const port = before.containers![0]!.networkBindings![0]!.hostPort!;
    const owner = (await containersOf(arn))[0]!.labels["dev.keyship.ecs"]!;
    // a container of this state whose task the twin does not know (left by a crash between create and record)
    await run("podman", [
      "run",
      "-d",
      "--name",
      stray,
      "--label",
      `dev.keyship.ecs=${owner}`,
      "--label",
      `com.amazonaws.ecs.task-arn=${arn.replace(/[0-9a-f]{32}$/, "f".repeat(32))}`,
      IMAGE,
    ]);
    ecs.destroy();

    await killHard(first.child);
    assert.equal(
      await (await fetch(`http://127.0.0.1:${port}/`)).text(),
      "adopted\n",
      "the container outlived the twin",
    );

    const second = await spawnTwin(stateDir, ["--runtime", "docker"]);
    child = second.child;
    ecs = new ECSClient({ endpoint: second.url, region: "us-east-1", credentials: admin, maxAttempts: 1 });
    try {
      const after = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks![0]!;
      assert.equal(after.lastStatus, "RUNNING");
      assert.equal(after.containers![0]!.runtimeId, runtimeId, "the same container, adopted");
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "adopted\n");
      assert.deepEqual(
        (await containersOf(arn)).map((c) => c.id),
        [runtimeId],
        "not started twice",
      );
      const strays = await podman(["ps", "-aq", "--filter", `name=^${stray}$`]);
      assert.equal(strays, "", "the stray container was removed");

      await ecs.send(new StopTaskCommand({ cluster, task: arn }));
      await waitUntilTasksStopped({ client: ecs, ...waitFor(120) }, { cluster, tasks: [arn] });
      const stopped = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks![0]!;
      assert.equal(stopped.lastStatus, "STOPPED");
      assert.equal(typeof stopped.containers![0]!.exitCode, "number");
    } finally {
      ecs.destroy();
    }
  });
});
