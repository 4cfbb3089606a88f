// Applies what the runtime observed to a task record (pure): lastStatus transitions, stop codes and reasons,
// container state, task health. Lifecycle: specs/ecs.md §7.1–7.3,
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
import type { HealthStatus, TaskRecord } from "./model.ts";
import type { TaskObservation } from "./runtime/runtime.ts";

const PENDING = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

/** Returns the next record, or the same object when nothing changed. */
export function applyObservation(task: TaskRecord, obs: TaskObservation, now: number): TaskRecord {
  const t: TaskRecord = structuredClone(task);
  const before = JSON.stringify(task);

  for (const oc of obs.containers) {
    const c = t.containers.find((x) => x.name === oc.name);
    if (!c) continue;
    if (oc.runtimeId !== undefined) c.runtimeId = oc.runtimeId;
    if (oc.imageDigest !== undefined) c.imageDigest = oc.imageDigest;
    if (oc.networkBindings !== undefined && oc.status === "RUNNING") c.networkBindings = oc.networkBindings;
    if (oc.status === "RUNNING" || (oc.status === "STOPPED" && c.lastStatus !== "STOPPED"))
      c.lastStatus = oc.status;
    if (oc.exitCode !== undefined) c.exitCode = oc.exitCode;
    if (oc.reason !== undefined) c.reason = oc.reason;
    c.healthStatus = oc.status === "STOPPED" ? c.healthStatus : oc.healthStatus;
  }
  if (obs.pullStartedAt !== undefined) t.pullStartedAt ??= obs.pullStartedAt;
  if (obs.pullStoppedAt !== undefined) t.pullStoppedAt ??= obs.pullStoppedAt;
  if (obs.privateIp !== undefined) setAddress(t, obs.privateIp);

  const stopWith = (code: string, reason: string) => {
    if (t.desiredStatus === "STOPPED" && t.stopCode) return;
    t.desiredStatus = "STOPPED";
    t.stopCode = code;
    t.stoppedReason = reason;
    t.stoppingAt = now;
  };

  if (obs.failure) stopWith("TaskFailedToStart", obs.failure);
  const essentialExited = t.containers.some(
    (c) => c.essential && obs.containers.some((o) => o.name === c.name && o.status === "STOPPED"),
  );
  if (!obs.failure && essentialExited)
    stopWith("EssentialContainerExited", "Essential container in task exited");

  let last = t.lastStatus;
  switch (obs.phase) {
    case "PULLING":
    case "STARTING":
      if (PENDING.has(last)) last = obs.phase === "STARTING" ? "ACTIVATING" : "PENDING";
      break;
    case "RUNNING":
      if (PENDING.has(last)) {
        last = "RUNNING";
        t.startedAt ??= obs.startedAt ?? now;
        t.connectivity = "CONNECTED";
        t.connectivityAt ??= now;
      }
      break;
    case "STOPPED":
    case "ABSENT":
      if (t.desiredStatus === "STOPPED") {
        last = "STOPPED";
        if (obs.startedAt !== undefined) t.startedAt ??= obs.startedAt;
        t.executionStoppedAt ??= now;
        t.stoppedAt ??= now;
        for (const c of t.containers) c.lastStatus = "STOPPED";
      }
      break;
  }
  if (t.desiredStatus === "STOPPED" && last !== "STOPPED")
    last = t.lastStatus === "RUNNING" || last === "RUNNING" ? "STOPPING" : last;
  if (t.lastStatus === "STOPPING" && last !== "STOPPED") last = "STOPPING";
  t.lastStatus = last;
  t.healthStatus = taskHealth(t);
  if (t.lastStatus === "STOPPED") {
    for (const a of t.attachments) a.status = "DELETED";
  }

  if (JSON.stringify(t) === before) return task;
  if (t.lastStatus !== task.lastStatus || t.desiredStatus !== task.desiredStatus) t.version += 1;
  return t;
}

/** Task health: UNHEALTHY if any essential container is; UNKNOWN if any is unknown; else HEALTHY (§7.3). */
export function taskHealth(t: TaskRecord): HealthStatus {
  const essential = t.containers.filter((c) => c.essential);
  if (essential.some((c) => c.healthStatus === "UNHEALTHY")) return "UNHEALTHY";
  if (essential.some((c) => c.healthStatus === "UNKNOWN" || !c.hasHealthCheck)) return "UNKNOWN";
  return "HEALTHY";
}

/** awsvpc: the task's ENI attachment carries its address, as on Fargate. */
function setAddress(t: TaskRecord, ip: string): void {
  const eni = t.attachments.find((a) => a.type === "ElasticNetworkInterface");
  if (!eni) return;
  if (eni.status === "PRECREATED") eni.status = "ATTACHED";
  const details: { name: string; value: string }[] = eni.details;
  const ipDetail = details.find((d) => d.name === "privateIPv4Address");
  if (ipDetail) ipDetail.value = ip;
  else details.push({ name: "privateIPv4Address", value: ip });
  for (const c of t.containers) c.networkInterfaces = [{ attachmentId: eni.id, privateIpv4Address: ip }];
}
