// A small Docker Engine API client over its Unix socket (plain node:http), compatible with Docker and
// `podman system service`. https://docs.docker.com/reference/api/engine/version/v1.41/
import { existsSync } from "node:fs";
import { request } from "node:http";

export interface DockerResponse {
  status: number;
  body: Buffer;
}

export class DockerApi {
  readonly socketPath: string;
  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = 600_000,
  ): Promise<DockerResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: {
            host: "docker",
            ...(payload
              ? { "content-type": "application/json", "content-length": String(payload.length) }
              : {}),
            ...headers,
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`docker API ${method} ${path} timed out`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const r = await this.call(method, path, body, headers);
    if (r.status >= 300) throw new DockerError(r.status, errorText(r.body));
    return (r.body.length ? JSON.parse(r.body.toString("utf8")) : undefined) as T;
  }
}

export class DockerError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function errorText(body: Buffer): string {
  const text = body.toString("utf8");
  try {
    const j = JSON.parse(text);
    return j.message ?? j.cause ?? text;
  } catch {
    return text.trim();
  }
}

/** Splits Docker's multiplexed log stream (8-byte frame headers) into text; raw text passes through. */
export function demuxLogs(buf: Buffer): string {
  let out = "";
  let i = 0;
  while (i + 8 <= buf.length && buf[i]! <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  return i === 0 ? buf.toString("utf8") : out + buf.subarray(i).toString("utf8");
}

/** The Docker API sockets keyship tries, in order: DOCKER_HOST (unix://), Docker's, Podman's rootful. */
export function candidateSockets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://")) out.push(host.slice("unix://".length));
  out.push("/var/run/docker.sock", "/run/podman/podman.sock");
  return out;
}

/** The first socket that answers GET /_ping, or undefined. */
export async function detectSocket(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const path of candidateSockets(env)) {
    if (!existsSync(path)) continue;
    try {
      const r = await new DockerApi(path).call("GET", "/_ping", undefined, {}, 2000);
      if (r.status === 200) return path;
    } catch {
      // not answering: try the next one
    }
  }
  return undefined;
}
