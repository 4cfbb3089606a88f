// `keyship explain`: would STS let this token assume this role? Prints the token checks and the
// trust-policy trace down to the failing condition, without calling STS.
import { systemClock } from "../core/clock.ts";
import { randomIds } from "../core/ids.ts";
import { AwsError } from "../http/aws-error.ts";
import { evaluate } from "../iam/evaluate.ts";
import { IamStore } from "../iam/store.ts";
import { type JobInput, jobFor } from "../oidc/claims.ts";
import { withStateIssuer } from "../oidc/component.ts";
import { KeyResolver } from "../oidc/verify.ts";
import { messages } from "../sts/errors.ts";
import { trustTrace } from "../sts/trust-trace.ts";
import { parseRoleArn } from "../sts/validate.ts";
import {
  isGithubProvider,
  sessionTagsClaim,
  sourceIdentityClaim,
  type VerifiedWebIdentity,
  verifyWebIdentityToken,
  webIdentityTrustRequest,
} from "../sts/web-identity.ts";
import { misuse, parseCommand } from "./args.ts";
import { jobInput, jobOptions, subjectFormatHelp, UsageError } from "./token.ts";

export const usage = `Usage: keyship explain --state DIR --role ROLE (--token JWT | --repo ORG/REPO [--ref REF]
                      [--event EVENT] [--environment ENV] [--actor LOGIN] [--repo-created DATE]
                      [--subject-format legacy|immutable]) [--audience AUD] [--session-name NAME]

Shows whether AssumeRoleWithWebIdentity would succeed for the token (or for a token minted for
the described job) and why: the token checks STS makes, then each trust-policy statement with
the condition that failed and the claim value it saw. Exit 0 allowed, 1 refused, 2 usage.

  --role ROLE      a role name in the state's account, or a role ARN: as STS does, the ARN's
                   account must hold the token's OIDC provider and its path must be the role's
  --audience AUD   for minted tokens; default sts.amazonaws.com
${subjectFormatHelp}`;

/** The role a --role argument names: a bare name (any path, the state's account) or a role ARN. */
function roleTarget(
  arg: string,
  accountId: string,
): { account: string; name: string; path?: string; arn?: string } | undefined {
  if (!arg.startsWith("arn:")) return { account: accountId, name: arg };
  const arn = parseRoleArn(arg);
  return arn ? { account: arn.account, name: arn.name, path: arn.path, arn: arg } : undefined;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      ...jobOptions,
      role: { type: "string" },
      token: { type: "string" },
      audience: { type: "string" },
      "session-name": { type: "string" },
    },
    usage,
    { positionals: false },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const roleArg = values.role;
  if (!values.state || !roleArg || (!values.token && !values.repo))
    return misuse("keyship explain: --state, --role and --token or --repo are required", usage);
  let input: JobInput | undefined;
  try {
    if (!values.token) input = jobInput(values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`keyship explain: ${err.message}\n`);
    return 2;
  }
  return withStateIssuer(
    values.state,
    { clock: systemClock, ids: randomIds },
    values.issuer,
    async (issuer, store) => {
      const accountId = store.getSetting("accountId") ?? "123456789012";
      const target = roleTarget(roleArg, accountId);
      if (!target) {
        process.stderr.write(`keyship explain: ${messages.invalidArn}\n`);
        return 2;
      }
      const iam = new IamStore(store, accountId);
      let token = values.token;
      if (!token) {
        try {
          token = await issuer.mint(jobFor(input!), {
            audience: values.audience ?? "sts.amazonaws.com",
          });
        } catch (err) {
          process.stderr.write(`keyship explain: ${(err as Error).message}\n`);
          return 2;
        }
      }
      const now = systemClock.now();
      let identity: VerifiedWebIdentity;
      let tags: ReturnType<typeof sessionTagsClaim>;
      let sourceIdentity: string | undefined;
      try {
        // As STS: the token is judged first, its provider looked up in the role ARN's account.
        identity = await verifyWebIdentityToken(token, {
          accountId: target.account,
          iam,
          keyResolver: new KeyResolver({ local: { [issuer.iss]: (fresh) => issuer.jwks(fresh) } }),
          now,
        });
        // claims STS holds to AssumeRole's constraints (ValidationError) before it reads the role
        tags = sessionTagsClaim(identity.claims);
        sourceIdentity = sourceIdentityClaim(identity.claims);
      } catch (err) {
        if (!(err instanceof AwsError)) throw err;
        process.stdout.write(`token refused before the trust policy: ${err.code}: ${err.message}\n`);
        return 1;
      }
      // Then the role: in the state's account, and for an ARN under exactly its path (sts/operations.ts).
      const role = target.account === accountId ? iam.getRole(target.name) : undefined;
      if (!role || (target.path !== undefined && role.Path !== target.path)) {
        const why = !role
          ? `role ${target.name} does not exist in account ${target.account}`
          : `role ${target.name} has path ${role.Path}, not ${target.path}: ${target.arn} names no role`;
        process.stdout.write(
          `${why}: STS would answer AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\n`,
        );
        return 1;
      }
      process.stdout.write(`token: iss ${identity.iss}, aud ${identity.audience}, sub ${identity.subject}\n`);
      process.stdout.write(`provider: ${identity.providerArn}\n`);
      const request = webIdentityTrustRequest({
        identity,
        roleArn: role.Arn,
        accountId,
        sessionName: values["session-name"] ?? "GitHubActions",
        now,
        github: isGithubProvider(identity.providerKey, issuer.iss.replace(/^https:\/\//, "")),
        ...(tags ? { tags } : {}),
        ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
      });
      const trust = { id: `trust:${role.RoleName}`, document: role.AssumeRolePolicyDocument };
      const actions = ["sts:AssumeRoleWithWebIdentity"];
      if (tags && Object.keys(tags.tags).length > 0) actions.push("sts:TagSession");
      if (sourceIdentity !== undefined) actions.push("sts:SetSourceIdentity");
      let allowed = true;
      for (const action of actions) {
        const check = { ...request, action };
        const result = evaluate(check, { identity: [], resource: trust }, { explain: true });
        process.stdout.write(`${trustTrace(check, result)}\n`);
        if (result.decision !== "allowed") allowed = false;
      }
      process.stdout.write(
        allowed
          ? "STS would issue credentials (DurationSeconds and session policies permitting)\n"
          : "STS would answer AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\n",
      );
      return allowed ? 0 : 1;
    },
  );
}
