// Shared argument parsing for deploy, diff and verify: --container groups with their --image / --image-from / --env.
import type { ContainerSpec } from "../client/deploy/deploy.ts";
import { parseEnvPair } from "../client/deploy/render.ts";
import type { DeployParams } from "../client/deploy/run.ts";
import { misuse, type Parsed, parseCommand } from "./args.ts";

export const deployOptions = {
  "role-arn": { type: "string" },
  region: { type: "string" },
  cluster: { type: "string" },
  service: { type: "string" },
  "task-definition": { type: "string" },
  container: { type: "string", multiple: true },
  image: { type: "string", multiple: true },
  "image-from": { type: "string", multiple: true },
  env: { type: "string", multiple: true },
  tag: { type: "string" },
  "mount-from": { type: "string" },
  "wait-minutes": { type: "string" },
  "keep-revisions": { type: "string" },
  "dry-run": { type: "boolean" },
  "force-new-deployment": { type: "boolean" },
  audience: { type: "string" },
  "web-identity-token-file": { type: "string" },
  "role-session-name": { type: "string" },
} as const;

export class UsageError extends Error {}

/**
 * Parses the arguments of deploy, diff or verify (`name`, as `keyship diff`, prefixes misuse messages):
 * the params, or the exit code when the command is done already (0 after --help, 2 after misuse).
 */
export function parseDeployCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  name: string,
  usage: string,
): DeployParams | number {
  const parsed = parseCommand(argv, deployOptions, usage, { name, positionals: false });
  if (typeof parsed === "number") return parsed;
  try {
    return deployParams(parsed, env);
  } catch (e) {
    return misuse(`${name}: ${(e as Error).message}`, usage);
  }
}

/**
 * Options after `--container NAME` apply to that container until the next `--container`; `--env` before any
 * `--container` applies to every container, `--image`/`--image-from` before any to the only container.
 */
function deployParams(
  { values, tokens }: Parsed<typeof deployOptions>,
  env: NodeJS.ProcessEnv,
): DeployParams {
  const containers: ContainerSpec[] = [];
  const global: ContainerSpec = {};
  let current: ContainerSpec = global;
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    const v = t.value ?? "";
    if (t.name === "container") {
      current = { name: v };
      containers.push(current);
    } else if (t.name === "image") current.image = v;
    else if (t.name === "image-from") current.imageFrom = v;
    else if (t.name === "env") {
      const pair = parseEnvPair(v);
      if (!pair) throw new UsageError(`--env wants NAME=VALUE, got "${v}"`);
      current.environment = [...(current.environment ?? []), pair];
    }
  }
  // --image together with --image-from: the image is where to push.
  for (const c of [global, ...containers]) {
    if (c.imageFrom && c.image) {
      c.pushTo = c.image;
      delete c.image;
    }
  }
  const specs: ContainerSpec[] = [];
  if (global.environment) specs.push({ environment: global.environment });
  if (global.image || global.imageFrom) {
    if (containers.length > 0)
      throw new UsageError("give --image/--image-from after the --container they are for");
    // name resolved later: the only container in the file
    specs.push({ ...global, environment: undefined } as ContainerSpec);
  }
  specs.push(...containers);
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const missing = [
    !values.cluster && "--cluster",
    !values.service && "--service",
    !values["task-definition"] && "--task-definition",
    !region && "--region",
  ].filter(Boolean);
  if (missing.length) throw new UsageError(`missing ${missing.join(", ")}`);
  const int = (name: string, text: string | undefined, fallback?: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} wants a whole number, got "${text}"`);
    return n;
  };
  const keep = int("keep-revisions", values["keep-revisions"]);
  return {
    region: region!,
    cluster: values.cluster!,
    service: values.service!,
    taskDefinitionFile: values["task-definition"]!,
    containers: specs.map(
      (s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as ContainerSpec,
    ),
    waitMinutes: Math.min(360, int("wait-minutes", values["wait-minutes"], 30)!),
    ...(keep !== undefined && { keepRevisions: keep }),
    ...(values["role-arn"] && { roleArn: values["role-arn"] }),
    ...(values.audience && { audience: values.audience }),
    ...(values["web-identity-token-file"] && { webIdentityTokenFile: values["web-identity-token-file"] }),
    ...(values["role-session-name"] && { roleSessionName: values["role-session-name"] }),
    ...(values.tag && { tag: values.tag }),
    ...(values["mount-from"] && { mountFrom: values["mount-from"] }),
    ...(values["dry-run"] && { dryRun: true }),
    ...(values["force-new-deployment"] && { forceNewDeployment: true }),
  };
}
