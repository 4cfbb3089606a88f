// ECS records → the shapes DescribeServices / DescribeTasks / DescribeTaskDefinition return (Dates for
// timestamps, so the JSON protocol writes epoch seconds). Shapes: specs/ecs.md §3, §5.1, §5.2, §7.4.
import type { Deployment, Json, ServiceRecord, TaskRecord } from "./model.ts";

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

export function renderTaskDefinition(doc: Json): Json {
  const out: Json = { ...doc, registeredAt: date(doc.registeredAt) };
  if (doc.deregisteredAt !== undefined) out.deregisteredAt = date(doc.deregisteredAt);
  if (doc.deleteRequestedAt !== undefined) out.deleteRequestedAt = date(doc.deleteRequestedAt);
  return out;
}

function renderDeployment(d: Deployment): Json {
  const out: Json = {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinition,
    desiredCount: d.desiredCount,
    pendingCount: d.pendingCount,
    runningCount: d.runningCount,
    failedTasks: d.failedTasks,
    createdAt: date(d.createdAt),
    updatedAt: date(d.updatedAt),
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
  if (d.launchType !== undefined) out.launchType = d.launchType;
  if (d.platformVersion !== undefined) out.platformVersion = d.platformVersion;
  if (d.launchType === "FARGATE") out.platformFamily = "Linux";
  if (d.networkConfiguration !== undefined) out.networkConfiguration = d.networkConfiguration;
  return out;
}

export function renderService(s: ServiceRecord, tags?: { key: string; value: string }[]): Json {
  const e = s.extra;
  const out: Json = {
    serviceArn: s.serviceArn,
    serviceName: s.serviceName,
    clusterArn: s.clusterArn,
    loadBalancers: e.loadBalancers ?? [],
    serviceRegistries: e.serviceRegistries ?? [],
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: s.runningCount,
    pendingCount: s.pendingCount,
  };
  if (e.launchType !== undefined) out.launchType = e.launchType;
  if (e.capacityProviderStrategy !== undefined) out.capacityProviderStrategy = e.capacityProviderStrategy;
  if (e.platformVersion !== undefined) out.platformVersion = e.platformVersion;
  if (e.launchType === "FARGATE") out.platformFamily = "Linux";
  out.taskDefinition = s.taskDefinition;
  out.deploymentConfiguration = s.deploymentConfiguration;
  // always an array: the SDK v3 ServicesStable waiter dereferences deployments.length (specs/ecs.md §9.2)
  out.deployments = s.deployments.map(renderDeployment);
  if (e.roleArn !== undefined) out.roleArn = e.roleArn;
  out.events = s.events.map((ev) => ({ id: ev.id, createdAt: date(ev.createdAt), message: ev.message }));
  out.createdAt = date(s.createdAt);
  out.placementConstraints = e.placementConstraints ?? [];
  out.placementStrategy = e.placementStrategy ?? [];
  if (e.networkConfiguration !== undefined) out.networkConfiguration = e.networkConfiguration;
  out.healthCheckGracePeriodSeconds = s.healthCheckGracePeriodSeconds;
  out.schedulingStrategy = e.schedulingStrategy ?? "REPLICA";
  out.deploymentController = e.deploymentController ?? { type: "ECS" };
  if (tags !== undefined) out.tags = tags;
  out.createdBy = s.createdBy;
  out.enableECSManagedTags = e.enableECSManagedTags ?? false;
  out.propagateTags = e.propagateTags ?? "NONE";
  out.enableExecuteCommand = e.enableExecuteCommand ?? false;
  out.availabilityZoneRebalancing = e.availabilityZoneRebalancing ?? "ENABLED";
  return out;
}

export function renderTask(t: TaskRecord, tags?: { key: string; value: string }[]): Json {
  const out: Json = {
    attachments: t.attachments,
    attributes: [{ name: "ecs.cpu-architecture", value: "x86_64" }],
    availabilityZone: "us-east-1a",
    clusterArn: t.clusterArn,
    containers: t.containers.map((c) => {
      const o: Json = {
        containerArn: c.containerArn,
        taskArn: t.taskArn,
        name: c.name,
        image: c.image,
        lastStatus: c.lastStatus,
        networkBindings: c.networkBindings,
        networkInterfaces: c.networkInterfaces,
        healthStatus: c.healthStatus,
      };
      if (c.imageDigest !== undefined) o.imageDigest = c.imageDigest;
      if (c.runtimeId !== undefined) o.runtimeId = c.runtimeId;
      if (c.exitCode !== undefined) o.exitCode = c.exitCode;
      if (c.reason !== undefined) o.reason = c.reason;
      if (c.cpu !== undefined) o.cpu = c.cpu;
      if (c.memory !== undefined) o.memory = c.memory;
      if (c.memoryReservation !== undefined) o.memoryReservation = c.memoryReservation;
      return o;
    }),
    createdAt: date(t.createdAt),
    desiredStatus: t.desiredStatus,
    enableExecuteCommand: false,
    group: t.group,
    healthStatus: t.healthStatus,
    lastStatus: t.lastStatus,
    launchType: t.launchType,
    overrides: t.overrides,
    taskArn: t.taskArn,
    taskDefinitionArn: t.taskDefinitionArn,
    version: t.version,
  };
  if (t.cpu !== undefined) out.cpu = t.cpu;
  if (t.memory !== undefined) out.memory = t.memory;
  if (t.connectivity !== undefined) out.connectivity = t.connectivity;
  for (const k of [
    "connectivityAt",
    "pullStartedAt",
    "pullStoppedAt",
    "startedAt",
    "stoppingAt",
    "executionStoppedAt",
    "stoppedAt",
  ] as const) {
    if (t[k] !== undefined) out[k] = date(t[k]);
  }
  if (t.startedBy !== undefined) out.startedBy = t.startedBy;
  if (t.stopCode !== undefined) out.stopCode = t.stopCode;
  if (t.stoppedReason !== undefined) out.stoppedReason = t.stoppedReason;
  if (t.platformVersion !== undefined) {
    out.platformVersion = t.platformVersion;
    out.platformFamily = "Linux";
    out.ephemeralStorage = { sizeInGiB: 20 };
  }
  if (tags !== undefined) out.tags = tags;
  return out;
}
