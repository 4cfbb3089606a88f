// The task runtime interface: what the scheduler asks of a container engine (Docker/Podman) or the simulator.
import type { HealthStatus, Json, TaskRecord } from "../model.ts";

/** Where the engine pulls an image from, and with which credentials (for the twin's own ECR registry). */
export interface ResolvedImage {
  /** reference the engine pulls, e.g. 127.0.0.1:4599/web:v1 */
  ref: string;
  /** registry credentials (an ECR token: user AWS) */
  auth?: { username: string; password: string; serveraddress: string };
  /** the registry is plain HTTP (podman needs tlsVerify=false) */
  insecure?: boolean;
}

/** What the simulator learns about a task's pull without pulling. */
export interface SimulatedPull {
  /** the task cannot start: the whole stoppedReason (`CannotPullContainerError: …`, `ECS was unable to assume …`) */
  failure?: string;
  /** the outcome may change soon (an image not pushed yet): ask again */
  retry?: boolean;
  /** per container definition: the digest of a twin image, undefined for other references */
  digests: (string | undefined)[];
}

/**
 * What the ECS runtimes need from the twin's registry (ecs/task-images.ts provides it): a task's images,
 * pulled as the task's execution role. `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG` maps to the twin's
 * registry; other references pass through.
 */
export interface EcsImageSource {
  /**
   * Engines: per container definition, the reference to pull and the registry credentials (a token for the
   * execution role's session). Throws TaskStartFailure (pull-reasons.ts) when the task cannot start.
   */
  resolveTask(task: TaskRecord, taskDefinition: Json): Promise<ResolvedImage[]>;
  /**
   * The simulator: the pull's outcome, authorized as the registry would authorize an engine's pull.
   * `pulled`: the task pulled before (a restarted twin): digests only, nothing is authorized again.
   */
  simulateTask(task: TaskRecord, taskDefinition: Json, opts: { pulled: boolean }): Promise<SimulatedPull>;
}

export interface ContainerObservation {
  name: string;
  status: "PENDING" | "RUNNING" | "STOPPED";
  exitCode?: number;
  reason?: string;
  runtimeId?: string;
  imageDigest?: string;
  healthStatus: HealthStatus;
  networkBindings?: Json[];
}

export interface TaskObservation {
  /** ABSENT: the runtime knows nothing of this task (never launched, or lost in a restart) */
  phase: "ABSENT" | "PULLING" | "STARTING" | "RUNNING" | "STOPPED";
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  /** the task could not start: `CannotPullContainerError: ...`, `CannotStartContainerError: ...` */
  failure?: string;
  containers: ContainerObservation[];
  /** awsvpc: the task's address */
  privateIp?: string;
}

export interface LaunchSpec {
  task: TaskRecord;
  taskDefinition: Json;
  clusterName: string;
}

export interface TaskRuntime {
  readonly name: "docker" | "simulated";
  /** Starts the task's containers in the background; idempotent by task ARN (adopts existing containers). */
  launch(spec: LaunchSpec): void;
  observe(task: TaskRecord, taskDefinition: Json, now: number): Promise<TaskObservation>;
  /** Stops the task's containers (stopTimeout, then SIGKILL) in the background; idempotent. */
  stop(task: TaskRecord, taskDefinition: Json): void;
  /** The task is STOPPED and recorded: release what it held (containers stay for logs until `forget`). */
  release(task: TaskRecord): Promise<void>;
  /** Removes every container this runtime labelled whose task is not in `live` (after a restart). */
  adopt(live: ReadonlySet<string>): Promise<void>;
  /** The output of the task's containers (running or kept after the stop), or of the one named `container`. */
  logs(task: TaskRecord, container?: string): Promise<string>;
  close(): Promise<void>;
}
