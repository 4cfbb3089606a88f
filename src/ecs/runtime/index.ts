// Chooses the task runtime: `docker` (a Docker Engine API socket: DOCKER_HOST, Docker's, Podman's),
// `simulated`, or `auto` (docker when a socket answers, else simulated).

import { createDockerRuntime } from "./docker.ts";
import { detectSocket } from "./docker-api.ts";
import type { EcsImageSource, TaskRuntime } from "./runtime.ts";
import { createSimulatedRuntime, type SimulatedOptions } from "./simulated.ts";

export type RuntimeKind = "auto" | "docker" | "simulated";
export type { EcsImageSource, TaskRuntime } from "./runtime.ts";

export interface ChooseRuntimeOptions {
  images?: EcsImageSource;
  logDir: string;
  /** labels this state's containers (see DockerRuntimeOptions.owner) */
  owner: string;
  simulated?: SimulatedOptions;
  defaultStopTimeoutSeconds?: number;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export async function chooseRuntime(kind: RuntimeKind, o: ChooseRuntimeOptions): Promise<TaskRuntime> {
  if (kind !== "simulated") {
    const socketPath = await detectSocket(o.env);
    if (socketPath) {
      return createDockerRuntime({
        socketPath,
        images: o.images,
        logDir: o.logDir,
        owner: o.owner,
        defaultStopTimeoutSeconds: o.defaultStopTimeoutSeconds,
        log: o.log,
      });
    }
    if (kind === "docker") {
      throw new Error(
        "--runtime docker: no Docker Engine API answered at DOCKER_HOST, /var/run/docker.sock or /run/podman/podman.sock",
      );
    }
  }
  return createSimulatedRuntime({ ...o.simulated, images: o.images });
}
