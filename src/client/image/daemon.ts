// Image source from a local Docker or Podman daemon through the Docker Engine API (no docker CLI): GET /images/{name}/get.
// https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Image/operation/ImageGet
import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { openDockerArchive } from "./docker-archive.ts";
import type { ImageSource } from "./source.ts";

/** DOCKER_HOST (unix:// only), then Docker's and Podman's usual sockets. */
export function daemonSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  if (host) return undefined;
  const candidates = [
    "/var/run/docker.sock",
    "/run/podman/podman.sock",
    ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, "podman", "podman.sock")] : []),
  ];
  return candidates.find((p) => existsSync(p));
}

/** Exports `name` from the daemon into a temporary docker-archive and opens it. */
export async function openDaemonImage(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ImageSource> {
  const socketPath = daemonSocket(env);
  if (!socketPath) {
    throw new Error(
      env.DOCKER_HOST
        ? `DOCKER_HOST=${env.DOCKER_HOST} is not a unix:// socket; export the image (docker save -o img.tar) and use docker-archive:img.tar`
        : "no Docker or Podman API socket found (set DOCKER_HOST=unix:///path/to.sock, or start `podman system service`)",
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "keyship-daemon-"));
  const tar = join(dir, "image.tar");
  await new Promise<void>((resolve, reject) => {
    const req = request(
      { socketPath, path: `/images/${encodeURIComponent(name)}/get`, method: "GET" },
      (res) => {
        if (res.statusCode !== 200) {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (body += c));
          res.on("end", () => {
            let message = body.trim();
            try {
              message = (JSON.parse(body) as { message?: string }).message ?? message;
            } catch {}
            reject(
              new Error(`the daemon at ${socketPath} cannot export ${name}: ${res.statusCode} ${message}`),
            );
          });
          return;
        }
        pipeline(res, createWriteStream(tar)).then(resolve, reject);
      },
    );
    req.on("error", (e) => reject(new Error(`cannot reach the daemon at ${socketPath}: ${e.message}`)));
    req.end();
  });
  return openDockerArchive(tar, undefined, { removeOnClose: dir, description: `daemon:${name}` });
}
