// Chooses and runs the credential path (GitHub OIDC, token file, ambient chain) and returns a provider that
// re-mints and re-assumes before the session expires (configure-aws-credentials #359: no refresh).
import { readFile } from "node:fs/promises";
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  STSClient,
  type STSClientConfig,
} from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { type Clock, systemClock } from "../../core/clock.ts";
import { configuredEndpoint, engineExplanation } from "./engine-explanation.ts";
import { CredentialsError } from "./errors.ts";
import {
  deniedAssume,
  type GithubContext,
  githubContext,
  missingRequestToken,
  noCredentials,
} from "./explain.ts";
import { requestIdToken, tokenRequestFromEnv } from "./oidc-token.ts";
import { decodeClaims, type TokenClaims } from "./token-claims.ts";

export interface CredentialOptions {
  region: string;
  roleArn?: string;
  /** Default `sts.amazonaws.com` (configure-aws-credentials' action.yml default). */
  audience?: string;
  webIdentityTokenFile?: string;
  roleSessionName?: string;
  durationSeconds?: number;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Called with every secret as soon as it exists (the Action turns it into ::add-mask::). */
  mask?: (secret: string) => void;
  log?: (line: string) => void;
  /** Refresh this long before expiry. */
  refreshMarginMs?: number;
  /** Extra STS client config (tests). */
  stsConfig?: STSClientConfig;
  /**
   * The ambient credentials, when not the SDK's default chain over process.env (a step of `keyship run`
   * has its own environment, with what configure-aws-credentials exported).
   */
  ambient?: AwsCredentialIdentityProvider;
}

export interface ResolvedCredentials {
  provider: AwsCredentialIdentityProvider;
  source: "oidc" | "token-file" | "ambient" | "assume-role";
  /** The first session's credentials (with expiration when temporary). */
  initial: AwsCredentialIdentity;
  /** Claims of the web identity token used (never the token). */
  claims?: TokenClaims;
  /** The assumed role's session ARN. */
  assumedRoleArn?: string;
}

/** STS errors worth another attempt: the IdP could not be reached, or throttling/5xx the SDK gave up on. */
export function retryableStsError(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? "";
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0;
  return (
    [
      "IDPCommunicationError",
      "Throttling",
      "ThrottlingException",
      "RequestLimitExceeded",
      "ServiceUnavailable",
    ].includes(name) || status >= 500
  );
}

function sessionName(env: NodeJS.ProcessEnv, given?: string): string {
  if (given) return given;
  // 2–64 chars of [\w+=,.@-] (STS RoleSessionName).
  const run = env.GITHUB_RUN_ID ? `-${env.GITHUB_RUN_ID}` : "";
  return `keyship${run}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
}

async function readEvent(env: NodeJS.ProcessEnv): Promise<unknown> {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    return JSON.parse(await readFile(env.GITHUB_EVENT_PATH, "utf8"));
  } catch {
    return undefined;
  }
}

function toIdentity(
  c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date } | undefined,
): AwsCredentialIdentity {
  if (!c?.AccessKeyId || !c.SecretAccessKey)
    throw new CredentialsError("sts-error", "STS returned no credentials");
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    ...(c.SessionToken && { sessionToken: c.SessionToken }),
    ...(c.Expiration && { expiration: c.Expiration }),
  };
}

/** Caches credentials and fetches new ones `marginMs` before they expire; concurrent callers share one fetch. */
export function refreshing(
  fetchNew: () => Promise<AwsCredentialIdentity>,
  clock: Clock,
  marginMs: number,
  first?: AwsCredentialIdentity,
): AwsCredentialIdentityProvider {
  let current = first;
  let inflight: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const fresh =
      current && (!current.expiration || current.expiration.getTime() - clock.now().getTime() > marginMs);
    if (fresh) return current!;
    inflight ??= fetchNew().finally(() => {
      inflight = undefined;
    });
    current = await inflight;
    return current;
  };
}

export async function resolveCredentials(o: CredentialOptions): Promise<ResolvedCredentials> {
  const env = o.env ?? process.env;
  const clock = o.clock ?? systemClock;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const mask = o.mask ?? (() => {});
  const log = o.log ?? (() => {});
  const margin = o.refreshMarginMs ?? 5 * 60_000;
  const ctx: GithubContext = githubContext(env, (await readEvent(env)) as never);
  const sts = new STSClient({ region: o.region, maxAttempts: 4, ...o.stsConfig });

  const request = tokenRequestFromEnv(env);
  const tokenFile =
    o.webIdentityTokenFile ?? (o.roleArn && !request ? env.AWS_WEB_IDENTITY_TOKEN_FILE : undefined);

  if (o.roleArn && (request || tokenFile)) {
    const roleArn = o.roleArn;
    const source = request ? "oidc" : "token-file";
    const audience = o.audience ?? "sts.amazonaws.com";
    const getToken = async () => {
      if (request) return requestIdToken(request, audience, { ...(o.fetch && { fetch: o.fetch }), sleep });
      try {
        return (await readFile(tokenFile!, "utf8")).trim();
      } catch (e) {
        throw new CredentialsError(
          "token-file",
          `Cannot read the web identity token file ${tokenFile}: ${(e as Error).message}`,
        );
      }
    };
    let claims: TokenClaims | undefined;
    let assumedRoleArn: string | undefined;
    const assume = async (): Promise<AwsCredentialIdentity> => {
      const token = await getToken();
      mask(token);
      claims = decodeClaims(token);
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await sts.send(
            new AssumeRoleWithWebIdentityCommand({
              RoleArn: roleArn,
              RoleSessionName: sessionName(env, o.roleSessionName),
              WebIdentityToken: token,
              ...(o.durationSeconds && { DurationSeconds: o.durationSeconds }),
            }),
          );
          const creds = toIdentity(out.Credentials);
          mask(creds.accessKeyId);
          mask(creds.secretAccessKey);
          if (creds.sessionToken) mask(creds.sessionToken);
          assumedRoleArn = out.AssumedRoleUser?.Arn;
          return creds;
        } catch (e) {
          // AccessDenied and invalid tokens are answers, not accidents: never retried (pain point 1, #683).
          if (attempt < 4 && retryableStsError(e)) {
            log(`AssumeRoleWithWebIdentity: ${(e as Error).name}; retrying`);
            await sleep(Math.min(10_000, 500 * 2 ** attempt * Math.random()));
            continue;
          }
          const name = (e as Error).name;
          if (
            name === "AccessDenied" ||
            name === "InvalidIdentityToken" ||
            name === "IDPRejectedClaim" ||
            name === "ExpiredTokenException"
          ) {
            throw deniedAssume({
              roleArn,
              stsCode: name,
              stsMessage: (e as Error).message,
              claims,
              source,
              ...(await engineExplanationFor(env, o.fetch)),
            });
          }
          throw new CredentialsError(
            "sts-error",
            `AssumeRoleWithWebIdentity failed: ${name}: ${(e as Error).message}`,
            [`role: ${roleArn}`],
          );
        }
      }
    };
    const initial = await assume();
    return {
      provider: refreshing(assume, clock, margin, initial),
      source,
      initial,
      ...(claims && { claims }),
      ...(assumedRoleArn && { assumedRoleArn }),
    };
  }

  const haveEnvKeys = Boolean(o.ambient || (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY));
  if (o.roleArn && ctx.inActions && !haveEnvKeys && !env.AWS_PROFILE)
    throw missingRequestToken(o.roleArn, ctx);

  const ambient =
    o.ambient ?? fromNodeProviderChain({ ...(env.AWS_PROFILE && { profile: env.AWS_PROFILE }) });
  let base: AwsCredentialIdentity;
  try {
    base = await ambient();
  } catch (e) {
    if (o.roleArn && ctx.inActions) throw missingRequestToken(o.roleArn, ctx);
    throw noCredentials((e as Error).message, ctx);
  }
  if (!o.roleArn) return { provider: ambient, source: "ambient", initial: base };

  // Role chaining from ambient credentials: sts:AssumeRole.
  const roleArn = o.roleArn;
  const chained = new STSClient({ region: o.region, credentials: ambient, maxAttempts: 4, ...o.stsConfig });
  let assumedRoleArn: string | undefined;
  const assumeRole = async () => {
    try {
      const out = await chained.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: sessionName(env, o.roleSessionName),
          ...(o.durationSeconds && { DurationSeconds: o.durationSeconds }),
        }),
      );
      assumedRoleArn = out.AssumedRoleUser?.Arn;
      const creds = toIdentity(out.Credentials);
      mask(creds.secretAccessKey);
      if (creds.sessionToken) mask(creds.sessionToken);
      return creds;
    } catch (e) {
      const details = [`role: ${roleArn}`, `STS: ${(e as Error).name}: ${(e as Error).message}`];
      const why = await engineExplanationFor(env, o.fetch, "sts:AssumeRole");
      if (why.engineExplanation)
        details.push(
          "",
          "The twin's policy engine says:",
          ...why.engineExplanation.split("\n").map((l) => `  ${l}`),
        );
      throw new CredentialsError(
        (e as Error).name === "AccessDenied" ? "access-denied" : "sts-error",
        `Could not assume ${roleArn} with the ambient credentials.`,
        details,
      );
    }
  };
  const initial = await assumeRole();
  return {
    provider: refreshing(assumeRole, clock, margin, initial),
    source: "assume-role",
    initial,
    ...(assumedRoleArn && { assumedRoleArn }),
  };
}

async function engineExplanationFor(
  env: NodeJS.ProcessEnv,
  f?: typeof fetch,
  action = "sts:AssumeRoleWithWebIdentity",
): Promise<{ engineExplanation?: string }> {
  const text = await engineExplanation(configuredEndpoint(env, "STS"), { ...(f && { fetch: f }), action });
  return text ? { engineExplanation: text } : {};
}
