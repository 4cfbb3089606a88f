// `keyship rollback`: put a service back on its previous task definition revision and watch the rollout.
import { CredentialsError } from "../client/credentials/errors.ts";
import { rollback } from "../client/deploy/rollback.ts";
import { connect } from "../client/deploy/run.ts";
import { systemClock } from "../core/clock.ts";
import { misuse, parseCommand } from "./args.ts";

export const usage = `Usage: keyship rollback --region REGION --cluster C --service S [--role-arn ARN] [--to REVISION]
                        [--wait-minutes N] [--dry-run]

Updates the service to the ACTIVE revision before the one it runs (or --to N / family:N / ARN) and waits as
keyship deploy does. Without ecs:ListTaskDefinitions it tries revision numbers N-1, N-2, ...
Exit codes as keyship deploy: 0 stable, 1 error, 2 usage, 3 failed, 4 timed out.
`;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      region: { type: "string" },
      cluster: { type: "string" },
      service: { type: "string" },
      "role-arn": { type: "string" },
      to: { type: "string" },
      "wait-minutes": { type: "string", default: "30" },
      "dry-run": { type: "boolean" },
    },
    usage,
    { name: "keyship rollback", positionals: false },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region || !values.cluster || !values.service)
    return misuse("keyship rollback: --region, --cluster and --service are required", usage);
  const log = (l: string) => process.stdout.write(`${l}\n`);
  try {
    const clients = await connect(
      { region, ...(values["role-arn"] && { roleArn: values["role-arn"] }) },
      { env, log },
    );
    const notes = new Set<string>();
    const r = await rollback(
      clients.ecs,
      {
        log,
        note: (l) => {
          if (notes.has(l)) return;
          notes.add(l);
          log(`Note: ${l}`);
        },
        clock: systemClock,
        sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
      },
      {
        cluster: values.cluster,
        service: values.service,
        waitMinutes: Number(values["wait-minutes"]),
        ...(values.to && { to: values.to }),
        ...(values["dry-run"] && { dryRun: true }),
      },
    );
    return r.exitCode;
  } catch (e) {
    log(e instanceof CredentialsError ? e.render() : `keyship rollback: ${(e as Error).message}`);
    return 1;
  }
}
