// `keyship verify`: the role can be assumed, the roles to pass exist, the images exist, the cluster and service exist.

import { configuredEndpoint } from "../client/credentials/engine-explanation.ts";
import { CredentialsError } from "../client/credentials/errors.ts";
import { renderTaskDefinition } from "../client/deploy/render.ts";
import { connect, loadTaskDefinitionFile } from "../client/deploy/run.ts";
import { stripTaskDefinition } from "../client/deploy/strip.ts";
import { verify } from "../client/deploy/verify.ts";
import { parseDeployCommand } from "./deploy-args.ts";

export const usage = `Usage: keyship verify (the arguments of keyship deploy)

Checks, with the deploy's own credentials: the role can be assumed; the task and execution roles exist and trust
ecs-tasks.amazonaws.com (iam:GetRole); each image exists in its registry (ecr:BatchGetImage); the cluster and
service exist. Checks the role may not perform are SKIPPED with the reason. Exit 1 if any check FAILED.
`;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const params = parseDeployCommand(argv, env, "keyship verify", usage);
  if (typeof params === "number") return params;
  const log = (l: string) => process.stdout.write(`${l}\n`);
  let clients: Awaited<ReturnType<typeof connect>>;
  try {
    clients = await connect(params, { env, log });
    log(`OK       credentials${params.roleArn ? ` (${params.roleArn} assumed)` : ""}`);
  } catch (e) {
    log(`FAILED   credentials\n${e instanceof CredentialsError ? e.render() : (e as Error).message}`);
    return 1;
  }
  const stripped = stripTaskDefinition(await loadTaskDefinitionFile(params.taskDefinitionFile));
  const rendered = renderTaskDefinition(
    stripped.input,
    params.containers.filter((c) => !c.imageFrom),
  );
  const iamEndpoint = configuredEndpoint(env, "IAM");
  const checks = await verify(
    {
      ecs: clients.ecs,
      ecr: clients.ecr,
      credentials: clients.credentials,
      region: params.region,
      ...(iamEndpoint && { iamEndpoint }),
    },
    { cluster: params.cluster, service: params.service, taskDefinition: rendered.input },
  );
  for (const c of checks) log(`${c.status.padEnd(8)} ${c.name}: ${c.detail}`);
  return checks.some((c) => c.status === "FAILED") ? 1 : 0;
}
