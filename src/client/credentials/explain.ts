// Pure builders for the credential explanations (pain points 1 and 2 in official-actions.md §8).
import { CredentialsError } from "./errors.ts";
import { describeClaims, type TokenClaims } from "./token-claims.ts";

export interface GithubContext {
  inActions: boolean;
  eventName?: string;
  /** From the event payload: the pull request's head repository is a fork. */
  forkPullRequest: boolean;
  awsProfile?: string;
}

export function githubContext(
  env: NodeJS.ProcessEnv,
  event?: { pull_request?: { head?: { repo?: { fork?: boolean } } } },
): GithubContext {
  return {
    inActions: env.GITHUB_ACTIONS === "true",
    ...(env.GITHUB_EVENT_NAME !== undefined && { eventName: env.GITHUB_EVENT_NAME }),
    forkPullRequest: event?.pull_request?.head?.repo?.fork === true,
    ...(env.AWS_PROFILE !== undefined && env.AWS_PROFILE !== "" && { awsProfile: env.AWS_PROFILE }),
  };
}

/**
 * A role was asked for in a job without an OIDC request token. GitHub sets ACTIONS_ID_TOKEN_REQUEST_* only when
 * the job has `permissions: id-token: write`, and never for pull requests from forks
 * (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect).
 */
export function missingRequestToken(roleArn: string, ctx: GithubContext): CredentialsError {
  if (ctx.forkPullRequest) {
    return new CredentialsError(
      "fork-pull-request",
      `Cannot assume ${roleArn}: this run is for a pull request from a fork, and GitHub gives fork pull requests no OIDC token.`,
      [
        "Deploy from a push or workflow_dispatch event in the repository itself, or from pull_request_target with care.",
      ],
    );
  }
  const details = [
    "GitHub gives a job an OIDC token only when the workflow or job grants it:",
    "",
    "    permissions:",
    "      id-token: write   # to request the OIDC token",
    "      contents: read    # if the job checks out code",
    "",
    "(ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set in this job.)",
  ];
  if (ctx.awsProfile)
    details.push(
      `AWS_PROFILE=${ctx.awsProfile} is set, but a profile is not used to assume a role with OIDC.`,
    );
  return new CredentialsError(
    "missing-id-token-permission",
    `Cannot assume ${roleArn}: the job has no \`id-token: write\` permission.`,
    details,
  );
}

export interface DeniedContext {
  roleArn: string;
  stsCode: string;
  stsMessage: string;
  claims: TokenClaims | undefined;
  /** The twin's engine explanation (decision log), when the endpoint answered. */
  engineExplanation?: string;
  source: "oidc" | "token-file";
}

/** AccessDenied / InvalidIdentityToken from AssumeRoleWithWebIdentity, with the claims the trust policy saw. */
export function deniedAssume(c: DeniedContext): CredentialsError {
  const details = [
    `STS: ${c.stsCode}: ${c.stsMessage}`,
    `role:  ${c.roleArn}`,
    `token: ${describeClaims(c.claims)}`,
  ];
  const issHost = c.claims?.iss?.replace(/^https:\/\//, "") ?? "token.actions.githubusercontent.com";
  if (c.stsCode === "AccessDenied") {
    details.push(
      `The role's trust policy must allow sts:AssumeRoleWithWebIdentity for the federated principal of ${issHost}`,
      `with conditions that match these claims, e.g. "${issHost}:sub" StringLike "${subjectPattern(c.claims?.sub)}"`,
      `and "${issHost}:aud" StringEquals "${firstAud(c.claims) ?? "sts.amazonaws.com"}".`,
    );
  } else if (c.stsCode === "InvalidIdentityToken") {
    details.push(
      `IAM must have an OpenID Connect provider for ${c.claims?.iss ?? "the issuer"} whose client ids include "${firstAud(c.claims) ?? "?"}".`,
    );
  }
  if (c.engineExplanation)
    details.push(
      "",
      "The twin's policy engine says:",
      ...c.engineExplanation.split("\n").map((l) => `  ${l}`),
    );
  const how = c.source === "oidc" ? "the GitHub OIDC token" : "the web identity token file";
  return new CredentialsError(
    c.stsCode === "AccessDenied" ? "access-denied" : "invalid-token",
    `Could not assume ${c.roleArn} with ${how}.`,
    details,
  );
}

function firstAud(claims: TokenClaims | undefined): string | undefined {
  return Array.isArray(claims?.aud) ? claims.aud[0] : claims?.aud;
}

/** `repo:org/name:ref:refs/heads/main` → `repo:org/name:*`: the pattern a trust policy would use for this repository. */
export function subjectPattern(sub: string | undefined): string {
  const m = /^(repo:[^:]+):/.exec(sub ?? "");
  return m ? `${m[1]}:*` : (sub ?? "repo:<owner>/<repo>:*");
}

export function noCredentials(cause: string, ctx: GithubContext): CredentialsError {
  const details = [
    "Give keyship either --role-arn with an OIDC token (GitHub job with `id-token: write`, or AWS_WEB_IDENTITY_TOKEN_FILE),",
    "or AWS credentials in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, SSO, an instance role).",
    `(${cause})`,
  ];
  if (ctx.awsProfile)
    details.push(`AWS_PROFILE=${ctx.awsProfile} is set: check that this profile exists and has credentials.`);
  return new CredentialsError("no-credentials", "No AWS credentials could be loaded.", details);
}
