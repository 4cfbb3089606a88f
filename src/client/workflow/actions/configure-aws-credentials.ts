// aws-actions/configure-aws-credentials (v4–v6), built in: the same inputs, STS calls, outputs and
// exported variables (official-actions.md §1), but an AccessDenied is explained instead of retried 12 times.
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { engineExplanation } from "../../credentials/engine-explanation.ts";
import { CredentialsError } from "../../credentials/errors.ts";
import { deniedAssume, githubContext, missingRequestToken } from "../../credentials/explain.ts";
import { requestIdToken, tokenRequestFromEnv } from "../../credentials/oidc-token.ts";
import { decodeClaims } from "../../credentials/token-claims.ts";
import { type ActionContext, ActionFailure, type BuiltinAction, booleanInput } from "./action-context.ts";

// v4.2+: inputs may be given as environment variables; an explicit input wins.
const envAliases: Record<string, string> = {
  "aws-region": "AWS_REGION",
  "role-to-assume": "ROLE_TO_ASSUME",
  audience: "AUDIENCE",
  "role-session-name": "ROLE_SESSION_NAME",
  "role-duration-seconds": "ROLE_DURATION_SECONDS",
  "web-identity-token-file": "WEB_IDENTITY_TOKEN_FILE",
  "inline-session-policy": "INLINE_SESSION_POLICY",
  "managed-session-policies": "MANAGED_SESSION_POLICIES",
};

type Creds = { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date };

function stsClient(
  ctx: ActionContext,
  region: string,
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): STSClient {
  const endpoint = ctx.inputs["sts-endpoint"] || ctx.env.AWS_ENDPOINT_URL_STS || ctx.env.AWS_ENDPOINT_URL;
  return new STSClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    customUserAgent: "configure-aws-credentials-for-github-actions",
  });
}

export const configureAwsCredentials: BuiltinAction = {
  name: "aws-actions/configure-aws-credentials",
  defaults: {
    audience: "sts.amazonaws.com",
    "role-session-name": "GitHubActions",
    "role-duration-seconds": "3600",
    "output-env-credentials": "true",
  },
  async run(ctx) {
    const input = (name: string) => {
      const alias = envAliases[name];
      if (!ctx.given.has(name) && alias && ctx.env[alias]) return ctx.env[alias]!.trim();
      return (ctx.inputs[name] ?? "").trim();
    };
    const region = input("aws-region");
    if (!region) throw new ActionFailure("Input required and not supplied: aws-region");
    if (!/^[a-z0-9-]+$/.test(region)) throw new ActionFailure(`Region is not valid: ${region}`);
    const roleToAssume = input("role-to-assume");
    const accessKeyId = ctx.inputs["aws-access-key-id"] ?? "";
    const secretAccessKey = ctx.inputs["aws-secret-access-key"] ?? "";
    if (accessKeyId && !secretAccessKey)
      throw new ActionFailure("'aws-secret-access-key' must be provided if 'aws-access-key-id' is provided");
    const tokenFile = input("web-identity-token-file");
    const roleChaining = booleanInput(ctx, "role-chaining");
    const sessionName = input("role-session-name") || "GitHubActions";
    const duration = Number.parseInt(input("role-duration-seconds"), 10) || 3600;
    const inlinePolicy = input("inline-session-policy") || undefined;
    const managed = input("managed-session-policies")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((arn) => ({ arn }));
    const request = tokenRequestFromEnv(ctx.env);
    const useOidc =
      !!roleToAssume &&
      !!request &&
      !accessKeyId &&
      !tokenFile &&
      !roleChaining &&
      !booleanInput(ctx, "force-skip-oidc");

    let creds: Creds | undefined;
    if (useOidc) {
      const audience = input("audience") || "sts.amazonaws.com";
      let token: string;
      try {
        token = await requestIdToken(request, audience);
      } catch (err) {
        throw new ActionFailure(
          `getIDToken call failed: ${err instanceof CredentialsError ? err.render() : (err as Error).message}`,
        );
      }
      ctx.mask(token);
      ctx.event("token", `audience ${audience}`);
      const claims = decodeClaims(token);
      try {
        const out = await stsClient(ctx, region).send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: roleToAssume,
            RoleSessionName: sessionName,
            DurationSeconds: duration,
            WebIdentityToken: token,
            Policy: inlinePolicy,
            PolicyArns: managed.length ? managed : undefined,
          }),
        );
        creds = out.Credentials;
      } catch (err) {
        const e = err as { name?: string; message?: string };
        const code = e.name?.replace(/Exception$/, "") ?? "Error";
        const explained = deniedAssume({
          roleArn: roleToAssume,
          stsCode: code,
          stsMessage: e.message ?? "",
          claims,
          engineExplanation: await engineExplanation(
            ctx.env.AWS_ENDPOINT_URL_STS || ctx.env.AWS_ENDPOINT_URL,
            { action: "sts:AssumeRoleWithWebIdentity" },
          ),
          source: "oidc",
        });
        throw new ActionFailure(`Could not assume role with OIDC: ${e.message}\n${explained.render()}`);
      }
    } else if (roleToAssume && !accessKeyId && !tokenFile && !roleChaining) {
      // What the official action prints before falling through to the SDK's default chain, which then fails.
      ctx.log(
        "It looks like you might be trying to authenticate with OIDC. Did you mean to set the `id-token` permission? If you are not trying to authenticate with OIDC and the action is working successfully, you can ignore this message.",
      );
      const explained = missingRequestToken(roleToAssume, githubContext(ctx.env));
      throw new ActionFailure(
        `Credentials could not be loaded, please check your action inputs: Could not load credentials from any providers\n${explained.render()}`,
      );
    } else {
      const source = accessKeyId
        ? { accessKeyId, secretAccessKey, sessionToken: ctx.inputs["aws-session-token"] || undefined }
        : ctx.env.AWS_ACCESS_KEY_ID && ctx.env.AWS_SECRET_ACCESS_KEY
          ? {
              accessKeyId: ctx.env.AWS_ACCESS_KEY_ID,
              secretAccessKey: ctx.env.AWS_SECRET_ACCESS_KEY,
              sessionToken: ctx.env.AWS_SESSION_TOKEN || undefined,
            }
          : undefined;
      if (!source)
        throw new ActionFailure(
          "Credentials could not be loaded, please check your action inputs: Could not load credentials from any providers",
        );
      if (tokenFile)
        throw new ActionFailure("web-identity-token-file is not supported by keyship run's built-in action");
      if (roleToAssume) {
        await stsClient(ctx, region, source).send(new GetCallerIdentityCommand({}));
        try {
          const out = await stsClient(ctx, region, source).send(
            new AssumeRoleCommand({
              RoleArn: roleToAssume,
              RoleSessionName: sessionName,
              DurationSeconds: duration,
              Policy: inlinePolicy,
              PolicyArns: managed.length ? managed : undefined,
            }),
          );
          creds = out.Credentials;
        } catch (err) {
          throw new ActionFailure(`Could not assume role: ${(err as Error).message}`);
        }
      } else
        creds = {
          AccessKeyId: source.accessKeyId,
          SecretAccessKey: source.secretAccessKey,
          SessionToken: source.sessionToken,
        };
    }
    if (!creds?.AccessKeyId || !creds.SecretAccessKey) throw new ActionFailure("STS returned no credentials");
    ctx.mask(creds.AccessKeyId);
    ctx.mask(creds.SecretAccessKey);
    if (creds.SessionToken) ctx.mask(creds.SessionToken);
    const identity = await stsClient(ctx, region, {
      accessKeyId: creds.AccessKeyId,
      secretAccessKey: creds.SecretAccessKey,
      sessionToken: creds.SessionToken,
    }).send(new GetCallerIdentityCommand({}));
    if (roleToAssume) ctx.event("role", identity.Arn ?? roleToAssume);
    const allowed = (ctx.inputs["allowed-account-ids"] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (allowed.length && !allowed.includes(identity.Account ?? "")) {
      throw new ActionFailure(
        `The account ID of the provided credentials (${identity.Account}) does not match any of the expected account IDs: ${allowed.join(", ")}`,
      );
    }
    if (booleanInput(ctx, "mask-aws-account-id")) {
      ctx.mask(identity.Account ?? "");
      ctx.mask(identity.Arn ?? "");
    }
    ctx.setOutput("aws-account-id", identity.Account ?? "");
    ctx.setOutput("authenticated-arn", identity.Arn ?? "");
    if (booleanInput(ctx, "output-credentials")) {
      ctx.setOutput("aws-access-key-id", creds.AccessKeyId);
      ctx.setOutput("aws-secret-access-key", creds.SecretAccessKey);
      if (creds.SessionToken) ctx.setOutput("aws-session-token", creds.SessionToken);
      if (creds.Expiration) ctx.setOutput("aws-expiration", JSON.stringify(creds.Expiration));
    }
    if (booleanInput(ctx, "output-env-credentials")) {
      ctx.exportVariable("AWS_REGION", region);
      ctx.exportVariable("AWS_DEFAULT_REGION", region);
      ctx.exportVariable("AWS_ACCESS_KEY_ID", creds.AccessKeyId);
      ctx.exportVariable("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey);
      if (creds.SessionToken) ctx.exportVariable("AWS_SESSION_TOKEN", creds.SessionToken);
      else if (ctx.env.AWS_SESSION_TOKEN) ctx.exportVariable("AWS_SESSION_TOKEN", "");
    }
    ctx.log(
      roleToAssume ? `Authenticated as assumedRoleId ${identity.UserId}` : `Authenticated as ${identity.Arn}`,
    );
  },
};
