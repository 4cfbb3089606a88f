// The simulated runtime: no processes. A task's state is a function of its recorded timestamps and the
// configured timings, so it is deterministic and survives a twin restart unchanged.

import { type ContainerProgress, DEPENDENCY_FAILED_EXIT_CODE, readiness } from "../container-order.ts";
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
   * right after starting (crashAfterMs), one containing "oneshot" runs to completion (exit code 0) as soon,
   * and one containing "unhealthy" fails its health check.
   */
  behaviour?: (image: string) => "ok" | "crash" | "oneshot" | "unhealthy";
  images?: EcsImageSource;
}

const defaultBehaviour = (image: string) =>
  image.includes("crash")
    ? "crash"
    : image.includes("oneshot")
      ? "oneshot"
      : image.includes("unhealthy")
        ? "unhealthy"
        : "ok";

export function createSimulatedRuntime(options: SimulatedOptions = {}): TaskRuntime {
  const pullMs = options.pullMs ?? 1000;
  const startMs = options.startMs ?? 1000;
  const stopMs = options.stopMs ?? 1000;
  const healthyMs = options.healthyMs ?? 2000;
  const crashAfterMs = options.crashAfterMs ?? 500;
  const behaviour = options.behaviour ?? defaultBehaviour;
  /** What a container does once started, from its image (the failure modes above). */
  const lives = (c: Json, startAt: number): Life => {
    const mode = behaviour(c.image);
    const life: Life = {};
    if (mode === "crash") Object.assign(life, { exitAt: startAt + crashAfterMs, exitCode: 1 });
    if (mode === "oneshot") Object.assign(life, { exitAt: startAt + crashAfterMs, exitCode: 0 });
    if (c.healthCheck) {
      if (mode === "unhealthy") life.unhealthyAt = startAt + healthyMs;
      else life.healthyAt = startAt + healthyMs;
    }
    return life;
  };
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
      const timelines = simulateStart(defs, started, task.stoppingAt ?? Infinity, now, lives, startMs);
      const stopped = task.stoppingAt !== undefined ? task.stoppingAt + stopMs : Infinity;
      let failure: string | undefined;
      let waiting = false;
      let runningSince: number | undefined;
      const containers: ContainerObservation[] = defs.map((c, i) => {
        const tl = timelines.get(c.name)!;
        const digest = outcome.digests[i] ?? `sha256:${"0".repeat(64)}`;
        const runtimeId = `${task.taskId}-${String(i).padStart(10, "0")}`;
        const bindings = ((c.portMappings ?? []) as Json[]).map((p) => ({
          bindIP: "0.0.0.0",
          containerPort: p.containerPort,
          hostPort: p.hostPort ?? p.containerPort,
          protocol: p.protocol ?? "tcp",
        }));
        const common = { name: c.name, imageDigest: digest, networkBindings: bindings };
        if (tl.failAt !== undefined && now >= tl.failAt) {
          if (c.essential !== false) failure ??= tl.reason;
          return {
            ...common,
            status: "STOPPED",
            exitCode: DEPENDENCY_FAILED_EXIT_CODE,
            reason: tl.reason,
            healthStatus: "UNKNOWN",
          };
        }
        if (tl.startAt === undefined || now < tl.startAt) {
          if (now >= stopped) return { ...common, status: "STOPPED", healthStatus: "UNKNOWN" };
          waiting = true;
          return { ...common, status: "PENDING", healthStatus: "UNKNOWN" };
        }
        runningSince = Math.max(runningSince ?? 0, tl.startAt);
        const stopAt =
          task.stoppingAt !== undefined ? Math.max(task.stoppingAt, tl.startAt) + stopMs : Infinity;
        const withId = { ...common, runtimeId };
        if (tl.exitAt !== undefined && now >= tl.exitAt && tl.exitAt <= stopAt) {
          return { ...withId, status: "STOPPED", exitCode: tl.exitCode, healthStatus: "UNKNOWN" };
        }
        if (now >= stopAt) return { ...withId, status: "STOPPED", exitCode: 0, healthStatus: "UNKNOWN" };
        const health =
          tl.healthyAt !== undefined && now >= tl.healthyAt
            ? "HEALTHY"
            : tl.unhealthyAt !== undefined && now >= tl.unhealthyAt
              ? "UNHEALTHY"
              : "UNKNOWN";
        return { ...withId, status: "RUNNING", healthStatus: health };
      });
      const allStopped = containers.every((c) => c.status === "STOPPED");
      const o: TaskObservation = {
        ...base,
        pullStoppedAt: pulled,
        // a task runs once every container that can start has started (dependencies resolved)
        phase: allStopped ? "STOPPED" : waiting || failure ? "STARTING" : "RUNNING",
        containers,
      };
      if (failure) o.failure = failure;
      else if (!waiting && runningSince !== undefined) o.startedAt = runningSince;
      return o;
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

/** A started container's own course: when it exits on its own (and how), when its health check settles. */
interface Life {
  exitAt?: number;
  exitCode?: number;
  healthyAt?: number;
  unhealthyAt?: number;
}

interface Timeline extends Life {
  startAt?: number;
  /** the container gave up on its dependencies at this time (never started) */
  failAt?: number;
  reason?: string;
}

/**
 * When each container starts, or gives up on its dependencies (container-order.ts), replayed event by event
 * from the first start up to `now`: a pure function of the task's times, so a restarted twin sees the same
 * course. Containers without dependencies start at `started`; a dependent is started once its conditions
 * hold, which takes `startMs` as the task's first start does. Nothing starts once the task is stopping.
 */
function simulateStart(
  defs: Json[],
  started: number,
  stoppingAt: number,
  now: number,
  lives: (c: Json, startAt: number) => Life,
  startMs: number,
): Map<string, Timeline> {
  const timelines = new Map<string, Timeline>(defs.map((c) => [c.name as string, {}]));
  const timeoutOf = (name: string) => defs.find((c) => c.name === name)?.startTimeout as number | undefined;
  const progressAt = (name: string, t: number): ContainerProgress | undefined => {
    const tl = timelines.get(name);
    if (!tl) return undefined;
    if (tl.failAt !== undefined && t >= tl.failAt)
      return { status: "STOPPED", exitCode: DEPENDENCY_FAILED_EXIT_CODE, healthStatus: "UNKNOWN" };
    if (tl.startAt === undefined || t < tl.startAt) return { status: "PENDING", healthStatus: "UNKNOWN" };
    if (tl.exitAt !== undefined && t >= tl.exitAt)
      return { status: "STOPPED", startedAt: tl.startAt, exitCode: tl.exitCode, healthStatus: "UNKNOWN" };
    const health =
      tl.healthyAt !== undefined && t >= tl.healthyAt
        ? "HEALTHY"
        : tl.unhealthyAt !== undefined && t >= tl.unhealthyAt
          ? "UNHEALTHY"
          : "UNKNOWN";
    return { status: "RUNNING", startedAt: tl.startAt, healthStatus: health };
  };
  let t = started;
  // every container starts or fails at most once, so the events are bounded
  for (let round = 0; round <= defs.length * 8 && t <= now && t < stoppingAt; round++) {
    // what starts or fails at t can free (or fail) others at the same t: settle t before moving on
    for (let changed = true; changed; ) {
      changed = false;
      for (const c of defs) {
        const tl = timelines.get(c.name)!;
        if (tl.startAt !== undefined || tl.failAt !== undefined) continue;
        const r = readiness(c, defs, (n) => progressAt(n, t), t);
        if (r.kind === "start") {
          const at = c.dependsOn?.length ? t + startMs : t;
          if (at < stoppingAt) Object.assign(tl, { startAt: at }, lives(c, at));
          if (at === t) changed = true;
        } else if (r.kind === "fail") {
          Object.assign(tl, { failAt: t, reason: r.reason });
          changed = true;
        }
      }
    }
    // once every container has started or given up, later events change nothing here
    if ([...timelines.values()].every((tl) => tl.startAt !== undefined || tl.failAt !== undefined)) break;
    const events: number[] = [];
    for (const [name, tl] of timelines) {
      for (const at of [tl.startAt, tl.exitAt, tl.healthyAt, tl.unhealthyAt, tl.failAt]) {
        if (at !== undefined) events.push(at);
      }
      const timeout = timeoutOf(name);
      if (tl.startAt !== undefined && timeout) events.push(tl.startAt + timeout * 1000 + 1);
    }
    const next = Math.min(...events.filter((at) => at > t));
    if (!Number.isFinite(next)) break;
    t = next;
  }
  return timelines;
}

function pending(defs: Json[]): ContainerObservation[] {
  return defs.map((c) => ({ name: c.name, status: "PENDING", healthStatus: "UNKNOWN" }));
}
