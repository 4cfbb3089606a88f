// The registry password GetAuthorizationToken hands out: `kst1.<claims>.<hmac>`, base64url (so no
// ':' — aws-cli's get-login-password splits the token at ':'; ecr-registry.md §5.1). It names the
// access key of the caller, so each registry request is authorized as that principal against the
// policies in force at request time, and it expires.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface TokenClaims {
  /** access key id of the caller (re-resolved to a principal on every registry request) */
  accessKeyId: string;
  accountId: string;
  region: string;
  /** expiry, epoch milliseconds */
  expiresAt: number;
  /** the caller's session token, when a role session called (it seals the session: sts/session-token.ts) */
  sessionToken?: string;
}

const PREFIX = "kst1";

export function newTokenSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function issueToken(secret: string, claims: TokenClaims): string {
  const body = Buffer.from(
    JSON.stringify({
      k: claims.accessKeyId,
      a: claims.accountId,
      r: claims.region,
      e: claims.expiresAt,
      ...(claims.sessionToken !== undefined ? { t: claims.sessionToken } : {}),
    }),
  ).toString("base64url");
  return `${PREFIX}.${body}.${mac(secret, body)}`;
}

/** The claims of a well-formed, authentic password (expired or not), else undefined. */
export function verifyToken(secret: string, password: string): TokenClaims | undefined {
  const parts = password.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
  const [, body, sig] = parts as [string, string, string];
  const expected = Buffer.from(mac(secret, body));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    if (
      typeof c.k !== "string" ||
      typeof c.a !== "string" ||
      typeof c.r !== "string" ||
      typeof c.e !== "number" ||
      (c.t !== undefined && typeof c.t !== "string")
    ) {
      return undefined;
    }
    const claims: TokenClaims = { accessKeyId: c.k, accountId: c.a, region: c.r, expiresAt: c.e };
    if (typeof c.t === "string") claims.sessionToken = c.t;
    return claims;
  } catch {
    return undefined;
  }
}

function mac(secret: string, body: string): string {
  return createHmac("sha256", secret).update(`${PREFIX}.${body}`).digest("base64url");
}
