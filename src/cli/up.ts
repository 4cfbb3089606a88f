// `keyship up`: serves the twin on one port until SIGINT/SIGTERM.
import { resolve } from "node:path";
import { DEFAULT_ACCOUNT, DEFAULT_PORT, DEFAULT_REGION, type RuntimeChoice } from "../config.ts";
import { startTwin } from "../main.ts";
import { parseCommand } from "./args.ts";

export const usage = `Usage: keyship up [--port ${DEFAULT_PORT}] [--host 127.0.0.1] [--state ./.keyship]
                 [--account ${DEFAULT_ACCOUNT}] [--region ${DEFAULT_REGION}] [--runtime auto|docker|simulated]

Serves GitHub's OIDC issuer and AWS IAM, STS, ECR (with an OCI registry under /v2/) and ECS on one
port. GET /_keyship/health answers {status, version, account, region} once ready.
Point clients at it with AWS_ENDPOINT_URL; \`keyship env\` prints the admin's credentials.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      port: { type: "string" },
      host: { type: "string" },
      state: { type: "string" },
      account: { type: "string" },
      region: { type: "string" },
      runtime: { type: "string" },
    },
    usage,
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`keyship up: --port must be 0..65535\n`);
    return 2;
  }
  const runtime = (values.runtime ?? "auto") as RuntimeChoice;
  if (!["auto", "docker", "simulated"].includes(runtime)) {
    process.stderr.write(`keyship up: --runtime must be auto, docker or simulated\n`);
    return 2;
  }
  if (values.account !== undefined && !/^\d{12}$/.test(String(values.account))) {
    process.stderr.write(`keyship up: --account must be 12 digits\n`);
    return 2;
  }
  const twin = await startTwin({
    stateDir: resolve(String(values.state ?? ".keyship")),
    port,
    host: values.host as string | undefined,
    accountId: values.account as string | undefined,
    region: values.region as string | undefined,
    runtime,
  });
  // Listen before announcing: a supervisor may send SIGTERM the moment the line appears, and a listener
  // added after the write can lose that race (the process then dies by the signal, without close()).
  const stopped = new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.stdout.write(
    `keyship ${twin.url} (account ${twin.accountId}, region ${twin.region}, state ${twin.stateDir}, ECS runtime: ${twin.runtime})\n` +
      `  credentials: eval "$(keyship env --state ${twin.stateDir})"\n`,
  );
  await stopped;
  await twin.close();
  return 0;
}
