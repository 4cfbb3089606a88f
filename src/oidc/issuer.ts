// The GitHub Actions OIDC issuer: mints RS256 ID tokens for simulated jobs, serves its discovery
// document and JWKS, and issues/verifies the runner's request tokens. Spec: github-oidc.md §1–§8.
import { CompactSign, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Clock } from "../core/clock.ts";
import type { IdGenerator } from "../core/ids.ts";
import {
  type Claims,
  claimsFor,
  type Job,
  owner,
  type SubCustomization,
  type SubjectOptions,
  sortClaims,
} from "./claims.ts";
import type { SubCustomizations } from "./customization.ts";
import type { KeyStore, PublicJwk } from "./keys.ts";

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

export interface IssuerOptions extends SubjectOptions {
  /** `iss` of every token, byte for byte (github-oidc.md §1.1). Default GitHub's. */
  issuer?: string;
  /** exp − iat, seconds (`oidc.token.ttlSeconds`, default 300) */
  ttlSeconds?: number;
  /** iat − nbf, seconds (`oidc.token.nbfSkewSeconds`, default 300) */
  nbfSkewSeconds?: number;
  /** lifetime of a runner request token (`oidc.requestToken.ttlSeconds`, default 22200 = 6 h 10 min) */
  requestTokenTtlSeconds?: number;
}

export interface MintOptions {
  /** the requested audience; absent or empty → https://github.com/<owner> (github-oidc.md §5.2) */
  audience?: string;
  /** claims to set after derivation (any claim, iat/nbf/exp included): for minting edge cases */
  overrides?: Claims;
}

/** A runner request token's binding: the job, and the plan/job ids its URL carries. */
export interface RequestBinding {
  job: Job;
  planId: string;
  jobId: string;
}

const REQUEST_TOKEN_ISSUER = "keyship:actions-request-token";

// The discovery document's claims_supported, in GitHub's order (github-oidc.md §2).
const CLAIMS_SUPPORTED = [
  "sub",
  "aud",
  "exp",
  "iat",
  "iss",
  "jti",
  "nbf",
  "ref",
  "sha",
  "repository",
  "repository_id",
  "repository_owner",
  "repository_owner_id",
  "enterprise",
  "enterprise_id",
  "run_id",
  "run_number",
  "run_attempt",
  "actor",
  "actor_id",
  "workflow",
  "workflow_ref",
  "workflow_sha",
  "head_ref",
  "base_ref",
  "event_name",
  "ref_type",
  "ref_protected",
  "environment",
  "environment_node_id",
  "job_workflow_ref",
  "job_workflow_sha",
  "repository_visibility",
  "runner_environment",
  "issuer_scope",
  "check_run_id",
];

export class Issuer {
  readonly iss: string;
  readonly keys: KeyStore;
  readonly ttlSeconds: number;
  readonly nbfSkewSeconds: number;
  readonly requestTokenTtlSeconds: number;
  readonly #clock: Clock;
  readonly #ids: Pick<IdGenerator, "uuid">;
  readonly #customizations: SubCustomizations | undefined;
  readonly #subjectOptions: SubjectOptions;

  constructor(deps: {
    keys: KeyStore;
    clock: Clock;
    ids: Pick<IdGenerator, "uuid">;
    customizations?: SubCustomizations;
    options?: IssuerOptions;
  }) {
    const o = deps.options ?? {};
    this.iss = o.issuer ?? GITHUB_ISSUER;
    this.keys = deps.keys;
    this.ttlSeconds = o.ttlSeconds ?? 300;
    this.nbfSkewSeconds = o.nbfSkewSeconds ?? 300;
    this.requestTokenTtlSeconds = o.requestTokenTtlSeconds ?? 22_200;
    this.#clock = deps.clock;
    this.#ids = deps.ids;
    this.#customizations = deps.customizations;
    this.#subjectOptions = {};
    if (o.pullRequestEvents) this.#subjectOptions.pullRequestEvents = o.pullRequestEvents;
    if (o.emptyClaimRendering) this.#subjectOptions.emptyClaimRendering = o.emptyClaimRendering;
  }

  customizationFor(job: Job): SubCustomization {
    return this.#customizations?.forRepository(job.repository) ?? {};
  }

  /** The claims a token for this job would carry now. Throws MissingClaimError (custom templates). */
  claims(job: Job, options: MintOptions = {}): Claims {
    const audience = options.audience ? options.audience : `https://github.com/${owner(job)}`;
    const claims = claimsFor(
      job,
      {
        issuer: this.iss,
        audience,
        iat: Math.floor(this.#clock.now().getTime() / 1000),
        ttlSeconds: this.ttlSeconds,
        nbfSkewSeconds: this.nbfSkewSeconds,
        jti: this.#ids.uuid(),
      },
      this.customizationFor(job),
      this.#subjectOptions,
    );
    return options.overrides ? sortClaims({ ...claims, ...options.overrides }) : claims;
  }

  /** Signs claims as GitHub does: header `{"alg","kid","typ"}`, compact JSON payload (github-oidc.md §4). */
  async sign(claims: Claims): Promise<string> {
    const { kid, key } = await this.keys.signingKey();
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .sign(key);
  }

  async mint(job: Job, options: MintOptions = {}): Promise<string> {
    return this.sign(this.claims(job, options));
  }

  /** The discovery document: exactly GitHub's seven members in GitHub's order (github-oidc.md §2). */
  discovery(): Record<string, unknown> {
    return {
      issuer: this.iss,
      jwks_uri: `${this.iss}/.well-known/jwks`,
      subject_types_supported: ["public", "pairwise"],
      response_types_supported: ["id_token"],
      claims_supported: CLAIMS_SUPPORTED,
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid"],
    };
  }

  /** `fresh: false`: the key file as read up to a second ago will do (token verification). */
  async jwks(fresh = true): Promise<{ keys: PublicJwk[] }> {
    return { keys: await this.keys.publicKeys(fresh) };
  }

  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN: an HS256 token over the job, keyed by the state dir's secret. */
  async requestToken(binding: RequestBinding): Promise<string> {
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    return (
      new SignJWT({ job: binding.job, plan: binding.planId, jobId: binding.jobId })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(REQUEST_TOKEN_ISSUER)
        .setIssuedAt(now)
        // GitHub's observed request token is valid from 10 min before job start (github-oidc.md §8.1).
        .setNotBefore(now - 600)
        .setExpirationTime(now + this.requestTokenTtlSeconds)
        .sign(this.keys.requestTokenSecret())
    );
  }

  /** The job a request token is bound to, or why it is refused. */
  async verifyRequestToken(
    token: string,
  ): Promise<{ ok: true; binding: RequestBinding } | { ok: false; reason: "invalid" | "expired" }> {
    try {
      const { payload } = await jwtVerify(token, this.keys.requestTokenSecret(), {
        algorithms: ["HS256"],
        issuer: REQUEST_TOKEN_ISSUER,
        currentDate: this.#clock.now(),
        clockTolerance: 0,
      });
      const job = payload.job as Job | undefined;
      if (!job || typeof job.repository !== "string") return { ok: false, reason: "invalid" };
      return { ok: true, binding: { job, planId: String(payload.plan), jobId: String(payload.jobId) } };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
      return { ok: false, reason: "invalid" };
    }
  }
}
