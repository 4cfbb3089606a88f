// The AWS calls each step will make, from the known actions' call sequences (official-actions.md
// §1–§4), the registry routes of a push (ecr-registry.md §8) and the task definition's roles.
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { WorkflowStep } from "./workflow.ts";

export interface PlannedCall {
  action: string;
  resource: string;
  context: Record<string, string>;
  /** why the step makes this call, e.g. "RegisterTaskDefinition passes taskRoleArn" */
  why: string;
}

export interface StepState {
  accountId: string;
  region: string;
  workspace: string;
  /** rendered task definitions by the output path the render step reports */
  rendered: Map<string, Record<string, unknown>>;
}

export interface StepPlan {
  calls: PlannedCall[];
  outputs: Record<string, string>;
  /** configure-aws-credentials: the role the rest of the job runs as */
  assume?: { roleArn: string; region: string; audience: string };
  problems: string[];
  /** the step talks to AWS (so it needs credentials) */
  aws: boolean;
}

const actionName = (uses: string) => uses.split("@")[0]!.toLowerCase();

const PUSH_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
];

/** `<acct>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]` → repository ARN. */
export function ecrRepositoryArn(image: string): string | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@\s]+)/.exec(
    image.replace(/^["']|["']$/g, ""),
  );
  if (!m) return undefined;
  return `arn:aws:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
}

function readTaskDefinition(path: string, state: StepState): Record<string, unknown> | string {
  const rendered = state.rendered.get(path);
  if (rendered) return rendered;
  const file = isAbsolute(path) ? path : join(state.workspace, path);
  try {
    const text = readFileSync(file, "utf8");
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    return `cannot read task definition ${path} (${file}): ${(err as Error).message}`;
  }
}

export function planStep(step: WorkflowStep, state: StepState): StepPlan {
  const plan: StepPlan = { calls: [], outputs: {}, problems: [], aws: false };
  const { accountId, region } = state;
  const w = step.with;
  if (step.uses) {
    const name = actionName(step.uses);
    if (name === "aws-actions/configure-aws-credentials") {
      const roleArn = w["role-to-assume"];
      plan.aws = true;
      if (!roleArn) {
        plan.problems.push("no role-to-assume: this step does not use OIDC");
        return plan;
      }
      const full = roleArn.startsWith("arn:") ? roleArn : `arn:aws:iam::${accountId}:role/${roleArn}`;
      plan.assume = {
        roleArn: full,
        region: w["aws-region"] ?? region,
        audience: w.audience ?? "sts.amazonaws.com",
      };
      plan.calls.push(
        {
          action: "sts:AssumeRoleWithWebIdentity",
          resource: full,
          context: {},
          why: "role-to-assume with the job's OIDC token",
        },
        {
          action: "sts:GetCallerIdentity",
          resource: "*",
          context: {},
          why: "the action checks the new credentials",
        },
      );
    } else if (name === "aws-actions/amazon-ecr-login") {
      plan.aws = true;
      plan.calls.push({
        action: "ecr:GetAuthorizationToken",
        resource: "*",
        context: {},
        why: "registry login token",
      });
      const registry = (w.registries ?? accountId).split(",")[0]!.trim();
      plan.outputs.registry = `${registry}.dkr.ecr.${region}.amazonaws.com`;
    } else if (name === "aws-actions/amazon-ecs-render-task-definition") {
      const out = `${state.workspace}/.keyship-rendered/${step.id ?? step.index}/task-definition.json`;
      plan.outputs["task-definition"] = out;
      if (w["task-definition"]) {
        const td = readTaskDefinition(w["task-definition"], state);
        if (typeof td === "string") plan.problems.push(td);
        else {
          const copy = structuredClone(td);
          const names = (w["container-name"] ?? "").split(",").map((s) => s.trim());
          for (const c of (copy.containerDefinitions as Record<string, unknown>[] | undefined) ?? []) {
            if (names.includes(String(c.name)) && w.image) c.image = w.image;
          }
          if (w["task-role-arn"]) copy.taskRoleArn = w["task-role-arn"];
          if (w["execution-role-arn"]) copy.executionRoleArn = w["execution-role-arn"];
          state.rendered.set(out, copy);
        }
      } else if (w["task-definition-arn"] || w["task-definition-family"]) {
        plan.aws = true;
        plan.calls.push({
          action: "ecs:DescribeTaskDefinition",
          resource: "*",
          context: {},
          why: "render from a registered task definition",
        });
      }
    } else if (name === "aws-actions/amazon-ecs-deploy-task-definition") {
      plan.aws = true;
      const path = w["task-definition"];
      const td = path ? readTaskDefinition(path, state) : "no task-definition input";
      plan.calls.push({
        action: "ecs:RegisterTaskDefinition",
        resource: "*",
        context: {},
        why: "registers a new revision",
      });
      if (typeof td === "string") plan.problems.push(td);
      else {
        for (const [key, label] of [
          ["taskRoleArn", "task role"],
          ["executionRoleArn", "execution role"],
        ] as const) {
          const arn = td[key];
          if (typeof arn !== "string" || !arn) continue;
          const resource = arn.startsWith("arn:") ? arn : `arn:aws:iam::${accountId}:role/${arn}`;
          plan.calls.push({
            action: "iam:PassRole",
            resource,
            context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
            why: `RegisterTaskDefinition passes the ${label} (${key} in ${path})`,
          });
        }
      }
      const cluster = w.cluster || "default";
      const clusterArn = `arn:aws:ecs:${region}:${accountId}:cluster/${cluster}`;
      if (w.service) {
        const serviceArn = `arn:aws:ecs:${region}:${accountId}:service/${cluster}/${w.service}`;
        const ctx = { "ecs:cluster": clusterArn };
        plan.calls.push(
          {
            action: "ecs:DescribeServices",
            resource: serviceArn,
            context: ctx,
            why: "reads the service before updating it",
          },
          {
            action: "ecs:UpdateService",
            resource: serviceArn,
            context: ctx,
            why: "points the service at the new revision",
          },
        );
      }
      if (w["run-task"] === "true" && typeof td !== "string") {
        plan.calls.push({
          action: "ecs:RunTask",
          resource: `arn:aws:ecs:${region}:${accountId}:task-definition/${String(td.family)}:1`,
          context: { "ecs:cluster": clusterArn },
          why: "run-task: true",
        });
      }
      if (w["codedeploy-appspec"] || w["codedeploy-application"]) {
        const app = w["codedeploy-application"] ?? `AppECS-${cluster}-${w.service}`;
        const group = w["codedeploy-deployment-group"] ?? `DgpECS-${cluster}-${w.service}`;
        const arn = `arn:aws:codedeploy:${region}:${accountId}:deploymentgroup:${app}/${group}`;
        plan.calls.push({
          action: "codedeploy:CreateDeployment",
          resource: arn,
          context: {},
          why: "CodeDeploy blue/green",
        });
      }
    }
    return plan;
  }
  if (step.run) planRun(step.run, state, plan);
  return plan;
}

/** Shell lines preflight understands: docker/podman push and pull, a few aws CLI calls. */
function planRun(script: string, state: StepState, plan: StepPlan): void {
  for (const raw of script.split("\n")) {
    const line = raw.trim();
    let m = /^(?:docker|podman|buildah)\s+(?:image\s+)?push\s+(?:--?[\w-]+(?:=\S+)?\s+)*(\S+)/.exec(line);
    const pushed: string[] = [];
    if (m) pushed.push(m[1]!);
    if (/^docker\s+buildx\s+build\b/.test(line) && /\s--push\b/.test(line)) {
      for (const t of line.matchAll(/\s(?:-t|--tag)[=\s]+(\S+)/g)) pushed.push(t[1]!);
    }
    for (const image of pushed) {
      const arn = ecrRepositoryArn(image);
      if (!arn) continue;
      plan.aws = true;
      for (const action of PUSH_ACTIONS)
        plan.calls.push({ action, resource: arn, context: {}, why: `push ${image.replace(/["']/g, "")}` });
    }
    m = /^(?:docker|podman)\s+(?:image\s+)?pull\s+(\S+)/.exec(line);
    if (m) {
      const arn = ecrRepositoryArn(m[1]!);
      if (arn) {
        plan.aws = true;
        for (const action of ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]) {
          plan.calls.push({ action, resource: arn, context: {}, why: `pull ${m[1]}` });
        }
      }
    }
    if (/^aws\s+ecr\s+get-login-password\b/.test(line)) {
      plan.aws = true;
      plan.calls.push({
        action: "ecr:GetAuthorizationToken",
        resource: "*",
        context: {},
        why: "aws ecr get-login-password",
      });
    }
    m = /^aws\s+ecs\s+update-service\b(.*)$/.exec(line);
    if (m) {
      const cluster = /--cluster[=\s]+(\S+)/.exec(m[1]!)?.[1] ?? "default";
      const service = /--service[=\s]+(\S+)/.exec(m[1]!)?.[1];
      if (service) {
        plan.aws = true;
        plan.calls.push({
          action: "ecs:UpdateService",
          resource: `arn:aws:ecs:${state.region}:${state.accountId}:service/${cluster}/${service}`,
          context: { "ecs:cluster": `arn:aws:ecs:${state.region}:${state.accountId}:cluster/${cluster}` },
          why: "aws ecs update-service",
        });
      }
    }
  }
}
