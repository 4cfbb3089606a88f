// A workflow file as keyship runs it: jobs, steps, env, permissions
// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax).
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";

export type Permission = "read" | "write" | "none";

export interface Step {
  /** index in the job, from 1 */
  index: number;
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with: Record<string, string>;
  env: Record<string, string>;
  if?: string | boolean;
  shell?: string;
  workingDirectory?: string;
  continueOnError: boolean | string;
}

export interface Job {
  id: string;
  name?: string;
  /** undefined: the job sets no permissions and inherits the workflow's */
  permissions?: Record<string, Permission>;
  env: Record<string, string>;
  environment?: string;
  if?: string | boolean;
  needs: string[];
  /** `outputs:` expressions, evaluated once the job has run */
  outputs: Record<string, string>;
  /** `runs-on:` as written (a list or map as JSON); keyship runs every job here, it only evaluates it */
  runsOn?: string;
  strategy?: Strategy;
  steps: Step[];
  defaults?: { shell?: string; workingDirectory?: string };
}

/** `strategy:` as written; the matrix may hold expressions (`${{ fromJSON(needs.x.outputs.m) }}`). */
export interface Strategy {
  matrix: unknown;
  failFast: boolean | string;
  maxParallel?: number | string;
}

export interface Workflow {
  path: string;
  name?: string;
  /** trigger names */
  on: string[];
  permissions?: Record<string, Permission>;
  env: Record<string, string>;
  jobs: Job[];
}

export class WorkflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkflowError";
  }
}

const scopes = [
  "actions",
  "attestations",
  "checks",
  "contents",
  "deployments",
  "discussions",
  "id-token",
  "issues",
  "models",
  "packages",
  "pages",
  "pull-requests",
  "repository-projects",
  "security-events",
  "statuses",
];

/**
 * `permissions:` as a map. `write-all`/`read-all` expand to every scope (id-token has no read level, so
 * read-all leaves it none); `{}` grants nothing
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#permissions).
 */
export function parsePermissions(raw: unknown, where: string): Record<string, Permission> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (raw === "write-all") return Object.fromEntries(scopes.map((s) => [s, "write" as Permission]));
  if (raw === "read-all")
    return Object.fromEntries(scopes.map((s) => [s, (s === "id-token" ? "none" : "read") as Permission]));
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new WorkflowError(`${where}: permissions must be read-all, write-all or a map`);
  const out: Record<string, Permission> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== "read" && v !== "write" && v !== "none")
      throw new WorkflowError(`${where}: permission ${k} must be read, write or none, got ${String(v)}`);
    out[k] = v;
  }
  return out;
}

/** The job's effective permissions: its own block replaces the workflow's entirely. */
export function effectivePermissions(wf: Workflow, job: Job): Record<string, Permission> | undefined {
  return job.permissions ?? wf.permissions;
}

/** Whether the job gets ACTIONS_ID_TOKEN_REQUEST_*: only with id-token: write. GitHub's default
 * GITHUB_TOKEN permissions (permissive or restricted) never include id-token. */
export function canRequestIdToken(wf: Workflow, job: Job): boolean {
  return effectivePermissions(wf, job)?.["id-token"] === "write";
}

function stringMap(raw: unknown, where: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new WorkflowError(`${where} must be a map`);
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [
      k,
      v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v),
    ]),
  );
}

function parseStrategy(raw: unknown, where: string): Strategy | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new WorkflowError(`${where}.strategy must be a map`);
  const s = raw as Record<string, unknown>;
  if (s.matrix === undefined) throw new WorkflowError(`${where}.strategy: a strategy needs a matrix`);
  const failFast = s["fail-fast"] ?? true;
  const maxParallel = s["max-parallel"];
  return {
    matrix: s.matrix,
    failFast: typeof failFast === "boolean" ? failFast : String(failFast),
    ...(maxParallel === undefined
      ? {}
      : { maxParallel: typeof maxParallel === "number" ? maxParallel : String(maxParallel) }),
  };
}

export function parseWorkflow(text: string, path: string): Workflow {
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(text) as Record<string, unknown>;
  } catch (err) {
    throw new WorkflowError(`${path}: invalid YAML: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== "object") throw new WorkflowError(`${path}: not a workflow`);
  const rawOn = doc.on ?? (doc as Record<string, unknown>).true; // YAML 1.1 reads a bare `on` as true
  const on =
    typeof rawOn === "string"
      ? [rawOn]
      : Array.isArray(rawOn)
        ? rawOn.map(String)
        : rawOn && typeof rawOn === "object"
          ? Object.keys(rawOn)
          : [];
  const jobsRaw = doc.jobs as Record<string, Record<string, unknown>> | undefined;
  if (!jobsRaw || typeof jobsRaw !== "object") throw new WorkflowError(`${path}: the workflow has no jobs`);
  const jobs: Job[] = Object.entries(jobsRaw).map(([id, j]) => {
    const where = `${path}: jobs.${id}`;
    if (j.uses)
      throw new WorkflowError(
        `${where}: reusable workflows (jobs.<id>.uses) are not supported by keyship run`,
      );
    const env = j.environment;
    const stepsRaw = (j.steps ?? []) as Record<string, unknown>[];
    if (!Array.isArray(stepsRaw)) throw new WorkflowError(`${where}.steps must be a list`);
    const defaultsRun = ((j.defaults as Record<string, unknown> | undefined)?.run ?? {}) as Record<
      string,
      string
    >;
    return {
      id,
      name: j.name === undefined ? undefined : String(j.name),
      permissions: parsePermissions(j.permissions, where),
      env: stringMap(j.env, `${where}.env`),
      environment:
        typeof env === "string"
          ? env
          : env && typeof env === "object"
            ? String((env as Record<string, unknown>).name)
            : undefined,
      if: j.if as string | boolean | undefined,
      needs: j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs.map(String) : [String(j.needs)],
      outputs: stringMap(j.outputs, `${where}.outputs`),
      runsOn:
        j["runs-on"] === undefined
          ? undefined
          : typeof j["runs-on"] === "object"
            ? JSON.stringify(j["runs-on"])
            : String(j["runs-on"]),
      strategy: parseStrategy(j.strategy, where),
      defaults: { shell: defaultsRun.shell, workingDirectory: defaultsRun["working-directory"] },
      steps: stepsRaw.map((s, i) => {
        if (!s.uses && s.run === undefined)
          throw new WorkflowError(`${where}.steps[${i}]: a step needs uses or run`);
        return {
          index: i + 1,
          id: s.id === undefined ? undefined : String(s.id),
          name: s.name === undefined ? undefined : String(s.name),
          uses: s.uses === undefined ? undefined : String(s.uses),
          run: s.run === undefined ? undefined : String(s.run),
          with: stringMap(s.with, `${where}.steps[${i}].with`),
          env: stringMap(s.env, `${where}.steps[${i}].env`),
          if: s.if as string | boolean | undefined,
          shell: s.shell === undefined ? undefined : String(s.shell),
          workingDirectory: s["working-directory"] === undefined ? undefined : String(s["working-directory"]),
          continueOnError: (s["continue-on-error"] as boolean | string | undefined) ?? false,
        };
      }),
    };
  });
  return {
    path,
    name: doc.name === undefined ? undefined : String(doc.name),
    on,
    permissions: parsePermissions(doc.permissions, path),
    env: stringMap(doc.env, `${path}: env`),
    jobs,
  };
}

export async function loadWorkflow(path: string): Promise<Workflow> {
  return parseWorkflow(await readFile(path, "utf8"), path);
}

/**
 * The AWS region the workflow's steps name literally: configure-aws-credentials' `aws-region`, keyship's
 * `region`, or AWS_REGION / AWS_DEFAULT_REGION in a workflow, job or step `env:`; undefined when none is
 * literal (an expression). `keyship run` starts its in-process twin there: the twin's registry on a bare
 * loopback host serves the twin's own region, and ECR tokens are bound to one region (registry_auth.md).
 */
export function workflowRegion(wf: Workflow): string | undefined {
  const literal = (v: string | undefined) => (v && !v.includes("${{") ? v.trim() : undefined);
  const ofEnv = (env: Record<string, string>) => literal(env.AWS_REGION) ?? literal(env.AWS_DEFAULT_REGION);
  for (const job of wf.jobs) {
    for (const step of job.steps) {
      const action = step.uses?.split("@")[0];
      const named =
        action === "aws-actions/configure-aws-credentials"
          ? literal(step.with["aws-region"])
          : action === "keyship/keyship" || action === "./"
            ? literal(step.with.region)
            : undefined;
      const region = named ?? ofEnv(step.env);
      if (region) return region;
    }
    const region = ofEnv(job.env);
    if (region) return region;
  }
  return ofEnv(wf.env);
}

/** A step's display name as the runner shows it. */
export function stepName(step: Step): string {
  if (step.name) return step.name;
  if (step.uses) return `Run ${step.uses}`;
  return `Run ${(step.run ?? "").split("\n")[0]}`;
}
