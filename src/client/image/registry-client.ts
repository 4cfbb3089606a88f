// A minimal OCI Distribution client over node:http(s): the calls a push needs, with Basic auth (ECR's scheme).
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md

import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";

export class RegistryError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.name = "RegistryError";
    this.status = status;
    this.code = code;
  }
}

export interface RegistryResponse {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export interface RegistryClientOptions {
  /** `https://host[:port]` or `http://host[:port]` (ECR's proxyEndpoint carries the scheme). */
  baseUrl: string;
  /** Value for `Authorization` (`Basic …`); never logged. */
  authorization?: string;
}

/**
 * RFC 6761 §6.3: names under `localhost.` resolve to loopback. glibc's resolver does not implement that, so a
 * registry host like `123456789012.dkr.ecr.us-east-1.localhost:4599` is mapped to 127.0.0.1 here, while the Host
 * header keeps the name (the registry learns account and region from it).
 */
function lookup(
  hostname: string,
  options: object,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) {
    if ((options as { all?: boolean }).all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
    return;
  }
  dnsLookup(
    hostname,
    options as { all: true },
    callback as (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  );
}

export class RegistryClient {
  readonly baseUrl: URL;
  readonly #authorization: string | undefined;
  constructor(options: RegistryClientOptions) {
    this.baseUrl = new URL(options.baseUrl);
    this.#authorization = options.authorization;
  }

  /** One request. `body` is a buffer or a stream factory (so retries can reopen it). */
  send(
    method: string,
    pathOrUrl: string,
    options: {
      headers?: Record<string, string | number>;
      body?: Buffer | (() => Readable);
      onBytes?: (n: number) => void;
    } = {},
  ): Promise<RegistryResponse> {
    const url = new URL(pathOrUrl, this.baseUrl);
    // Never send the registry credentials to another host (a blob redirect to storage).
    const sameHost = url.host === this.baseUrl.host;
    const headers: Record<string, string | number> = { "User-Agent": "keyship", ...options.headers };
    if (sameHost && this.#authorization) headers.Authorization = this.#authorization;
    const doRequest = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = doRequest(url, { method, headers, lookup }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      const body = options.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        const stream = body();
        stream.on("data", (c: Buffer) => options.onBytes?.(c.length));
        stream.on("error", (e) => req.destroy(e));
        stream.pipe(req);
      }
    });
  }

  /** Throws a RegistryError carrying the registry's own code and message (e.g. ECR's DENIED with the IAM text). */
  static fail(res: RegistryResponse, what: string): never {
    let code: string | undefined;
    let message = res.body.toString("utf8").trim();
    try {
      const parsed = JSON.parse(message) as { errors?: Array<{ code?: string; message?: string }> };
      const first = parsed.errors?.[0];
      if (first) {
        code = first.code;
        message = first.message ?? message;
      }
    } catch {}
    if (res.status === 401)
      message = `${message || "unauthorized"} (the registry wants credentials: run with AWS credentials that may call ecr:GetAuthorizationToken)`;
    throw new RegistryError(
      res.status,
      code,
      `${what}: ${res.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`,
    );
  }
}
