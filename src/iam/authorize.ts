// Authorization in front of every twin operation: builds the principal's policy set from IAM,
// adds the global condition keys AWS supplies, runs the engine and records the decision.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
import type { AuthzCheck, Principal } from "../core/service.ts";
import { AccessDenied } from "../http/aws-error.ts";
import type { CallInfo } from "../http/serve.ts";
import { accessDeniedMessage } from "./access-denied.ts";
import { type DecisionLog, decidedBy } from "./decisions.ts";
import { type EvalRequest, type EvalResult, evaluate, type NamedPolicy, type PolicySet } from "./evaluate.ts";
import { explainText } from "./explain.ts";
import type { IamDirectory, Tag } from "./model.ts";

export interface AuthorizerDeps {
  directory: IamDirectory;
  decisions: DecisionLog;
  ids: { uuid(): string };
}

export function createAuthorizer(deps: AuthorizerDeps) {
  const { directory, decisions } = deps;

  /** The policies that apply to a principal, whatever the request: identity, boundary, session. */
  function principalPolicies(principal: Principal): Omit<PolicySet, "resource"> {
    const session = principal.session;
    const kind = session ? "role" : "user";
    const name = session ? session.roleName : principal.name;
    const entity = session ? directory.getRole(name) : directory.getUser(name);
    const identity: NamedPolicy[] = directory.identityPolicies(kind, name);
    const set: Omit<PolicySet, "resource"> = { identity };
    const boundaryArn = entity?.PermissionsBoundary?.PermissionsBoundaryArn;
    if (boundaryArn) {
      const boundary = directory.managedPolicyDocument(boundaryArn);
      // A boundary that no longer resolves allows nothing: fail closed.
      set.permissionsBoundary = [
        boundary ?? { id: boundaryArn, document: '{"Version":"2012-10-17","Statement":[]}' },
      ];
    }
    if (session && (session.policy || session.policyArns.length > 0)) {
      set.session = sessionPolicy(session.policy, session.policyArns);
    }
    return set;
  }

  /** Inline and managed session policies act as one filter: any of them may allow (AWS unions them). */
  function sessionPolicy(inline: string | undefined, arns: string[]): NamedPolicy {
    const statements: unknown[] = [];
    const ids: string[] = [];
    if (inline) {
      ids.push("session:inline");
      statements.push(...asStatements(JSON.parse(inline)));
    }
    for (const arn of arns) {
      ids.push(arn);
      const doc = directory.managedPolicyDocument(arn);
      if (doc) statements.push(...asStatements(JSON.parse(doc.document)));
    }
    return { id: ids.join("+"), document: { Version: "2012-10-17", Statement: statements } };
  }

  function globalContext(principal: Principal, call: CallInfo): Record<string, string | string[]> {
    const session = principal.session;
    const ctx: Record<string, string | string[]> = {
      "aws:PrincipalArn": session ? session.roleArn : principal.arn,
      "aws:PrincipalAccount": principal.accountId,
      "aws:PrincipalType": principal.type,
      "aws:userid": principal.userId,
      "aws:CurrentTime": call.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
      "aws:EpochTime": String(Math.floor(call.now.getTime() / 1000)),
      "aws:SecureTransport": String(call.secureTransport),
      "aws:SourceIp": call.sourceIp,
      "aws:RequestedRegion": call.region,
      "aws:ViaAWSService": "false",
    };
    if (!session) ctx["aws:username"] = principal.name;
    const tags: Tag[] = session
      ? (directory.getRole(session.roleName)?.Tags ?? [])
      : (directory.getUser(principal.name)?.Tags ?? []);
    for (const t of tags) ctx[`aws:PrincipalTag/${t.Key}`] = t.Value;
    if (session) {
      for (const [k, v] of Object.entries(session.tags)) ctx[`aws:PrincipalTag/${k}`] = v;
      if (session.sourceIdentity) ctx["aws:SourceIdentity"] = session.sourceIdentity;
      if (session.webIdentity) {
        const host = session.webIdentity.provider.replace(/^.*oidc-provider\//, "");
        ctx["aws:FederatedProvider"] = session.webIdentity.provider;
        ctx[`${host}:sub`] = session.webIdentity.subject;
        ctx[`${host}:aud`] = session.webIdentity.audience;
      }
    }
    return ctx;
  }

  return function authorize(principal: Principal, checks: AuthzCheck[], call: CallInfo): void {
    const base = principalPolicies(principal);
    const global = globalContext(principal, call);
    for (const check of checks) {
      const request: EvalRequest = {
        principal: principal.arn,
        action: check.action,
        resource: check.resource,
        resourceAccount: check.resourceAccount ?? principal.accountId,
        context: { ...global, ...check.context },
      };
      const policies: PolicySet = check.resourcePolicy ? { ...base, resource: check.resourcePolicy } : base;
      const result = evaluate(request, policies);
      record(call, request, policies, result, principal);
      if (result.decision !== "allowed") throw new AccessDenied(accessDeniedMessage(request, result));
    }
  };

  function record(
    call: CallInfo,
    request: EvalRequest,
    policies: PolicySet,
    result: EvalResult,
    principal: Principal,
  ): void {
    const denied = result.decision !== "allowed";
    decisions.record({
      id: deps.ids.uuid(),
      time: call.now.toISOString(),
      service: call.service,
      operation: call.operation,
      requestId: call.requestId,
      principal: principal.arn,
      action: request.action,
      resource: request.resource,
      decision: result.decision,
      decidedBy: decidedBy(result),
      // Explanations are costly: computed for denials, which are what people ask about.
      ...(denied
        ? (() => {
            const detailed = evaluate(request, policies, { explain: true });
            return {
              message: accessDeniedMessage(request, detailed),
              explanation: explainText(request, detailed),
              detail: detailed,
              context: request.context,
            };
          })()
        : {}),
    });
  }
}

function asStatements(doc: { Statement?: unknown }): unknown[] {
  const s = doc.Statement;
  return Array.isArray(s) ? s : s ? [s] : [];
}

export type Authorizer = ReturnType<typeof createAuthorizer>;
