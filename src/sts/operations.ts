// The STS service: GetCallerIdentity, AssumeRoleWithWebIdentity (unsigned), AssumeRole.
// Spec: sts.md §2–§5; https://docs.aws.amazon.com/STS/latest/APIReference/
import { deflateRawSync } from "node:zlib";
import type {
  CredentialSource,
  OperationInput,
  RequestContext,
  RoleSession,
  Service,
  TwinRuntime,
} from "../core/service.ts";
import { AccessDenied, AwsError } from "../http/aws-error.ts";
import type { DecisionLog } from "../iam/decisions.ts";
import type { IamDirectory, IamRole } from "../iam/model.ts";
import { validatePolicy } from "../iam/policy.ts";
import type { KeyResolver } from "../oidc/verify.ts";
import type { Store } from "../store/sqlite.ts";
import {
  malformedPolicyDocument,
  messages,
  packedPolicyTooLarge,
  validationError,
  webIdentityDenied,
} from "./errors.ts";
import { type AssumeRoleForService, createServiceAssume } from "./service-assume.ts";
import { refuseCaseDuplicates } from "./session-tags.ts";
import { assumedRoleArn, SessionStore, type StoredSession } from "./sessions.ts";
import { createTrustJudge } from "./trust-decision.ts";
import {
  ASSUME_ROLE_RULES,
  ASSUME_ROLE_WITH_WEB_IDENTITY_RULES,
  parseRoleArn,
  validateInput,
} from "./validate.ts";
import {
  isGithubProvider,
  sessionTagsClaim,
  sourceIdentityClaim,
  type VerifiedWebIdentity,
  verifyWebIdentityToken,
  type WebIdentityOptions,
  webIdentityTrustRequest,
} from "./web-identity.ts";

export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

export interface StsOptions {
  webIdentity?: WebIdentityOptions;
  /** bytes of deflated session policy + ARNs + tags that make 100 % (`sts.packedPolicyLimitBytes`, default 1024) */
  packedPolicyLimitBytes?: number;
}

export interface StsDeps {
  store: Store;
  rt: TwinRuntime;
  iam: IamDirectory;
  /** the OIDC component: its key resolver verifies tokens of its own and of mapped issuers */
  oidc: { keyResolver: Pick<KeyResolver, "verifySignature">; issuer?: { iss: string } };
  decisions?: Pick<DecisionLog, "record" | "recordAllowed">;
  options?: StsOptions;
}

export interface Sts {
  service: Service;
  credentials: CredentialSource;
  sessions: SessionStore;
  /** a service (ECS) assumes a role on its own behalf: trust policy decides, session minted (service-assume.ts) */
  assumeRoleForService: AssumeRoleForService;
}

const CHAINED_MAX_SECONDS = 3600;

const CALL_FACTS = ["sts:RoleSessionName", "aws:SourceIp", "aws:CurrentTime", "sts:SourceIdentity"];

function callFacts(context: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of CALL_FACTS) if (context[k] !== undefined) out[k] = context[k];
  return out;
}

export function createSts(deps: StsDeps): Sts {
  const { rt, iam } = deps;
  const sessions = new SessionStore(deps.store);
  const ownIssuerKey = deps.oidc.issuer?.iss.replace(/^https:\/\//, "");
  const packedLimit = deps.options?.packedPolicyLimitBytes ?? 1024;

  const judge = createTrustJudge(deps.decisions);

  /** Session policies: validated, resolved, measured (sts.md §2.9). */
  function sessionPolicies(input: OperationInput, tags: Record<string, string>) {
    const policy = input.Policy as string | undefined;
    const policyArns = Array.isArray(input.PolicyArns)
      ? (input.PolicyArns as { arn?: unknown }[]).map((p) => String(p.arn))
      : [];
    // "The plaintext that you use for both inline and managed session policies can't exceed 2,048
    // characters" (the model); keyship counts the inline document plus each ARN (sts.md §9).
    const plaintext = (policy?.length ?? 0) + policyArns.reduce((n, a) => n + a.length, 0);
    if (plaintext > SESSION_POLICY_PLAINTEXT_MAX) {
      throw validationError(
        `The session policies (Policy and PolicyArns together) are ${plaintext} characters of plaintext; they cannot exceed ${SESSION_POLICY_PLAINTEXT_MAX}.`,
      );
    }
    if (policy !== undefined) {
      const problems = validatePolicy(policy, "session");
      if (problems.length > 0) throw malformedPolicyDocument(problems[0]!.message);
    }
    for (const arn of policyArns) {
      // Managed policies of the role's account, or AWS managed ones (account "aws").
      const account = arn.split(":")[4];
      if ((account !== "aws" && account !== rt.accountId) || !iam.managedPolicyDocument(arn)) {
        throw malformedPolicyDocument(`Policy ${arn} does not exist or is not attachable.`);
      }
    }
    const tagText = Object.entries(tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const supplied = policy !== undefined || policyArns.length > 0 || tagText !== "";
    let packed: number | undefined;
    if (supplied) {
      const bytes = deflateRawSync(Buffer.from(`${policy ?? ""}${policyArns.join("")}${tagText}`)).length;
      packed = Math.ceil((100 * bytes) / packedLimit);
      if (packed > 100) {
        throw packedPolicyTooLarge(
          policy !== undefined || policyArns.length > 0
            ? `Packed policy consumes ${packed}% of allotted space, please use smaller policy.`
            : `Packed size of session tags consumes ${packed}% of allotted space.`,
        );
      }
    }
    return { policy, policyArns, packed };
  }

  function duration(input: OperationInput, role: IamRole, chained: boolean): number {
    const seconds = input.DurationSeconds === undefined ? 3600 : Number(input.DurationSeconds);
    if (chained && seconds > CHAINED_MAX_SECONDS) throw validationError(messages.chainingOverHour);
    if (seconds > role.MaxSessionDuration) throw validationError(messages.durationOverMax);
    return seconds;
  }

  function issue(ctx: RequestContext, session: RoleSession): StoredSession {
    return sessions.create(ctx.accountId, ctx.now, session);
  }

  function credentialsOut(s: StoredSession) {
    return {
      AccessKeyId: s.credentials.AccessKeyId,
      SecretAccessKey: s.credentials.SecretAccessKey,
      SessionToken: s.credentials.SessionToken,
      Expiration: s.credentials.Expiration,
    };
  }

  const operations: Service["operations"] = {
    GetCallerIdentity(_input, ctx) {
      // "No permissions are required to perform this operation" (sts.md §5).
      const p = ctx.principal!;
      return { UserId: p.userId, Account: p.accountId, Arn: p.arn };
    },

    async AssumeRoleWithWebIdentity(input, ctx) {
      validateInput(input, ASSUME_ROLE_WITH_WEB_IDENTITY_RULES);
      const roleArn = String(input.RoleArn);
      const sessionName = String(input.RoleSessionName);
      const arn = parseRoleArn(roleArn);
      if (!arn) throw validationError(messages.invalidArn);

      const identity = await verifyWebIdentityToken(
        String(input.WebIdentityToken),
        {
          accountId: arn.account,
          iam,
          keyResolver: deps.oidc.keyResolver,
          now: ctx.now,
          ...(deps.options?.webIdentity ? { options: deps.options.webIdentity } : {}),
        },
        input.ProviderId as string | undefined,
      );

      const tags = sessionTagsClaim(identity.claims);
      const sourceIdentity = sourceIdentityClaim(identity.claims);
      const request = webIdentityTrustRequest({
        identity,
        roleArn,
        accountId: arn.account,
        sessionName,
        now: ctx.now,
        sourceIp: ctx.sourceIp,
        region: ctx.region,
        secureTransport: ctx.secureTransport,
        userAgent: ctx.userAgent,
        github: isGithubProvider(identity.providerKey, ownIssuerKey),
        ...(tags ? { tags } : {}),
        ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
      });

      // An allowance keeps the token's claims and the call's own facts; the condition keys derived
      // from the claims are kept with a denial, where they explain it.
      const log = {
        operation: ctx.operation,
        requestId: ctx.requestId,
        time: ctx.now,
        principal: identity.providerArn,
        facts: callFacts(request.context!),
        extra: { token: identity.claims },
        message: messages.webIdentityDenied,
      };
      const role = arn.account === ctx.accountId ? iam.getRoleByArn(roleArn) : undefined;
      if (!role || !samePath(role, arn.path)) {
        judge.missingRole(request, log);
        throw webIdentityDenied();
      }
      const checks = [request];
      if (tags && Object.keys(tags.tags).length > 0) checks.push({ ...request, action: "sts:TagSession" });
      if (sourceIdentity !== undefined) checks.push({ ...request, action: "sts:SetSourceIdentity" });
      for (const check of checks) {
        if (judge.decide(role, check, log).decision !== "allowed") throw webIdentityDenied();
      }

      const seconds = duration(input, role, false);
      const sessionTags = tags?.tags ?? {};
      const policies = sessionPolicies(input, sessionTags);
      const session: RoleSession = {
        roleArn: role.Arn,
        roleName: role.RoleName,
        roleId: role.RoleId,
        sessionName,
        expiration: expiry(ctx.now, seconds),
        policyArns: policies.policyArns,
        tags: sessionTags,
        transitiveTagKeys: tags?.transitiveTagKeys ?? [],
        chained: false,
        via: "AssumeRoleWithWebIdentity",
        webIdentity: {
          provider: identity.providerArn,
          subject: identity.subject,
          audience: identity.audience,
        },
      };
      if (policies.policy !== undefined) session.policy = policies.policy;
      if (sourceIdentity !== undefined) session.sourceIdentity = sourceIdentity;
      const issued = await issue(ctx, session);
      return webIdentityResponse(identity, issued, policies.packed);
    },

    async AssumeRole(input, ctx) {
      validateInput(input, ASSUME_ROLE_RULES);
      const caller = ctx.principal!;
      const roleArn = String(input.RoleArn);
      const sessionName = String(input.RoleSessionName);
      const arn = parseRoleArn(roleArn);
      if (!arn) throw validationError(messages.invalidArn);
      const role = arn.account === ctx.accountId ? iam.getRoleByArn(roleArn) : undefined;
      if (!role || !samePath(role, arn.path)) {
        // denied as a trust policy denial (existence is not leaked), and logged as one
        const message = `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
        judge.missingRole(
          {
            principal: caller.arn,
            action: "sts:AssumeRole",
            resource: roleArn,
            context: { "sts:RoleSessionName": sessionName },
          },
          {
            operation: ctx.operation,
            requestId: ctx.requestId,
            time: ctx.now,
            principal: caller.arn,
            facts: { "sts:RoleSessionName": sessionName, "aws:SourceIp": ctx.sourceIp },
            message,
          },
        );
        throw new AccessDenied(message);
      }

      const tags = tagList(input.Tags);
      const inherited = caller.session
        ? Object.fromEntries(
            caller.session.transitiveTagKeys
              .filter((k) => caller.session!.tags[k] !== undefined)
              .map((k) => [k, caller.session!.tags[k]!]),
          )
        : {};
      for (const k of Object.keys(tags)) {
        if (Object.keys(inherited).some((i) => i.toLowerCase() === k.toLowerCase())) {
          throw new AwsError(
            "InvalidParameterValue",
            `Tag key ${k} is a transitive tag of the calling session`,
            400,
          );
        }
      }
      const transitive = tagKeys(input.TransitiveTagKeys);
      const context: Record<string, string | string[]> = { "sts:RoleSessionName": sessionName };
      if (input.ExternalId !== undefined) context["sts:ExternalId"] = String(input.ExternalId);
      const sourceIdentity = caller.session?.sourceIdentity ?? (input.SourceIdentity as string | undefined);
      if (input.SourceIdentity !== undefined) {
        if (String(input.SourceIdentity).toLowerCase().startsWith("aws:")) {
          throw validationError("SourceIdentity must not start with 'aws:'");
        }
        if (caller.session?.sourceIdentity && caller.session.sourceIdentity !== input.SourceIdentity) {
          throw new AccessDenied("The source identity of a session cannot be changed");
        }
        context["sts:SourceIdentity"] = String(input.SourceIdentity);
      }
      if (Object.keys(tags).length > 0) {
        for (const [k, v] of Object.entries(tags)) context[`aws:RequestTag/${k}`] = v;
        context["aws:TagKeys"] = Object.keys(tags);
        context["sts:TransitiveTagKeys"] = transitive;
      }
      const resourcePolicy = { id: `trust:${role.RoleName}`, document: role.AssumeRolePolicyDocument };
      const checks = [{ action: "sts:AssumeRole", resource: role.Arn, context, resourcePolicy }];
      if (Object.keys(tags).length > 0)
        checks.push({ action: "sts:TagSession", resource: role.Arn, context, resourcePolicy });
      if (input.SourceIdentity !== undefined) {
        checks.push({ action: "sts:SetSourceIdentity", resource: role.Arn, context, resourcePolicy });
      }
      ctx.authorize(checks);

      const chained = caller.type === "AssumedRole";
      const seconds = duration(input, role, chained);
      const sessionTags = { ...inherited, ...tags };
      const policies = sessionPolicies(input, tags);
      const session: RoleSession = {
        roleArn: role.Arn,
        roleName: role.RoleName,
        roleId: role.RoleId,
        sessionName,
        expiration: expiry(ctx.now, seconds),
        policyArns: policies.policyArns,
        tags: sessionTags,
        transitiveTagKeys: [...new Set([...(caller.session?.transitiveTagKeys ?? []), ...transitive])],
        chained,
        via: "AssumeRole",
      };
      if (caller.session?.webIdentity) session.webIdentity = caller.session.webIdentity;
      if (policies.policy !== undefined) session.policy = policies.policy;
      if (sourceIdentity !== undefined) session.sourceIdentity = sourceIdentity;
      const issued = await issue(ctx, session);
      const out: Record<string, unknown> = {
        AssumedRoleUser: {
          Arn: assumedRoleArn(ctx.accountId, role.RoleName, sessionName),
          AssumedRoleId: `${role.RoleId}:${sessionName}`,
        },
        Credentials: credentialsOut(issued),
      };
      if (policies.packed !== undefined) out.PackedPolicySize = policies.packed;
      if (sourceIdentity !== undefined) out.SourceIdentity = sourceIdentity;
      return out;
    },
  };

  function webIdentityResponse(
    identity: VerifiedWebIdentity,
    issued: StoredSession,
    packed: number | undefined,
  ) {
    const s = issued.session;
    const out: Record<string, unknown> = {
      SubjectFromWebIdentityToken: identity.subject,
      Audience: identity.audience,
      AssumedRoleUser: {
        Arn: assumedRoleArn(issued.accountId, s.roleName, s.sessionName),
        AssumedRoleId: `${s.roleId}:${s.sessionName}`,
      },
      Credentials: credentialsOut(issued),
    };
    if (s.sourceIdentity !== undefined) out.SourceIdentity = s.sourceIdentity;
    out.Provider = identity.providerArn;
    if (packed !== undefined) out.PackedPolicySize = packed;
    return out;
  }

  return {
    service: {
      name: "sts",
      protocol: "query",
      xmlNamespace: STS_NAMESPACE,
      operations,
      unsigned: new Set(["AssumeRoleWithWebIdentity"]),
    },
    credentials: sessions,
    sessions,
    assumeRoleForService: createServiceAssume({
      rt,
      iam,
      sessions,
      judge,
    }),
  };
}

/** Expiration is rendered without fractional seconds, so mint it on a whole second. */
function expiry(now: Date, seconds: number): Date {
  return new Date(Math.floor(now.getTime() / 1000) * 1000 + seconds * 1000);
}

/** AWS resolves role ARNs by name; the path in the ARN must still be the role's path (sts.md §2.4 step 8). */
function samePath(role: IamRole, path: string): boolean {
  return role.Path === path;
}

/** Session policies' plaintext limit, Policy and PolicyArns together (sts.md §2.9). */
const SESSION_POLICY_PLAINTEXT_MAX = 2048;

/** Tags already checked against the model (ASSUME_ROLE_RULES); keys must differ in more than case. */
function tagList(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) return {};
  const tags = value as { Key: string; Value: string }[];
  refuseCaseDuplicates(tags.map((t) => t.Key));
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}

function tagKeys(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
