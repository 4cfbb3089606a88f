// A new task record as RunTask and the service scheduler create it: PROVISIONING (awsvpc) or PENDING,
// containers PENDING, an ENI attachment for awsvpc (specs/ecs.md §7.1, §7.4).
import type { Json, TaskRecord } from "./model.ts";

export interface NewTask {
  taskId: string;
  clusterArn: string;
  taskDefinition: Json;
  now: number;
  launchType: string;
  startedBy?: string;
  group: string;
  serviceName?: string;
  networkConfiguration?: Json;
  overrides?: Json;
  tags?: { key: string; value: string }[];
  platformVersion?: string;
  uuid: () => string;
}

export function newTask(n: NewTask): TaskRecord {
  const td = n.taskDefinition;
  const arnPrefix = n.clusterArn.replace(":cluster/", ":task/");
  const taskArn = `${arnPrefix}/${n.taskId}`;
  const containerArnPrefix = n.clusterArn.replace(":cluster/", ":container/");
  const networkMode: string = td.networkMode ?? "bridge";
  const overrides: Json = n.overrides ?? {};
  const containers = (td.containerDefinitions as Json[]).map((c) => {
    const rec: TaskRecord["containers"][number] = {
      containerArn: `${containerArnPrefix}/${n.taskId}/${n.uuid()}`,
      name: c.name,
      image: c.image,
      lastStatus: "PENDING",
      networkBindings: [],
      networkInterfaces: [],
      healthStatus: "UNKNOWN",
      essential: c.essential !== false,
      hasHealthCheck: c.healthCheck != null,
    };
    if (c.cpu !== undefined) rec.cpu = String(c.cpu);
    if (c.memory != null) rec.memory = String(c.memory);
    if (c.memoryReservation != null) rec.memoryReservation = String(c.memoryReservation);
    return rec;
  });
  const attachments: Json[] = [];
  if (networkMode === "awsvpc") {
    const eniId = n.uuid();
    const subnet = n.networkConfiguration?.awsvpcConfiguration?.subnets?.[0] ?? "subnet-00000000";
    attachments.push({
      id: eniId,
      type: "ElasticNetworkInterface",
      status: "PRECREATED",
      details: [
        { name: "subnetId", value: subnet },
        { name: "networkInterfaceId", value: `eni-${n.taskId.slice(0, 17)}` },
        { name: "macAddress", value: `02:${n.taskId.slice(0, 10).replace(/(..)(?!$)/g, "$1:")}` },
      ],
    });
  }
  const t: TaskRecord = {
    taskArn,
    taskId: n.taskId,
    clusterArn: n.clusterArn,
    taskDefinitionArn: td.taskDefinitionArn,
    group: n.group,
    launchType: n.launchType,
    lastStatus: networkMode === "awsvpc" ? "PROVISIONING" : "PENDING",
    desiredStatus: "RUNNING",
    healthStatus: "UNKNOWN",
    createdAt: n.now,
    version: 1,
    containers,
    networkMode,
    attachments,
    overrides: {
      containerOverrides: overrides.containerOverrides ?? [],
      inferenceAcceleratorOverrides: [],
      ...overrides,
    },
    tags: n.tags ?? [],
  };
  if (n.startedBy !== undefined) t.startedBy = n.startedBy;
  if (n.serviceName !== undefined) t.serviceName = n.serviceName;
  if (td.cpu !== undefined) t.cpu = td.cpu;
  if (td.memory !== undefined) t.memory = td.memory;
  if (n.launchType === "FARGATE")
    t.platformVersion = n.platformVersion && n.platformVersion !== "LATEST" ? n.platformVersion : "1.4.0";
  return t;
}
