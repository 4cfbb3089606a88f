// `keyship keys rotate`: starts signing with a new issuer key; the old one stays published.
import { resolve } from "node:path";
import { systemClock } from "../core/clock.ts";
import { KeyStore } from "../oidc/keys.ts";
import { misuse, parseCommand } from "./args.ts";

export const usage = `Usage: keyship keys rotate --state DIR [--overlap SECONDS]

Creates a new RS256 signing key for the state's OIDC issuer. New tokens are signed with it at
once (a running twin picks it up from disk); the previous key stays in /.well-known/jwks, and STS
accepts tokens it signed, for the overlap (default 86400 s). The end of the overlap is recorded
with the key, so every twin serving the state honours it.
`;

export async function run(argv: string[]): Promise<number> {
  // Registered as "keys rotate"; also accept "keys" with "rotate" as the first argument.
  const args = argv[0] === "rotate" ? argv.slice(1) : argv;
  const parsed = parseCommand(args, { state: { type: "string" }, overlap: { type: "string" } }, usage, {
    positionals: false,
  });
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if (!values.state) return misuse("keyship keys rotate: --state is required", usage);
  const overlap = values.overlap === undefined ? undefined : Number(values.overlap);
  if (overlap !== undefined && !(Number.isInteger(overlap) && overlap >= 0)) {
    process.stderr.write("keyship keys rotate: --overlap takes a number of seconds\n");
    return 2;
  }
  const keys = new KeyStore(resolve(values.state), { clock: systemClock });
  const { kid, retired, publishUntil } = await keys.rotate(overlap);
  process.stdout.write(`signing key: ${kid}\n`);
  for (const old of retired) process.stdout.write(`retired (published until ${publishUntil}): ${old}\n`);
  return 0;
}
