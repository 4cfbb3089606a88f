// Web identity tokens as STS judges them: parse, find the IAM OIDC provider by `iss`, check `aud`,
// verify the signature by `kid`, check the times, then build the trust-policy request with the
// provider's condition keys. Order and messages: sts.md §2.4–§2.7.
import type { JWTPayload } from "jose";
import type { EvalRequest } from "../iam/evaluate.ts";
import type { IamDirectory } from "../iam/model.ts";
import type { KeyResolver } from "../oidc/verify.ts";
import { parseJwt } from "../oidc/verify.ts";
import { expiredTokenException, invalidIdentityToken, messages } from "./errors.ts";
import { checkClaimedSourceIdentity, checkClaimedTags } from "./session-tags.ts";

export interface WebIdentityOptions {
  /** tolerance for exp/nbf/iat, seconds (`sts.webIdentity.clockSkewSeconds`, default 60) */
  clockSkewSeconds?: number;
  /** refuse tokens whose iat is older than this (`sts.webIdentity.maxTokenAgeSeconds`, default off) */
  maxTokenAgeSeconds?: number;
}

export interface VerifiedWebIdentity {
  claims: JWTPayload;
  iss: string;
  /** the provider URL without https:// (the condition-key prefix) */
  providerKey: string;
  providerArn: string;
  /** the `aud` value that matched the provider's ClientIDList */
  audience: string;
  subject: string;
}

/** GitHub's claims STS exposes as condition keys since 2026 (sts.md §2.5). */
export const GITHUB_CONDITION_CLAIMS = [
  "actor",
  "actor_id",
  "job_workflow_ref",
  "repository",
  "repository_id",
  "workflow",
  "ref",
  "environment",
  "enterprise_id",
];

const TAGS_CLAIM = "https://aws.amazon.com/tags";
const SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity";

export interface VerifyDeps {
  accountId: string;
  iam: Pick<IamDirectory, "getOidcProvider">;
  keyResolver: Pick<KeyResolver, "verifySignature">;
  now: Date;
  options?: WebIdentityOptions;
}

/** Steps 2–6 of sts.md §2.4. Throws InvalidIdentityToken / ExpiredTokenException. */
export async function verifyWebIdentityToken(
  presented: string,
  deps: VerifyDeps,
  providerId?: string,
): Promise<VerifiedWebIdentity> {
  // A token read from a file (`--web-identity-token file://token`, AWS_WEB_IDENTITY_TOKEN_FILE)
  // often ends with a newline; surrounding whitespace is not part of a compact JWT, so it is
  // dropped rather than rejected (keyship's decision: AWS does not document this case).
  const token = presented.trim();
  const parsed = parseJwt(token);
  if (!parsed) throw invalidIdentityToken(messages.notJwt);
  // ProviderId is for the OAuth 2.0 providers (Amazon, Facebook) only (sts.md §2.2).
  if (providerId !== undefined) throw invalidIdentityToken(messages.providerId);
  const claims = parsed.payload;

  const iss = claims.iss;
  if (typeof iss !== "string" || iss === "") throw invalidIdentityToken(messages.missingClaim("iss"));
  const providerKey = iss.startsWith("https://") ? iss.slice("https://".length) : iss;
  const provider = deps.iam.getOidcProvider(providerKey);
  const providerArn = `arn:aws:iam::${deps.accountId}:oidc-provider/${providerKey}`;
  if (!provider || provider.Arn !== providerArn) throw invalidIdentityToken(messages.noProvider(iss));

  const aud = claims.aud;
  if (aud === undefined || aud === "" || (Array.isArray(aud) && aud.length === 0)) {
    throw invalidIdentityToken(messages.missingClaim("aud"));
  }
  const audiences = Array.isArray(aud) ? aud : [aud];
  const audience = audiences.find((a) => typeof a === "string" && provider.ClientIDList.includes(a));
  if (audience === undefined) throw invalidIdentityToken(messages.incorrectAudience);

  const signature = await deps.keyResolver.verifySignature(token, iss);
  if (!signature.ok) {
    switch (signature.reason) {
      case "no-key":
      case "unreachable":
        throw invalidIdentityToken(messages.noKey);
      case "malformed":
        throw invalidIdentityToken(messages.notJwt);
      default:
        throw invalidIdentityToken(messages.badSignature);
    }
  }

  const skew = deps.options?.clockSkewSeconds ?? 60;
  const now = Math.floor(deps.now.getTime() / 1000);
  for (const name of ["exp", "nbf", "iat"] as const) {
    const v = claims[name];
    if (v !== undefined && !Number.isSafeInteger(v)) throw invalidIdentityToken(messages.badTimestamp);
  }
  const exp = claims.exp;
  if (exp === undefined) throw expiredTokenException(messages.missingClaim("exp"));
  if (exp + skew <= now) throw expiredTokenException(messages.expired(now, exp));
  if (claims.nbf !== undefined && claims.nbf > now + skew) throw invalidIdentityToken(messages.notYetValid);
  if (claims.iat !== undefined) {
    if (claims.iat > now + skew) throw invalidIdentityToken(messages.issuedInFuture);
    const maxAge = deps.options?.maxTokenAgeSeconds;
    if (maxAge !== undefined && now - claims.iat > maxAge)
      throw expiredTokenException(messages.tooOld(now - claims.iat));
  }

  const subject = claims.sub;
  if (typeof subject !== "string" || subject === "") throw invalidIdentityToken(messages.missingClaim("sub"));
  return { claims, iss, providerKey, providerArn, audience, subject };
}

export interface SessionTagsClaim {
  tags: Record<string, string>;
  transitiveTagKeys: string[];
}

const tagsByClaims = new WeakMap<JWTPayload, SessionTagsClaim>();

/**
 * The `https://aws.amazon.com/tags` claim (sts.md §2.6), or undefined when the token has none; the
 * same object for the same frozen (parsed once) claims.
 */
export function sessionTagsClaim(claims: JWTPayload): SessionTagsClaim | undefined {
  if (claims[TAGS_CLAIM] === undefined) return undefined;
  const known = tagsByClaims.get(claims);
  if (known !== undefined) return known;
  const tags = readTagsClaim(claims);
  if (Object.isFrozen(claims)) {
    Object.freeze(tags.tags);
    Object.freeze(tags.transitiveTagKeys);
    tagsByClaims.set(claims, Object.freeze(tags));
  }
  return tags;
}

function readTagsClaim(claims: JWTPayload): SessionTagsClaim {
  const raw = claims[TAGS_CLAIM];
  if (typeof raw !== "object" || raw === null) throw invalidIdentityToken(`Invalid claim: ${TAGS_CLAIM}`);
  const { principal_tags: principalTags, transitive_tag_keys: transitive } = raw as Record<string, unknown>;
  const tags: Record<string, string> = {};
  if (principalTags !== undefined) {
    if (typeof principalTags !== "object" || principalTags === null) {
      throw invalidIdentityToken(`Invalid claim: ${TAGS_CLAIM}`);
    }
    for (const [k, v] of Object.entries(principalTags)) {
      // Values are one-element arrays; a plain string is accepted as the same thing.
      const value = Array.isArray(v) ? v[0] : v;
      if (typeof value !== "string") throw invalidIdentityToken(`Invalid claim: ${TAGS_CLAIM}`);
      tags[k] = value;
    }
  }
  const transitiveTagKeys = Array.isArray(transitive) ? transitive.filter((k) => typeof k === "string") : [];
  checkClaimedTags(TAGS_CLAIM, tags, transitiveTagKeys);
  return { tags, transitiveTagKeys };
}

export function sourceIdentityClaim(claims: JWTPayload): string | undefined {
  const v = claims[SOURCE_IDENTITY_CLAIM];
  if (typeof v !== "string") return undefined;
  checkClaimedSourceIdentity(SOURCE_IDENTITY_CLAIM, v);
  return v;
}

export interface TrustRequestInput {
  identity: VerifiedWebIdentity;
  roleArn: string;
  accountId: string;
  sessionName: string;
  now: Date;
  sourceIp?: string;
  region?: string;
  /** whether the provider is a GitHub issuer (adds GitHub's 2026 condition keys) */
  github: boolean;
  tags?: SessionTagsClaim;
  sourceIdentity?: string;
  /** aws:SecureTransport (the twin's setting for its plain HTTP); default false */
  secureTransport?: boolean;
  userAgent?: string;
}

/** The request the trust policy is evaluated against: provider principal, sts.md §2.5 context keys. */
export function webIdentityTrustRequest(
  input: TrustRequestInput,
  action = "sts:AssumeRoleWithWebIdentity",
): EvalRequest {
  const { identity } = input;
  const seconds = Math.floor(input.now.getTime() / 1000);
  const context: Record<string, string | string[]> = {
    ...tokenKeys(input),
    "sts:RoleSessionName": input.sessionName,
    "aws:CurrentTime": `${input.now.toISOString().slice(0, 19)}Z`,
    "aws:EpochTime": String(seconds),
    "aws:SecureTransport": input.secureTransport ? "true" : "false",
  };
  if (input.sourceIp) context["aws:SourceIp"] = input.sourceIp;
  if (input.userAgent !== undefined) context["aws:UserAgent"] = input.userAgent;
  if (input.region) context["aws:RequestedRegion"] = input.region;
  return {
    principal: identity.providerArn,
    action,
    resource: input.roleArn,
    resourceAccount: input.accountId,
    context,
  };
}

interface TokenKeys {
  identity: VerifiedWebIdentity;
  github: boolean;
  tags: SessionTagsClaim | undefined;
  sourceIdentity: string | undefined;
  keys: Readonly<Record<string, string | string[]>>;
}

/** The keys a token gives, by its claims: a job presents the same token (the same parsed claims) again and again. */
const tokenKeysByClaims = new WeakMap<JWTPayload, TokenKeys>();

/** The context keys that come from the token (and its provider), the same on every call that presents it. */
function tokenKeys(input: TrustRequestInput): Readonly<Record<string, string | string[]>> {
  const { identity } = input;
  // only a frozen token (parseJwt's) is known not to change under the same object
  const reusable = Object.isFrozen(identity.claims);
  const known = reusable ? tokenKeysByClaims.get(identity.claims) : undefined;
  if (
    known !== undefined &&
    known.identity.providerArn === identity.providerArn &&
    known.identity.audience === identity.audience &&
    known.identity.subject === identity.subject &&
    known.github === input.github &&
    known.tags === input.tags &&
    known.sourceIdentity === input.sourceIdentity
  ) {
    return known.keys;
  }
  const p = identity.providerKey;
  const c = identity.claims;
  const keys: Record<string, string | string[]> = {
    [`${p}:aud`]: identity.audience,
    [`${p}:sub`]: identity.subject,
    "aws:FederatedProvider": identity.providerArn,
  };
  if (c.amr !== undefined) keys[`${p}:amr`] = (Array.isArray(c.amr) ? c.amr : [c.amr]).map(String);
  if (typeof c.email === "string") keys[`${p}:email`] = c.email;
  if (input.github) {
    for (const claim of GITHUB_CONDITION_CLAIMS) {
      const v = c[claim];
      if (typeof v === "string") keys[`${p}:${claim}`] = v;
    }
  }
  if (input.sourceIdentity !== undefined) keys["sts:SourceIdentity"] = input.sourceIdentity;
  if (input.tags) {
    for (const [k, v] of Object.entries(input.tags.tags)) keys[`aws:RequestTag/${k}`] = v;
    keys["aws:TagKeys"] = Object.keys(input.tags.tags);
    keys["sts:TransitiveTagKeys"] = input.tags.transitiveTagKeys;
  }
  Object.freeze(keys);
  if (reusable)
    tokenKeysByClaims.set(identity.claims, {
      identity,
      github: input.github,
      tags: input.tags,
      sourceIdentity: input.sourceIdentity,
      keys,
    });
  return keys;
}

/** GitHub's issuer, with or without an enterprise slug, or the twin's own issuer under another name. */
export function isGithubProvider(providerKey: string, ownIssuerKey?: string): boolean {
  return (
    providerKey === "token.actions.githubusercontent.com" ||
    providerKey.startsWith("token.actions.githubusercontent.com/") ||
    providerKey === ownIssuerKey
  );
}
