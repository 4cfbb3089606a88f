// ECS benchmark: DescribeServices and RegisterTaskDefinition req/s vs moto_server (same client, same run),
// and the time from UpdateService to a steady state for a 4-task service on the simulated runtime,
// against the configured timings (the scheduler's own overhead is the difference).
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { detectSocket } from "../src/ecs/runtime/docker-api.ts";
import { startTwin } from "../src/main.ts";
import { bestOfAlternating, type LoadResult, load, ROUNDS } from "./load.ts";
import { startKeyship, startMoto } from "./peers.ts";
import { signJson } from "./signed.ts";
import type { Row } from "./table.ts";

const TARGET = "AmazonEC2ContainerServiceV20141113";
const taskDefinition = {
  family: "web",
  containerDefinitions: [
    {
      name: "app",
      image: "web:v1",
      memory: 128,
      portMappings: [{ containerPort: 8080 }],
      healthCheck: { command: ["CMD-SHELL", "true"], interval: 5 },
    },
  ],
};

export async function runEcsBench(seconds = 3): Promise<Row[]> {
  const rows: Row[] = [];
  const stateDir = await mkdtemp(join(tmpdir(), "keyship-bench-ecs-"));
  const moto = await startMoto();
  const keyship = await startKeyship(stateDir);
  try {
    const { readAdmin } = await import("../test/support/admin.ts");
    const { admin } = await readAdmin(stateDir);
    const motoKeys = {
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    const peers = [
      { url: keyship.url, keys: admin },
      { url: moto.url, keys: motoKeys },
    ];
    for (const p of peers) {
      const ecs = new ECSClient({
        endpoint: p.url,
        region: "us-east-1",
        credentials: p.keys,
        maxAttempts: 1,
      });
      await ecs.send(new CreateClusterCommand({ clusterName: "bench" }));
      await ecs.send(new RegisterTaskDefinitionCommand(taskDefinition));
      await ecs.send(
        new CreateServiceCommand({
          cluster: "bench",
          serviceName: "web",
          taskDefinition: "web",
          desiredCount: 1,
        }),
      );
      ecs.destroy();
    }
    for (const [op, input] of [
      ["DescribeServices", { cluster: "bench", services: ["web"] }],
      ["RegisterTaskDefinition", taskDefinition],
    ] as const) {
      const runs = [];
      for (const p of peers) {
        const req = await signJson(p.url, "ecs", `${TARGET}.${op}`, input, p.keys);
        // a warm-up second, not counted: the first load on a fresh process otherwise pays its JIT
        // compilation (the front door's included), which the suites measured later do not
        await load(p.url, () => req, { seconds: 1, maxRequests: 30_000 });
        runs.push(() => load(p.url, () => req, { seconds, maxRequests: 30_000 }));
      }
      const [ks, ms] = (await bestOfAlternating(runs)) as [LoadResult, LoadResult];
      rows.push({
        bench: `ECS ${op} req/s`,
        keyship: ks.rps,
        peer: ms.rps,
        peerName: "moto_server",
        unit: "req/s",
        target: ">= 30x",
        detail: `p50 ${ks.p50ms.toFixed(2)}/${ms.p50ms.toFixed(2)} ms, errors ${ks.errors}/${ms.errors}, best of ${ROUNDS} alternating rounds`,
      });
    }
  } finally {
    await keyship.stop();
    await moto.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  rows.push(await steadyStateBench());
  const podman = await podmanSteadyStateBench();
  if (typeof podman === "string") process.stderr.write(`bench ecs: Podman steady state skipped: ${podman}\n`);
  else rows.push(podman);
  return rows;
}

/** UpdateService → COMPLETED for 4 tasks (100/200 %): configured minimum = pull + start + healthy + stop. */
async function steadyStateBench(): Promise<Row> {
  const stateDir = await mkdtemp(join(tmpdir(), "keyship-bench-ecs-steady-"));
  const timings = { pullMs: 200, startMs: 200, healthyMs: 200, stopMs: 200, crashAfterMs: 0 };
  const configured = (timings.pullMs + timings.startMs + timings.healthyMs + timings.stopMs) / 1000;
  const twin = await startTwin({
    stateDir,
    port: 0,
    runtime: "simulated",
    log: () => {},
    ecs: { tickMs: 1000, simulated: timings },
  });
  const ecs = new ECSClient({
    endpoint: twin.url,
    region: "us-east-1",
    credentials: twin.admin,
    maxAttempts: 1,
  });
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: "bench" }));
    await ecs.send(new RegisterTaskDefinitionCommand(taskDefinition));
    await ecs.send(
      new CreateServiceCommand({
        cluster: "bench",
        serviceName: "web",
        taskDefinition: "web",
        desiredCount: 4,
      }),
    );
    const completed = async () => {
      for (;;) {
        const s = (await ecs.send(new DescribeServicesCommand({ cluster: "bench", services: ["web"] })))
          .services![0]!;
        if (s.deployments!.length === 1 && s.deployments![0]!.rolloutState === "COMPLETED") return;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await completed();
    await ecs.send(new RegisterTaskDefinitionCommand({ ...taskDefinition }));
    const t0 = performance.now();
    await ecs.send(new UpdateServiceCommand({ cluster: "bench", service: "web", taskDefinition: "web" }));
    await completed();
    const took = (performance.now() - t0) / 1000;
    return {
      bench: "ECS UpdateService -> steady state, 4 tasks (simulated)",
      keyship: took,
      unit: "s",
      lowerIsBetter: true,
      target: `overhead < 1 s beyond ${configured.toFixed(1)} s configured`,
      detail: `scheduler overhead ${(took - configured).toFixed(3)} s (tick 1 s; changes tick at once)`,
    };
  } finally {
    ecs.destroy();
    await twin.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * The same rollout on Podman (docker runtime, real containers): UpdateService → COMPLETED for 4 busybox
 * httpd tasks (100/200 %), healthy at their first in-container check, old tasks stopped with a 2 s
 * stopTimeout (httpd as PID 1 ignores SIGTERM, so each old task takes the whole grace). A reason string
 * when no engine or busybox is there.
 */
async function podmanSteadyStateBench(): Promise<Row | string> {
  if (!(await detectSocket())) return "no Docker Engine API socket (bash .ci/containers-setup)";
  const run = promisify(execFile);
  const build = await mkdtemp(join(tmpdir(), "keyship-bench-img-"));
  const image = `localhost/keyship-bench-web:${process.pid}`;
  try {
    await copyFile("/bin/busybox", join(build, "busybox"));
    await mkdir(join(build, "www"));
    await writeFile(join(build, "www", "index.html"), "bench\n");
    await writeFile(
      join(build, "Containerfile"),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    );
    await run("podman", ["build", "-q", "-t", image, build]);
  } catch (err) {
    return `cannot build the busybox image: ${(err as Error).message}`;
  }
  const stateDir = await mkdtemp(join(tmpdir(), "keyship-bench-ecs-podman-"));
  const twin = await startTwin({
    stateDir,
    port: 0,
    runtime: "docker",
    log: () => {},
    ecs: { tickMs: 1000, removeContainersOnClose: true },
  });
  const ecs = new ECSClient({
    endpoint: twin.url,
    region: "us-east-1",
    credentials: twin.admin,
    maxAttempts: 1,
  });
  const definition = {
    family: "web",
    containerDefinitions: [
      {
        name: "httpd",
        image,
        memory: 64,
        stopTimeout: 2,
        healthCheck: {
          command: ["CMD", "/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"],
          interval: 5,
        },
      },
    ],
  };
  const completed = async () => {
    for (;;) {
      const s = (await ecs.send(new DescribeServicesCommand({ cluster: "bench", services: ["web"] })))
        .services![0]!;
      if (s.deployments!.length === 1 && s.deployments![0]!.rolloutState === "COMPLETED") return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: "bench" }));
    await ecs.send(new RegisterTaskDefinitionCommand(definition));
    await ecs.send(
      new CreateServiceCommand({
        cluster: "bench",
        serviceName: "web",
        taskDefinition: "web",
        desiredCount: 4,
      }),
    );
    await completed();
    await ecs.send(new RegisterTaskDefinitionCommand(definition));
    const t0 = performance.now();
    await ecs.send(new UpdateServiceCommand({ cluster: "bench", service: "web", taskDefinition: "web" }));
    await completed();
    const took = (performance.now() - t0) / 1000;
    await ecs.send(new UpdateServiceCommand({ cluster: "bench", service: "web", desiredCount: 0 }));
    return {
      bench: "ECS UpdateService -> steady state, 4 tasks (Podman)",
      keyship: took,
      unit: "s",
      lowerIsBetter: true,
      detail:
        "real containers: start, first health check, old tasks stopped after a 2 s stopTimeout; tick 1 s",
    };
  } finally {
    ecs.destroy();
    await twin.close();
    await rm(stateDir, { recursive: true, force: true });
    await rm(build, { recursive: true, force: true });
    await run("podman", ["rmi", "-f", image]).catch(() => {});
  }
}
