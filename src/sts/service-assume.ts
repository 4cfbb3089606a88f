// A role assumed by an AWS service on its own behalf (ECS pulling a task's images as its execution role):
// the role's trust policy alone decides, for the service principal, sts:AssumeRole (iam-policy.md §5.6,
// "checked when the service uses the role, not at iam:PassRole time"). The decision is logged like any
// other; an allowed request mints a real session the service then calls AWS with.
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
import { isoSeconds } from "../core/clock.ts";
import type { Principal, RoleSession, TwinRuntime } from "../core/service.ts";
import type { EvalRequest } from "../iam/evaluate.ts";
import type { IamDirectory } from "../iam/model.ts";
import { principalOf, type SessionStore, type StoredSession } from "./sessions.ts";
import type { TrustJudge } from "./trust-decision.ts";
import { trustTrace } from "./trust-trace.ts";
import { parseRoleArn } from "./validate.ts";

export interface ServiceAssumeRequest {
  roleArn: string;
  /** the service principal as trust policies name it, e.g. `ecs-tasks.amazonaws.com` */
  servicePrincipal: string;
  /** the session name the service picks (ECS: the task id) */
  sessionName: string;
  now: Date;
  /** default 3600 s, capped at the role's MaxSessionDuration */
  durationSeconds?: number;
  /** confused-deputy keys the service supplies (aws:SourceAccount, aws:SourceArn) */
  context?: Record<string, string>;
}

export type ServiceAssumeOutcome =
  | { ok: true; session: StoredSession; principal: Principal }
  | {
      ok: false;
      /** the role does not exist (or its path differs), or its trust policy does not allow the service */
      reason: "no-such-role" | "trust-denied";
      /** which trust statement failed and why (the decision log's explanation) */
      explanation: string;
    };

export type AssumeRoleForService = (request: ServiceAssumeRequest) => Promise<ServiceAssumeOutcome>;

export function createServiceAssume(deps: {
  rt: TwinRuntime;
  iam: IamDirectory;
  sessions: SessionStore;
  /** decides and logs the trust policy's decision (trust-decision.ts) */
  judge: TrustJudge;
}): AssumeRoleForService {
  const { rt, iam, sessions } = deps;

  return async function assumeRoleForService(req) {
    const time = isoSeconds(req.now);
    const request: EvalRequest = {
      principal: req.servicePrincipal,
      action: "sts:AssumeRole",
      resource: req.roleArn,
      resourceAccount: rt.accountId,
      context: {
        // global keys AWS supplies when a service principal calls
        // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
        "aws:PrincipalServiceName": req.servicePrincipal,
        "aws:PrincipalIsAWSService": "true",
        "aws:CurrentTime": time,
        "aws:EpochTime": String(Math.floor(req.now.getTime() / 1000)),
        "sts:RoleSessionName": req.sessionName,
        ...req.context,
      },
    };
    const log = {
      operation: "AssumeRole",
      requestId: rt.ids.uuid(),
      time: req.now,
      principal: req.servicePrincipal,
      facts: request.context!,
      message: `${req.servicePrincipal} is not authorized to perform: sts:AssumeRole on resource: ${req.roleArn}`,
    };
    const arn = parseRoleArn(req.roleArn);
    const role = arn && arn.account === rt.accountId ? iam.getRoleByArn(req.roleArn) : undefined;
    if (!role || role.Path !== arn?.path) {
      deps.judge.missingRole(request, log);
      return {
        ok: false,
        reason: "no-such-role",
        explanation: `sts:AssumeRole on ${req.roleArn} by ${req.servicePrincipal}: the role does not exist`,
      };
    }
    const result = deps.judge.decide(role, request, log);
    if (result.decision !== "allowed") {
      // a denial comes back explained: it names the statement and condition that failed
      return { ok: false, reason: "trust-denied", explanation: trustTrace(request, result) };
    }
    const seconds = Math.min(req.durationSeconds ?? 3600, role.MaxSessionDuration);
    const session: RoleSession = {
      roleArn: role.Arn,
      roleName: role.RoleName,
      roleId: role.RoleId,
      sessionName: req.sessionName,
      expiration: new Date(Math.floor(req.now.getTime() / 1000) * 1000 + seconds * 1000),
      policyArns: [],
      tags: {},
      transitiveTagKeys: [],
      chained: false,
      via: `AssumeRole by ${req.servicePrincipal}`,
    };
    const stored = sessions.create(rt.accountId, req.now, session);
    return { ok: true, session: stored, principal: principalOf(stored) };
  };
}
