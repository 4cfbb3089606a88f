// ECS on Podman: a busybox-httpd service serves v1, rolls task by task to v2 within the bounds, and a
// crashing image trips the circuit breaker and rolls back. Needs podman, busybox-static and the Podman
// API socket (DOCKER_HOST or /run/podman/podman.sock); a missing tool fails the test.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Task,
  UpdateServiceCommand,
  waitUntilServicesStable,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { detectSocket } from "../../src/ecs/runtime/docker-api.ts";
import { clientConfig, withTwin } from "../support/twin.ts";

const run = promisify(execFile);
type LiveTwin = Awaited<ReturnType<typeof withTwin>>;

/** Builds FROM scratch + /bin/busybox images: an httpd serving `text`, or one that exits at once. */
async function buildImage(tag: string, kind: { serve: string } | "crash"): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ks-img-"));
  copyFileSync("/bin/busybox", join(dir, "busybox"));
  mkdirSync(join(dir, "www"));
  writeFileSync(join(dir, "www", "index.html"), kind === "crash" ? "" : kind.serve);
  const cmd =
    kind === "crash"
      ? `["/bin/busybox", "false"]`
      : `["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]`;
  writeFileSync(
    join(dir, "Containerfile"),
    `FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nEXPOSE 8080\nCMD ${cmd}\n`,
  );
  await run("podman", ["build", "-q", "-t", tag, dir]);
}

async function fetchText(url: string): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return r.text();
}

describe("ECS on Podman", { timeout: 600_000 }, () => {
  let twin: LiveTwin;
  let ecs: ECSClient;
  let repo: string;

  before(async () => {
    for (const tool of ["/usr/bin/podman", "/bin/busybox"]) {
      assert.ok(existsSync(tool), `${tool} is required (apt-get install podman busybox-static)`);
    }
    assert.ok(await detectSocket(), "a Docker Engine API socket is required (podman system service)");
    twin = await withTwin({
      runtime: "docker",
      ecs: { tickMs: 200, reconcile: { noHealthCheckSettleSeconds: 1 }, defaultStopTimeoutSeconds: 2 },
    });
    assert.equal(twin.runtime, "docker");
    ecs = new ECSClient(clientConfig(twin));
    const ecr = new ECRClient(clientConfig(twin));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: "web" }));
    const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!;
    const password = Buffer.from(auth.authorizationToken!, "base64").toString("utf8").slice("AWS:".length);
    const registry = new URL(twin.url).host;
    repo = `${twin.accountId}.dkr.ecr.us-east-1.amazonaws.com/web`;
    for (const [tag, kind] of [
      ["v1", { serve: "v1" }],
      ["v2", { serve: "v2" }],
      ["crash", "crash"],
    ] as const) {
      await buildImage(`localhost/ks-web:${tag}`, kind);
      await run("podman", [
        "push",
        "--tls-verify=false",
        "--creds",
        `AWS:${password}`,
        `localhost/ks-web:${tag}`,
        `${registry}/web:${tag}`,
      ]);
    }
    ecr.destroy();
    // the execution role ECS pulls the images as (trust: ecs-tasks.amazonaws.com; ECR read)
    const iam = new IAMClient(clientConfig(twin));
    await iam.send(
      new CreateRoleCommand({
        RoleName: "exec",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    await iam.send(
      new AttachRolePolicyCommand({
        RoleName: "exec",
        PolicyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
      }),
    );
    iam.destroy();
    await ecs.send(new CreateClusterCommand({ clusterName: "pod" }));
  });

  after(async () => {
    // scale to zero so the containers are stopped and removed before the twin goes
    const tasks = await runningTasks().catch(() => []);
    await ecs
      ?.send(new DeleteServiceCommand({ cluster: "pod", service: "web", force: true }))
      .catch(() => {});
    if (tasks.length > 0) {
      await waitUntilTasksStopped(
        { client: ecs, minDelay: 1, maxDelay: 1, maxWaitTime: 60 },
        { cluster: "pod", tasks: tasks.map((t) => t.taskArn!) },
      ).catch(() => {});
    }
    ecs?.destroy();
    await twin?.dispose();
  });

  const register = (tag: string) =>
    ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "web",
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "256",
        memory: "512",
        executionRoleArn: `arn:aws:iam::${twin.accountId}:role/exec`,
        containerDefinitions: [
          {
            name: "httpd",
            image: `${repo}:${tag}`,
            portMappings: [{ containerPort: 8080 }],
            environment: [{ name: "VERSION", value: tag }],
            stopTimeout: 2,
            // run inside the container through exec, as the ECS agent does
            healthCheck: {
              command: ["CMD", "/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
              interval: 5,
              timeout: 2,
              retries: 2,
            },
          },
        ],
      }),
    );
  const network = { awsvpcConfiguration: { subnets: ["subnet-1"], assignPublicIp: "ENABLED" as const } };

  const runningTasks = async (): Promise<Task[]> => {
    const arns = (await ecs.send(new ListTasksCommand({ cluster: "pod", serviceName: "web" }))).taskArns!;
    if (arns.length === 0) return [];
    return (await ecs.send(new DescribeTasksCommand({ cluster: "pod", tasks: arns }))).tasks!;
  };
  const served = async (tasks: Task[]) =>
    Promise.all(
      tasks
        .filter((t) => t.lastStatus === "RUNNING")
        .map((t) => {
          const b = t.containers![0]!.networkBindings![0]!;
          return fetchText(`http://127.0.0.1:${b.hostPort}/`);
        }),
    );

  it("serves v1, rolls task by task to v2 within the bounds, then serves only v2", async () => {
    await register("v1");
    await ecs.send(
      new CreateServiceCommand({
        cluster: "pod",
        serviceName: "web",
        taskDefinition: "web",
        desiredCount: 2,
        launchType: "FARGATE",
        networkConfiguration: network,
        deploymentConfiguration: {
          minimumHealthyPercent: 50,
          maximumPercent: 100,
          deploymentCircuitBreaker: { enable: true, rollback: true },
        },
      }),
    );
    await waitUntilServicesStable(
      { client: ecs, minDelay: 1, maxDelay: 1, maxWaitTime: 180 },
      {
        cluster: "pod",
        services: ["web"],
      },
    );
    const v1 = await runningTasks();
    assert.equal(v1.length, 2);
    assert.deepEqual(await served(v1), ["v1", "v1"]);
    const eni = v1[0]!.attachments![0]!;
    assert.equal(eni.type, "ElasticNetworkInterface");
    assert.ok(
      eni.details!.some((d) => d.name === "privateIPv4Address" && /^\d+\.\d+\.\d+\.\d+$/.test(d.value!)),
    );
    assert.ok(v1[0]!.containers![0]!.runtimeId);
    assert.equal(v1[0]!.healthStatus, "HEALTHY");

    await register("v2");
    await ecs.send(new UpdateServiceCommand({ cluster: "pod", service: "web", taskDefinition: "web" }));
    // watch the rollout: never more than maximumPercent (2) tasks live, never fewer than 1 serving
    let maxLive = 0;
    let minServing = Number.POSITIVE_INFINITY;
    for (;;) {
      const svc = (await ecs.send(new DescribeServicesCommand({ cluster: "pod", services: ["web"] })))
        .services![0]!;
      const live = svc.runningCount! + svc.pendingCount!;
      maxLive = Math.max(maxLive, live);
      minServing = Math.min(minServing, svc.runningCount!);
      if (
        svc.deployments!.length === 1 &&
        svc.runningCount === 2 &&
        svc.deployments![0]!.rolloutState === "COMPLETED"
      ) {
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(maxLive <= 2, `at most 2 tasks at once (saw ${maxLive})`);
    assert.ok(minServing >= 1, `at least 1 task serving (saw ${minServing})`);
    const v2 = await runningTasks();
    assert.equal(v2.length, 2);
    assert.deepEqual(await served(v2), ["v2", "v2"]);
    // `keyship logs TASK` prints the container's output (busybox httpd -v logs each request)
    const logs = await run(process.execPath, [
      join(import.meta.dirname, "../../bin/keyship"),
      "logs",
      "--url",
      twin.url,
      v2[0]!.taskArn!.split("/").pop()!,
    ]);
    assert.match(logs.stdout, /response:200/);
  });

  it("trips the circuit breaker on an image that exits at once and rolls back to v2", async () => {
    const before = (await ecs.send(new DescribeServicesCommand({ cluster: "pod", services: ["web"] })))
      .services![0]!;
    await register("crash");
    const updated = await ecs.send(
      new UpdateServiceCommand({ cluster: "pod", service: "web", taskDefinition: "web" }),
    );
    const badId = updated.service!.deployments![0]!.id!;
    await waitUntilServicesStable(
      { client: ecs, minDelay: 1, maxDelay: 1, maxWaitTime: 240 },
      {
        cluster: "pod",
        services: ["web"],
      },
    );
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: "pod", services: ["web"] })))
      .services![0]!;
    assert.equal(svc.taskDefinition, before.taskDefinition);
    const messages = svc.events!.map((e) => e.message);
    assert.ok(
      messages.includes(`(service web) (deployment ${badId}) deployment failed: tasks failed to start.`),
    );
    assert.ok(
      messages.some((m) => m?.startsWith(`(service web) (deployment ${badId}) rolling back to deployment`)),
    );
    const stopped = (
      await ecs.send(new ListTasksCommand({ cluster: "pod", serviceName: "web", desiredStatus: "STOPPED" }))
    ).taskArns!;
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: "pod", tasks: stopped }))).tasks!;
    const crashed = tasks.filter((t) => t.startedBy === badId);
    assert.ok(crashed.length >= 3, `crashed tasks: ${crashed.length}`);
    for (const t of crashed) {
      assert.equal(t.stopCode, "EssentialContainerExited");
      assert.equal(t.stoppedReason, "Essential container in task exited");
      assert.equal(t.containers![0]!.exitCode, 1);
    }
    assert.deepEqual(await served(await runningTasks()), ["v2", "v2"]);
  });
});
