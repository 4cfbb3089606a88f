// OCI Distribution v1.1 over HTTP (distribution-spec spec.md; ecr-registry.md §5.2, §6, §8): parses
// each /v2/ request, authenticates it the ECR way, authorizes it as the ECR action AWS maps it to,
// calls the shared image store (ecr/state.ts) and writes the answer. Bodies stream: a blob is never
// held in memory.
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { AuthzCheck, Principal, RouteContext, TwinRuntime } from "../core/service.ts";
import { ecrErrors } from "../ecr/errors.ts";
import { verifyLayerUrl } from "../ecr/layer-url.ts";
import { MAX_MANIFEST_BYTES, MEDIA } from "../ecr/manifest.ts";
import { repositoryCheck } from "../ecr/repository-check.ts";
import type { EcrState, Repository } from "../ecr/state.ts";
import { isRepositoryName, isTag } from "../ecr/state.ts";
import { AwsError } from "../http/aws-error.ts";
import type { Authorize } from "../http/serve.ts";
import { type BlobStore, DigestMismatch, isDigest, OffsetMismatch } from "../store/blobs.ts";
import { authenticate, type RegistryIdentity, registryOfHost } from "./auth.ts";
import { fromEcrError, RegistryError, registryErrors } from "./errors.ts";
import { parseRegistryPath, type RegistryPath } from "./routes.ts";

export interface RegistryDeps {
  state: EcrState;
  rt: TwinRuntime;
  tokenSecret: string;
  authorize: Authorize;
  resolveAccessKey: (accessKeyId: string, sessionToken?: string) => Principal | undefined;
  /** "ecr": mount only when the account enabled BLOB_MOUNTING and the blob is referenced by an image
   *  in the source (ECR); "any": mount whatever is linked in the source (conformance runs) */
  mountPolicy?: "ecr" | "any";
  /** ECR has no blob delete (405); allow it for conformance runs */
  allowBlobDelete?: boolean;
  log?: (line: string) => void;
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RouteContext;
  deps: RegistryDeps;
  url: URL;
  id: RegistryIdentity;
}

const API_VERSION = { "docker-distribution-api-version": "registry/2.0" };

export async function handleRegistry(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  deps: RegistryDeps,
): Promise<void> {
  for (const [k, v] of Object.entries(API_VERSION)) res.setHeader(k, v);
  const url = new URL(req.url ?? "/", "http://registry.invalid");
  const host = req.headers.host;
  const registry = registryOfHost(host, { accountId: deps.rt.accountId, region: deps.rt.region });
  const auth = authenticate(req.headers.authorization, {
    tokenSecret: deps.tokenSecret,
    now: ctx.now,
    ...registry,
    resolveAccessKey: deps.resolveAccessKey,
  });
  try {
    if (!auth.ok) {
      if (auth.status === 401) return challenge(req, res, ctx);
      throw registryErrors.denied(auth.message);
    }
    const path = parseRegistryPath(url.pathname);
    if (!path) throw new RegistryError(404, "NOT_FOUND", "not found");
    const call: Call = { req, res, ctx, deps, url, id: auth.identity };
    await dispatch(call, path);
  } catch (thrown) {
    let err: RegistryError;
    if (thrown instanceof RegistryError) err = thrown;
    else if (thrown instanceof AwsError) err = fromEcrError(thrown);
    else {
      deps.log?.(
        `registry ${ctx.requestId} ${req.method} ${url.pathname} failed: ${(thrown as Error)?.stack ?? thrown}`,
      );
      err = new RegistryError(500, "UNKNOWN", "internal error");
    }
    sendError(req, res, err);
  }
}

/** ECR's 401: plain text, Basic challenge with the host actually reached (ecr-registry.md §5.2). */
function challenge(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): void {
  drain(req);
  const realm = `${ctx.baseUrl}/`;
  const body = "Not Authorized\n";
  res.writeHead(401, {
    "www-authenticate": `Basic realm="${realm}",service="ecr.amazonaws.com"`,
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

function sendError(req: IncomingMessage, res: ServerResponse, err: RegistryError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  drain(req);
  const body = JSON.stringify({
    errors: [
      { code: err.code, message: err.message, ...(err.detail !== undefined ? { detail: err.detail } : {}) },
    ],
  });
  res.writeHead(err.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Discard an unread request body so the connection can be reused. */
function drain(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}

async function dispatch(c: Call, path: RegistryPath): Promise<void> {
  const method = c.req.method ?? "GET";
  switch (path.kind) {
    case "base":
      if (method !== "GET" && method !== "HEAD") throw registryErrors.unsupported();
      return send(c, 200, { "content-type": "application/json" }, "{}");
    case "catalog":
      return catalog(c);
    case "manifest":
      if (method === "GET" || method === "HEAD") return getManifest(c, path.name, path.reference);
      if (method === "PUT") return putManifest(c, path.name, path.reference);
      if (method === "DELETE") return deleteManifest(c, path.name, path.reference);
      throw registryErrors.unsupported();
    case "blob":
      if (method === "GET" || method === "HEAD") return getBlob(c, path.name, path.digest);
      if (method === "DELETE") return deleteBlob(c, path.name, path.digest);
      throw registryErrors.unsupported();
    case "uploads":
      if (method === "POST") return startUpload(c, path.name);
      throw registryErrors.unsupported();
    case "upload":
      if (method === "PATCH") return patchUpload(c, path.name, path.uuid);
      if (method === "PUT") return putUpload(c, path.name, path.uuid);
      if (method === "GET" || method === "HEAD") return uploadStatus(c, path.name, path.uuid);
      if (method === "DELETE") return cancelUpload(c, path.name, path.uuid);
      throw registryErrors.unsupported();
    case "tags":
      if (method !== "GET" && method !== "HEAD") throw registryErrors.unsupported();
      return listTags(c, path.name);
    case "referrers":
      if (method !== "GET" && method !== "HEAD") throw registryErrors.unsupported();
      return referrers(c, path.name, path.digest);
  }
}

function send(
  c: Call,
  status: number,
  headers: Record<string, string | number>,
  body?: string | Buffer,
): void {
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  c.res.writeHead(status, { "content-length": bytes?.length ?? 0, ...headers });
  c.res.end(c.req.method === "HEAD" ? undefined : bytes);
}

// ---- authorization ------------------------------------------------------------------------

/**
 * Authorizes the ECR actions a route maps to (ecr-registry.md §8) for the principal behind the token,
 * with the repository policy as the resource policy; then requires the repository (no auto-create).
 */
function authorizeRepo(c: Call, name: string, actions: string[], opts: { quiet?: boolean } = {}): Repository {
  if (!isRepositoryName(name)) throw registryErrors.nameInvalid(name);
  const { accountId, region } = c.id;
  const repo = c.deps.state.findRepository(accountId, region, name);
  // as the ECR API checks them: the repository's policy and its tags (aws: and ecr:ResourceTag)
  const checks: AuthzCheck[] = actions.map((a) => repositoryCheck(a, accountId, region, name, repo));
  try {
    c.deps.authorize(c.id.principal, checks, {
      service: "ecr",
      // The decision log names registry traffic as CloudTrail does: the ECR API operation.
      operation: actions[actions.length - 1]!,
      requestId: c.ctx.requestId,
      now: c.ctx.now,
      sourceIp: c.ctx.sourceIp,
      region,
      secureTransport: c.ctx.secureTransport,
      ...(c.req.headers["user-agent"] !== undefined ? { userAgent: c.req.headers["user-agent"] } : {}),
    });
  } catch (err) {
    if (opts.quiet) throw err;
    if (err instanceof AwsError) throw registryErrors.denied(err.message);
    throw err;
  }
  if (!repo) throw fromEcrError(ecrErrors.repositoryNotFound(name, accountId));
  return repo;
}

// ---- manifests ----------------------------------------------------------------------------

function acceptsType(accept: string | undefined, type: string): boolean {
  if (!accept) return true;
  const types = accept.split(",").map((t) => t.split(";")[0]!.trim().toLowerCase());
  return types.length === 0 || types.includes("*/*") || types.includes(type) || types.includes("");
}

async function getManifest(c: Call, name: string, reference: string): Promise<void> {
  const repo = authorizeRepo(c, name, ["BatchGetImage"]);
  const byDigest = reference.includes(":");
  if (byDigest ? !isDigest(reference) : !isTag(reference)) throw registryErrors.manifestUnknown(reference);
  const image = c.deps.state.resolve(repo, reference);
  if (!image) throw registryErrors.manifestUnknown(reference);
  // Content negotiation: never convert by digest; by tag, a type the client does not accept is
  // unknown to it (ecr-registry.md §6.3).
  const accept = [c.req.headers.accept].flat().join(",");
  if (!byDigest && !acceptsType(accept || undefined, image.mediaType))
    throw registryErrors.manifestUnknown(reference);
  const bytes = await c.deps.state.manifestBytes(image.digest);
  if (c.req.method === "GET") c.deps.state.recordPull(repo, image.digest);
  send(
    c,
    200,
    { "content-type": image.mediaType, "docker-content-digest": image.digest, etag: `"${image.digest}"` },
    bytes,
  );
}

async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

async function putManifest(c: Call, name: string, reference: string): Promise<void> {
  const repo = authorizeRepo(c, name, ["PutImage"]);
  const byDigest = reference.includes(":");
  if (byDigest && !isDigest(reference)) throw registryErrors.digestInvalid(reference);
  if (!byDigest && !isTag(reference)) throw registryErrors.tagInvalid("manifest tag did not match URI");
  const bytes = await readLimited(c.req, MAX_MANIFEST_BYTES);
  if (!bytes) throw registryErrors.manifestInvalid("manifest too big", 413);
  const contentType = c.req.headers["content-type"];
  const extraTags = c.url.searchParams.getAll("tag");
  for (const t of extraTags) if (!isTag(t)) throw registryErrors.tagInvalid("manifest tag did not match URI");
  const { image, manifest } = await c.deps.state.putImage(repo, bytes, {
    via: "registry",
    ...(contentType ? { mediaType: contentType } : {}),
    ...(byDigest ? { digest: reference } : { tag: reference }),
  });
  // distribution-spec main: PUT by digest with ?tag= tags it too (end-7b).
  for (const t of extraTags)
    await c.deps.state.putImage(repo, bytes, {
      via: "registry",
      tag: t,
      digest: image.digest,
      ...(contentType ? { mediaType: contentType } : {}),
    });
  const headers: Record<string, string> = {
    location: `/v2/${name}/manifests/${image.digest}`,
    "docker-content-digest": image.digest,
  };
  if (manifest.subject) headers["oci-subject"] = manifest.subject;
  c.res.writeHead(201, {
    ...headers,
    "content-length": 0,
    ...(extraTags.length ? { "oci-tag": extraTags } : {}),
  });
  c.res.end();
}

async function deleteManifest(c: Call, name: string, reference: string): Promise<void> {
  const repo = authorizeRepo(c, name, ["BatchDeleteImage"]);
  const state = c.deps.state;
  if (reference.includes(":")) {
    if (!isDigest(reference)) throw registryErrors.digestInvalid(reference);
    const outcome = state.deleteImage(repo, reference);
    if (outcome === "not-found") throw registryErrors.manifestUnknown(reference);
    if (outcome === "referenced") {
      throw new RegistryError(409, "DENIED", "Requested image is referenced by an image index");
    }
  } else {
    if (!isTag(reference)) throw registryErrors.tagInvalid("manifest tag did not match URI");
    if (!state.untag(repo, reference)) throw registryErrors.manifestUnknown(reference);
  }
  send(c, 202, {});
}

// ---- blobs --------------------------------------------------------------------------------

async function getBlob(c: Call, name: string, digest: string): Promise<void> {
  const head = c.req.method === "HEAD";
  // HEAD is how pushers check for a layer; GET is the download (ecr-registry.md §8).
  const repo = authorizeRepo(c, name, [head ? "BatchCheckLayerAvailability" : "GetDownloadUrlForLayer"]);
  if (!isDigest(digest)) throw registryErrors.digestInvalid(digest);
  const size = await c.deps.state.layerSize(repo, digest);
  if (size === undefined) throw registryErrors.blobUnknown(digest);
  await streamBlob(c.req, c.res, c.deps.state.blobs, digest, size);
}

async function streamBlob(
  req: IncomingMessage,
  res: ServerResponse,
  blobs: BlobStore,
  digest: string,
  size: number,
): Promise<void> {
  const headers: Record<string, string | number> = {
    "content-type": "application/octet-stream",
    "docker-content-digest": digest,
    etag: `"${digest}"`,
    "accept-ranges": "bytes",
  };
  const range = parseRange(req.headers.range, size);
  if (range === "invalid") {
    res.writeHead(416, { "content-range": `bytes */${size}`, "content-length": 0 });
    res.end();
    return;
  }
  const status = range ? 206 : 200;
  const length = range ? range.end - range.start + 1 : size;
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  res.writeHead(status, { ...headers, "content-length": length });
  if (req.method === "HEAD" || length === 0) {
    res.end();
    return;
  }
  await pipeline(blobs.read(digest, range ?? undefined), res);
}

/** RFC 9110 single byte ranges: `bytes=a-b`, `bytes=a-`, `bytes=-n`. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined | "invalid" {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "invalid";
    start = Math.max(size - n, 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "invalid";
  return { start, end };
}

async function deleteBlob(c: Call, name: string, digest: string): Promise<void> {
  const repo = authorizeRepo(c, name, ["BatchDeleteImage"]);
  if (!c.deps.allowBlobDelete) throw registryErrors.unsupported();
  if (!isDigest(digest)) throw registryErrors.digestInvalid(digest);
  const removed = c.deps.state.store.db
    .prepare("DELETE FROM ecr_layers WHERE repo_id = ? AND digest = ?")
    .run(repo.id, digest);
  if (removed.changes === 0) throw registryErrors.blobUnknown(digest);
  send(c, 202, {});
}

// ---- uploads ------------------------------------------------------------------------------

function uploadHeaders(name: string, uuid: string, size: number): Record<string, string | number> {
  return {
    location: `/v2/${name}/blobs/uploads/${uuid}`,
    "docker-upload-uuid": uuid,
    // Inclusive end offset; "0-0" before any byte (distribution's convention).
    range: `0-${size > 0 ? size - 1 : 0}`,
  };
}

function blobCreated(c: Call, name: string, digest: string): void {
  send(c, 201, { location: `/v2/${name}/blobs/${digest}`, "docker-content-digest": digest });
}

function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers["content-length"] ?? "0") > 0 || Boolean(req.headers["transfer-encoding"]);
}

async function startUpload(c: Call, name: string): Promise<void> {
  const q = c.url.searchParams;
  const mountDigest = q.get("mount");
  const from = q.get("from");
  const digest = q.get("digest");
  const state = c.deps.state;

  if (mountDigest && from) {
    const repo = authorizeRepo(c, name, ["InitiateLayerUpload"]);
    const mounted = await tryMount(c, repo, from, mountDigest);
    if (mounted) return blobCreated(c, name, mountDigest);
    // Not mountable: an ordinary upload session, never an error (ecr-registry.md §6.6).
  }
  if (digest !== null) {
    // Monolithic single POST (end-4b).
    const repo = authorizeRepo(c, name, ["InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload"]);
    if (!isDigest(digest)) throw registryErrors.digestInvalid(digest);
    const upload = await state.createUpload(
      repo,
      c.id.principal.arn,
      digest.startsWith("sha512:") ? "sha512" : "sha256",
    );
    try {
      const size = await state.appendUpload(upload, c.req);
      checkLength(c.req, size);
      await state.completeUpload(repo, upload, digest);
    } catch (err) {
      await state.cancelUpload(upload).catch(() => undefined);
      if (err instanceof DigestMismatch) throw registryErrors.digestInvalid(err.message);
      throw err;
    }
    return blobCreated(c, name, digest);
  }
  const repo = authorizeRepo(c, name, ["InitiateLayerUpload"]);
  drain(c.req);
  const alg = q.get("digest-algorithm") === "sha512" ? "sha512" : "sha256";
  const upload = await state.createUpload(repo, c.id.principal.arn, alg);
  send(c, 202, uploadHeaders(name, upload.id, 0));
}

async function tryMount(c: Call, target: Repository, from: string, digest: string): Promise<boolean> {
  const state = c.deps.state;
  if (!isDigest(digest) || !isRepositoryName(from)) return false;
  const policy = c.deps.mountPolicy ?? "ecr";
  if (policy === "ecr" && state.accountSetting(c.id.accountId, c.id.region, "BLOB_MOUNTING") !== "ENABLED")
    return false;
  let source: Repository;
  try {
    // Reading the source needs its download permission; a denial falls back to an upload (202).
    source = authorizeRepo(c, from, ["GetDownloadUrlForLayer"], { quiet: true });
  } catch {
    return false;
  }
  return (await state.mount(target, source, digest, policy === "any")) !== undefined;
}

function checkLength(req: IncomingMessage, received: number): void {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) !== received) throw registryErrors.sizeInvalid();
}

function parseContentRange(
  value: string | undefined,
): { start: number; end: number } | undefined | "invalid" {
  if (value === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(value.trim());
  if (!m) return "invalid";
  return { start: Number(m[1]), end: Number(m[2]) };
}

function sessionOf(c: Call, repo: Repository, uuid: string) {
  const upload = c.deps.state.getUpload(repo, uuid);
  if (!upload) throw registryErrors.blobUploadUnknown();
  return upload;
}

/** Appends the request body: a chunk with Content-Range (ordered), or the whole stream without one. */
async function appendBody(c: Call, upload: ReturnType<typeof sessionOf>, name: string): Promise<number> {
  const state = c.deps.state;
  const range = parseContentRange(c.req.headers["content-range"] as string | undefined);
  if (range === "invalid") throw new RangeRefused(upload.id, name, (await state.uploadSize(upload)) ?? 0);
  if (range) {
    const length = c.req.headers["content-length"];
    if (length !== undefined && Number(length) !== range.end - range.start + 1)
      throw registryErrors.sizeInvalid();
  }
  try {
    const size = await state.appendUpload(upload, c.req, range?.start);
    if (range && size !== range.end + 1) throw registryErrors.sizeInvalid();
    return size;
  } catch (err) {
    if (err instanceof OffsetMismatch) throw new RangeRefused(upload.id, name, err.size);
    throw err;
  }
}

/** 416 with the current Range: the chunk does not start where the upload is (distribution-spec). */
class RangeRefused extends RegistryError {
  readonly headers: Record<string, string | number>;
  constructor(uuid: string, name: string, size: number) {
    super(416, "BLOB_UPLOAD_INVALID", "invalid content range");
    this.headers = uploadHeaders(name, uuid, size);
  }
}

async function withRange<T>(c: Call, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RangeRefused) {
      drain(c.req);
      send(
        c,
        416,
        { ...err.headers, "content-type": "application/json" },
        JSON.stringify({ errors: [{ code: err.code, message: err.message }] }),
      );
      return undefined;
    }
    throw err;
  }
}

async function patchUpload(c: Call, name: string, uuid: string): Promise<void> {
  const repo = authorizeRepo(c, name, ["UploadLayerPart"]);
  const upload = sessionOf(c, repo, uuid);
  const size = await withRange(c, () => appendBody(c, upload, name));
  if (size === undefined) return;
  send(c, 202, uploadHeaders(name, uuid, size));
}

async function putUpload(c: Call, name: string, uuid: string): Promise<void> {
  const carries = hasBody(c.req);
  const repo = authorizeRepo(
    c,
    name,
    carries ? ["UploadLayerPart", "CompleteLayerUpload"] : ["CompleteLayerUpload"],
  );
  const upload = sessionOf(c, repo, uuid);
  const digest = c.url.searchParams.get("digest");
  if (!digest || !isDigest(digest)) {
    // A missing or malformed digest keeps the session for a retry (ecr-registry.md §6.5).
    throw registryErrors.digestInvalid(digest ?? "digest missing");
  }
  if (carries) {
    const size = await withRange(c, () => appendBody(c, upload, name));
    if (size === undefined) return;
  }
  try {
    await c.deps.state.completeUpload(repo, upload, digest);
  } catch (err) {
    if (err instanceof DigestMismatch) throw registryErrors.digestInvalid(err.message);
    throw err;
  }
  blobCreated(c, name, digest);
}

async function uploadStatus(c: Call, name: string, uuid: string): Promise<void> {
  const repo = authorizeRepo(c, name, ["UploadLayerPart"]);
  const upload = sessionOf(c, repo, uuid);
  const size = await c.deps.state.uploadSize(upload);
  if (size === undefined) throw registryErrors.blobUploadUnknown();
  send(c, 204, uploadHeaders(name, uuid, size));
}

async function cancelUpload(c: Call, name: string, uuid: string): Promise<void> {
  const repo = authorizeRepo(c, name, ["InitiateLayerUpload"]);
  const upload = sessionOf(c, repo, uuid);
  await c.deps.state.cancelUpload(upload);
  send(c, 204, {});
}

// ---- discovery ----------------------------------------------------------------------------

function listTags(c: Call, name: string): void {
  const repo = authorizeRepo(c, name, ["ListImages"]);
  let tags = c.deps.state.listTags(repo).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const last = c.url.searchParams.get("last");
  if (last) tags = tags.filter((t) => t > last);
  const nParam = c.url.searchParams.get("n");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (nParam !== null) {
    const n = Number(nParam);
    if (!Number.isInteger(n) || n < 0)
      throw new RegistryError(400, "PAGINATION_NUMBER_INVALID", "invalid number of results requested");
    if (tags.length > n && n > 0) {
      tags = tags.slice(0, n);
      headers.link = `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1]!)}>; rel="next"`;
    } else if (n === 0) tags = [];
  }
  send(c, 200, headers, JSON.stringify({ name, tags }));
}

async function referrers(c: Call, name: string, digest: string): Promise<void> {
  const repo = authorizeRepo(c, name, ["BatchGetImage"]);
  if (!isDigest(digest)) {
    return send(
      c,
      400,
      { "content-type": "application/json" },
      JSON.stringify({ errors: [{ code: "DIGEST_INVALID", message: "invalid digest" }] }),
    );
  }
  const filter = c.url.searchParams.get("artifactType");
  const manifests = c.deps.state
    .referrers(repo, digest)
    .map((i) => ({
      mediaType: i.mediaType,
      digest: i.digest,
      size: i.manifestSize,
      ...(i.artifactType || i.configMediaType ? { artifactType: i.artifactType ?? i.configMediaType } : {}),
      ...(i.annotations ? { annotations: i.annotations } : {}),
    }))
    .filter((d) => !filter || d.artifactType === filter);
  const headers: Record<string, string> = { "content-type": MEDIA.ociIndex };
  if (filter) headers["oci-filters-applied"] = "artifactType";
  send(c, 200, headers, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }));
}

function catalog(c: Call): void {
  const all = c.deps.state.listRepositories(c.id.accountId, c.id.region);
  const visible = all.filter((r) => {
    try {
      authorizeRepo(c, r.name, ["DescribeRepositories"], { quiet: true });
      return true;
    } catch {
      return false;
    }
  });
  let names = visible.map((r) => r.name);
  const last = c.url.searchParams.get("last");
  if (last) names = names.filter((n) => n > last);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const nParam = c.url.searchParams.get("n");
  if (nParam !== null) {
    const n = Number(nParam);
    if (Number.isInteger(n) && n >= 0 && names.length > n) {
      names = names.slice(0, n);
      if (n > 0)
        headers.link = `</v2/_catalog?n=${n}&last=${encodeURIComponent(names[names.length - 1]!)}>; rel="next"`;
    }
  }
  send(c, 200, headers, JSON.stringify({ repositories: names }));
}

// ---- GetDownloadUrlForLayer URLs ----------------------------------------------------------

/** Serves a layer through the signed URL GetDownloadUrlForLayer returned (no Authorization needed). */
export async function handleLayerUrl(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  deps: RegistryDeps,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://registry.invalid");
  const ref = verifyLayerUrl(deps.tokenSecret, url.pathname, url.searchParams, ctx.now);
  const repo = ref ? deps.state.findRepository(ref.accountId, ref.region, ref.repositoryName) : undefined;
  const size = repo && ref ? await deps.state.layerSize(repo, ref.digest) : undefined;
  if (!ref || size === undefined) {
    res.writeHead(403, { "content-type": "application/xml" });
    res.end("<Error><Code>AccessDenied</Code><Message>Request has expired or is not valid</Message></Error>");
    return;
  }
  await streamBlob(req, res, deps.state.blobs, ref.digest, size);
}
