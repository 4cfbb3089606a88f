// The simulated runtime: no processes. A task's state is a function of its recorded timestamps and the
// configured timings, so it is deterministic and survives a twin restart unchanged.

import type { Json, TaskRecord } from "../model.ts";
import type {
  ContainerObservation,
  EcsImageSource,
  LaunchSpec,
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
  const pulls = new Map<string, Promise<{ digest: string } | false | undefined>>();

  const pull = (image: string) => {
    let p = pulls.get(image);
    if (!p) {
      p = options.images ? options.images.exists(image).catch(() => undefined) : Promise.resolve(undefined);
      pulls.set(image, p);
      // a missing image may be pushed later: ask again next time
      p.then((r) => {
        if (r === false) setTimeout(() => pulls.delete(image), 1000).unref();
      });
    }
    return p;
  };

  return {
    name: "simulated",
    launch(spec: LaunchSpec) {
      for (const c of spec.taskDefinition.containerDefinitions as Json[]) void pull(c.image);
    },
    async observe(task: TaskRecord, td: Json, now: number): Promise<TaskObservation> {
      const t0 = task.createdAt;
      const pulled = t0 + pullMs;
      const started = pulled + startMs;
      const defs = td.containerDefinitions as Json[];
      const found = await Promise.all(defs.map((c) => pull(c.image)));
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
      const missing = defs.findIndex((_, i) => found[i] === false);
      if (missing >= 0) {
        const image = defs[missing]!.image;
        const failure = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${image}: not found`;
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
        const digest = found[i] ? (found[i] as { digest: string }).digest : `sha256:${"0".repeat(64)}`;
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
    async release() {},
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
