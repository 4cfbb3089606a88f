// The image step of a deploy: push each container's local image to its repository and pin the task definition to the digest.
import { type ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { openDaemonImage } from "../image/daemon.ts";
import { openDockerArchive } from "../image/docker-archive.ts";
import { openOciArchive, openOciLayout, splitPathRef } from "../image/oci-layout.ts";
import { type PushProgress, type PushResult, pushImage } from "../image/push.ts";
import { ecrRegistryOf, formatImageRef, type ImageRef, parseImageRef } from "../image/reference.ts";
import { RegistryClient } from "../image/registry-client.ts";
import type { ImageSource } from "../image/source.ts";
import type { DeployIo } from "./io.ts";

/** `daemon:REF`, `oci:DIR[:REF]`, `oci-archive:TAR[:REF]`, `docker-archive:TAR[:REPO:TAG]`. */
export async function openImageSource(
  spec: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ImageSource> {
  const colon = spec.indexOf(":");
  const kind = colon > 0 ? spec.slice(0, colon) : "";
  const rest = spec.slice(colon + 1);
  switch (kind) {
    case "daemon":
    case "docker-daemon":
      return openDaemonImage(rest, env);
    case "oci": {
      const { path, ref } = splitPathRef(rest);
      return openOciLayout(path, ref);
    }
    case "oci-archive": {
      const { path, ref } = splitPathRef(rest);
      return openOciArchive(path, ref);
    }
    case "docker-archive": {
      // docker-archive:TAR or docker-archive:TAR:REPO:TAG (skopeo's syntax).
      const m = /^([^:]+)(?::(.+))?$/.exec(rest);
      return openDockerArchive(m?.[1] ?? rest, m?.[2]);
    }
    default:
      throw new Error(
        `unknown image source "${spec}": use daemon:REF, oci:DIR, oci-archive:TAR or docker-archive:TAR`,
      );
  }
}

export interface RegistryLogin {
  client: RegistryClient;
  /** The registry base URL the credentials are for (ECR's proxyEndpoint). */
  endpoint: string;
  password?: string;
  expiresAt?: Date;
}

/**
 * Credentials for a registry: ECR hosts through ecr:GetAuthorizationToken for that account (the proxyEndpoint it
 * returns is where to push; against the twin it names the twin's registry host). Other registries anonymously.
 */
export async function loginTo(ecr: ECRClient | undefined, ref: ImageRef): Promise<RegistryLogin> {
  const account = ecrRegistryOf(ref.registry);
  if (!account || !ecr)
    return {
      client: new RegistryClient({
        baseUrl: `${/^(localhost|127\.)/.test(ref.registry) ? "http" : "https"}://${ref.registry}`,
      }),
      endpoint: ref.registry,
    };
  const out = await ecr.send(new GetAuthorizationTokenCommand({ registryIds: [account.accountId] }));
  const data = out.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint)
    throw new Error("Amazon ECR authorization token returned no data");
  const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
  const password = decoded.slice(decoded.indexOf(":") + 1);
  return {
    client: new RegistryClient({
      baseUrl: data.proxyEndpoint,
      authorization: `Basic ${data.authorizationToken}`,
    }),
    endpoint: data.proxyEndpoint,
    password,
    ...(data.expiresAt && { expiresAt: data.expiresAt }),
  };
}

export interface PushedImage {
  container: string;
  /** The image reference written into the task definition: `repo@sha256:…` on the registry host as named. */
  image: string;
  result: PushResult;
}

function formatBytes(n: number): string {
  return n >= 1 << 20
    ? `${(n / (1 << 20)).toFixed(1)} MiB`
    : n >= 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${n} B`;
}

/** Progress lines: one when a blob starts uploading and one when it is settled; never per chunk (CI logs stay short). */
export function progressReporter(log: (line: string) => void, label: string): (p: PushProgress) => void {
  const started = new Set<string>();
  return (p) => {
    const short = p.digest.slice(7, 19);
    if (p.state === "uploading" && !started.has(p.digest)) {
      started.add(p.digest);
      log(`  ${label} ${short}: uploading ${formatBytes(p.size)}`);
    } else if (p.state === "exists" || p.state === "mounted" || p.state === "uploaded") {
      log(
        `  ${label} ${short}: ${p.state === "exists" ? "already there" : p.state} (${formatBytes(p.size)})`,
      );
    }
  };
}

export async function pushContainerImage(
  ecr: ECRClient | undefined,
  container: string,
  sourceSpec: string,
  target: string,
  io: DeployIo,
  options: {
    tag?: string;
    mountFrom?: string;
    env?: NodeJS.ProcessEnv;
    onLogin?: (login: RegistryLogin) => void;
  } = {},
): Promise<PushedImage> {
  const ref = parseImageRef(target);
  if (!ref)
    throw new Error(`container ${container}: "${target}" is not a registry/repository reference to push to`);
  const source = await openImageSource(sourceSpec, options.env);
  try {
    const login = await loginTo(ecr, ref);
    options.onLogin?.(login);
    const tag = options.tag ?? ref.tag;
    io.log(
      `Pushing ${source.description} to ${ref.registry}/${ref.repository}${tag ? `:${tag}` : ""} (${source.blobs.length} blobs)`,
    );
    const result = await pushImage(login.client, source, {
      repository: ref.repository,
      ...(tag && { tag }),
      ...(options.mountFrom && { mountFrom: options.mountFrom }),
      onProgress: progressReporter(io.log, container),
    });
    const skipped = result.blobs.filter((b) => b.outcome !== "uploaded").length;
    io.log(
      `Pushed ${result.digest} (${formatBytes(result.bytesSent)} sent, ${skipped}/${result.blobs.length} blobs already there or mounted)`,
    );
    const pinned = formatImageRef({
      registry: ref.registry,
      repository: ref.repository,
      digest: result.digest,
    });
    return { container, image: pinned, result };
  } finally {
    await source.close();
  }
}
