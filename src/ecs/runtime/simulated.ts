// The simulated runtime: no processes. A task's state is a function of its recorded timestamps and the
// configured timings, so it is deterministic and survives a twin restart unchanged.

import type { Json, TaskRecord } from "../model.ts";
import type {
  ContainerObservation,
  EcsImageSource,
  LaunchSpec,
  SimulatedPull,
  TaskObservation,
  TaskRuntime,
} from "./runtime.ts";

export interface SimulatedOptions {
  /** image pull, container start, stop and health-check settle durations, in ms */
  pullMs?: number;
  startMs?: number;
  stopMs?: number;
  healthyMs?: number;
  /** how long a failing container runs before it exits (ms after start) */
  crashAfterMs?: number;
  /**
   * The failure mode for tests: by default an image whose reference contains "crash" exits with code 1
   * right after starting, and one containing "unhealthy" fails its health check.
   */
  behaviour?: (image: string) => "ok" | "crash" | "unhealthy";
  images?: EcsImageSource;
}

const defaultBehaviour = (image: string) =>
  image.includes("crash") ? "crash" : image.includes("unhealthy") ? "unhealthy" : "ok";

export function createSimulatedRuntime(options: SimulatedOptions = {}): TaskRuntime {
  const pullMs = options.pullMs ?? 1000;
  const startMs = options.startMs ?? 1000;
  const stopMs = options.stopMs ?? 1000;
  const healthyMs = options.healthyMs ?? 2000;
  const crashAfterMs = options.crashAfterMs ?? 500;
  const behaviour = options.behaviour ?? defaultBehaviour;
  // One pull outcome per task, decided at launch: permissions changed later do not touch a running task.
  const pulls = new Map<string, Promise<SimulatedPull>>();

  const pull = (task: TaskRecord, td: Json): Promise<SimulatedPull> => {
    let p = pulls.get(task.taskArn);
    if (!p) {
      const none: SimulatedPull = { digests: [] };
      p = options.images
        ? options.images
            .simulateTask(task, td, { pulled: task.pullStoppedAt !== undefined })
            .catch((err: Error) => ({ failure: `CannotPullContainerError: ${err.message}`, digests: [] }))
        : Promise.resolve(none);
      const mine = p;
      pulls.set(task.taskArn, mine);
      // a missing image may be pushed later: ask again next time
      void mine.then((r) => {
        if (r.retry) {
          setTimeout(() => {
            if (pulls.get(task.taskArn) === mine) pulls.delete(task.taskArn);
          }, 1000).unref();
        }
      });
    }
    return p;
  };

  return {
    name: "simulated",
    launch(spec: LaunchSpec) {
      void pull(spec.task, spec.taskDefinition);
    },
    async observe(task: TaskRecord, td: Json, now: number): Promise<TaskObservation> {
      const t0 = task.createdAt;
      const pulled = t0 + pullMs;
      const started = pulled + startMs;
      const defs = td.containerDefinitions as Json[];
      const outcome = await pull(task, td);
      const ip = `10.0.${parseInt(task.taskId.slice(0, 2), 16)}.${(parseInt(task.taskId.slice(2, 4), 16) % 254) + 1}`;
      const base = { pullStartedAt: t0, privateIp: ip };
      if (task.stoppingAt !== undefined && now >= task.stoppingAt + stopMs && now < started) {
        // stopped before it ever started
        const containers = defs.map((c) => ({
          name: c.name,
          status: "STOPPED" as const,
          healthStatus: "UNKNOWN" as const,
        }));
        return { ...base, phase: "STOPPED", containers };
      }
      if (now < pulled) return { ...base, phase: "PULLING", containers: pending(defs) };
      if (outcome.failure) {
        const failure = outcome.failure;
        return {
          ...base,
          phase: "STOPPED",
          failure,
          containers: defs.map((c) => ({
            name: c.name,
            status: "STOPPED",
            healthStatus: "UNKNOWN",
            reason: failure,
          })),
        };
      }
      if (now < started)
        return { ...base, pullStoppedAt: pulled, phase: "STARTING", containers: pending(defs) };
      const stopAt = task.stoppingAt !== undefined ? Math.max(task.stoppingAt, started) + stopMs : Infinity;
      const containers: ContainerObservation[] = defs.map((c, i) => {
        const mode = behaviour(c.image);
        const digest = outcome.digests[i] ?? `sha256:${"0".repeat(64)}`;
        const runtimeId = `${task.taskId}-${String(i).padStart(10, "0")}`;
        const crashAt = mode === "crash" ? started + crashAfterMs : Infinity;
        const bindings = ((c.portMappings ?? []) as Json[]).map((p) => ({
          bindIP: "0.0.0.0",
          containerPort: p.containerPort,
          hostPort: p.hostPort ?? p.containerPort,
          protocol: p.protocol ?? "tcp",
        }));
        const common = { name: c.name, runtimeId, imageDigest: digest, networkBindings: bindings };
        if (now >= crashAt && crashAt <= stopAt) {
          return { ...common, status: "STOPPED", exitCode: 1, healthStatus: "UNKNOWN" };
        }
        if (now >= stopAt) return { ...common, status: "STOPPED", exitCode: 0, healthStatus: "UNKNOWN" };
        const health = !c.healthCheck
          ? "UNKNOWN"
          : now < started + healthyMs
            ? "UNKNOWN"
            : mode === "unhealthy"
              ? "UNHEALTHY"
              : "HEALTHY";
        return { ...common, status: "RUNNING", healthStatus: health };
      });
      const allStopped = containers.every((c) => c.status === "STOPPED");
      return {
        ...base,
        pullStoppedAt: pulled,
        startedAt: started,
        phase: allStopped ? "STOPPED" : "RUNNING",
        containers,
      };
    },
    stop() {},
    async release(task) {
      pulls.delete(task.taskArn);
    },
    async adopt() {},
    async logs(task) {
      return `(simulated runtime: task ${task.taskId} has no process output)\n`;
    },
    async close() {},
  };
}

function pending(defs: Json[]): ContainerObservation[] {
  return defs.map((c) => ({ name: c.name, status: "PENDING", healthStatus: "UNKNOWN" }));
}
