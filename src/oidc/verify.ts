// Verifying an ID token's signature for any issuer: keyship's own issuer in-process, other issuers
// through their discovery document and jwks_uri (cached, refetched on an unknown kid). Pure JOSE
// work is jose's; this module only decides where keys come from and names each failure.
// Spec: sts.md §2.4 step 5 (and its "provider resolver" paragraph).
import {
  type CompactVerifyGetKey,
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
  errors as joseErrors,
} from "jose";
import { TokenMap } from "./token-map.ts";

/** The only algorithms STS accepts (sts.md §2.2): RSA and ECDSA; never `none` or HMAC. */
export const ALLOWED_ALGORITHMS: readonly string[] = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

export interface ParsedJwt {
  header: JWSHeaderParameters;
  payload: JWTPayload;
}

/**
 * Three base64url segments with JSON header (carrying `alg`) and JSON object payload, or undefined.
 * The same token text gives the same (frozen) objects: a job presents its token more than once.
 */
export function parseJwt(token: string): ParsedJwt | undefined {
  const hit = parsedTokens.get(token);
  if (hit !== undefined) return hit;
  const parsed = decodeJwtParts(token);
  if (parsed !== undefined) parsedTokens.set(token, parsed);
  return parsed;
}

const parsedTokens = new TokenMap<ParsedJwt>(1024);

function decodeJwtParts(token: string): ParsedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || !parts[0] || !parts[1]) {
    return undefined;
  }
  try {
    const header = decodeProtectedHeader(token) as JWSHeaderParameters;
    if (typeof header.alg !== "string") return undefined;
    const payload = decodeJwt(token);
    return Object.freeze({ header: Object.freeze(header), payload: Object.freeze(payload) });
  } catch {
    return undefined;
  }
}

export type SignatureOutcome =
  | { ok: true }
  | { ok: false; reason: "disallowed-algorithm" | "no-key" | "unreachable" | "bad-signature" | "malformed" };

export interface KeyResolverOptions {
  /**
   * issuers served in this process (keyship's own): iss → its current JWKS; `fresh` asks for the key
   * file as it is now, otherwise a view up to a second old will do
   */
  local?: Record<string, (fresh: boolean) => Promise<JSONWebKeySet>>;
  /** issuers mapped to a base URL that serves their discovery document (tests' loopback issuers) */
  remote?: Record<string, string>;
  /** fetch unmapped issuers from their own `iss` URL (`sts.webIdentity.allowNetwork`, default false) */
  allowNetwork?: boolean;
  /** give up on a discovery/JWKS fetch after this long (default 5000: real STS gives up after ~5 s) */
  timeoutMs?: number;
  /** minimum time between JWKS refetches triggered by unknown kids (default 5000) */
  cooldownMs?: number;
  /** how long a fetched discovery document is trusted (default 600000) */
  discoveryMaxAgeMs?: number;
}

type GetKey = CompactVerifyGetKey<CryptoKey>;

const MAX_VERIFIED = 1024;

/** Where the verification keys of each issuer come from. */
export class KeyResolver {
  readonly #local: Record<string, (fresh: boolean) => Promise<JSONWebKeySet>>;
  readonly #remote: Record<string, string>;
  readonly #allowNetwork: boolean;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #discoveryMaxAgeMs: number;
  #localSets = new Map<string, { stamp: string; set: GetKey }>();
  #remoteSets = new Map<string, { at: number; set: GetKey }>();
  /**
   * Tokens whose signature checked out, with the key set that checked it. A byte-identical token is
   * not checked again while its issuer's key set is that same set: a local set is replaced by any
   * rotation or retirement; a remote one after `discoveryMaxAgeMs`, the same time jose keeps the keys it
   * fetched. Envoy's JWT filter caches verified tokens alike. Claims (exp, aud…) are not covered:
   * callers check them on every use.
   */
  #verified = new TokenMap<GetKey>(MAX_VERIFIED);

  constructor(options: KeyResolverOptions = {}) {
    this.#local = { ...options.local };
    this.#remote = { ...options.remote };
    this.#allowNetwork = options.allowNetwork ?? false;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#cooldownMs = options.cooldownMs ?? 5000;
    this.#discoveryMaxAgeMs = options.discoveryMaxAgeMs ?? 600_000;
  }

  /** Maps an issuer to a base URL serving its `/.well-known/openid-configuration`. */
  mapIssuer(iss: string, baseUrl: string): void {
    this.#remote[iss] = baseUrl;
    this.#remoteSets.delete(iss);
  }

  /** Verifies the token's signature with the key its `kid` names at `iss`. */
  async verifySignature(token: string, iss: string, fresh = false): Promise<SignatureOutcome> {
    let header = parseJwt(token)?.header;
    try {
      header ??= decodeProtectedHeader(token) as JWSHeaderParameters;
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (typeof header.alg !== "string" || !ALLOWED_ALGORITHMS.includes(header.alg)) {
      return { ok: false, reason: "disallowed-algorithm" };
    }
    let getKey: GetKey | undefined;
    try {
      getKey = await this.#keysFor(iss, fresh);
    } catch {
      return { ok: false, reason: "unreachable" };
    }
    if (!getKey) return { ok: false, reason: "no-key" };
    if (this.#verified.get(token) === getKey) return { ok: true };
    try {
      await compactVerify(token, getKey, { algorithms: [...ALLOWED_ALGORITHMS] });
      this.#verified.set(token, getKey);
      return { ok: true };
    } catch (err) {
      // An unknown kid may be a key rotated in by another process a moment ago: read the file again.
      if (!fresh && err instanceof joseErrors.JWKSNoMatchingKey && this.#local[iss])
        return this.verifySignature(token, iss, true);
      return { ok: false, reason: classify(err) };
    }
  }

  async #keysFor(iss: string, fresh: boolean): Promise<GetKey | undefined> {
    const local = this.#local[iss];
    if (local) {
      const jwks = await local(fresh);
      const stamp = jwks.keys.map((k) => k.kid ?? "").join(",");
      const cached = this.#localSets.get(iss);
      if (cached && cached.stamp === stamp) return cached.set;
      const set = createLocalJWKSet(jwks) as GetKey;
      this.#localSets.set(iss, { stamp, set });
      return set;
    }
    const base = this.#remote[iss] ?? (this.#allowNetwork ? iss : undefined);
    if (!base) return undefined;
    const cached = this.#remoteSets.get(iss);
    if (cached && Date.now() - cached.at < this.#discoveryMaxAgeMs) return cached.set;
    const discovery = await this.#fetchJson(`${base.replace(/\/$/, "")}/.well-known/openid-configuration`);
    const jwksUri = (discovery as { jwks_uri?: unknown }).jwks_uri;
    if (typeof jwksUri !== "string") throw new Error("discovery document without jwks_uri");
    // A mapped issuer advertises URLs under its public name; fetch them from where it is served.
    const url =
      this.#remote[iss] && jwksUri.startsWith(iss)
        ? base.replace(/\/$/, "") + jwksUri.slice(iss.length)
        : jwksUri;
    const remote = createRemoteJWKSet(new URL(url), {
      timeoutDuration: this.#timeoutMs,
      cooldownDuration: this.#cooldownMs,
      cacheMaxAge: this.#discoveryMaxAgeMs,
    });
    // Network failures reach us as plain errors (fetch's TypeError): tell them apart from key mismatches.
    const set: GetKey = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        throw err instanceof joseErrors.JOSEError ? err : new KeyFetchError(String(err));
      }
    };
    this.#remoteSets.set(iss, { at: Date.now(), set });
    return set;
  }

  async #fetchJson(url: string): Promise<unknown> {
    const res = await fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs), redirect: "error" });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.json();
  }
}

class KeyFetchError extends Error {}

function classify(
  err: unknown,
): "no-key" | "unreachable" | "bad-signature" | "malformed" | "disallowed-algorithm" {
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys)
    return "no-key";
  if (
    err instanceof KeyFetchError ||
    err instanceof joseErrors.JWKSTimeout ||
    err instanceof joseErrors.JWKSInvalid
  ) {
    return "unreachable";
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "bad-signature";
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return "disallowed-algorithm";
  }
  if (err instanceof joseErrors.JWSInvalid) return "malformed";
  // A key of the wrong type for the alg (jose throws TypeError) is a key that does not match: bad signature.
  if (err instanceof TypeError) return "bad-signature";
  return "bad-signature";
}
