// The GitHub Action's entry: inputs mirroring `keyship deploy`, outputs, a job summary, every secret masked.
// Bundled by scripts/build-action.mjs into action/dist/index.js (runs.using: node24).
import { runDeploy } from "../src/client/deploy/run.ts";
import { parseEnvPair } from "../src/client/deploy/render.ts";
import type { ContainerSpec } from "../src/client/deploy/deploy.ts";
import { addMask, annotation, appendSummary, getBooleanInput, getInput, getMultilineInput, setOutput } from "../src/client/github/commands.ts";

/**
 * `containers` is one line per container: `NAME image=REF` or `NAME from=SRC [to=REPO[:TAG]]`; the shorthand
 * inputs `container` + `image` / `image-from` cover the one-container case.
 */
export function containerSpecs(env: NodeJS.ProcessEnv): ContainerSpec[] {
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
      ...(from ? { imageFrom: from, ...(image && { pushTo: image }) } : image ? { image } : {}),
    });
  }
  for (const line of getMultilineInput(env, "containers")) {
    const [name, ...parts] = line.split(/\s+/);
    const spec: ContainerSpec = { name: name! };
    for (const p of parts) {
      const [k, v] = [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)];
      if (k === "image") spec.image = v;
      else if (k === "from") spec.imageFrom = v;
      else if (k === "to") spec.pushTo = v;
      else throw new TypeError(`containers: unknown "${p}" (use image=, from=, to=)`);
    }
    specs.push(spec);
  }
  return specs;
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = { env, write: (line: string) => process.stdout.write(`${line}\n`) };
  try {
    const region = getInput(env, "region") || env.AWS_REGION || env.AWS_DEFAULT_REGION || "";
    const waitText = getInput(env, "wait-minutes");
    const keepText = getInput(env, "keep-revisions");
    const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
    const tdPath = getInput(env, "task-definition");
    const roleArn = getInput(env, "role-arn");
    const audience = getInput(env, "audience");
    const tag = getInput(env, "tag");
    const mountFrom = getInput(env, "mount-from");
    for (const [name, v] of [["region", region], ["cluster", getInput(env, "cluster")], ["service", getInput(env, "service")], ["task-definition", tdPath]] as const) {
      if (!v) throw new TypeError(`Input required and not supplied: ${name}`);
    }
    const result = await runDeploy(
      {
        region,
        cluster: getInput(env, "cluster"),
        service: getInput(env, "service"),
        taskDefinitionFile: tdPath.startsWith("/") ? tdPath : `${workspace}/${tdPath}`,
        containers: containerSpecs(env),
        waitMinutes: Math.min(360, waitText === "" ? 30 : Number(waitText)),
        ...(keepText && { keepRevisions: Number(keepText) }),
        ...(roleArn && { roleArn }),
        ...(audience && { audience }),
        ...(tag && { tag }),
        ...(mountFrom && { mountFrom }),
        ...(getBooleanInput(env, "dry-run") && { dryRun: true }),
        ...(getBooleanInput(env, "force-new-deployment") && { forceNewDeployment: true }),
      },
      { env, log: (line) => io.write(line), mask: (secret) => addMask(io, secret) },
    );
    if (result.taskDefinitionArn) setOutput(io, "task-definition-arn", result.taskDefinitionArn);
    if (result.deploymentId) setOutput(io, "deployment-id", result.deploymentId);
    if (result.images[0]) setOutput(io, "image-digest", result.images[0].result.digest);
    appendSummary(io, result.summary);
    if (result.exitCode !== 0) annotation(io, "error", result.message ?? `keyship deploy failed (exit ${result.exitCode})`, "keyship deploy");
    return result.exitCode;
  } catch (e) {
    annotation(io, "error", (e as Error).message, "keyship deploy");
    return 1;
  }
}

// Run when executed as the bundle (not when imported by tests).
if (process.env.KEYSHIP_ACTION_NO_AUTORUN !== "1") {
  main().then((code) => {
    process.exitCode = code;
  });
}
