// `keyship diff`: what `keyship deploy` with the same arguments would change, without changing anything.
import { runDeploy } from "../client/deploy/run.ts";
import { parseDeployArgs } from "./deploy-args.ts";

export const usage = `Usage: keyship diff (the arguments of keyship deploy)

Renders the task definition as keyship deploy would and prints the difference from the revision the service
runs (needs ecs:DescribeTaskDefinition), or that nothing would be registered. Images from --image-from are not
pushed. Exit code 0.
`;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let params: ReturnType<typeof parseDeployArgs>;
  try {
    params = parseDeployArgs(argv, env);
  } catch (e) {
    process.stderr.write(`keyship diff: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if (params.help) {
    process.stdout.write(usage);
    return 0;
  }
  const result = await runDeploy(
    { ...params, dryRun: true },
    { env, log: (l) => process.stdout.write(`${l}\n`) },
  );
  return result.exitCode;
}
