// keyship's GitHub Action step (action.yml at the repository root): its inputs, read as @actions/core reads
// INPUT_* variables, turned into one runDeploy call, and the result turned into outputs, a job summary and an
// error annotation. The bundled action (action/main.ts) and `keyship run`'s built-in both call runDeployAction,
// so the two cannot drift apart.
import type { AwsCredentialIdentity } from "@aws-sdk/types";
import type { ContainerSpec, DeployResult } from "../deploy/deploy.ts";
import { parseEnvPair } from "../deploy/render.ts";
import { runDeploy } from "../deploy/run.ts";
import { getBooleanInput, getInput, getMultilineInput } from "./commands.ts";

/** Where the step runs: GitHub's runner (process.env, workflow commands) or `keyship run`. */
export interface DeployActionHost {
  /** the step's environment, with the inputs as INPUT_<NAME> (action.yml defaults already applied) */
  env: NodeJS.ProcessEnv;
  log(line: string): void;
  mask(secret: string): void;
  setOutput(name: string, value: string): void;
  summary(markdown: string): void;
  /** the step failed with this message (the Action writes `::error::`) */
  error(message: string): void;
  /** AWS endpoint and starting credentials when given explicitly rather than resolved from `env` */
  aws?: { endpoint?: string; credentials?: AwsCredentialIdentity };
}

export interface DeployActionOutcome {
  exitCode: number;
  /** undefined when the inputs were refused before any AWS call */
  result?: DeployResult;
}

/**
 * `containers` is one line per container: `NAME image=REF` or `NAME from=SRC [to=REPO[:TAG]]`; the shorthand
 * inputs `container` + `image` / `image-from` cover the one-container case; `env` lines apply to every container.
 */
export function containerSpecs(env: NodeJS.ProcessEnv, workspace = env.GITHUB_WORKSPACE): ContainerSpec[] {
  // A JavaScript action runs in the workspace, so relative image files are the workspace's.
  const fromWorkspace = (source: string) => {
    const m = /^(oci|oci-archive|docker-archive):(?!\/)(.+)$/.exec(source);
    return m && workspace ? `${m[1]}:${workspace}/${m[2]}` : source;
  };
  const specs: ContainerSpec[] = [];
  const envPairs = getMultilineInput(env, "env").map((line) => {
    const pair = parseEnvPair(line);
    if (!pair) throw new TypeError(`env: each line is NAME=VALUE, got "${line}"`);
    return pair;
  });
  if (envPairs.length) specs.push({ environment: envPairs });
  const single = getInput(env, "container");
  const image = getInput(env, "image");
  const from = getInput(env, "image-from");
  if (single || image || from) {
    specs.push({
      ...(single && { name: single }),
      ...(from
        ? { imageFrom: fromWorkspace(from), ...(image && { pushTo: image }) }
        : image
          ? { image }
          : {}),
    });
  }
  for (const line of getMultilineInput(env, "containers")) {
    const [name, ...parts] = line.split(/\s+/);
    const spec: ContainerSpec = { name: name! };
    for (const p of parts) {
      const [k, v] = [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)];
      if (k === "image") spec.image = v;
      else if (k === "from") spec.imageFrom = fromWorkspace(v);
      else if (k === "to") spec.pushTo = v;
      else throw new TypeError(`containers: unknown "${p}" (use image=, from=, to=)`);
    }
    specs.push(spec);
  }
  return specs;
}

/** A non-negative number input, at most `max`, or a TypeError naming it. */
function numberInput(env: NodeJS.ProcessEnv, name: string, max: number): number | undefined {
  const text = getInput(env, name);
  if (text === "") return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`${name}: expected a number, got "${text}"`);
  return Math.min(max, n);
}

export async function runDeployAction(host: DeployActionHost): Promise<DeployActionOutcome> {
  const env = host.env;
  try {
    const region = getInput(env, "region") || env.AWS_REGION || env.AWS_DEFAULT_REGION || "";
    const cluster = getInput(env, "cluster");
    const service = getInput(env, "service");
    const tdPath = getInput(env, "task-definition");
    for (const [name, v] of [
      ["region", region],
      ["cluster", cluster],
      ["service", service],
      ["task-definition", tdPath],
    ] as const) {
      if (!v) throw new TypeError(`Input required and not supplied: ${name}`);
    }
    const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
    const roleArn = getInput(env, "role-arn");
    const audience = getInput(env, "audience");
    const tag = getInput(env, "tag");
    const mountFrom = getInput(env, "mount-from");
    // wait-minutes has a default in action.yml, which the runner always supplies; at most 360 (ECS's own limit
    // for the official action's wait, official-actions.md §4).
    const waitMinutes = numberInput(env, "wait-minutes", 360) ?? 30;
    const keepRevisions = numberInput(env, "keep-revisions", Number.MAX_SAFE_INTEGER);
    const result = await runDeploy(
      {
        region,
        cluster,
        service,
        taskDefinitionFile: tdPath.startsWith("/") ? tdPath : `${workspace}/${tdPath}`,
        containers: containerSpecs(env, workspace),
        waitMinutes,
        ...(keepRevisions !== undefined && { keepRevisions }),
        ...(roleArn && { roleArn }),
        ...(audience && { audience }),
        ...(tag && { tag }),
        ...(mountFrom && { mountFrom }),
        ...(getBooleanInput(env, "dry-run") && { dryRun: true }),
        ...(getBooleanInput(env, "force-new-deployment") && { forceNewDeployment: true }),
        ...(host.aws?.endpoint && { endpoint: host.aws.endpoint }),
        ...(host.aws?.credentials && { credentials: host.aws.credentials }),
      },
      { env, log: host.log, mask: host.mask },
    );
    if (result.taskDefinitionArn) host.setOutput("task-definition-arn", result.taskDefinitionArn);
    if (result.deploymentId) host.setOutput("deployment-id", result.deploymentId);
    if (result.images[0]) host.setOutput("image-digest", result.images[0].result.digest);
    host.summary(result.summary);
    if (result.exitCode !== 0)
      host.error(result.message ?? `keyship deploy failed (exit ${result.exitCode}, ${result.outcome})`);
    return { exitCode: result.exitCode, result };
  } catch (e) {
    host.error((e as Error).message);
    return { exitCode: 1 };
  }
}
