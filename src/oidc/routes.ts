// The issuer's HTTP surface in the twin: discovery, JWKS, the runner's token request endpoint and
// GitHub's REST paths for subject customization. Spec: github-oidc.md §1.2, §6.3, §8.3.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Route } from "../core/service.ts";
import { jobFor, MissingClaimError, subjectPrefix, usesImmutableSubject } from "./claims.ts";
import type { SubCustomizations } from "./customization.ts";
import type { Issuer } from "./issuer.ts";

/** GitHub's runner token path (any path works as long as the URL carries a query string). */
export const TOKEN_REQUEST_PATH =
  /^\/_apis\/distributedtask\/hubs\/Actions\/plans\/([^/]+)\/jobs\/([^/]+)\/idtoken$/;

export function tokenRequestUrl(baseUrl: string, planId: string, jobId: string): string {
  return `${baseUrl.replace(/\/$/, "")}/_apis/distributedtask/hubs/Actions/plans/${planId}/jobs/${jobId}/idtoken?api-version=2.0`;
}

const KEY_PATTERN = /^[A-Za-z0-9_]+$/;
const MAX_BODY = 64 * 1024;

export function oidcRoutes(issuer: Issuer, customizations: SubCustomizations): Route[] {
  return [
    {
      method: "GET",
      path: /^\/\.well-known\/openid-configuration$/,
      handler: (_req, res) => sendJson(res, 200, issuer.discovery(), { "cache-control": "max-age=3600" }),
    },
    {
      method: "GET",
      path: /^\/\.well-known\/jwks$/,
      handler: async (_req, res) =>
        sendJson(res, 200, await issuer.jwks(), { "cache-control": "max-age=300" }),
    },
    {
      method: "GET",
      path: TOKEN_REQUEST_PATH,
      handler: async (req, res, ctx) => {
        const auth = req.headers.authorization ?? "";
        const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
        if (!bearer) return sendJson(res, 401, { message: "Bad credentials" });
        const verified = await issuer.verifyRequestToken(bearer);
        if (!verified.ok) {
          return sendJson(res, 401, {
            message: verified.reason === "expired" ? "Request token expired" : "Bad credentials",
          });
        }
        const { binding } = verified;
        if (binding.planId !== ctx.match?.[1] || binding.jobId !== ctx.match?.[2]) {
          return sendJson(res, 401, { message: "Bad credentials" });
        }
        const audience = audienceParam(req.url ?? "");
        if (audience === null) return sendJson(res, 400, { message: "Invalid audience" });
        try {
          const value = await issuer.mint(binding.job, audience ? { audience } : {});
          return sendJson(res, 200, { count: 1, value }, { "cache-control": "no-store" });
        } catch (err) {
          if (err instanceof MissingClaimError) return sendJson(res, 400, { message: err.message });
          throw err;
        }
      },
    },
    {
      path: /^\/orgs\/([^/]+)\/actions\/oidc\/customization\/sub$/,
      handler: async (req, res, ctx) => {
        const org = ctx.match![1]!;
        if (req.method === "GET") {
          const stored = customizations.org(org);
          const out: Record<string, unknown> = { include_claim_keys: stored?.includeClaimKeys ?? [] };
          // Reported when set, as the repo GET reports it: a PUT that accepts a field and a GET that hides
          // it left no way to read the org's setting back.
          if (stored?.useImmutableSubject !== undefined)
            out.use_immutable_subject = stored.useImmutableSubject;
          return sendJson(res, 200, out);
        }
        if (req.method !== "PUT") return methodNotAllowed(res);
        const body = await readJson(req);
        if (body === undefined) return sendJson(res, 400, { message: "Problems parsing JSON" });
        const keys = claimKeys(body.include_claim_keys, true);
        if (typeof keys === "string") return validationFailed(res, keys);
        // GitHub documents this PUT as "Creates or updates the customization template" with the whole
        // object as its body (`include_claim_keys` required), and the repo PUT alike (`use_default`
        // required): a PUT replaces the stored object, so a PUT without use_immutable_subject clears
        // it, and the GET above shows what is stored (keyship's reading; GitHub does not say more).
        const value: { includeClaimKeys: string[]; useImmutableSubject?: boolean } = {
          includeClaimKeys: keys!,
        };
        if (typeof body.use_immutable_subject === "boolean")
          value.useImmutableSubject = body.use_immutable_subject;
        customizations.setOrg(org, value);
        return sendJson(res, 201, {});
      },
    },
    {
      path: /^\/repos\/([^/]+)\/([^/]+)\/actions\/oidc\/customization\/sub$/,
      handler: async (req, res, ctx) => {
        const repository = `${ctx.match![1]!}/${ctx.match![2]!}`;
        if (req.method === "GET") {
          const custom = customizations.forRepository(repository);
          const job = jobFor({ repository });
          const immutable = usesImmutableSubject(job, custom);
          const out: Record<string, unknown> = { use_default: custom.repo?.useDefault ?? true };
          if (custom.repo?.includeClaimKeys) out.include_claim_keys = custom.repo.includeClaimKeys;
          // Reported as the effective value (github-oidc.md §6.3, oidc.reportExplicitImmutableFlagOnly off).
          out.use_immutable_subject = immutable;
          out.sub_claim_prefix = subjectPrefix(job, immutable);
          return sendJson(res, 200, out);
        }
        if (req.method !== "PUT") return methodNotAllowed(res);
        const body = await readJson(req);
        if (body === undefined) return sendJson(res, 400, { message: "Problems parsing JSON" });
        if (typeof body.use_default !== "boolean") {
          return validationFailed(res, "use_default is a required boolean");
        }
        const keys = claimKeys(body.include_claim_keys, false);
        if (typeof keys === "string") return validationFailed(res, keys);
        const value: { useDefault: boolean; includeClaimKeys?: string[]; useImmutableSubject?: boolean } = {
          useDefault: body.use_default,
        };
        if (keys) value.includeClaimKeys = keys;
        if (typeof body.use_immutable_subject === "boolean")
          value.useImmutableSubject = body.use_immutable_subject;
        customizations.setRepo(repository, value);
        return sendJson(res, 201, {});
      },
    },
  ];
}

/** undefined when absent (and optional), the list when valid, a message when not. */
function claimKeys(value: unknown, required: boolean): string[] | undefined | string {
  if (value === undefined) return required ? "include_claim_keys is required" : undefined;
  if (!Array.isArray(value) || value.some((k) => typeof k !== "string" || !KEY_PATTERN.test(k))) {
    return "include_claim_keys must be an array of claim keys matching ^[A-Za-z0-9_]+$";
  }
  if (new Set(value).size !== value.length) return "include_claim_keys must be unique";
  // keyship's decision (GitHub documents no such case, and github-oidc.md has no row for it): an empty
  // list is refused with 422. Every token GitHub issues has a sub, and an empty template would render
  // `sub: ""` for a legacy-format repository (an immutable one would keep only its `repo:` prefix).
  // Applies to the org and the repo PUT alike.
  if (value.length === 0) return "include_claim_keys must name at least one claim key";
  return value as string[];
}

/**
 * The `audience` query parameter: percent-decoded, `+` kept literally (github-oidc.md §8.3).
 * "" when absent, null when invalid (over 256 characters, control characters, bad escapes).
 */
export function audienceParam(url: string): string | null {
  const q = url.indexOf("?");
  if (q < 0) return "";
  let found = "";
  for (const part of url.slice(q + 1).split("&")) {
    if (!part.startsWith("audience=")) continue;
    try {
      found = decodeURIComponent(part.slice("audience=".length));
    } catch {
      return null;
    }
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (found.length > 256 || /[\u0000-\u001f\u007f]/.test(found)) return null;
  return found;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function validationFailed(res: ServerResponse, message: string): void {
  sendJson(res, 422, {
    message: "Validation Failed",
    errors: [message],
    documentation_url: "https://docs.github.com/rest/actions/oidc",
  });
}

function methodNotAllowed(res: ServerResponse): void {
  sendJson(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
