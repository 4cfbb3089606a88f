// Findings about what a GitHub-assumable role may do (anchors.md §5 KS-OIDC-013, split into rules):
// every finding is a probe request the engine allows with that statement alone — another repository,
// an unrelated action, a role passed to another service — so the evidence is a decision, not a regex.
import { type EvalRequest, evaluate } from "../../iam/evaluate.ts";
import type { Finding, PermissionPolicy, RoleModel, Severity } from "./model.ts";

export interface PermissionContext {
  accountId: string;
  region: string;
}

/** Actions that change a deployment: `Resource: "*"` on these reaches every repository or service. */
export const WRITE_ACTIONS = [
  "ecr:PutImage",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:BatchDeleteImage",
  "ecs:UpdateService",
  "ecs:CreateService",
  "ecs:DeleteService",
  "ecs:UpdateServicePrimaryTaskSet",
  "ecs:RunTask",
  "iam:PassRole",
];

interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = (v: unknown): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");

function statementsOf(p: PermissionPolicy): Statement[] {
  try {
    const doc = JSON.parse(p.document) as { Statement?: unknown };
    const s = doc.Statement;
    return (Array.isArray(s) ? s : s ? [s] : []).filter((x): x is Statement => !!x && typeof x === "object");
  } catch {
    return [];
  }
}

/** Whether the role's policies allow any deploy-side write action (on any resource). */
export function writeActionsAllowed(role: RoleModel, ctx: PermissionContext): string[] {
  const principal = `arn:aws:sts::${ctx.accountId}:assumed-role/${role.name}/GitHubActions`;
  const found: string[] = [];
  for (const action of WRITE_ACTIONS) {
    for (const resource of probeResources(action, ctx)) {
      const r = evaluate(
        { principal, action, resource, context: probeContext(role, ctx, action) },
        { identity: role.policies.map((p) => ({ id: p.id, document: p.document })) },
        { requestResourceWildcard: true },
      );
      if (r.decision === "allowed") {
        found.push(action);
        break;
      }
    }
  }
  return found;
}

function probeResources(action: string, ctx: PermissionContext): string[] {
  const service = action.split(":")[0];
  if (service === "ecr") return [`arn:aws:ecr:${ctx.region}:${ctx.accountId}:repository/*`];
  if (service === "ecs") return [`arn:aws:ecs:${ctx.region}:${ctx.accountId}:*`];
  if (service === "iam") return [`arn:aws:iam::${ctx.accountId}:role/*`];
  return ["*"];
}

function probeContext(role: RoleModel, ctx: PermissionContext, action: string): Record<string, string> {
  const c: Record<string, string> = {
    "aws:PrincipalArn": role.arn,
    "aws:PrincipalAccount": ctx.accountId,
    "aws:PrincipalType": "AssumedRole",
    "aws:RequestedRegion": ctx.region,
  };
  if (action.toLowerCase() === "iam:passrole") c["iam:PassedToService"] = "ecs-tasks.amazonaws.com";
  return c;
}

export function permissionFindings(role: RoleModel, ctx: PermissionContext): Finding[] {
  const out: Finding[] = [];
  const principal = `arn:aws:sts::${ctx.accountId}:assumed-role/${role.name}/GitHubActions`;
  const probeRepo = `arn:aws:ecr:${ctx.region}:${ctx.accountId}:repository/keyship-probe-other-repository`;
  const probeService = `arn:aws:ecs:${ctx.region}:${ctx.accountId}:service/keyship-probe-cluster/keyship-probe-service`;
  const probeRole = `arn:aws:iam::${ctx.accountId}:role/keyship-probe-admin-role`;

  for (const policy of role.policies) {
    statementsOf(policy).forEach((st, index) => {
      if (st.Effect !== "Allow") return;
      const doc = { Version: "2012-10-17", Statement: [st] };
      const name = `${st.Sid ? `Sid ${st.Sid}` : `statement ${index + 1}`} of ${policy.name}`;
      const allows = (action: string, resource: string, extra: Record<string, string> = {}) => {
        const request: EvalRequest = {
          principal,
          action,
          resource,
          context: { ...probeContext(role, ctx, action), ...extra },
        };
        return evaluate(request, { identity: [{ id: policy.id, document: doc }] }).decision === "allowed";
      };
      const add = (severity: Severity, rule: string, message: string, evidence: string[], fix: unknown) =>
        out.push({
          role: role.name,
          severity,
          rule,
          message: `${name}: ${message}`,
          evidence: evidence.join("\n"),
          fix,
          ...(policy.location ? { location: policy.location } : {}),
        });

      // KS-PERM-001: administrator access.
      if (allows("iam:CreateUser", "*") && allows("s3:DeleteBucket", "arn:aws:s3:::any-bucket")) {
        add(
          "critical",
          "KS-PERM-001",
          "grants every action on every resource (administrator access) to a role GitHub workflows assume.",
          ["iam:CreateUser on * → allowed", "s3:DeleteBucket on arn:aws:s3:::any-bucket → allowed"],
          { ...st, Action: deployActions(), Resource: "<the repository, service and role ARNs>" },
        );
        return;
      }
      // KS-PERM-002: service-wide wildcards (ecr:*, ecs:*, iam:*).
      const wildcards = list(st.Action).filter((a) => /^[a-z0-9-]+:\*$/i.test(a));
      const sweeping: string[] = [];
      if (allows("ecr:DeleteRepository", probeRepo))
        sweeping.push(`ecr:DeleteRepository on ${probeRepo} → allowed`);
      if (allows("ecs:DeleteService", probeService))
        sweeping.push(`ecs:DeleteService on ${probeService} → allowed`);
      if (allows("iam:AttachRolePolicy", probeRole))
        sweeping.push(`iam:AttachRolePolicy on ${probeRole} → allowed`);
      if (sweeping.length > 0 && (wildcards.length > 0 || st.NotAction !== undefined)) {
        add(
          "high",
          "KS-PERM-002",
          `allows ${wildcards.length ? wildcards.join(", ") : "NotAction (everything else)"}: far more than a deploy needs (deleting repositories and services included).`,
          sweeping,
          {
            ...st,
            Action: deployActions().filter((a) => wildcards.some((w) => a.startsWith(w.slice(0, -1)))),
          },
        );
      }
      // KS-PERM-003: push/update actions on every resource.
      const everywhere: string[] = [];
      for (const action of ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:BatchDeleteImage"]) {
        if (allows(action, probeRepo)) everywhere.push(`${action} on ${probeRepo} → allowed`);
      }
      for (const action of ["ecs:UpdateService", "ecs:CreateService", "ecs:DeleteService"]) {
        if (
          allows(action, probeService, {
            "ecs:cluster": probeService.replace(/service\/([^/]+)\/.*/, "cluster/$1"),
          })
        ) {
          everywhere.push(`${action} on ${probeService} → allowed`);
        }
      }
      if (everywhere.length > 0 && list(st.Resource).includes("*")) {
        add(
          "high",
          "KS-PERM-003",
          `allows pushing or deploying with Resource "*": every repository and service in the account, not only the app's.`,
          everywhere,
          {
            ...st,
            Resource: list(st.Action).some((a) => a.toLowerCase().startsWith("ecs:"))
              ? `arn:aws:ecs:${ctx.region}:${ctx.accountId}:service/<cluster>/<service>`
              : `arn:aws:ecr:${ctx.region}:${ctx.accountId}:repository/<repository>`,
          },
        );
      }
      // KS-PERM-004 / 005: iam:PassRole on any role, or to any service.
      if (allows("iam:PassRole", probeRole, { "iam:PassedToService": "ecs-tasks.amazonaws.com" })) {
        add(
          "high",
          "KS-PERM-004",
          "allows iam:PassRole on every role: a workflow can hand any role (an administrator role included) to ECS tasks.",
          [`iam:PassRole on ${probeRole} (iam:PassedToService ecs-tasks.amazonaws.com) → allowed`],
          {
            ...st,
            Resource: `arn:aws:iam::${ctx.accountId}:role/<task or execution role>`,
            Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
          },
        );
      } else {
        for (const resource of list(st.Resource)) {
          if (resource === "*" || !/^arn:[^:]+:iam::/.test(resource)) continue;
          const concrete = resource.replace(/\*/g, "x").replace(/\?/g, "x");
          if (!allows("iam:PassRole", concrete, { "iam:PassedToService": "ecs-tasks.amazonaws.com" }))
            continue;
          const other = ["ec2.amazonaws.com", "lambda.amazonaws.com"].filter((svc) =>
            allows("iam:PassRole", concrete, { "iam:PassedToService": svc }),
          );
          if (other.length === 0) continue;
          add(
            "medium",
            "KS-PERM-005",
            `allows iam:PassRole on ${resource} without an iam:PassedToService condition: the role can be passed to any service, not only to ECS tasks.`,
            other.map((svc) => `iam:PassRole on ${concrete} (iam:PassedToService ${svc}) → allowed`),
            {
              ...st,
              Condition: {
                ...(st.Condition ?? {}),
                StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
              },
            },
          );
          break;
        }
      }
    });
  }
  return out;
}

/** What the official deploy chain calls (official-actions.md §2–§4, ecr-registry.md §8). */
export function deployActions(): string[] {
  return [
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecs:RegisterTaskDefinition",
    "ecs:DescribeServices",
    "ecs:UpdateService",
    "iam:PassRole",
  ];
}
