// `keyship run`'s engine: runs a workflow's job locally, step by step, the way a GitHub-hosted runner
// does (contexts, env layering, permissions → OIDC request token, command files, masks), with built-in
// implementations of the deploy actions. Runner behaviour follows
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax and official-actions.md §7.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import type { JobInput } from "../../oidc/claims.ts";
import { jobEnv } from "../../oidc/job-env.ts";
import {
  type ActionMetadata,
  inputDefaults,
  readActionMetadata,
  unexpectedInputsWarning,
} from "./action-metadata.ts";
import {
  type ActionContext,
  ActionFailure,
  type BuiltinAction,
  type TimelineEvent,
} from "./actions/action-context.ts";
import { amazonEcrLogin } from "./actions/amazon-ecr-login.ts";
import { amazonEcsDeployTaskDefinition } from "./actions/amazon-ecs-deploy-task-definition.ts";
import { amazonEcsRenderTaskDefinition } from "./actions/amazon-ecs-render-task-definition.ts";
import { checkout } from "./actions/checkout.ts";
import { configureAwsCredentials } from "./actions/configure-aws-credentials.ts";
import { keyshipActionMetadata, keyshipDeploy } from "./actions/keyship-deploy.ts";
import { parseCommandFile, parsePathFile } from "./command-files.ts";
import { type ContainerCli, detectContainerCli } from "./container-cli.ts";
import {
  type EvalEnv,
  type ExprValue,
  evaluateCondition,
  interpolate,
  interpolateText,
  parseExpression,
  usesStatusFunction,
} from "./expression.ts";
import { ancestors, jobOrder, withNeeds } from "./job-graph.ts";
import { expandMatrix, legSuffix } from "./matrix.ts";
import {
  canRequestIdToken,
  type Job,
  loadWorkflow,
  stepName,
  type Workflow,
  WorkflowError,
} from "./model.ts";

export const builtinActions: BuiltinAction[] = [
  checkout,
  configureAwsCredentials,
  amazonEcrLogin,
  amazonEcsRenderTaskDefinition,
  amazonEcsDeployTaskDefinition,
  keyshipDeploy,
];

export interface RunOptions {
  workflowPath: string;
  /** the repository's directory (what checkout copies); default: the directory holding .github */
  repoDir?: string;
  /** ORG/REPO the job runs for (the token's `repository`, and `sub`) */
  repository: string;
  event?: string;
  ref?: string;
  job?: string;
  secrets?: Record<string, string>;
  /** AWS_ENDPOINT_URL given to the job (the twin), undefined for real AWS */
  endpoint?: string;
  /** the twin's state dir: binds the job's OIDC request token (needed for `id-token: write` jobs) */
  stateDir?: string;
  /** the twin's base URL serving the token request endpoint (default: endpoint) */
  issuerUrl?: string;
  /** the repository's subject format or creation/transfer date (github-oidc.md §6.2); default legacy */
  subject?: Pick<JobInput, "subjectFormat" | "repositoryCreatedAt">;
  /** the host environment the job inherits (PATH, HOME, …); AWS credentials in it are not passed on */
  hostEnv?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  onEvent?: (event: RunEvent) => void;
  /** the docker-compatible CLI; undefined → detect; null → none */
  containerCli?: ContainerCli | null;
  /** called with the workspace after checkout-independent setup, before the first step */
  prepareWorkspace?: (workspace: string) => Promise<void>;
  /** keep the runner's temp dir (for inspection) */
  keepTemp?: boolean;
}

export interface RunEvent {
  name: TimelineEvent | "step-start" | "step-end";
  detail: string;
  at: Date;
}

export interface StepResult {
  index: number;
  name: string;
  id?: string;
  outcome: "success" | "failure" | "skipped";
  outputs: Record<string, string>;
  error?: string;
  durationMs: number;
}

export interface JobResult {
  /** the job's name as GitHub shows it: its id, or `build (1, a)` for a leg of its matrix */
  job: string;
  id: string;
  /** skipped: by its if: or a needed job; cancelled: a matrix leg after another failed (fail-fast) */
  status: "success" | "failure" | "skipped" | "cancelled";
  steps: StepResult[];
  summary: string;
  /** `outputs:` as evaluated after the job, offered to dependents as needs.<id>.outputs */
  outputs: Record<string, string>;
  /** `runs-on:` evaluated (matrix values included) */
  runsOn?: string;
  /** a matrix leg's values */
  matrix?: Record<string, ExprValue>;
}

export interface RunResult {
  status: "success" | "failure";
  jobs: JobResult[];
  /** the first failed step's error, for reports */
  failure?: { job: string; step: string; error: string };
}

const supportedEvents = ["push", "workflow_dispatch", "pull_request"];

/** Strips `@ref` and lower-cases an action reference; local paths stay as written. */
function actionName(uses: string): string {
  if (uses.startsWith("./") || uses.startsWith("/")) return uses;
  return (uses.split("@")[0] ?? uses).toLowerCase();
}

/** A built-in action and the metadata its inputs are read by (a local action's own action.yml). */
interface ResolvedAction {
  action: BuiltinAction;
  metadata?: ActionMetadata;
}

function resolveAction(uses: string, workspace: string): ResolvedAction {
  if (uses.startsWith("docker://"))
    throw new ActionFailure(`Unsupported action '${uses}': keyship run does not run container actions`);
  const name = actionName(uses);
  const builtin = builtinActions.find((a) => a.name === name);
  if (builtin) return { action: builtin, ...(builtin.metadata && { metadata: builtin.metadata }) };
  if (name.startsWith("./") || name.startsWith("/")) {
    // A local action (a path in the workspace, usually checked out first): keyship's own when its action.yml
    // is keyship's (same name); its declared inputs and defaults are read from that file.
    const dir = resolve(workspace, name);
    const file = ["action.yml", "action.yaml"].map((f) => join(dir, f)).find((f) => existsSync(f));
    if (!file)
      throw new ActionFailure(
        `Can't find 'action.yml' or 'action.yaml' under '${dir}'. Did you forget to run actions/checkout before running your local action?`,
      );
    const metadata = readActionMetadata(file);
    if (metadata.name === keyshipActionMetadata.name) return { action: keyshipDeploy, metadata };
    throw new ActionFailure(
      `Unknown local action '${uses}' ("${metadata.name}"): keyship run has built-in implementations of ${builtinActions.map((a) => a.name).join(", ")} and keyship's own action; it does not run other actions' code.`,
    );
  }
  if (/^[^/]+\/keyship(\/|$)/.test(name)) return { action: keyshipDeploy, metadata: keyshipActionMetadata };
  throw new ActionFailure(
    `Unknown action '${uses}': keyship run has built-in implementations of ${builtinActions.map((a) => a.name).join(", ")} and keyship's own action; it does not download actions.`,
  );
}

function eventPayload(
  event: string,
  repository: string,
  ref: string,
  sha: string,
): Record<string, ExprValue> {
  const [owner, name] = repository.split("/");
  const repo = { full_name: repository, name: name ?? "", owner: { login: owner ?? "" }, fork: false };
  if (event === "push") return { ref, after: sha, head_commit: { id: sha }, repository: repo };
  if (event === "pull_request") {
    const number = Number(/refs\/pull\/(\d+)\//.exec(ref)?.[1] ?? 1);
    return {
      number,
      action: "opened",
      pull_request: { number, head: { ref: "feature", sha, repo }, base: { ref: "main", repo } },
      repository: repo,
    };
  }
  return { ref, inputs: {}, repository: repo };
}

export async function runWorkflow(opts: RunOptions): Promise<RunResult> {
  const wf = await loadWorkflow(opts.workflowPath);
  const workflowFile = resolve(opts.workflowPath);
  const repoDir = resolve(opts.repoDir ?? inferRepoDir(workflowFile));
  const event = opts.event ?? (wf.on.find((e) => supportedEvents.includes(e)) || "workflow_dispatch");
  if (wf.on.length && !wf.on.includes(event)) {
    throw new WorkflowError(
      `${opts.workflowPath} is not triggered by ${event} (on: ${wf.on.join(", ")}); pass --event with one of those`,
    );
  }
  const ref = opts.ref ?? (event === "pull_request" ? "refs/pull/1/merge" : "refs/heads/main");
  const order = jobOrder(wf);
  let jobs = order;
  if (opts.job) {
    const target = wf.jobs.find((j) => j.id === opts.job || j.name === opts.job);
    if (!target)
      throw new WorkflowError(
        `No job named ${opts.job} in ${opts.workflowPath} (jobs: ${wf.jobs.map((j) => j.id).join(", ")})`,
      );
    jobs = withNeeds(order, target);
  }
  const o = { ...opts, event, ref, repoDir, workflowPath: relative(repoDir, workflowFile) };
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const results: JobResult[] = [];
  const finished = new Map<string, { result: JobConclusion; outputs: Record<string, string> }>();
  for (const job of jobs) {
    const needs: Record<string, ExprValue> = Object.fromEntries(
      job.needs.map((n) => [n, { result: finished.get(n)!.result, outputs: finished.get(n)!.outputs }]),
    );
    const status = needsStatus(job, ancestors(order, job), finished);
    const label = job.id;
    if (status !== "success" && !mayRunAfter(job.if)) {
      const why = job.needs.filter((n) => finished.get(n)!.result !== "success");
      log(`Job ${label} skipped (needs: ${why.map((n) => `${n} ${finished.get(n)!.result}`).join(", ")})`);
      results.push({ job: label, id: job.id, status: "skipped", steps: [], summary: "", outputs: {} });
      finished.set(job.id, { result: "skipped", outputs: {} });
      continue;
    }
    const legs = job.strategy ? planLegs(job, o, needs) : [{ label, matrix: {}, strategy: singleStrategy }];
    const legResults: JobResult[] = [];
    let failedLeg: string | undefined;
    for (const leg of legs) {
      if (failedLeg) {
        log(`Job ${leg.label} cancelled (fail-fast: ${failedLeg} failed)`);
        legResults.push({
          job: leg.label,
          id: job.id,
          status: "cancelled",
          steps: [],
          summary: "",
          outputs: {},
        });
        continue;
      }
      const r = await runJob(wf, job, o, { ...leg, needs, needsStatus: status });
      legResults.push(r);
      // The job-level if reads no matrix values, so one skipped leg means a skipped job.
      if (r.status === "skipped") break;
      if (r.status === "failure" && leg.strategy["fail-fast"] === true) failedLeg = leg.label;
    }
    results.push(...legResults);
    finished.set(job.id, {
      result: legResults.some((r) => r.status === "failure")
        ? "failure"
        : legResults.every((r) => r.status === "skipped")
          ? "skipped"
          : "success",
      // A matrix job's outputs are those of its legs, the last leg to set one winning.
      outputs: Object.assign({}, ...legResults.map((r) => r.outputs)),
    });
  }
  const failed = results.find((r) => r.status === "failure");
  if (!failed) return { status: "success", jobs: results };
  const step = failed.steps.find((s) => s.outcome === "failure");
  return {
    status: "failure",
    jobs: results,
    failure: { job: failed.job, step: step?.name ?? "", error: step?.error ?? "" },
  };
}

type JobConclusion = "success" | "failure" | "skipped";

/**
 * The status the job's `if:` status functions see: failure() when any job it needs, directly or not, failed
 * (as GitHub documents for chains of jobs); success() only when every job it needs directly succeeded.
 */
function needsStatus(
  job: Job,
  before: Set<string>,
  finished: Map<string, { result: JobConclusion }>,
): "success" | "failure" | "skipped" {
  if ([...before].some((id) => finished.get(id)?.result === "failure")) return "failure";
  return job.needs.every((n) => finished.get(n)?.result === "success") ? "success" : "skipped";
}

/** Whether a job `if:` can hold after a needed job failed or was skipped: only with a status function. */
function mayRunAfter(condition: string | boolean | undefined): boolean {
  if (typeof condition !== "string") return false;
  const text = condition.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
  try {
    return usesStatusFunction(parseExpression(text));
  } catch {
    return true; // runJob reports the broken condition
  }
}

/** One run of a job: the whole job, or one leg of its matrix. */
interface Leg {
  /** the name GitHub shows: the job's id, or `build (1, a)` for a matrix leg */
  label: string;
  matrix: Record<string, ExprValue>;
  strategy: Record<string, ExprValue>;
}

const singleStrategy = { "fail-fast": true, "job-index": 0, "job-total": 1, "max-parallel": 1 };

/**
 * The legs of a matrix job. keyship runs legs one after another whatever max-parallel says (the strategy
 * context still reports it); with fail-fast a failed leg cancels the legs not yet run.
 */
function planLegs(
  job: Job,
  o: RunOptions & { event: string; ref: string; workflowPath: string },
  needs: Record<string, ExprValue>,
): Leg[] {
  const strategy = job.strategy!;
  // What jobs.<id>.strategy and jobs.<id>.name may read (https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#context-availability).
  const contexts: Record<string, ExprValue> = {
    github: {
      event_name: o.event,
      ref: o.ref,
      repository: o.repository,
      repository_owner: o.repository.split("/")[0] ?? "",
      job: job.id,
    },
    needs,
    vars: {},
    inputs: {},
  };
  const where = `${o.workflowPath}: jobs.${job.id}`;
  const combos = expandMatrix(strategy.matrix, (t) => interpolate(t, { contexts }), where);
  const failFast =
    typeof strategy.failFast === "boolean"
      ? strategy.failFast
      : interpolateText(strategy.failFast, { contexts }) === "true";
  const maxParallel =
    strategy.maxParallel === undefined
      ? combos.length
      : Number(
          typeof strategy.maxParallel === "number"
            ? strategy.maxParallel
            : interpolateText(strategy.maxParallel, { contexts }),
        );
  return combos.map((matrix, i) => {
    const legStrategy = {
      "fail-fast": failFast,
      "job-index": i,
      "job-total": combos.length,
      "max-parallel": maxParallel,
    };
    const name = job.name ?? job.id;
    // A name that reads the matrix is the leg's whole name; any other gets the leg's values appended.
    const label = /\$\{\{[^}]*\bmatrix\b/.test(name)
      ? interpolateText(name, { contexts: { ...contexts, matrix, strategy: legStrategy } })
      : `${interpolateText(name, { contexts: { ...contexts, matrix, strategy: legStrategy } })} ${legSuffix(matrix)}`;
    return { label, matrix, strategy: legStrategy };
  });
}

function inferRepoDir(workflowFile: string): string {
  const i = workflowFile.lastIndexOf(`${"/"}.github${"/"}`);
  return i >= 0 ? workflowFile.slice(0, i) : dirname(workflowFile);
}

async function runJob(
  wf: Workflow,
  job: Job,
  o: RunOptions & { event: string; ref: string; repoDir: string },
  leg: Leg & { needs: Record<string, ExprValue>; needsStatus: string },
): Promise<JobResult> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const masks: string[] = [];
  const masked = (text: string) => masks.reduce((t, m) => (m ? t.split(m).join("***") : t), text);
  const say = (line: string) => log(masked(line));
  const emit = (name: RunEvent["name"], detail = "") => o.onEvent?.({ name, detail, at: new Date() });

  const root = await mkdtemp(join(tmpdir(), "keyship-run-"));
  const workspace = join(root, "workspace");
  const runnerTemp = join(root, "temp");
  await mkdir(workspace, { recursive: true });
  await mkdir(runnerTemp, { recursive: true });
  try {
    // the job's GITHUB_* variables and, with id-token: write, its OIDC request token
    const wantsToken = canRequestIdToken(wf, job);
    if (wantsToken && !o.stateDir) {
      throw new WorkflowError(
        `job ${job.id} has id-token: write: keyship run needs the twin's --state DIR to issue its OIDC request token`,
      );
    }
    const jobInput = {
      repository: o.repository,
      ref: o.ref,
      event: o.event,
      ...(job.environment ? { environment: job.environment } : {}),
      workflowPath: o.workflowPath,
      workflowName: wf.name ?? o.workflowPath,
      ...o.subject,
      ...(o.event === "pull_request"
        ? { pullRequestNumber: Number(/refs\/pull\/(\d+)\//.exec(o.ref)?.[1] ?? 1) }
        : {}),
    };
    const ghEnv = await jobEnv({
      stateDir: o.stateDir ?? root,
      job: jobInput,
      idToken: wantsToken,
      ...((o.issuerUrl ?? o.endpoint) ? { url: o.issuerUrl ?? o.endpoint } : {}),
    });
    if (ghEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN) masks.push(ghEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
    ghEnv.GITHUB_JOB = job.id;
    const sha = ghEnv.GITHUB_SHA ?? "0".repeat(40);
    const eventPath = join(runnerTemp, "event.json");
    const payload = eventPayload(o.event, o.repository, o.ref, sha);
    await writeFile(eventPath, JSON.stringify(payload, null, 2));
    const githubToken = `ghs_${randomUUID().replaceAll("-", "")}`;
    masks.push(githubToken);
    const secrets: Record<string, ExprValue> = { GITHUB_TOKEN: githubToken, ...(o.secrets ?? {}) };
    for (const v of Object.values(o.secrets ?? {})) masks.push(v);

    const baseEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.hostEnv ?? process.env)) {
      // A hosted runner starts without AWS credentials; the job gets them from configure-aws-credentials.
      if (v === undefined || /^AWS_/.test(k) || /^ACTIONS_/.test(k) || /^GITHUB_/.test(k)) continue;
      baseEnv[k] = v;
    }
    Object.assign(baseEnv, ghEnv, {
      GITHUB_WORKSPACE: workspace,
      GITHUB_EVENT_PATH: eventPath,
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: "Linux",
      RUNNER_ARCH: "X64",
      RUNNER_NAME: "keyship",
      AWS_EC2_METADATA_DISABLED: "true",
    });
    if (o.endpoint) baseEnv.AWS_ENDPOINT_URL = o.endpoint;

    const github: Record<string, ExprValue> = {
      action: "",
      actor: ghEnv.GITHUB_ACTOR ?? "",
      actor_id: ghEnv.GITHUB_ACTOR_ID ?? "",
      api_url: ghEnv.GITHUB_API_URL ?? "",
      base_ref: ghEnv.GITHUB_BASE_REF ?? "",
      event: payload,
      event_name: o.event,
      event_path: eventPath,
      head_ref: ghEnv.GITHUB_HEAD_REF ?? "",
      job: job.id,
      ref: o.ref,
      ref_name: ghEnv.GITHUB_REF_NAME ?? "",
      ref_protected: ghEnv.GITHUB_REF_PROTECTED === "true",
      ref_type: ghEnv.GITHUB_REF_TYPE ?? "branch",
      repository: o.repository,
      repository_id: ghEnv.GITHUB_REPOSITORY_ID ?? "",
      repository_owner: ghEnv.GITHUB_REPOSITORY_OWNER ?? "",
      repository_owner_id: ghEnv.GITHUB_REPOSITORY_OWNER_ID ?? "",
      run_attempt: ghEnv.GITHUB_RUN_ATTEMPT ?? "1",
      run_id: ghEnv.GITHUB_RUN_ID ?? "",
      run_number: ghEnv.GITHUB_RUN_NUMBER ?? "",
      server_url: ghEnv.GITHUB_SERVER_URL ?? "",
      sha,
      token: githubToken,
      triggering_actor: ghEnv.GITHUB_ACTOR ?? "",
      workflow: wf.name ?? o.workflowPath,
      workflow_ref: ghEnv.GITHUB_WORKFLOW_REF ?? "",
      workflow_sha: sha,
      workspace,
    };
    const runner = {
      os: "Linux",
      arch: "X64",
      name: "keyship",
      temp: runnerTemp,
      tool_cache: join(root, "tool-cache"),
      environment: "github-hosted",
    };
    const steps: Record<string, ExprValue> = {};
    let jobStatus = "success";
    const contexts = (env: Record<string, string>): EvalEnv => ({
      contexts: {
        github,
        env,
        secrets,
        steps,
        runner,
        job: { status: jobStatus },
        vars: {},
        inputs: {},
        matrix: leg.matrix,
        needs: leg.needs,
        strategy: leg.strategy,
      },
      jobStatus,
      workspace,
    });
    const evalMap = (m: Record<string, string>, env: Record<string, string>) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(m)) out[k] = interpolateText(v, contexts({ ...env, ...out }));
      return out;
    };
    const workflowEnv = evalMap(wf.env, {});
    const jobEnvValues = evalMap(job.env, workflowEnv);
    const exported: Record<string, string> = {};
    const extraPaths: string[] = [];
    let summary = "";

    const cli =
      o.containerCli === undefined ? await detectContainerCli(runnerTemp) : (o.containerCli ?? undefined);
    if (cli?.shimDir) extraPaths.push(cli.shimDir);
    say(
      `Job ${leg.label}${job.environment ? ` (environment: ${job.environment})` : ""} for ${o.repository}, ${o.event} on ${o.ref}`,
    );
    say(
      `  id-token: ${wantsToken ? "write (the job can request an OIDC token)" : "not granted (ACTIONS_ID_TOKEN_REQUEST_* are not set)"}`,
    );
    say(`  containers: ${cli ? (cli.kind === "podman" ? "podman (as docker)" : "docker") : "none found"}`);
    await o.prepareWorkspace?.(workspace);

    // job-level if: its status functions answer for the jobs it needs
    const jobContexts = () => contexts({ ...workflowEnv, ...jobEnvValues });
    if (
      job.if !== undefined &&
      !evaluateCondition(job.if, { ...jobContexts(), jobStatus: leg.needsStatus })
    ) {
      say(`Job ${leg.label} skipped (if: ${String(job.if)})`);
      return { job: leg.label, id: job.id, status: "skipped", steps: [], summary, outputs: {} };
    }
    // Only evaluated (matrix values may pick the runner): every job runs on this machine.
    const runsOn = job.runsOn === undefined ? undefined : interpolateText(job.runsOn, jobContexts());

    const results: StepResult[] = [];
    for (const step of job.steps) {
      const name = stepName(step);
      const started = Date.now();
      const envCtx = { ...workflowEnv, ...jobEnvValues, ...exported };
      let stepEnv: Record<string, string>;
      let run: boolean;
      try {
        run = evaluateCondition(step.if, contexts(envCtx));
        stepEnv = run ? evalMap(step.env, envCtx) : {};
      } catch (err) {
        run = true;
        stepEnv = {};
        jobStatus = "failure";
        const error = `Error when evaluating the step: ${(err as Error).message}`;
        say(`✗ ${name}\n  ${error}`);
        results.push({
          index: step.index,
          name,
          id: step.id,
          outcome: "failure",
          outputs: {},
          error,
          durationMs: 0,
        });
        continue;
      }
      if (!run) {
        say(`- ${name} (skipped)`);
        results.push({
          index: step.index,
          name,
          id: step.id,
          outcome: "skipped",
          outputs: {},
          durationMs: 0,
        });
        if (step.id) steps[step.id] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
        continue;
      }
      say(`▶ ${name}`);
      emit("step-start", name);
      const outputs: Record<string, string> = {};
      const fullEnv: Record<string, string> = { ...baseEnv, ...envCtx, ...stepEnv };
      fullEnv.PATH = [...extraPaths.slice().reverse(), baseEnv.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(
        ":",
      );
      fullEnv.GITHUB_ACTION = step.id ?? `__run_${step.index}`;
      let error: string | undefined;
      try {
        if (step.uses) {
          const { action, metadata } = resolveAction(step.uses, workspace);
          const given = new Set(Object.keys(step.with));
          const stepContexts = contexts({ ...envCtx, ...stepEnv });
          // Defaults may be expressions (`default: ${{ github.token }}`); the runner evaluates them too.
          const defaults = metadata ? inputDefaults(metadata) : action.defaults;
          const inputs: Record<string, string> = {};
          for (const [k, v] of Object.entries(defaults)) inputs[k] = interpolateText(v, stepContexts);
          for (const [k, v] of Object.entries(step.with)) inputs[k] = interpolateText(v, stepContexts);
          const unexpected = metadata && unexpectedInputsWarning(metadata, given);
          if (unexpected) say(`  warning: ${unexpected}`);
          const ctx: ActionContext = {
            inputs,
            given,
            env: fullEnv,
            workspace,
            runnerTemp,
            repoDir: o.repoDir,
            docker: cli ? { command: cli.command, env: { ...fullEnv } } : undefined,
            log: (l) => say(`  ${l.split("\n").join("\n  ")}`),
            mask: (s) => {
              if (s) masks.push(s);
            },
            setOutput: (k, v) => {
              outputs[k] = v;
            },
            exportVariable: (k, v) => {
              exported[k] = v;
            },
            addPath: (p) => {
              extraPaths.push(p);
            },
            appendSummary: (markdown) => {
              summary += markdown.endsWith("\n") ? markdown : `${markdown}\n`;
            },
            event: (n, d) => emit(n, d ?? ""),
          };
          await action.run(ctx);
        } else {
          const script = interpolateText(step.run ?? "", contexts({ ...envCtx, ...stepEnv }));
          const files = await commandFiles(runnerTemp, step.index);
          Object.assign(fullEnv, files.env);
          const cwd = resolve(workspace, step.workingDirectory ?? job.defaults?.workingDirectory ?? ".");
          const code = await runScript(
            script,
            step.shell ?? job.defaults?.shell,
            cwd,
            fullEnv,
            runnerTemp,
            (line) => {
              const cmd = /^::([a-z-]+)( [^:]*)?::(.*)$/.exec(line);
              if (cmd?.[1] === "add-mask") masks.push(cmd[3]!);
              else if (cmd?.[1] === "set-output")
                outputs[/name=([^,]+)/.exec(cmd[2] ?? "")?.[1] ?? ""] = cmd[3]!;
              else if (cmd && ["error", "warning", "notice"].includes(cmd[1]!)) say(`  ${cmd[1]}: ${cmd[3]}`);
              else if (cmd && ["group", "endgroup", "debug"].includes(cmd[1]!)) {
                if (cmd[1] === "group") say(`  ▸ ${cmd[3]}`);
              } else say(`  | ${line}`);
            },
          );
          for (const [k, v] of parseCommandFile(
            await readFile(files.env.GITHUB_OUTPUT!, "utf8"),
            "GITHUB_OUTPUT",
          ))
            outputs[k] = v;
          for (const [k, v] of parseCommandFile(await readFile(files.env.GITHUB_ENV!, "utf8"), "GITHUB_ENV"))
            exported[k] = v;
          extraPaths.push(...parsePathFile(await readFile(files.env.GITHUB_PATH!, "utf8")));
          summary += await readFile(files.env.GITHUB_STEP_SUMMARY!, "utf8");
          if (code !== 0) throw new ActionFailure(`Process completed with exit code ${code}.`);
          if (/\bdocker\s+push\b/.test(script)) emit("push", name);
        }
      } catch (err) {
        error =
          err instanceof ActionFailure || err instanceof WorkflowError
            ? err.message
            : `${(err as Error).name}: ${(err as Error).message}`;
      }
      const continueOnError =
        step.continueOnError === true ||
        (typeof step.continueOnError === "string" &&
          interpolateText(step.continueOnError, contexts(envCtx)) === "true");
      const outcome = error ? "failure" : "success";
      if (error) {
        say(`✗ ${name}\n  Error: ${error.split("\n").join("\n  ")}`);
        if (!continueOnError) jobStatus = "failure";
      } else say(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
      emit("step-end", name);
      if (step.id)
        steps[step.id] = { outputs, outcome, conclusion: error && continueOnError ? "success" : outcome };
      results.push({
        index: step.index,
        name,
        id: step.id,
        outcome,
        outputs,
        ...(error ? { error: masked(error) } : {}),
        durationMs: Date.now() - started,
      });
    }
    // Outputs are evaluated once the steps are done; like GitHub, an empty one is not set and one holding a
    // secret is withheld.
    const outputs: Record<string, string> = {};
    for (const [k, expr] of Object.entries(job.outputs)) {
      let value: string;
      try {
        value = interpolateText(expr, jobContexts());
      } catch (err) {
        // The steps have run: a broken output expression costs the output, not the job's result.
        say(`  warning: output '${k}': ${(err as Error).message}`);
        continue;
      }
      if (!value) continue;
      if (masks.some((m) => m && value.includes(m)))
        say(`  warning: Skip output '${k}' since it may contain secret.`);
      else outputs[k] = value;
    }
    return {
      job: leg.label,
      id: job.id,
      status: jobStatus === "success" ? "success" : "failure",
      steps: results,
      summary,
      outputs,
      ...(runsOn === undefined ? {} : { runsOn }),
      ...(job.strategy ? { matrix: leg.matrix } : {}),
    };
  } finally {
    if (!o.keepTemp) await rm(root, { recursive: true, force: true }).catch(() => {});
  }
}

/** Fresh command files for one step. */
async function commandFiles(runnerTemp: string, index: number): Promise<{ env: Record<string, string> }> {
  const dir = join(runnerTemp, "_runner_file_commands", `step-${index}`);
  await mkdir(dir, { recursive: true });
  const env: Record<string, string> = {};
  for (const [name, file] of [
    ["GITHUB_OUTPUT", "output"],
    ["GITHUB_ENV", "env"],
    ["GITHUB_PATH", "path"],
    ["GITHUB_STEP_SUMMARY", "summary"],
    ["GITHUB_STATE", "state"],
  ] as const) {
    env[name] = join(dir, file);
    await writeFile(env[name], "");
  }
  return { env };
}

/** Shells as the runner invokes them (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsshell). */
function shellCommand(shell: string | undefined, file: string): [string, string[]] {
  switch (shell ?? "bash") {
    case "bash":
      return ["bash", ["--noprofile", "--norc", "-eo", "pipefail", file]];
    case "sh":
      return ["sh", ["-e", file]];
    default: {
      if (shell?.includes("{0}")) {
        const parts = shell.split(/\s+/).map((p) => p.replace("{0}", file));
        return [parts[0]!, parts.slice(1)];
      }
      throw new ActionFailure(
        `shell ${shell} is not supported by keyship run (bash, sh, or a custom "cmd {0}")`,
      );
    }
  }
}

function runScript(
  script: string,
  shell: string | undefined,
  cwd: string,
  env: Record<string, string>,
  tempDir: string,
  onLine: (line: string) => void,
): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const file = join(tempDir, `${randomUUID()}.sh`);
    writeFile(file, script)
      .then(() => {
        const [cmd, args] = shellCommand(shell, file);
        const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        const lineReader = () => {
          let buf = "";
          return (chunk: Buffer) => {
            buf += chunk.toString();
            const lines = buf.split("\n");
            buf = lines.pop() ?? "";
            for (const l of lines) onLine(l);
          };
        };
        child.stdout.on("data", lineReader());
        child.stderr.on("data", lineReader());
        child.on("error", reject);
        child.on("close", (code) => resolvePromise(code ?? 1));
      })
      .catch(reject);
  });
}
