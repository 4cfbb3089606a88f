// The twin's one HTTP front door: routes non-AWS paths (registry, OIDC, /_keyship), then
// authenticates AWS API calls with SigV4 and dispatches them by protocol to service operations.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../core/clock.ts";
import type { IdGenerator } from "../core/ids.ts";
import type {
  AuthzCheck,
  CredentialSource,
  Principal,
  RequestContext,
  Route,
  Service,
} from "../core/service.ts";
import { AwsError, authErrors, internalFailure, invalidAction } from "./aws-error.ts";
import { jsonError, jsonResponse, parseJsonBody } from "./aws-json.ts";
import { decodeQueryParams, parseForm, queryError, queryResponse } from "./aws-query.ts";
import { readBody } from "./body.ts";
import { checkJsonInput } from "./json-shapes.ts";
import { type SigningCredential, signingScopeOf, verifySigV4 } from "./sigv4.ts";

export type Authorize = (principal: Principal, checks: AuthzCheck[], call: CallInfo) => void;

/** What the authorizer and the decision log learn about the call. */
export interface CallInfo {
  service: string;
  operation: string;
  requestId: string;
  now: Date;
  sourceIp: string;
  region: string;
  secureTransport: boolean;
  /** the User-Agent header, when the client sent one (aws:UserAgent) */
  userAgent?: string;
}

export interface FrontDoorOptions {
  services: Service[];
  routes: Route[];
  credentials: CredentialSource[];
  authorize: Authorize;
  clock: Clock;
  ids: IdGenerator;
  accountId: string;
  region: string;
  log: (line: string) => void;
  bodyLimit?: number;
  /** aws:SecureTransport for calls over this plain-HTTP server (TwinOptions.secureTransport); default false */
  secureTransport?: boolean;
}

const QUERY_NS_FALLBACK = "https://sts.amazonaws.com/doc/2011-06-15/";

export function createFrontDoor(options: FrontDoorOptions): Server {
  const secureTransport = options.secureTransport === true;
  const byPrefix = new Map<string, Service>();
  const queryServices: Service[] = [];
  for (const s of options.services) {
    if (s.protocol === "json" && s.targetPrefix) byPrefix.set(s.targetPrefix, s);
    if (s.protocol === "query") queryServices.push(s);
  }

  const lookup = (accessKeyId: string, sessionToken?: string) => {
    for (const source of options.credentials) {
      const found = source.lookup(accessKeyId, sessionToken);
      if (found) return found;
    }
    return undefined;
  };

  const server = createServer((req, res) => {
    const requestId = options.ids.requestId();
    res.setHeader("x-amzn-RequestId", requestId);
    handle(req, res, requestId).catch((err) => {
      // A client that hung up mid-request (Node's "aborted") is no failure of the twin: nothing to log.
      if ((err as NodeJS.ErrnoException)?.code === "ECONNRESET") {
        res.destroy();
        return;
      }
      options.log(`request ${requestId} failed: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("internal error");
      } else res.destroy();
    });
  });
  // Slow or stuck clients must not pin sockets forever.
  server.requestTimeout = 10 * 60_000;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const now = options.clock.now();
    const host = req.headers.host ?? "127.0.0.1";
    const baseUrl = `http://${host}`;
    const sourceIp = normaliseIp(req.socket.remoteAddress ?? "127.0.0.1");
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }

    if (!req.headers["x-amz-target"] && !isAwsQueryRequest(req, rawUrl)) {
      for (const route of options.routes) {
        if (route.method && route.method !== req.method && !(route.method === "GET" && req.method === "HEAD"))
          continue;
        let match: RegExpMatchArray | null = null;
        if (typeof route.path === "string") {
          if (!path.startsWith(route.path)) continue;
        } else {
          match = path.match(route.path);
          if (!match) continue;
        }
        await route.handler(req, res, { requestId, now, baseUrl, sourceIp, secureTransport, match });
        return;
      }
    }
    await handleAws(req, res, { requestId, now, baseUrl, sourceIp, rawPath, rawUrl, q });
  }

  async function handleAws(
    req: IncomingMessage,
    res: ServerResponse,
    r: {
      requestId: string;
      now: Date;
      baseUrl: string;
      sourceIp: string;
      rawPath: string;
      rawUrl: string;
      q: number;
    },
  ): Promise<void> {
    const target = header(req, "x-amz-target");
    let service: Service | undefined;
    let operation = "";
    let protocol: "query" | "json" = target ? "json" : "query";
    try {
      const body = await readBody(req, options.bodyLimit);
      const rawQuery = r.q < 0 ? "" : r.rawUrl.slice(r.q + 1);
      let input: Record<string, unknown>;
      const signed = {
        method: req.method ?? "GET",
        path: r.rawPath,
        rawQuery,
        rawHeaders: req.rawHeaders,
        // hashed only if a signature is checked (unsigned calls, like web identity, never need it)
        get bodySha256() {
          return body.sha256;
        },
      };
      const scope = signingScopeOf(signed);
      if (target) {
        const dot = target.lastIndexOf(".");
        service = byPrefix.get(target.slice(0, dot));
        operation = target.slice(dot + 1);
        if (!service || !Object.hasOwn(service.operations, operation)) throw invalidAction(operation);
        input = parseJsonBody(body.bytes);
      } else {
        const params = parseForm(rawQuery);
        const contentType = header(req, "content-type") ?? "";
        if (req.method === "POST" && contentType.startsWith("application/x-www-form-urlencoded")) {
          for (const [k, v] of parseForm(body.bytes.toString("utf8"))) params.set(k, v);
        }
        operation = params.get("Action") ?? "";
        service =
          queryServices.find((s) => s.name === scope?.service && Object.hasOwn(s.operations, operation)) ??
          queryServices.find((s) => Object.hasOwn(s.operations, operation));
        if (!service) {
          if (!operation) return notFound(res, r.requestId);
          protocol = "query";
          service = queryServices.find((s) => s.name === scope?.service) ?? queryServices[0];
          throw invalidAction(operation);
        }
        input = decodeQueryParams(params);
      }

      let signer: ReturnType<typeof lookup>;
      const verified = verifySigV4(
        signed,
        (id, token): SigningCredential | undefined => {
          signer = lookup(id, token);
          return signer;
        },
        { now: r.now, expectedService: service.name },
      );
      let principal: Principal | null = null;
      if (verified) {
        principal = signer?.principal ?? null;
        if (!principal) throw authErrors.invalidClientTokenId();
      } else if (!service.unsigned?.has(operation)) {
        throw authErrors.missingToken();
      }
      const region = verified?.region ?? options.region;
      const userAgent = header(req, "user-agent");
      const call: CallInfo = {
        service: service.name,
        operation,
        requestId: r.requestId,
        now: r.now,
        sourceIp: r.sourceIp,
        region,
        secureTransport,
        userAgent,
      };
      const ctx: RequestContext = {
        requestId: r.requestId,
        service: service.name,
        operation,
        region,
        accountId: options.accountId,
        now: r.now,
        sourceIp: r.sourceIp,
        secureTransport,
        userAgent,
        baseUrl: r.baseUrl,
        principal,
        authorize(checks) {
          if (!principal) throw new TypeError(`${operation} is unsigned: it cannot authorize an identity`);
          options.authorize(principal, Array.isArray(checks) ? checks : [checks], call);
        },
      };
      // Types are checked once the caller is known, as AWS authenticates before it deserializes.
      if (service.inputShapes) checkJsonInput(service.inputShapes, operation, input);
      const result = await service.operations[operation]!(input, ctx);
      if (protocol === "json") {
        send(res, 200, "application/x-amz-json-1.1", jsonResponse(result));
      } else {
        send(
          res,
          200,
          "text/xml",
          queryResponse(operation, service.xmlNamespace ?? QUERY_NS_FALLBACK, result, r.requestId),
        );
      }
    } catch (thrown) {
      let err: AwsError;
      if (thrown instanceof AwsError) err = thrown;
      else {
        options.log(
          `${service?.name ?? "?"}:${operation} ${r.requestId} InternalFailure: ${(thrown as Error)?.stack ?? thrown}`,
        );
        err = internalFailure();
      }
      if (protocol === "json") {
        const e = jsonError(err);
        res.setHeader("x-amzn-ErrorType", e.code);
        send(res, e.status, "application/x-amz-json-1.1", e.body);
      } else {
        send(
          res,
          err.status,
          "text/xml",
          queryError(err, service?.xmlNamespace ?? QUERY_NS_FALLBACK, r.requestId),
        );
      }
    }
  }

  return server;
}

function isAwsQueryRequest(req: IncomingMessage, rawUrl: string): boolean {
  const ct = req.headers["content-type"] ?? "";
  if (req.method === "POST" && ct.startsWith("application/x-www-form-urlencoded")) return true;
  return (
    (req.method === "GET" || req.method === "POST") &&
    /[?&]Action=/.test(rawUrl) &&
    !rawUrl.startsWith("/v2/")
  );
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  // Node adds the Date header itself (sendDate), from a string it renders once a second
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function notFound(res: ServerResponse, requestId: string): void {
  send(res, 404, "application/json", JSON.stringify({ message: "Not Found", requestId }));
}

function normaliseIp(ip: string): string {
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

export async function listen(
  server: Server,
  port: number,
  host: string,
): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return { url: `http://${shownHost}:${address.port}`, port: address.port };
}
