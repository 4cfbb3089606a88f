// `keyship diff`: what `keyship deploy` with the same arguments would change, without changing anything.
import { runDeploy } from "../client/deploy/run.ts";
import { parseDeployCommand } from "./deploy-args.ts";

export const usage = `Usage: keyship diff (the arguments of keyship deploy)

Renders the task definition as keyship deploy would and prints the difference from the revision the service
runs (needs ecs:DescribeTaskDefinition), or that nothing would be registered. Images from --image-from are not
pushed. Exit code 0.
`;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const params = parseDeployCommand(argv, env, "keyship diff", usage);
  if (typeof params === "number") return params;
  const result = await runDeploy(
    { ...params, dryRun: true },
    { env, log: (l) => process.stdout.write(`${l}\n`) },
  );
  return result.exitCode;
}
