// ECR's registry authentication: HTTP Basic with user `AWS` and a GetAuthorizationToken password
// (ecr-registry.md §5.2). The password names an access key; the principal behind it is resolved
// again on every request, so a deleted key or an ended session stops working at once.
import type { Principal } from "../core/service.ts";
import { verifyToken } from "../ecr/auth-token.ts";

export interface RegistryIdentity {
  principal: Principal;
  accountId: string;
  region: string;
}

export type AuthOutcome =
  | { ok: true; identity: RegistryIdentity }
  /** 401 with the Basic challenge: no, malformed or forged credentials */
  | { ok: false; status: 401 }
  /** 403 DENIED: a genuine token that expired or does not fit this registry */
  | { ok: false; status: 403; message: string };

export const EXPIRED_MESSAGE = "Your authorization token has expired. Reauthenticate and try again.";
export const WRONG_REGISTRY_MESSAGE = "Your authorization token is not valid for this registry.";

export function authenticate(
  authorization: string | undefined,
  opts: {
    tokenSecret: string;
    now: Date;
    /** the account and region this request's Host names */
    accountId: string;
    region: string;
    resolveAccessKey: (accessKeyId: string, sessionToken?: string) => Principal | undefined;
  },
): AuthOutcome {
  const m = authorization ? /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization) : null;
  if (!m) return { ok: false, status: 401 };
  // Node's decoder stops at the first '=' and skips stray characters; accept only text that is
  // exactly the base64 of what it decodes to, as a strict decoder (Go's, ECR's) would.
  const bytes = Buffer.from(m[1]!, "base64");
  const unpadded = (s: string) => s.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (unpadded(bytes.toString("base64")) !== unpadded(m[1]!)) return { ok: false, status: 401 };
  const decoded = bytes.toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0 || decoded.slice(0, colon) !== "AWS") return { ok: false, status: 401 };
  const claims = verifyToken(opts.tokenSecret, decoded.slice(colon + 1));
  if (!claims) return { ok: false, status: 401 };
  if (claims.expiresAt <= opts.now.getTime()) return { ok: false, status: 403, message: EXPIRED_MESSAGE };
  // Tokens are bound to one registry: account and region ([ug] registry_auth.md).
  if (claims.accountId !== opts.accountId || claims.region !== opts.region) {
    return { ok: false, status: 403, message: WRONG_REGISTRY_MESSAGE };
  }
  const principal = opts.resolveAccessKey(claims.accessKeyId, claims.sessionToken);
  // A key that no longer resolves (deleted, or a session past its end) is an expired token.
  if (!principal) return { ok: false, status: 403, message: EXPIRED_MESSAGE };
  if (principal.session && principal.session.expiration.getTime() <= opts.now.getTime()) {
    return { ok: false, status: 403, message: EXPIRED_MESSAGE };
  }
  return { ok: true, identity: { principal, accountId: claims.accountId, region: claims.region } };
}

/** Account and region from the Host: `{acct}.dkr.ecr.{region}.localhost[:port]`, else the defaults. */
export function registryOfHost(
  host: string | undefined,
  defaults: { accountId: string; region: string },
): {
  accountId: string;
  region: string;
} {
  const m = host
    ? /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(?:localhost|amazonaws\.com)(?::\d+)?$/i.exec(host)
    : null;
  return m ? { accountId: m[1]!, region: m[2]!.toLowerCase() } : defaults;
}
