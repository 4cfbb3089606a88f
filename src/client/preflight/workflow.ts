// A GitHub Actions workflow as preflight needs it: triggers, env, permissions, jobs and their steps,
// parsed with the `yaml` package, plus the `${{ … }}` and shell-variable expansion of step inputs.
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax
import { isAlias, isMap, isScalar, isSeq, LineCounter, parse, parseDocument } from "yaml";

export interface WorkflowStep {
  index: number;
  id?: string;
  name: string;
  uses?: string;
  run?: string;
  with: Record<string, string>;
  env: Record<string, string>;
}

export interface WorkflowJob {
  id: string;
  name: string;
  environment?: string;
  env: Record<string, string>;
  /** effective `id-token` permission: job-level permissions replace the workflow's */
  idTokenWrite: boolean;
  steps: WorkflowStep[];
}

export interface Workflow {
  name: string;
  events: string[];
  /** branches of the push trigger, when listed */
  pushBranches: string[];
  env: Record<string, string>;
  jobs: WorkflowJob[];
}

export class WorkflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkflowError";
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  return out;
}

/** `permissions: write-all`, `{id-token: write}`; undefined when not declared at this level. */
function idToken(perm: unknown): boolean | undefined {
  if (perm === undefined) return undefined;
  if (perm === "write-all") return true;
  if (typeof perm === "string") return false;
  return isObj(perm) && perm["id-token"] === "write";
}

export function parseWorkflow(text: string, file = "workflow"): Workflow {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new WorkflowError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (!isObj(doc)) throw new WorkflowError(`${file}: a workflow is a YAML mapping`);
  const on = doc.on ?? doc.true; // YAML 1.1 readers turn a bare `on` into true
  const events =
    typeof on === "string" ? [on] : Array.isArray(on) ? on.map(String) : isObj(on) ? Object.keys(on) : [];
  const push = isObj(on) && isObj(on.push) ? on.push : undefined;
  const pushBranches = Array.isArray(push?.branches) ? push.branches.map(String) : [];
  const wfIdToken = idToken(doc.permissions);
  if (!isObj(doc.jobs)) throw new WorkflowError(`${file}: no jobs`);
  const jobs: WorkflowJob[] = [];
  for (const [id, j] of Object.entries(doc.jobs)) {
    if (!isObj(j)) continue;
    const env = j.environment;
    const environment =
      typeof env === "string" ? env : isObj(env) && typeof env.name === "string" ? env.name : undefined;
    const steps: WorkflowStep[] = (Array.isArray(j.steps) ? j.steps : []).filter(isObj).map((s, index) => {
      const step: WorkflowStep = {
        index,
        name:
          typeof s.name === "string"
            ? s.name
            : typeof s.uses === "string"
              ? s.uses
              : `Run ${String(s.run ?? "").split("\n")[0]}`,
        with: stringMap(s.with),
        env: stringMap(s.env),
      };
      if (typeof s.id === "string") step.id = s.id;
      if (typeof s.uses === "string") step.uses = s.uses;
      if (typeof s.run === "string") step.run = s.run;
      return step;
    });
    // Without any permissions block the token's default permissions do not include id-token (write).
    const idTokenWrite = idToken(j.permissions) ?? wfIdToken ?? false;
    const job: WorkflowJob = {
      id,
      name: typeof j.name === "string" ? j.name : id,
      env: stringMap(j.env),
      idTokenWrite,
      steps,
    };
    if (environment !== undefined) job.environment = environment;
    jobs.push(job);
  }
  return {
    name: typeof doc.name === "string" ? doc.name : file,
    events,
    pushBranches,
    env: stringMap(doc.env),
    jobs,
  };
}

/**
 * Job id → the 1-based line of each of its steps (the line of the step's first key), in the order and
 * with the filtering of parseWorkflow, so `StepReport.index - 1` indexes it. Kept apart from
 * parseWorkflow so the report and its JSON stay as they are; SARIF asks for lines.
 */
export function stepLines(text: string): Map<string, number[]> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const out = new Map<string, number[]>();
  const jobs = doc.get("jobs");
  if (!isMap(jobs)) return out;
  for (const pair of jobs.items) {
    const steps = isMap(pair.value) ? pair.value.get("steps") : undefined;
    if (!isSeq(steps)) continue;
    const starts: number[] = [];
    for (const item of steps.items) {
      // An alias stands where it is written; the step it names counts as a step, as in parseWorkflow.
      const node = isAlias(item) ? item.resolve(doc) : item;
      const range = isAlias(item) ? item.range : isMap(item) ? item.range : undefined;
      if (isMap(node) && range) starts.push(lines.linePos(range[0]).line);
    }
    out.set(String(isScalar(pair.key) ? pair.key.value : pair.key), starts);
  }
  return out;
}

/** What `${{ … }}` expressions can see while preflight walks a job. */
export interface ExpressionScope {
  env: Record<string, string>;
  github: Record<string, string>;
  /** step id → output name → value */
  steps: Record<string, Record<string, string>>;
}

/** Expands the expressions preflight can know; anything else (secrets, functions) stays as written. */
export function expand(text: string, scope: ExpressionScope): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (whole, expr: string) => {
    const m = /^(env|github|steps)\.([A-Za-z0-9_-]+)(?:\.outputs\.([A-Za-z0-9_-]+))?$/.exec(expr);
    if (!m) return whole;
    const [, ns, name, output] = m;
    if (ns === "env") return scope.env[name!] ?? whole;
    if (ns === "github") return scope.github[name!] ?? whole;
    if (ns === "steps" && output) return scope.steps[name!]?.[output] ?? whole;
    return whole;
  });
}

/** `$NAME` and `${NAME}` in a shell line, from the step's environment. */
export function expandShell(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, a, b) => env[a ?? b] ?? whole,
  );
}
