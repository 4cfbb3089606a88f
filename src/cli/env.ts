// `keyship env`: export lines for the twin's bootstrap admin, for `eval "$(keyship env)"`.
import { resolve } from "node:path";
import { DEFAULT_ACCOUNT, DEFAULT_PORT, DEFAULT_REGION, resolveConfig } from "../config.ts";
import { createIam } from "../iam/component.ts";
import { openStore } from "../store/sqlite.ts";
import { parseCommand } from "./args.ts";

export const usage = `Usage: keyship env [--state ./.keyship] [--url http://127.0.0.1:${DEFAULT_PORT}] [--region ${DEFAULT_REGION}]

Prints export lines (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
AWS_DEFAULT_REGION) for the state's bootstrap admin, an IAM user allowed everything through
AdministratorAccess. Its keys are made once per state dir. Use: eval "$(keyship env)".
--url defaults to the URL the state was last served on by \`keyship up\` (else port ${DEFAULT_PORT}).
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      state: { type: "string", default: ".keyship" },
      url: { type: "string" },
      region: { type: "string", default: DEFAULT_REGION },
    },
    usage,
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const stateDir = resolve(values.state);
  const store = openStore(stateDir);
  try {
    const config = resolveConfig({ stateDir, accountId: store.getSetting("accountId") ?? DEFAULT_ACCOUNT });
    const admin = createIam(store, {
      clock: config.clock,
      ids: config.ids,
      accountId: config.accountId,
      region: values.region,
    }).bootstrapAdmin();
    const lines = [
      ["AWS_ENDPOINT_URL", values.url ?? store.getSetting("url") ?? `http://127.0.0.1:${DEFAULT_PORT}`],
      ["AWS_ACCESS_KEY_ID", admin.accessKeyId],
      ["AWS_SECRET_ACCESS_KEY", admin.secretAccessKey],
      ["AWS_REGION", values.region],
      ["AWS_DEFAULT_REGION", values.region],
    ];
    process.stdout.write(lines.map(([k, v]) => `export ${k}=${shellQuote(v ?? "")}`).join("\n") + "\n");
    return 0;
  } finally {
    store.close();
  }
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
