// Wires a deploy from plain parameters: credentials, SDK clients (standard endpoint and credential resolution, so
// AWS_ENDPOINT_URL reaches the twin and nothing else does), then the orchestration. Shared by the CLI and the Action.
import { readFile } from "node:fs/promises";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { parse as parseYaml } from "yaml";
import { type Clock, systemClock } from "../../core/clock.ts";
import { configuredEndpoint } from "../credentials/engine-explanation.ts";
import { CredentialsError } from "../credentials/errors.ts";
import { resolveCredentials } from "../credentials/resolve.ts";
import { type ContainerSpec, type DeployResult, deploy, EXIT } from "./deploy.ts";
import type { DeployIo } from "./io.ts";

export interface CredentialParams {
  region: string;
  roleArn?: string;
  audience?: string;
  webIdentityTokenFile?: string;
  roleSessionName?: string;
  /**
   * Where every AWS call goes (STS, ECR, ECS). Default: AWS_ENDPOINT_URL[_<SERVICE>] of an explicit
   * `RunContext.env`, else the SDK's own resolution (AWS's endpoints unless configured).
   */
  endpoint?: string;
  /**
   * Credentials to start from instead of the SDK's default chain (which reads process.env): used as they are
   * without `roleArn`, or to chain into the role with sts:AssumeRole when no OIDC token is available.
   */
  credentials?: AwsCredentialIdentity;
}

export interface DeployParams extends CredentialParams {
  cluster: string;
  service: string;
  taskDefinitionFile: string;
  containers: ContainerSpec[];
  tag?: string;
  mountFrom?: string;
  waitMinutes: number;
  keepRevisions?: number;
  dryRun?: boolean;
  forceNewDeployment?: boolean;
}

export interface RunContext {
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Secrets (tokens, keys, registry passwords) as soon as they exist; the Action masks them. */
  mask?: (secret: string) => void;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  pace?: { minMs: number; maxMs: number };
}

/** Counts API calls per operation (the benchmark compares them with the official actions' sequence). */
export function countCalls(client: ECSClient | ECRClient, counts: Map<string, number>): void {
  (client as ECSClient).middlewareStack.add(
    (next, context) => async (args) => {
      const op = `${context.clientName?.replace(/Client$/, "") ?? "?"}:${context.commandName?.replace(/Command$/, "") ?? "?"}`;
      counts.set(op, (counts.get(op) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "keyshipCountCalls" },
  );
}

export async function loadTaskDefinitionFile(path: string): Promise<unknown> {
  const text = await readFile(path, "utf8");
  // JSON is YAML, but JSON.parse gives better messages for .json files.
  return path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
}

export interface Clients {
  ecs: ECSClient;
  ecr: ECRClient;
  credentials: AwsCredentialIdentityProvider;
  expiresAt?: Date;
  refreshes: boolean;
}

/** Credentials then clients; a CredentialsError carries its explanation. */
export async function connect(
  p: CredentialParams,
  ctx: RunContext,
  counts?: Map<string, number>,
): Promise<Clients> {
  // The SDK resolves endpoints from process.env itself (AWS_ENDPOINT_URL[_<SERVICE>], config files); an explicit
  // environment (tests, a step of `keyship run`) gets the same variables applied here, with the SDK's precedence:
  // a service's own variable, then an explicit endpoint, then AWS_ENDPOINT_URL.
  const explicitEnv = ctx.env !== process.env;
  const endpointFor = (svc: "STS" | "ECS" | "ECR") =>
    (explicitEnv ? ctx.env[`AWS_ENDPOINT_URL_${svc}`] : undefined) ||
    p.endpoint ||
    (explicitEnv ? configuredEndpoint(ctx.env, svc) : undefined);
  const given = p.credentials;
  const stsEndpoint = endpointFor("STS");
  const creds = await resolveCredentials({
    region: p.region,
    ...(stsEndpoint && { stsConfig: { endpoint: stsEndpoint } }),
    env: ctx.env,
    log: ctx.log,
    ...(p.roleArn && { roleArn: p.roleArn }),
    ...(p.audience && { audience: p.audience }),
    ...(p.webIdentityTokenFile && { webIdentityTokenFile: p.webIdentityTokenFile }),
    ...(p.roleSessionName && { roleSessionName: p.roleSessionName }),
    ...(given && { ambient: async () => given }),
    ...(ctx.mask && { mask: ctx.mask }),
    ...(ctx.clock && { clock: ctx.clock }),
    ...(ctx.fetch && { fetch: ctx.fetch }),
  });
  if (creds.assumedRoleArn) ctx.log(`Assumed ${creds.assumedRoleArn} (${creds.source})`);
  const config = { region: p.region, credentials: creds.provider, maxAttempts: 5 };
  const ecsEndpoint = endpointFor("ECS");
  const ecrEndpoint = endpointFor("ECR");
  const ecs = new ECSClient({ ...config, ...(ecsEndpoint && { endpoint: ecsEndpoint }) });
  const ecr = new ECRClient({ ...config, ...(ecrEndpoint && { endpoint: ecrEndpoint }) });
  if (counts) {
    countCalls(ecs, counts);
    countCalls(ecr, counts);
  }
  return {
    ecs,
    ecr,
    credentials: creds.provider,
    ...(creds.initial.expiration && { expiresAt: creds.initial.expiration }),
    refreshes: creds.source !== "ambient",
  };
}

export async function runDeploy(
  p: DeployParams,
  ctx: RunContext,
  counts?: Map<string, number>,
): Promise<DeployResult> {
  const notes = new Set<string>();
  const io: DeployIo = {
    log: ctx.log,
    note: (line) => {
      if (!notes.has(line)) {
        notes.add(line);
        ctx.log(`Note: ${line}`);
      }
    },
    clock: ctx.clock ?? systemClock,
    sleep: ctx.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  };
  let taskDefinition: unknown;
  try {
    taskDefinition = await loadTaskDefinitionFile(p.taskDefinitionFile);
  } catch (e) {
    const message = `Cannot read the task definition file ${p.taskDefinitionFile}: ${(e as Error).message}`;
    ctx.log(message);
    return {
      exitCode: EXIT.usage,
      outcome: "error",
      registered: false,
      images: [],
      summary: message,
      message,
    };
  }
  let clients: Clients;
  try {
    clients = await connect(p, ctx, counts);
  } catch (e) {
    const message =
      e instanceof CredentialsError ? e.render() : `Could not get AWS credentials: ${(e as Error).message}`;
    ctx.log(message);
    return {
      exitCode: EXIT.error,
      outcome: "error",
      registered: false,
      images: [],
      summary: `### keyship deploy failed at credentials\n\n\`\`\`\n${message}\n\`\`\`\n`,
      message,
    };
  }
  return deploy(clients, io, {
    cluster: p.cluster,
    service: p.service,
    taskDefinition,
    containers: p.containers,
    waitMinutes: p.waitMinutes,
    env: ctx.env,
    credentialsRefresh: clients.refreshes,
    ...(clients.expiresAt && { credentialsExpireAt: clients.expiresAt }),
    ...(p.tag && { tag: p.tag }),
    ...(p.mountFrom && { mountFrom: p.mountFrom }),
    ...(p.keepRevisions !== undefined && { keepRevisions: p.keepRevisions }),
    ...(p.dryRun && { dryRun: true }),
    ...(p.forceNewDeployment && { forceNewDeployment: true }),
    ...(ctx.pace && { pace: ctx.pace }),
    onRegistryLogin: (login) => {
      if (login.password) ctx.mask?.(login.password);
    },
  });
}
