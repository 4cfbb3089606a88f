// Raw HTTP for the robustness tests: byte-exact requests (signed with the independent smithy signer
// or not at all), a hard per-request timeout so a hang fails the test, and the protocol checks every
// hostile request must pass (a well-formed 4xx error in the door's own shape, twin still alive).
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { request } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** raw header pairs appended after `headers` (duplicates kept) */
  rawHeaders?: [string, string][];
  body?: string | Buffer;
  /** ms before the request counts as a hang (default 10 s) */
  timeout?: number;
}

/** One request on a fresh connection; rejects on a dropped connection or a hang. */
export function send(baseUrl: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
  const headers: [string, string][] = Object.entries(r.headers ?? {});
  // Raw header arrays get no automatic Host; HTTP/1.1 servers refuse a request without one.
  if (!headers.some(([k]) => k.toLowerCase() === "host")) headers.unshift(["host", url.host]);
  if (body !== undefined && !headers.some(([k]) => k.toLowerCase() === "content-length")) {
    headers.push(["content-length", String(body.length)]);
  }
  headers.push(...(r.rawHeaders ?? []));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: Number(url.port),
        method: r.method ?? "GET",
        path: r.path ?? "/",
        headers: headers.flat(),
        agent: false,
        // Header values the fuzzers send on purpose (unicode, control-free garbage).
        insecureHTTPParser: true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          clearTimeout(timer);
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes, text: bytes.toString() });
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(
        new Error(`${r.method ?? "GET"} ${r.path ?? "/"}: no answer within ${r.timeout ?? 10_000} ms`),
      );
    }, r.timeout ?? 10_000);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

class Sha256 {
  readonly #hash;
  constructor(secret?: unknown) {
    this.#hash = secret ? createHmac("sha256", secret as string) : createHash("sha256");
  }
  update(data: Uint8Array | string) {
    this.#hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.#hash.digest());
  }
}

type SignedRequest = RawRequest & { service: string; keys: Keys; region?: string; signingDate?: Date };

/** Signs a raw request with @smithy/signature-v4 (the signer the AWS SDK uses) and sends it. */
export async function sendSigned(baseUrl: string, r: SignedRequest): Promise<RawResponse> {
  return send(baseUrl, { ...r, method: r.method ?? "POST", headers: await signHeaders(baseUrl, r) });
}

/** The headers @smithy/signature-v4 produces for a request (host, x-amz-date, authorization, ...). */
export async function signHeaders(baseUrl: string, r: SignedRequest): Promise<Record<string, string>> {
  const url = new URL(baseUrl);
  const body = r.body ?? "";
  const path = r.path ?? "/";
  const q = path.indexOf("?");
  const query: Record<string, string | string[]> = {};
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(path.slice(q + 1))) {
      const prev = query[k];
      query[k] = prev === undefined ? v : [prev, v].flat();
    }
  }
  const signer = new SignatureV4({
    service: r.service,
    region: r.region ?? "us-east-1",
    credentials: r.keys,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: r.method ?? "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: q >= 0 ? path.slice(0, q) : path,
      query,
      headers: {
        ...r.headers,
        host: url.host,
        "content-length": String(Buffer.byteLength(body)),
      },
      body,
    },
    r.signingDate ? { signingDate: r.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

export const FORM = "application/x-www-form-urlencoded; charset=utf-8";
export const AMZ_JSON = "application/x-amz-json-1.1";

/** A signed awsQuery POST with a raw form body. */
export function query(baseUrl: string, service: "iam" | "sts", body: string | Buffer, keys: Keys) {
  return sendSigned(baseUrl, { service, keys, headers: { "content-type": FORM }, body });
}

/** A signed awsJson1_1 POST with a raw body. */
export function json(
  baseUrl: string,
  service: "ecr" | "ecs",
  target: string,
  body: string | Buffer,
  keys: Keys,
) {
  return sendSigned(baseUrl, {
    service,
    keys,
    headers: { "content-type": AMZ_JSON, "x-amz-target": target },
    body,
  });
}

export const ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921";
export const ECS_TARGET = "AmazonEC2ContainerServiceV20141113";

/** The awsQuery error document: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`. */
export function queryErrorOf(res: RawResponse): { code: string; message: string; type: string } {
  const m =
    /^<ErrorResponse xmlns="[^"]+"><Error><Type>(Sender|Receiver)<\/Type><Code>([^<]+)<\/Code><Message>([^<]*)<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/s.exec(
      res.text,
    );
  assert.ok(m, `not an awsQuery error document (${res.status}): ${res.text.slice(0, 300)}`);
  assert.match(String(res.headers["content-type"]), /xml/);
  return { type: m[1]!, code: m[2]!, message: m[3]! };
}

/** Asserts a 4xx awsQuery error (never a 5xx), optionally with a given code and status. */
export function assertQueryError(
  res: RawResponse,
  expected: { code?: string | RegExp; status?: number } = {},
  what = "",
): { code: string; message: string } {
  assert.ok(
    res.status >= 400 && res.status < 500,
    `${what}: status ${res.status}: ${res.text.slice(0, 300)}`,
  );
  const err = queryErrorOf(res);
  assert.equal(err.type, "Sender", what);
  assert.ok(err.message.length > 0, `${what}: empty message`);
  if (expected.status !== undefined) assert.equal(res.status, expected.status, `${what}: ${res.text}`);
  if (typeof expected.code === "string") assert.equal(err.code, expected.code, `${what}: ${res.text}`);
  else if (expected.code) assert.match(err.code, expected.code, `${what}: ${res.text}`);
  return err;
}

/** Asserts a 4xx awsJson1_1 error: `{__type, message}` and the x-amzn-ErrorType header. */
export function assertJsonError(
  res: RawResponse,
  expected: { code?: string | RegExp; status?: number } = {},
  what = "",
): { code: string; message: string } {
  assert.ok(
    res.status >= 400 && res.status < 500,
    `${what}: status ${res.status}: ${res.text.slice(0, 300)}`,
  );
  assert.match(String(res.headers["content-type"]), /^application\/x-amz-json-1\.1/, what);
  const body = JSON.parse(res.text) as { __type?: unknown; message?: unknown };
  assert.equal(typeof body.__type, "string", `${what}: ${res.text}`);
  assert.equal(typeof body.message, "string", `${what}: ${res.text}`);
  assert.equal(res.headers["x-amzn-errortype"], body.__type, what);
  const code = body.__type as string;
  assert.notEqual(code, "InternalFailure", `${what}: ${res.text}`);
  if (expected.status !== undefined) assert.equal(res.status, expected.status, `${what}: ${res.text}`);
  if (typeof expected.code === "string") assert.equal(code, expected.code, `${what}: ${res.text}`);
  else if (expected.code) assert.match(code, expected.code, `${what}: ${res.text}`);
  return { code, message: body.message as string };
}

/** The OCI error document `{errors: [{code, message, detail?}]}` with a 4xx status. */
export function assertOciError(
  res: RawResponse,
  expected: { code?: string; status?: number } = {},
  what = "",
): { code: string; message: string } {
  assert.ok(
    res.status >= 400 && res.status < 500,
    `${what}: status ${res.status}: ${res.text.slice(0, 300)}`,
  );
  assert.match(String(res.headers["content-type"]), /^application\/json/, `${what}: ${res.text}`);
  const body = JSON.parse(res.text) as { errors?: { code?: unknown; message?: unknown }[] };
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${what}: ${res.text}`);
  const first = body.errors[0]!;
  assert.equal(typeof first.code, "string", what);
  assert.equal(typeof first.message, "string", what);
  if (expected.status !== undefined) assert.equal(res.status, expected.status, `${what}: ${res.text}`);
  if (expected.code !== undefined) assert.equal(first.code, expected.code, `${what}: ${res.text}`);
  return { code: first.code as string, message: first.message as string };
}

/** The twin still answers its health check and a normal signed call. */
export async function assertAlive(twin: { url: string; admin: Keys }): Promise<void> {
  const health = await send(twin.url, { path: "/_keyship/health" });
  assert.equal(health.status, 200, health.text);
  assert.equal(JSON.parse(health.text).status, "ok");
  const who = await query(twin.url, "sts", "Action=GetCallerIdentity&Version=2011-06-15", twin.admin);
  assert.equal(who.status, 200, `alive: ${who.text}`);
  assert.match(who.text, /<Arn>arn:aws:iam::\d{12}:user\//);
}

/** A small deterministic PRNG (mulberry32), so every fuzz run sends the same requests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** The operation names of an AWS SDK v3 client package: every exported `<Op>Command`. */
export function operationsOf(sdk: Record<string, unknown>): string[] {
  return Object.keys(sdk)
    .filter((k) => k.endsWith("Command") && k !== "Command" && typeof sdk[k] === "function")
    .map((k) => k.slice(0, -"Command".length))
    .filter((k) => k.length > 0 && /^[A-Z]/.test(k))
    .sort();
}
