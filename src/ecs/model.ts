// ECS records as the twin stores them (timestamps are epoch milliseconds; operations render Dates).

// biome-ignore lint/suspicious/noExplicitAny: AWS-shaped JSON echoed back to clients
export type Json = Record<string, any>;

export type RolloutState = "IN_PROGRESS" | "COMPLETED" | "FAILED";

export interface Deployment {
  id: string;
  status: "PRIMARY" | "ACTIVE";
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  launchType?: string;
  platformVersion?: string;
  networkConfiguration?: Json;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** stage 2 of the circuit breaker: a task of this deployment has reached RUNNING (specs/ecs.md §6.3) */
  reachedRunning: boolean;
}

/** What a rollback returns to: the settings of the last COMPLETED deployment. */
export interface CompletedSnapshot {
  id: string;
  taskDefinition: string;
  launchType?: string;
  platformVersion?: string;
  networkConfiguration?: Json;
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface DeploymentConfiguration {
  deploymentCircuitBreaker: { enable: boolean; rollback: boolean };
  maximumPercent: number;
  minimumHealthyPercent: number;
  [extra: string]: unknown;
}

export interface ServiceRecord {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  status: "ACTIVE" | "DRAINING" | "INACTIVE";
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition: string;
  deploymentConfiguration: DeploymentConfiguration;
  deployments: Deployment[];
  events: ServiceEvent[];
  createdAt: number;
  createdBy: string;
  healthCheckGracePeriodSeconds: number;
  lastCompleted?: CompletedSnapshot;
  /** when "has reached a steady state" was last said while the service stayed steady; 0 = not steady */
  steadySince: number;
  /** message → last time it was emitted, for the 6-hour de-duplication (§5.6) */
  dedup: Record<string, number>;
  /** other members echoed as given (launchType, networkConfiguration, platformVersion, propagateTags, ...) */
  extra: Json;
  clientToken?: string;
}

export type TaskLastStatus =
  | "PROVISIONING"
  | "PENDING"
  | "ACTIVATING"
  | "RUNNING"
  | "DEACTIVATING"
  | "STOPPING"
  | "DEPROVISIONING"
  | "STOPPED";

export type HealthStatus = "HEALTHY" | "UNHEALTHY" | "UNKNOWN";

export interface ContainerRecord {
  containerArn: string;
  name: string;
  image: string;
  imageDigest?: string;
  runtimeId?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  networkBindings: Json[];
  networkInterfaces: Json[];
  healthStatus: HealthStatus;
  essential: boolean;
  hasHealthCheck: boolean;
  cpu?: string;
  memory?: string;
  memoryReservation?: string;
}

export interface TaskRecord {
  taskArn: string;
  taskId: string;
  clusterArn: string;
  taskDefinitionArn: string;
  /** the service's name for service tasks */
  serviceName?: string;
  startedBy?: string;
  group: string;
  launchType: string;
  lastStatus: TaskLastStatus;
  desiredStatus: "RUNNING" | "STOPPED";
  healthStatus: HealthStatus;
  createdAt: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  connectivity?: string;
  connectivityAt?: number;
  stoppingAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  version: number;
  containers: ContainerRecord[];
  /** first time the scheduler saw the task healthy (healthy(t), §6.1) */
  healthyAt?: number;
  /** the scheduler has accounted for this task's stop in failedTasks (§6.3) */
  stopAcknowledged?: boolean;
  cpu?: string;
  memory?: string;
  networkMode: string;
  attachments: Json[];
  overrides: Json;
  tags: { key: string; value: string }[];
  platformVersion?: string;
}
