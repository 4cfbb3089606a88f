// The service scheduler's decision for one tick (pure): which tasks to launch and stop, and the service's
// next deployments, counters and events. Rules: specs/ecs.md §5.2–5.6 and §6 (derived from
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html and
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
import type { CompletedSnapshot, Deployment, ServiceEvent, ServiceRecord, TaskRecord } from "./model.ts";

export interface ReconcileConfig {
  /** §5.4: a task with no essential health check counts as healthy this long after RUNNING */
  noHealthCheckSettleSeconds: number;
  /** §5.5 threshold = min(200, max(MIN, ceil(desired / 2))) */
  circuitBreakerMinimum: number;
  /** §6.3 stage 2: an essential exit before the task was ever healthy counts as a failure */
  circuitBreakerCountsEarlyExits: boolean;
  rollbackReusesDeploymentId: boolean;
  steadyStateReemitSeconds: number;
  eventDedupSeconds: number;
}

export const defaultReconcileConfig: ReconcileConfig = {
  noHealthCheckSettleSeconds: 40,
  circuitBreakerMinimum: 3,
  circuitBreakerCountsEarlyExits: true,
  rollbackReusesDeploymentId: false,
  steadyStateReemitSeconds: 21600,
  eventDedupSeconds: 21600,
};

export interface ReconcileIds {
  uuid(): string;
  /** a 32-hex task id */
  taskId(): string;
  /** `ecs-svc/` + 19 digits */
  deploymentId(): string;
}

export interface StopAction {
  taskArn: string;
  stopCode: "ServiceSchedulerInitiated";
  reason: string;
  /** the stop counts toward the circuit breaker (health enforcement) */
  failure: boolean;
}

export interface Actions {
  service: ServiceRecord;
  launch: { taskId: string; deploymentId: string; taskDefinition: string }[];
  stop: StopAction[];
  /** per-task bookkeeping: first-healthy time and stop acknowledgement */
  taskPatches: { taskArn: string; healthyAt?: number; stopAcknowledged?: boolean }[];
}

const PENDING_STATES = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

export function circuitBreakerThreshold(desired: number, minimum: number): number {
  return Math.min(200, Math.max(minimum, Math.ceil(desired * 0.5)));
}

/**
 * One tick for one service. `tasks` are the service's tasks (any state); `now` in epoch ms.
 * The caller applies the result in one transaction and drives the runtime.
 */
export function reconcile(
  current: ServiceRecord,
  observed: readonly TaskRecord[],
  now: number,
  config: ReconcileConfig,
  ids: ReconcileIds,
): Actions {
  const service: ServiceRecord = structuredClone(current);
  const tasks: TaskRecord[] = structuredClone(observed as TaskRecord[]);
  const name = service.serviceName;
  const tickEvents: string[] = [];
  const taskPatches: Actions["taskPatches"] = [];
  const stop: StopAction[] = [];
  const launch: Actions["launch"] = [];
  const stopping = new Set<string>();
  const grace = service.healthCheckGracePeriodSeconds * 1000;
  const settle = config.noHealthCheckSettleSeconds * 1000;

  const isWanted = (t: TaskRecord) => t.desiredStatus === "RUNNING" && !stopping.has(t.taskArn);
  const healthy = (t: TaskRecord): boolean => {
    if (!isWanted(t) || t.lastStatus !== "RUNNING") return false;
    if (t.healthyAt !== undefined) return true;
    const checked = t.containers.some((c) => c.essential && c.hasHealthCheck);
    if (checked) return t.healthStatus === "HEALTHY";
    return t.startedAt !== undefined && now - t.startedAt >= settle;
  };
  const stopTask = (t: TaskRecord, reason: string, failure: boolean) => {
    stopping.add(t.taskArn);
    stop.push({ taskArn: t.taskArn, stopCode: "ServiceSchedulerInitiated", reason, failure });
  };

  const draining = service.status === "DRAINING";
  const desired = draining ? 0 : service.desiredCount;
  const cfg = service.deploymentConfiguration;
  const minH = Math.ceil((desired * cfg.minimumHealthyPercent) / 100);
  const maxT = Math.floor((desired * cfg.maximumPercent) / 100);
  let P = service.deployments.find((d) => d.status === "PRIMARY");
  if (!P) throw new TypeError(`service ${service.serviceArn} has no PRIMARY deployment`);
  const byDeployment = (id: string) => tasks.filter((t) => t.startedBy === id);

  // 1. Observe: failedTasks (§6.3) and first-healthy times.
  for (const t of tasks) {
    if (t.healthyAt === undefined && healthy(t)) {
      t.healthyAt = now;
      taskPatches.push({ taskArn: t.taskArn, healthyAt: now });
    }
  }
  for (const t of byDeployment(P.id)) {
    if (t.lastStatus === "RUNNING" && !P.reachedRunning) {
      P.reachedRunning = true;
      P.failedTasks = 0;
    }
  }
  for (const t of tasks) {
    if (t.desiredStatus !== "STOPPED" || t.stopAcknowledged) continue;
    taskPatches.push({ taskArn: t.taskArn, stopAcknowledged: true });
    if (t.startedBy !== P.id) continue;
    const failedToStart =
      t.stopCode === "TaskFailedToStart" || (t.startedAt === undefined && !userOrScheduler(t));
    const earlyExit =
      t.stopCode === "EssentialContainerExited" &&
      t.healthyAt === undefined &&
      (config.circuitBreakerCountsEarlyExits || !P.reachedRunning);
    if (failedToStart || earlyExit) P.failedTasks += 1;
  }

  // 2. Health enforcement (outside the grace period).
  for (const t of tasks) {
    if (!isWanted(t) || t.lastStatus !== "RUNNING" || t.healthStatus !== "UNHEALTHY") continue;
    if (t.startedAt !== undefined && now - t.startedAt < grace) continue;
    stopTask(t, "Task failed container health checks", true);
    if (t.startedBy === P.id) P.failedTasks += 1;
  }

  // 3. Circuit breaker.
  if (
    cfg.deploymentCircuitBreaker.enable &&
    P.rolloutState === "IN_PROGRESS" &&
    P.failedTasks >= circuitBreakerThreshold(service.desiredCount, config.circuitBreakerMinimum)
  ) {
    P.rolloutState = "FAILED";
    P.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start.";
    P.updatedAt = now;
    tickEvents.push(`(service ${name}) (deployment ${P.id}) deployment failed: tasks failed to start.`);
    const C = service.lastCompleted;
    if (cfg.deploymentCircuitBreaker.rollback && C && C.id !== P.id) {
      const failed = P;
      failed.status = "ACTIVE";
      P = newDeployment(C, service, now, config.rollbackReusesDeploymentId ? C.id : ids.deploymentId());
      P.rolloutStateReason = `ECS deployment circuit breaker: rolling back to deploymentId ${C.id}.`;
      // an id reused by rollback must not also name the failed deployment's tasks
      service.deployments = [P, ...service.deployments.filter((d) => d.id !== P!.id)];
      service.taskDefinition = C.taskDefinition;
      tickEvents.push(`(service ${name}) (deployment ${failed.id}) rolling back to deployment ${C.id}.`);
    }
  }

  // 4. Scale up PRIMARY.
  const inflight = () => tasks.filter((t) => t.lastStatus !== "STOPPED").length + launch.length;
  const wantedP = () => byDeployment(P!.id).filter(isWanted).length + launch.length;
  const need = Math.max(0, desired - wantedP());
  const room = maxT - inflight();
  if (P.rolloutState !== "FAILED" && need > 0 && room > 0) {
    for (let i = 0; i < Math.min(need, room); i++) {
      launch.push({ taskId: ids.taskId(), deploymentId: P.id, taskDefinition: P.taskDefinition });
    }
  }

  // 5. Scale down old deployments, newest first, keeping minH healthy. A FAILED PRIMARY without
  // rollback leaves the old deployment's tasks alone (§5.5).
  const scaleReason = `Scaling activity initiated by (deployment ${P.id})`;
  let healthyCount = tasks.filter(healthy).length;
  let stoppedOld = 0;
  if (P.rolloutState !== "FAILED" || draining) {
    const old = service.deployments
      .filter((d) => d.status === "ACTIVE")
      .sort((a, b) => b.createdAt - a.createdAt);
    for (const d of old) {
      const candidates = byDeployment(d.id)
        .filter(isWanted)
        .sort(
          (a, b) =>
            Number(healthy(a)) - Number(healthy(b)) ||
            (b.startedAt ?? b.createdAt) - (a.startedAt ?? a.createdAt),
        );
      for (const t of candidates) {
        const h = healthy(t);
        if (!h || healthyCount - 1 >= minH) {
          if (h) healthyCount -= 1;
          stopTask(t, scaleReason, false);
          stoppedOld += 1;
        }
      }
    }
  }

  // 6. Scale in PRIMARY (desiredCount lowered, or draining).
  const pWanted = byDeployment(P.id)
    .filter(isWanted)
    .sort(
      (a, b) =>
        Number(a.healthStatus !== "UNHEALTHY") - Number(b.healthStatus !== "UNHEALTHY") ||
        Number(!PENDING_STATES.has(a.lastStatus)) - Number(!PENDING_STATES.has(b.lastStatus)) ||
        (b.startedAt ?? b.createdAt) - (a.startedAt ?? a.createdAt),
    );
  let excess = pWanted.length - desired;
  for (const t of pWanted) {
    if (excess <= 0) break;
    stopTask(t, scaleReason, false);
    excess -= 1;
  }

  // 7. Stall check.
  if (need > 0 && room <= 0 && stoppedOld === 0 && P.rolloutState !== "FAILED") {
    dedupEvent(
      service,
      tickEvents,
      now,
      config,
      `(service ${name}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
    );
  }

  // 8. Drop drained deployments: an old one with no task still running or stopping.
  service.deployments = service.deployments.filter(
    (d) => d.status === "PRIMARY" || tasks.some((t) => t.startedBy === d.id && t.lastStatus !== "STOPPED"),
  );

  // 10 (counters first, so 9 sees them). Service and per-deployment counts.
  const live = tasks.filter((t) => t.lastStatus !== "STOPPED");
  service.runningCount = live.filter((t) => t.lastStatus === "RUNNING").length;
  service.pendingCount = live.filter((t) => PENDING_STATES.has(t.lastStatus)).length + launch.length;
  for (const d of service.deployments) {
    const mine = live.filter((t) => t.startedBy === d.id);
    d.runningCount = mine.filter((t) => t.lastStatus === "RUNNING").length;
    d.pendingCount =
      mine.filter((t) => PENDING_STATES.has(t.lastStatus)).length +
      launch.filter((l) => l.deploymentId === d.id).length;
    if (d.status === "PRIMARY") d.desiredCount = desired;
    else d.desiredCount = mine.filter(isWanted).length;
  }

  // 9. Complete.
  const settled =
    service.deployments.length === 1 &&
    launch.length === 0 &&
    stop.length === 0 &&
    P.runningCount === desired &&
    byDeployment(P.id)
      .filter(isWanted)
      .every((t) => healthy(t));
  if (P.rolloutState === "IN_PROGRESS" && settled && !draining) {
    P.rolloutState = "COMPLETED";
    P.rolloutStateReason = `ECS deployment ${P.id} completed.`;
    P.updatedAt = now;
    service.lastCompleted = snapshot(P);
    tickEvents.push(`(service ${name}) (deployment ${P.id}) deployment completed.`);
  }

  // 10. Events for what this tick did.
  if (launch.length > 0 || stop.length > 0) P.updatedAt = now;
  const started = launch.map((l) => `(task ${l.taskId})`);
  if (started.length > 0)
    tickEvents.push(`(service ${name}) has started ${started.length} tasks: ${started.join(" ")}.`);
  const stoppedIds = stop.map((s) => `(task ${s.taskArn.slice(s.taskArn.lastIndexOf("/") + 1)})`);
  if (stoppedIds.length > 0) {
    tickEvents.push(
      `(service ${name}) has stopped ${stoppedIds.length} running tasks: ${stoppedIds.join(" ")}.`,
    );
  }
  const steadyNow = settled && P.rolloutState === "COMPLETED" && !draining;
  if (steadyNow) {
    if (service.steadySince === 0 || now - service.steadySince >= config.steadyStateReemitSeconds * 1000) {
      tickEvents.push(`(service ${name}) has reached a steady state.`);
      service.steadySince = now;
    }
  } else service.steadySince = 0;

  // 11. DeleteService: INACTIVE once every task is stopping or stopped.
  if (draining && tasks.every((t) => t.desiredStatus === "STOPPED" || stopping.has(t.taskArn))) {
    service.status = "INACTIVE";
  }

  if (tickEvents.length > 0) {
    const fresh: ServiceEvent[] = tickEvents.map((message) => ({ id: ids.uuid(), createdAt: now, message }));
    service.events = [...fresh.reverse(), ...service.events].slice(0, 100);
  }
  return { service, launch, stop, taskPatches };
}

function userOrScheduler(t: TaskRecord): boolean {
  return t.stopCode === "UserInitiated" || t.stopCode === "ServiceSchedulerInitiated";
}

function dedupEvent(
  service: ServiceRecord,
  events: string[],
  now: number,
  config: ReconcileConfig,
  message: string,
): void {
  const last = service.dedup[message];
  if (last !== undefined && now - last < config.eventDedupSeconds * 1000) return;
  service.dedup[message] = now;
  events.push(message);
}

function snapshot(d: Deployment): CompletedSnapshot {
  const s: CompletedSnapshot = { id: d.id, taskDefinition: d.taskDefinition };
  if (d.launchType !== undefined) s.launchType = d.launchType;
  if (d.platformVersion !== undefined) s.platformVersion = d.platformVersion;
  if (d.networkConfiguration !== undefined) s.networkConfiguration = d.networkConfiguration;
  return s;
}

/** A new PRIMARY deployment (UpdateService, CreateService, rollback): IN_PROGRESS, counts zero. */
export function newDeployment(
  from: Omit<CompletedSnapshot, "id">,
  service: Pick<ServiceRecord, "desiredCount">,
  now: number,
  id: string,
): Deployment {
  const d: Deployment = {
    id,
    status: "PRIMARY",
    taskDefinition: from.taskDefinition,
    desiredCount: service.desiredCount,
    pendingCount: 0,
    runningCount: 0,
    failedTasks: 0,
    createdAt: now,
    updatedAt: now,
    rolloutState: "IN_PROGRESS",
    rolloutStateReason: `ECS deployment ${id} in progress.`,
    reachedRunning: false,
  };
  if (from.launchType !== undefined) d.launchType = from.launchType;
  if (from.platformVersion !== undefined) d.platformVersion = from.platformVersion;
  if (from.networkConfiguration !== undefined) d.networkConfiguration = from.networkConfiguration;
  return d;
}
