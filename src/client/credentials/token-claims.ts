// Reads the claims of a JWT for explanations (never verifies, never prints the token itself).

export interface TokenClaims {
  iss?: string;
  aud?: string | string[];
  sub?: string;
  exp?: number;
  [claim: string]: unknown;
}

export function decodeClaims(jwt: string): TokenClaims | undefined {
  const payload = jwt.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    return typeof claims === "object" && claims !== null ? (claims as TokenClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** `iss=… aud=… sub=…` on one line. */
export function describeClaims(claims: TokenClaims | undefined): string {
  if (!claims) return "(the token could not be decoded)";
  const aud = Array.isArray(claims.aud) ? claims.aud.join(",") : claims.aud;
  return `iss=${claims.iss ?? "?"} aud=${aud ?? "?"} sub=${claims.sub ?? "?"}`;
}
