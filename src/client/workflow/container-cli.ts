// Which docker-compatible CLI the job's steps use: Docker when its engine answers, else Podman behind
// a `docker` shim on the step's PATH (plain-HTTP twin registry → --tls-verify=false on push/pull/login/build).
import { spawnSync } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface ContainerCli {
  kind: "docker" | "podman" | "in-process";
  /** directory holding a `docker` shim to put first on PATH (podman only) */
  shimDir?: string;
  /** the command to call for `docker ...` */
  command: string;
}

function answers(cmd: string, args: string[]): boolean {
  try {
    return spawnSync(cmd, args, { stdio: "ignore", timeout: 20_000 }).status === 0;
  } catch {
    return false;
  }
}

const shim = `#!/bin/sh
# keyship run: no Docker engine answered, so \`docker\` is Podman here. The twin's registry is plain
# HTTP on 127.0.0.1, so the registry commands get --tls-verify=false.
cmd="$1"
case "$cmd" in
  push|pull|login|build|buildx)
    shift
    if [ "$cmd" = buildx ] && [ "$1" = build ]; then shift; cmd=build; fi
    exec podman "$cmd" --tls-verify=false "$@" ;;
  *) exec podman "$@" ;;
esac
`;

/** Detects the engine once per run; undefined when neither Docker nor Podman works. */
export async function detectContainerCli(tempDir: string): Promise<ContainerCli | undefined> {
  if (answers("docker", ["info"])) return { kind: "docker", command: "docker" };
  if (answers("podman", ["--version"])) {
    const shimDir = join(tempDir, "keyship-bin");
    await mkdir(shimDir, { recursive: true });
    await writeFile(join(shimDir, "docker"), shim);
    await chmod(join(shimDir, "docker"), 0o755);
    return { kind: "podman", shimDir, command: join(shimDir, "docker") };
  }
  return undefined;
}

/**
 * A `docker` that needs no engine: builds FROM-scratch images in process and pushes them through the
 * registry API (src/client/demo/docker-shim.ts). Used by the demo's simulated runtime.
 */
export async function inProcessDockerCli(tempDir: string): Promise<ContainerCli> {
  const shimDir = join(tempDir, "keyship-bin");
  await mkdir(shimDir, { recursive: true });
  const script = new URL("../demo/docker-shim.ts", import.meta.url).pathname;
  const tsx = import.meta.resolve("tsx");
  const text = `#!/bin/sh
# keyship: no Docker or Podman here; docker login/build/push run in process against the registry API.
KEYSHIP_SHIM_STATE="${join(shimDir, "state.json")}" exec "${process.execPath}" --no-warnings --import "${tsx}" "${script}" "$@"
`;
  await writeFile(join(shimDir, "docker"), text);
  await chmod(join(shimDir, "docker"), 0o755);
  return { kind: "in-process", shimDir, command: join(shimDir, "docker") };
}
