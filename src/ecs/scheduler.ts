// The ECS scheduler loop: each tick observes every live task through the runtime, records what changed,
// then runs the pure `reconcile` per service and applies its decision in one transaction. All state is in
// the store, so a restarted twin resumes a deployment where it was (no task lost or duplicated).
import type { Clock } from "../core/clock.ts";
import type { Json, ServiceRecord, TaskRecord } from "./model.ts";
import { newTask } from "./new-task.ts";
import { type ReconcileConfig, type ReconcileIds, reconcile } from "./reconcile.ts";
import type { TaskRuntime } from "./runtime/runtime.ts";
import type { EcsStore } from "./store.ts";
import { applyObservation } from "./task-state.ts";

export interface Timer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimer: Timer = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SchedulerOptions {
  ecs: EcsStore;
  runtime: TaskRuntime;
  clock: Clock;
  ids: ReconcileIds & { uuid(): string };
  config: ReconcileConfig;
  /** scheduler period (specs/ecs.md §11 `ecs.tickMs`) */
  tickMs: number;
  stoppedTaskRetentionSeconds: number;
  /** period while tasks are changing state or a rollout is in progress. Default 50 ms */
  busyTickMs?: number;
  timer?: Timer;
  log: (line: string) => void;
}

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #timer: Timer;
  #handle: unknown;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = true;
  /** something is in motion (tasks starting or stopping, a rollout in progress): tick faster */
  #busy = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
    this.#timer = options.timer ?? realTimer;
  }

  /** Adopts the runtime's containers of live tasks (removing the rest), then ticks every `tickMs`. */
  async start(): Promise<void> {
    this.#closed = false;
    const live = new Set(this.#o.ecs.liveTasks().map((t) => t.taskArn));
    await this.#o.runtime.adopt(live);
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#closed = true;
    if (this.#handle !== undefined) this.#timer.clearTimeout(this.#handle);
    this.#handle = undefined;
    await this.#running;
  }

  /** Ask for a tick soon (after a mutating API call), without waiting for the period. */
  kick(): void {
    if (this.#closed) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    if (this.#handle !== undefined) this.#timer.clearTimeout(this.#handle);
    this.#handle = this.#timer.setTimeout(() => {
      this.#handle = undefined;
      void this.tick().finally(() => {
        if (this.#again) {
          this.#again = false;
          this.#schedule(0);
        } else
          this.#schedule(this.#busy ? Math.min(this.#o.tickMs, this.#o.busyTickMs ?? 50) : this.#o.tickMs);
      });
    }, ms);
  }

  /** One tick; concurrent calls share the running one. */
  tick(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#tick()
      .catch((err) => this.#o.log(`ecs scheduler tick failed: ${(err as Error).stack ?? err}`))
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #tick(): Promise<void> {
    const { ecs, runtime, clock } = this.#o;
    const tdCache = new Map<string, Json>();
    const td = (arn: string): Json => {
      let doc = tdCache.get(arn);
      if (!doc) {
        doc = ecs.getTaskDefinitionByArn(arn)?.doc;
        if (!doc) throw new TypeError(`task definition ${arn} is gone`);
        tdCache.set(arn, doc);
      }
      return doc;
    };

    // 1. Observe tasks.
    const live = ecs.liveTasks();
    const observations = await Promise.all(
      live.map(async (t) => {
        try {
          return await runtime.observe(t, td(t.taskDefinitionArn), clock.now().getTime());
        } catch (err) {
          this.#o.log(`ecs: observing ${t.taskArn} failed: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );
    const now = clock.now().getTime();
    const released: TaskRecord[] = [];
    live.forEach((seen, i) => {
      const obs = observations[i];
      if (!obs) return;
      if (obs.phase === "ABSENT" && seen.desiredStatus === "RUNNING") {
        runtime.launch({
          task: seen,
          taskDefinition: td(seen.taskDefinitionArn),
          clusterName: clusterName(seen),
        });
        return;
      }
      const next = ecs.tx(() => {
        const cur = ecs.getTask(seen.taskArn);
        if (!cur || cur.lastStatus === "STOPPED") return undefined;
        const n = applyObservation(cur, obs, now);
        if (n !== cur) ecs.putTask(n);
        return n;
      });
      if (!next) return;
      if (next.lastStatus === "STOPPED") released.push(next);
      else if (next.desiredStatus === "STOPPED") runtime.stop(next, td(next.taskDefinitionArn));
    });
    await Promise.all(released.map((t) => runtime.release(t).catch(() => {})));

    // 2. Reconcile services.
    let busy = live.some((t) => t.lastStatus !== "RUNNING" || t.desiredStatus !== "RUNNING");
    for (const svc of ecs.servicesToSchedule()) {
      const decision = ecs.tx(() => {
        const cur = ecs.getService(svc.serviceArn);
        if (!cur || (cur.status !== "ACTIVE" && cur.status !== "DRAINING")) return undefined;
        const tasks = ecs.serviceTasks(cur.clusterArn, cur.serviceName);
        const a = reconcile(cur, tasks, now, this.#o.config, this.#o.ids);
        ecs.putService(a.service);
        if (a.service.steadySince === 0) busy = true;
        const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
        for (const p of a.taskPatches) {
          const t = byArn.get(p.taskArn);
          if (!t) continue;
          if (p.healthyAt !== undefined) t.healthyAt = p.healthyAt;
          if (p.stopAcknowledged !== undefined) t.stopAcknowledged = p.stopAcknowledged;
          ecs.putTask(t);
        }
        const stopped: TaskRecord[] = [];
        for (const s of a.stop) {
          const t = byArn.get(s.taskArn);
          if (!t) continue;
          t.desiredStatus = "STOPPED";
          t.stopCode = s.stopCode;
          t.stoppedReason = s.reason;
          t.stoppingAt = now;
          t.version += 1;
          ecs.putTask(t);
          stopped.push(t);
        }
        const launched: TaskRecord[] = [];
        for (const l of a.launch) {
          const d = a.service.deployments.find((x) => x.id === l.deploymentId)!;
          const t = newTask({
            taskId: l.taskId,
            clusterArn: cur.clusterArn,
            taskDefinition: td(l.taskDefinition),
            now,
            launchType: d.launchType ?? "EC2",
            startedBy: d.id,
            group: `service:${cur.serviceName}`,
            serviceName: cur.serviceName,
            networkConfiguration: d.networkConfiguration,
            tags: propagatedTags(cur, ecs, l.taskDefinition),
            platformVersion: d.platformVersion,
            uuid: this.#o.ids.uuid,
          });
          ecs.putTask(t);
          if (t.tags.length > 0) ecs.tag(t.taskArn, t.tags);
          launched.push(t);
        }
        return { launched, stopped };
      });
      if (!decision) continue;
      for (const t of decision.stopped) runtime.stop(t, td(t.taskDefinitionArn));
      for (const t of decision.launched) {
        runtime.launch({ task: t, taskDefinition: td(t.taskDefinitionArn), clusterName: clusterName(t) });
      }
    }

    this.#busy = busy;
    ecs.purgeStoppedBefore(now - this.#o.stoppedTaskRetentionSeconds * 1000);
  }
}

function clusterName(t: TaskRecord): string {
  return t.clusterArn.slice(t.clusterArn.indexOf("/") + 1);
}

function propagatedTags(svc: ServiceRecord, ecs: EcsStore, tdArn: string): { key: string; value: string }[] {
  const mode = svc.extra.propagateTags;
  // a new array: the store's tag lists may be shared (cached) values
  const tags =
    mode === "SERVICE"
      ? [...ecs.tags(svc.serviceArn)]
      : mode === "TASK_DEFINITION"
        ? [...ecs.tags(tdArn)]
        : [];
  if (svc.extra.enableECSManagedTags) {
    tags.push(
      { key: "aws:ecs:clusterName", value: svc.clusterArn.slice(svc.clusterArn.indexOf("/") + 1) },
      { key: "aws:ecs:serviceName", value: svc.serviceName },
    );
  }
  return tags;
}
