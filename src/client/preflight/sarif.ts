// `keyship preflight --format sarif`: the report as a SARIF 2.1.0 log for GitHub code scanning
// (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
// A pure function of the report the json format prints, plus what the JSON does not carry: step lines,
// the roles' source locations, and the findings made while loading the roles.
import { createHash } from "node:crypto";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Finding, RoleModel, Severity, SourceLocation } from "../audit/model.ts";
import { RULES as AUDIT_RULES, SARIF_LEVEL, sarifLog } from "../audit/report-format.ts";
import type { CallVerdict, JobReport, PreflightReport, StepReport } from "./preflight.ts";

export interface SarifContext {
  toolVersion: string;
  /** absolute repository root: code scanning resolves artifact URIs against the checkout */
  root: string;
  /** absolute directory the report's relative paths (workflow, Terraform locations) start from */
  cwd: string;
  /** job id → 1-based line of each step (workflow.ts stepLines) */
  stepLines: Map<string, number[]>;
  /** the roles preflight judged, for the Terraform/IAM line of a denied role */
  roles: RoleModel[];
  /** problems found while loading the roles, under keyship audit's rules */
  loadFindings: Finding[];
}

interface Rule {
  id: string;
  name: string;
  short: string;
  help: string;
  helpUri?: string;
  /** set for audit's rules; preflight's own are errors: each one fails the deploy */
  severity?: Severity;
}

/** Preflight's own rules: a denied call by the kind of fix it needs, and a step that cannot work. */
export const PREFLIGHT_RULES: Rule[] = [
  {
    id: "KS-PRE-001",
    name: "TrustPolicyRefusesJob",
    short: "The role's trust policy refuses this job's OIDC token",
    help: "configure-aws-credentials will fail with AccessDenied: the trust policy's conditions (sub, aud, provider) do not match the token GitHub mints for this job. Allow the job's sub (repository, branch or environment) in the role's trust policy, or run the job where the policy expects.",
    helpUri: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html",
  },
  {
    id: "KS-PRE-002",
    name: "EcrLoginDenied",
    short: "The role may not get an ECR login token",
    help: 'amazon-ecr-login and `aws ecr get-login-password` call ecr:GetAuthorizationToken, which only takes Resource "*". Allow it in a policy attached to the role the workflow assumes.',
    helpUri: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html",
  },
  {
    id: "KS-PRE-003",
    name: "EcrImageAccessDenied",
    short: "The role may not push or pull the image",
    help: "docker push needs ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload and ecr:PutImage on the repository; a pull needs ecr:BatchGetImage and ecr:GetDownloadUrlForLayer.",
    helpUri: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html",
  },
  {
    id: "KS-PRE-004",
    name: "PassRoleDenied",
    short: "The role may not pass the task definition's roles to ECS",
    help: "RegisterTaskDefinition passes the task role and the execution role: the deploying role needs iam:PassRole on each, with iam:PassedToService ecs-tasks.amazonaws.com.",
    helpUri: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
  },
  {
    id: "KS-PRE-005",
    name: "EcsDeployDenied",
    short: "The role may not register the task definition or update the service",
    help: "amazon-ecs-deploy-task-definition calls ecs:RegisterTaskDefinition, then ecs:DescribeServices and ecs:UpdateService on the service's long ARN (service/CLUSTER/SERVICE).",
    helpUri:
      "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html",
  },
  {
    id: "KS-PRE-006",
    name: "CallDenied",
    short: "The role may not make an AWS call this step makes",
    help: "No statement of the role's policies allows the call, or one denies it; the result's message gives the engine's explanation.",
    helpUri: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
  },
  {
    id: "KS-PRE-007",
    name: "StepCannotWork",
    short: "The step cannot work as written",
    help: "Preflight found a problem other than a denied call: no id-token: write permission, no role-to-assume, no credentials configured before an AWS call, or an unreadable task definition.",
  },
];

function ruleFor(action: string): string {
  const a = action.toLowerCase();
  if (a === "sts:assumerolewithwebidentity") return "KS-PRE-001";
  if (a === "ecr:getauthorizationtoken") return "KS-PRE-002";
  if (a.startsWith("ecr:")) return "KS-PRE-003";
  if (a === "iam:passrole") return "KS-PRE-004";
  if (a.startsWith("ecs:")) return "KS-PRE-005";
  return "KS-PRE-006";
}

function fingerprint(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 32);
}

export function preflightSarif(report: PreflightReport, ctx: SarifContext): object {
  /** A repository-relative URI, or undefined for a file outside the repository (code scanning cannot show it). */
  const uriOf = (file: string): string | undefined => {
    const rel = relative(ctx.root, resolve(ctx.cwd, file));
    if (!rel || rel.startsWith("..") || isAbsolute(rel)) return undefined;
    return encodeURI(rel.split(sep).join("/"));
  };
  const physical = (uri: string, line: number) => ({
    physicalLocation: { artifactLocation: { uri }, region: { startLine: line } },
  });
  // The CLI chooses the root above the workflow, so the workflow always has a URI; should it not,
  // the report's path is kept so the log stays valid.
  const workflowUri = uriOf(report.workflow) ?? report.workflow.replaceAll("\\", "/");
  // Paths inside texts (a task definition's absolute path) vary with the checkout's directory.
  const portable = (text: string) => text.replaceAll(ctx.root, ".");

  const rules: Rule[] = [...PREFLIGHT_RULES];
  const ruleIndex = (id: string): number => {
    let i = rules.findIndex((r) => r.id === id);
    if (i < 0) {
      const a = AUDIT_RULES[id];
      const severity = a?.severity ?? "medium";
      i = rules.push({ id, name: a?.name ?? id, short: a?.short ?? id, help: a?.short ?? id, severity }) - 1;
    }
    return i;
  };
  const results: object[] = [];

  const roleLocation = (arn: string | undefined): SourceLocation | undefined => {
    if (!arn) return undefined;
    const name = arn.slice(arn.lastIndexOf("/") + 1);
    return (ctx.roles.find((r) => r.arn === arn) ?? ctx.roles.find((r) => r.name === name))?.location;
  };
  const related = (where: SourceLocation | undefined, what: string) => {
    const uri = where && uriOf(where.file);
    return uri ? [{ id: 1, ...physical(uri, where.line ?? 1), message: { text: what } }] : [];
  };

  const stepResult = (job: JobReport, step: StepReport, ruleId: string, text: string, key: string) => {
    // Lines come from the YAML parser's node ranges; a step it did not see (none today) points at line 1.
    const line = ctx.stepLines.get(job.id)?.[step.index - 1] ?? 1;
    return {
      ruleId,
      ruleIndex: ruleIndex(ruleId),
      level: "error",
      message: { text },
      locations: [physical(workflowUri, line)],
      // Rule, file, job, step and what failed in it; no line, so moving a step keeps its alert.
      partialFingerprints: { "keyship/v1": fingerprint(ruleId, workflowUri, job.id, step.name, key) },
    };
  };

  for (const job of report.jobs) {
    for (const step of job.steps) {
      for (const problem of step.problems) {
        results.push(
          stepResult(job, step, "KS-PRE-007", `Step "${step.name}": ${problem}`, portable(problem)),
        );
      }
      for (const call of step.calls.filter((c: CallVerdict) => c.decision !== "allowed")) {
        const ruleId = ruleFor(call.action);
        const role = step.role?.replace(/^.*:role\//, "role/") ?? "the job";
        const text = [
          `Step "${step.name}": ${role} would be denied ${call.action} on ${call.resource} (${call.why}).`,
          ...(call.message ? [call.message] : []),
          ...call.diagnosis,
        ].join("\n");
        const result: Record<string, unknown> = stepResult(
          job,
          step,
          ruleId,
          text,
          `${call.action} ${call.resource}`,
        );
        const what = ruleId === "KS-PRE-001" ? "the role and its trust policy" : "the role";
        const rel = related(roleLocation(step.role), what);
        if (rel.length) result.relatedLocations = rel;
        result.properties = { decision: call.decision, action: call.action, resource: call.resource };
        results.push(result);
      }
    }
  }

  for (const f of ctx.loadFindings) {
    const uri = f.location && uriOf(f.location.file);
    results.push({
      ruleId: f.rule,
      ruleIndex: ruleIndex(f.rule),
      level: SARIF_LEVEL[f.severity],
      message: { text: `${f.role}: ${f.message}${f.evidence ? `\n${f.evidence}` : ""}` },
      // Code scanning shows a result at a file of the repository; Terraform outside it falls back to
      // the workflow's first line, and the message names the role.
      locations: [uri ? physical(uri, f.location?.line ?? 1) : physical(workflowUri, 1)],
      partialFingerprints: { "keyship/v1": fingerprint(f.rule, uri ?? workflowUri, f.role, f.message) },
    });
  }

  // a denied call or a broken step fails the deploy ("error"); audit's severities keep their meaning
  const driverRules = rules.map((r) => ({
    id: r.id,
    name: r.name,
    shortDescription: { text: r.short },
    fullDescription: { text: r.help },
    help: { text: r.helpUri ? `${r.help}\n${r.helpUri}` : r.help },
    ...(r.helpUri ? { helpUri: r.helpUri } : {}),
    defaultConfiguration: { level: r.severity ? SARIF_LEVEL[r.severity] : "error" },
    properties: {
      tags: r.severity
        ? ["security", "iam", "github-oidc"]
        : ["correctness", "iam", "github-actions", "preflight"],
    },
  }));
  return sarifLog("keyship preflight", ctx.toolVersion, driverRules, results);
}

export function formatPreflightSarif(report: PreflightReport, ctx: SarifContext): string {
  return `${JSON.stringify(preflightSarif(report, ctx), null, 2)}\n`;
}
