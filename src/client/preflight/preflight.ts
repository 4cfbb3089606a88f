// `keyship preflight` as a function: walks a workflow job step by step, lists the AWS calls each step
// will make, and asks the IAM engine whether the role the job assumes allows each one — the trust
// policy with the job's minted OIDC claims, then the role's permission policies — explaining every
// denial and pointing at the likely mistake (a policy on the wrong role, a short service ARN, a
// missing push action, a missing PassRole).
import { dirname, resolve } from "node:path";
import { accessDeniedMessage } from "../../iam/access-denied.ts";
import { type EvalRequest, type EvalResult, evaluate, type PolicySet } from "../../iam/evaluate.ts";
import { explainText } from "../../iam/explain.ts";
import { jobFor } from "../../oidc/claims.ts";
import type { PermissionPolicy, RoleInventory, RoleModel } from "../audit/model.ts";
import { evaluateTrust, mintClaims, type TrustTarget, whyDenied } from "../audit/trust-matrix.ts";
import { GITHUB_ISSUER_KEY } from "../audit/trust-policy.ts";
import { type PlannedCall, planStep, type StepState } from "./step-calls.ts";
import { expand, expandShell, parseWorkflow, type WorkflowJob, type WorkflowStep } from "./workflow.ts";

export interface PreflightOptions {
  workflowText: string;
  workflowPath: string;
  /** the repository checkout (default: the directory above .github/workflows) */
  workspace?: string;
  inventory: RoleInventory;
  /** OWNER/REPO the workflow runs in */
  repo: string;
  event?: string;
  ref?: string;
  /** only this job (default: every job) */
  job?: string;
}

export interface CallVerdict {
  action: string;
  resource: string;
  why: string;
  decision: "allowed" | "explicitDeny" | "implicitDeny";
  /** the error the client would receive */
  message?: string;
  /** the engine's explanation */
  explanation?: string;
  /** what keyship thinks is wrong, in plain words */
  diagnosis: string[];
}

export interface StepReport {
  index: number;
  name: string;
  uses?: string;
  role?: string;
  calls: CallVerdict[];
  problems: string[];
}

export interface JobReport {
  id: string;
  name: string;
  event: string;
  ref: string;
  environment?: string;
  sub?: string;
  steps: StepReport[];
}

export interface PreflightReport {
  workflow: string;
  repo: string;
  jobs: JobReport[];
  denied: number;
  problems: number;
}

const PUSH = [
  "ecr:batchchecklayeravailability",
  "ecr:initiatelayerupload",
  "ecr:uploadlayerpart",
  "ecr:completelayerupload",
  "ecr:putimage",
];

function defaultEvent(events: string[]): string {
  for (const e of ["push", "workflow_dispatch"]) if (events.includes(e)) return e;
  return events[0] ?? "push";
}

/** The repository checkout a workflow belongs to: the directory above .github/workflows. */
export function workspaceOf(workflowPath: string): string {
  const abs = resolve(workflowPath);
  const dir = dirname(abs);
  return /[\\/]\.github[\\/]workflows$/.test(dir) ? resolve(dir, "..", "..") : dir;
}

export function preflight(o: PreflightOptions): PreflightReport {
  const wf = parseWorkflow(o.workflowText, o.workflowPath);
  const event = o.event ?? defaultEvent(wf.events);
  const branch = wf.pushBranches.find((b) => !/[*?[]/.test(b)) ?? "main";
  const ref = o.ref ?? (event.startsWith("pull_request") ? "refs/pull/1/merge" : `refs/heads/${branch}`);
  const workspace = o.workspace ?? workspaceOf(o.workflowPath);
  const report: PreflightReport = {
    workflow: o.workflowPath,
    repo: o.repo,
    jobs: [],
    denied: 0,
    problems: 0,
  };
  for (const job of wf.jobs) {
    if (o.job && job.id !== o.job) continue;
    report.jobs.push(
      runJob(job, { ...o, event, ref, workspace, workflowName: wf.name, workflowEnv: wf.env }),
    );
  }
  for (const j of report.jobs) {
    for (const s of j.steps) {
      report.denied += s.calls.filter((c) => c.decision !== "allowed").length;
      report.problems += s.problems.length;
    }
  }
  return report;
}

interface JobOptions extends PreflightOptions {
  event: string;
  ref: string;
  workspace: string;
  workflowName: string;
  workflowEnv: Record<string, string>;
}

function runJob(job: WorkflowJob, o: JobOptions): JobReport {
  const inv = o.inventory;
  const report: JobReport = { id: job.id, name: job.name, event: o.event, ref: o.ref, steps: [] };
  if (job.environment) report.environment = job.environment;
  const gh: Record<string, string> = {
    repository: o.repo,
    repository_owner: o.repo.split("/")[0]!,
    event_name: o.event,
    ref: o.ref,
    ref_name: o.ref.replace(/^refs\/(heads|tags)\//, ""),
    sha: "0123456789abcdef0123456789abcdef01234567",
    workspace: o.workspace,
    run_id: "9000000001",
    job: job.id,
  };
  const steps: Record<string, Record<string, string>> = {};
  let role: RoleModel | undefined;
  let roleArn: string | undefined;
  let region = "us-east-1";
  const state: StepState = { accountId: inv.accountId, region, workspace: o.workspace, rendered: new Map() };
  const workflowPath = o.workflowPath.replace(/^.*?(\.github\/workflows\/)/, "$1");
  for (const step of job.steps) {
    const env = { ...o.workflowEnv, ...job.env };
    const scope = { env, github: gh, steps };
    const stepEnv: Record<string, string> = { ...env };
    for (const [k, v] of Object.entries(step.env)) stepEnv[k] = expand(v, { ...scope, env: stepEnv });
    const expanded: WorkflowStep = {
      ...step,
      with: Object.fromEntries(
        Object.entries(step.with).map(([k, v]) => [k, expand(v, { ...scope, env: stepEnv })]),
      ),
      env: stepEnv,
    };
    if (step.run) expanded.run = expandShell(expand(step.run, { ...scope, env: stepEnv }), stepEnv);
    state.region = region;
    const plan = planStep(expanded, state);
    if (step.id) steps[step.id] = plan.outputs;
    const sr: StepReport = {
      index: step.index + 1,
      name: step.name,
      calls: [],
      problems: [...plan.problems],
    };
    if (step.uses) sr.uses = step.uses;
    if (plan.assume) {
      roleArn = plan.assume.roleArn;
      region = plan.assume.region;
      state.region = region;
      state.accountId = /:iam::(\d{12}):/.exec(roleArn)?.[1] ?? inv.accountId;
      role = findRole(inv, roleArn);
      if (!job.idTokenWrite) {
        sr.problems.push(
          'the job has no `permissions: id-token: write`: GitHub gives it no OIDC token, so configure-aws-credentials falls back to other credentials and fails ("Could not load credentials from any providers")',
        );
      }
    }
    if (roleArn) sr.role = roleArn;
    if (plan.aws && !roleArn && plan.calls.length) {
      sr.problems.push(
        "this step calls AWS, but no earlier step configured credentials (aws-actions/configure-aws-credentials)",
      );
    }
    for (const call of plan.calls) {
      if (!roleArn) continue;
      if (call.action === "sts:AssumeRoleWithWebIdentity") {
        const v = assumeVerdict(call, roleArn, role, inv, {
          repo: o.repo,
          event: o.event,
          ref: o.ref,
          ...(job.environment ? { environment: job.environment } : {}),
          workflowPath,
          workflowName: o.workflowName,
          audience: plan.assume?.audience ?? "sts.amazonaws.com",
        });
        report.sub = v.sub;
        sr.calls.push(v.verdict);
        continue;
      }
      sr.calls.push(callVerdict(call, roleArn, role, inv, region));
    }
    report.steps.push(sr);
  }
  return report;
}

function findRole(inv: RoleInventory, arn: string): RoleModel | undefined {
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  return inv.roles.find((r) => r.arn === arn) ?? inv.roles.find((r) => r.name === name);
}

interface JobIdentity {
  repo: string;
  event: string;
  ref: string;
  environment?: string;
  workflowPath: string;
  workflowName: string;
  audience: string;
}

function assumeVerdict(
  call: PlannedCall,
  roleArn: string,
  role: RoleModel | undefined,
  inv: RoleInventory,
  id: JobIdentity,
): { verdict: CallVerdict; sub: string } {
  const job = jobFor({
    repository: id.repo,
    event: id.event,
    ref: id.ref,
    workflowPath: id.workflowPath,
    workflowName: id.workflowName,
    ...(id.environment ? { environment: id.environment } : {}),
  });
  const claims = mintClaims(job, id.audience);
  const sub = String(claims.sub);
  const base = {
    action: call.action,
    resource: call.resource,
    why: `${call.why} (sub '${sub}', aud '${id.audience}')`,
  };
  if (!role?.trustPolicy) {
    return {
      sub,
      verdict: {
        ...base,
        decision: "implicitDeny",
        message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        diagnosis: [
          role
            ? `role ${role.name} is referenced but its trust policy is not in the target`
            : `role ${roleArn} is not defined in the target (STS refuses a role that does not exist, with the same AccessDenied)`,
        ],
      },
    };
  }
  const account = /:iam::(\d{12}):/.exec(roleArn)?.[1] ?? inv.accountId;
  const target: TrustTarget = {
    roleName: role.name,
    roleArn,
    accountId: account,
    trustPolicy: role.trustPolicy,
    providerArn: `arn:aws:iam::${account}:oidc-provider/${GITHUB_ISSUER_KEY}`,
  };
  const { request, result } = evaluateTrust(target, claims);
  const verdict: CallVerdict = { ...base, decision: result.decision, diagnosis: [] };
  if (result.decision !== "allowed") {
    verdict.message = accessDeniedMessage(request, result);
    verdict.explanation = explainText(request, result);
    const why = whyDenied(result);
    if (why) verdict.diagnosis.push(`the trust policy of ${role.name} refuses this job's token: ${why}`);
  }
  return { sub, verdict };
}

function sessionRequest(call: PlannedCall, roleArn: string, accountId: string, region: string): EvalRequest {
  const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
  return {
    principal: `arn:aws:sts::${accountId}:assumed-role/${roleName}/GitHubActions`,
    action: call.action,
    resource: call.resource,
    resourceAccount: accountId,
    context: {
      "aws:PrincipalArn": roleArn,
      "aws:PrincipalAccount": accountId,
      "aws:PrincipalType": "AssumedRole",
      "aws:RequestedRegion": region,
      "aws:SecureTransport": "true",
      "aws:ViaAWSService": "false",
      ...call.context,
    },
  };
}

function policySet(policies: PermissionPolicy[], boundary?: PermissionPolicy): PolicySet {
  const set: PolicySet = { identity: policies.map((p) => ({ id: p.id, document: p.document })) };
  if (boundary) set.permissionsBoundary = [{ id: boundary.id, document: boundary.document }];
  return set;
}

function callVerdict(
  call: PlannedCall,
  roleArn: string,
  role: RoleModel | undefined,
  inv: RoleInventory,
  region: string,
): CallVerdict {
  const accountId = /:iam::(\d{12}):/.exec(roleArn)?.[1] ?? inv.accountId;
  const request = sessionRequest(call, roleArn, accountId, region);
  const result: EvalResult = evaluate(request, policySet(role?.policies ?? [], role?.permissionsBoundary), {
    explain: true,
  });
  const verdict: CallVerdict = {
    action: call.action,
    resource: call.resource,
    why: call.why,
    decision: result.decision,
    diagnosis: [],
  };
  if (result.decision === "allowed") return verdict;
  verdict.message = accessDeniedMessage(request, result);
  verdict.explanation = explainText(request, result);
  verdict.diagnosis = diagnose(call, request, role, roleArn, inv);
  return verdict;
}

function allowedBy(request: EvalRequest, policy: PermissionPolicy): boolean {
  return (
    evaluate(request, { identity: [{ id: policy.id, document: policy.document }] }).decision === "allowed"
  );
}

function where(p: PermissionPolicy): string {
  return p.location ? ` (${p.location.file}${p.location.line ? `:${p.location.line}` : ""})` : "";
}

/** The likely mistake behind a denial, each sentence backed by an engine decision on a variant. */
export function diagnose(
  call: PlannedCall,
  request: EvalRequest,
  role: RoleModel | undefined,
  roleArn: string,
  inv: RoleInventory,
): string[] {
  const out: string[] = [];
  const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
  if (!role) out.push(`role ${roleName} is not defined in the target, so it has no permissions here`);
  const own = new Set(role?.policies.map((p) => p.id) ?? []);
  const others: PermissionPolicy[] = [...inv.policies.values()];
  for (const r of inv.roles) for (const p of r.policies) if (!others.includes(p)) others.push(p);

  // 1. A policy that would allow it exists, but is attached elsewhere (or nowhere).
  for (const p of others) {
    if (own.has(p.id) || !allowedBy(request, p)) continue;
    const holders =
      inv.attachments.get(p.id) ?? inv.roles.filter((r) => r.policies.includes(p)).map((r) => r.name);
    out.push(
      holders.length
        ? `policy ${p.name}${where(p)} allows this, but it is attached to ${holders.map((h) => `role ${h}`).join(", ")}, not to ${roleName}, the role this workflow assumes`
        : `policy ${p.name}${where(p)} allows this, but it is not attached to any role; attach it to ${roleName}`,
    );
  }

  // 2. The policy names the ECS service in the old short ARN format.
  const long = /^arn:([^:]+):ecs:([^:]+):(\d{12}):service\/([^/]+)\/([^/]+)$/.exec(call.resource);
  if (long) {
    const short = `arn:${long[1]}:ecs:${long[2]}:${long[3]}:service/${long[5]}`;
    for (const p of [...(role?.policies ?? []), ...others.filter((x) => !own.has(x.id))]) {
      if (!p.document.includes(`"${short}"`)) continue;
      const fixedDoc = p.document.split(`"${short}"`).join(`"${call.resource}"`);
      const fixes = allowedBy(request, { ...p, document: fixedDoc });
      const holders = inv.attachments.get(p.id) ?? [];
      const elsewhere =
        own.has(p.id) || holders.includes(roleName)
          ? ""
          : holders.length
            ? ` (and it is attached to ${holders.map((h) => `role ${h}`).join(", ")}, not to ${roleName})`
            : " (and it is attached to no role)";
      out.push(
        `policy ${p.name}${where(p)} names the service in the old short ARN format ${short}; ECS authorizes ${call.action} on the long format ${call.resource} (service/CLUSTER/SERVICE)${fixes ? ", and with that ARN the policy would allow this call" : ""}${elsewhere}`,
      );
    }
  }

  // 3. Some ECR push actions allowed on the repository, this one missing.
  const a = call.action.toLowerCase();
  if (PUSH.includes(a) && role) {
    const granted = PUSH.filter((x) => x !== a).filter(
      (x) =>
        evaluate({ ...request, action: x }, policySet(role.policies, role.permissionsBoundary)).decision ===
        "allowed",
    );
    if (granted.length > 0) {
      out.push(
        `${roleName} may call ${granted.length} of the 5 push actions on ${call.resource} but not ${call.action}: docker push needs ecr:BatchCheckLayerAvailability, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload and ecr:PutImage`,
      );
    }
  }

  // 4. PassRole for a task or execution role.
  if (a === "iam:passrole") {
    const passedTo = call.context["iam:PassedToService"] ?? "";
    const anyService = role
      ? evaluate(
          { ...request, context: { ...request.context, "iam:PassedToService": "ec2.amazonaws.com" } },
          policySet(role.policies),
        ).decision === "allowed"
      : false;
    out.push(
      `${call.why}: ${roleName} needs iam:PassRole on ${call.resource}${passedTo ? ` with iam:PassedToService ${passedTo}` : ""}${anyService ? " (a statement allows it for another service only)" : ""}; add {"Effect":"Allow","Action":"iam:PassRole","Resource":"${call.resource}","Condition":{"StringEquals":{"iam:PassedToService":"${passedTo || "ecs-tasks.amazonaws.com"}"}}}`,
    );
  }
  return out;
}
