// Pushes an image source to a repository through the registry API: blobs in parallel, existing ones skipped,
// cross-repository mounts tried first, then the manifest by tag.

import { RegistryClient, RegistryError } from "./registry-client.ts";
import type { ImageSource, SourceBlob } from "./source.ts";

export type BlobOutcome = "exists" | "mounted" | "uploaded";

export interface PushProgress {
  digest: string;
  size: number;
  sent: number;
  state: "checking" | "uploading" | BlobOutcome;
}

export interface PushOptions {
  repository: string;
  tag?: string;
  /** Another repository of the same registry that may hold the blobs (ECR mounts only with BLOB_MOUNTING enabled). */
  mountFrom?: string;
  concurrency?: number;
  onProgress?: (p: PushProgress) => void;
  /** Attempts per blob for network errors and 5xx answers. */
  attempts?: number;
}

export interface PushResult {
  digest: string;
  mediaType: string;
  blobs: Array<{ digest: string; size: number; outcome: BlobOutcome }>;
  bytesSent: number;
}

function repoPath(repository: string): string {
  return `/v2/${repository}`;
}

function withDigest(location: string, digest: string): string {
  // The registry may already have put a query on Location (distribution spec: accept both).
  return `${location}${location.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`;
}

async function pushBlob(
  client: RegistryClient,
  blob: SourceBlob,
  options: PushOptions,
): Promise<{ outcome: BlobOutcome; sent: number }> {
  const base = repoPath(options.repository);
  const report = (state: PushProgress["state"], sent = 0) =>
    options.onProgress?.({ digest: blob.digest, size: blob.size, sent, state });
  report("checking");
  const head = await client.send("HEAD", `${base}/blobs/${blob.digest}`);
  if (head.status === 200) {
    report("exists", blob.size);
    return { outcome: "exists", sent: 0 };
  }
  if (head.status !== 404) RegistryClient.fail(head, `checking ${blob.digest}`);
  let location: string | undefined;
  if (options.mountFrom && options.mountFrom !== options.repository) {
    const mount = await client.send(
      "POST",
      `${base}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(options.mountFrom)}`,
      { headers: { "Content-Length": 0 } },
    );
    if (mount.status === 201) {
      report("mounted", blob.size);
      return { outcome: "mounted", sent: 0 };
    }
    // 202 opens an ordinary upload session (not mountable is never an error).
    if (mount.status === 202) location = String(mount.headers.location ?? "");
    else RegistryClient.fail(mount, `mounting ${blob.digest} from ${options.mountFrom}`);
  }
  if (!location) {
    const start = await client.send("POST", `${base}/blobs/uploads/`, { headers: { "Content-Length": 0 } });
    if (start.status !== 202) RegistryClient.fail(start, `starting the upload of ${blob.digest}`);
    location = String(start.headers.location ?? "");
    if (!location) throw new RegistryError(start.status, undefined, "the registry sent no upload Location");
  }
  // One streamed PATCH then an empty PUT: the sequence docker and containers/image use (ecr-registry.md §10).
  let sent = 0;
  report("uploading", 0);
  const patch = await client.send("PATCH", location, {
    headers: { "Content-Type": "application/octet-stream", "Content-Length": blob.size },
    body: blob.open,
    onBytes: (n) => {
      sent += n;
      report("uploading", sent);
    },
  });
  if (patch.status !== 202 && patch.status !== 204) RegistryClient.fail(patch, `uploading ${blob.digest}`);
  const next = String(patch.headers.location ?? location);
  const put = await client.send("PUT", withDigest(next, blob.digest), { headers: { "Content-Length": 0 } });
  if (put.status !== 201) RegistryClient.fail(put, `completing the upload of ${blob.digest}`);
  report("uploaded", blob.size);
  return { outcome: "uploaded", sent };
}

function retryable(e: unknown): boolean {
  if (e instanceof RegistryError) return e.status >= 500 || e.status === 429;
  return (
    e instanceof Error &&
    "code" in e &&
    ["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNREFUSED"].includes(String((e as { code: unknown }).code))
  );
}

export async function pushImage(
  client: RegistryClient,
  source: ImageSource,
  options: PushOptions,
): Promise<PushResult> {
  const concurrency = options.concurrency ?? 4;
  const attempts = options.attempts ?? 3;
  const results = new Array<{ digest: string; size: number; outcome: BlobOutcome; sent: number }>(
    source.blobs.length,
  );
  // The same layer can appear twice in a manifest; push it once.
  const unique = [...new Map(source.blobs.map((b) => [b.digest, b])).values()];
  let next = 0;
  const worker = async () => {
    while (next < unique.length) {
      const blob = unique[next++]!;
      for (let attempt = 1; ; attempt++) {
        try {
          const r = await pushBlob(client, blob, options);
          source.blobs.forEach((b, i) => {
            if (b.digest === blob.digest) results[i] = { digest: b.digest, size: b.size, ...r };
          });
          break;
        } catch (e) {
          if (attempt >= attempts || !retryable(e)) throw e;
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt * Math.random()));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, unique.length) }, worker));
  const reference = options.tag ?? source.manifest.digest;
  const put = await client.send("PUT", `${repoPath(options.repository)}/manifests/${reference}`, {
    headers: { "Content-Type": source.manifest.mediaType, "Content-Length": source.manifest.bytes.length },
    body: source.manifest.bytes,
  });
  if (put.status !== 201) RegistryClient.fail(put, `putting the manifest ${options.repository}:${reference}`);
  const returned = put.headers["docker-content-digest"];
  if (typeof returned === "string" && returned !== source.manifest.digest) {
    throw new RegistryError(
      put.status,
      "DIGEST_INVALID",
      `the registry stored the manifest as ${returned}, expected ${source.manifest.digest}`,
    );
  }
  return {
    digest: source.manifest.digest,
    mediaType: source.manifest.mediaType,
    blobs: results.map(({ digest, size, outcome }) => ({ digest, size, outcome })),
    bytesSent: results.reduce((n, r) => n + r.sent, 0),
  };
}

/** HEAD a manifest: "exists", "missing", or the registry's denial (ECR needs ecr:BatchGetImage for this). */
export async function manifestExists(
  client: RegistryClient,
  repository: string,
  reference: string,
): Promise<"exists" | "missing"> {
  const res = await client.send("HEAD", `${repoPath(repository)}/manifests/${reference}`, {
    headers: {
      Accept: [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
      ].join(", "),
    },
  });
  if (res.status === 200) return "exists";
  if (res.status === 404) return "missing";
  RegistryClient.fail(res, `looking up ${repository}:${reference}`);
}
