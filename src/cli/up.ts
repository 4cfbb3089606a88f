// `keyship up`: serves the twin on one port until SIGINT/SIGTERM.
import { resolve } from "node:path";
import { DEFAULT_ACCOUNT, DEFAULT_PORT, DEFAULT_REGION, type RuntimeChoice } from "../config.ts";
import { startTwin } from "../main.ts";
import { parseCommand } from "./args.ts";

const DEFAULT_TOKEN_TTL = 300;
// GitHub's longest observed token lived 6 h (github-oidc.md §5.4); a day is ample.
const MAX_TOKEN_TTL = 86_400;

export const usage = `Usage: keyship up [--port ${DEFAULT_PORT}] [--host 127.0.0.1] [--state ./.keyship]
                 [--account ${DEFAULT_ACCOUNT}] [--region ${DEFAULT_REGION}] [--runtime auto|docker|simulated]
                 [--token-ttl SECONDS] [--trust-issuer ISSUER[=URL] ...] [--secure-transport]

Serves GitHub's OIDC issuer and AWS IAM, STS, ECR (with an OCI registry under /v2/) and ECS on one
port. GET /_keyship/health answers {status, version, account, region} once ready.
Point clients at it with AWS_ENDPOINT_URL; \`keyship env\` prints the admin's credentials.

  --secure-transport   judge aws:SecureTransport true for calls over the twin's plain HTTP, so
                       policies that deny insecure transport can be tested unchanged (default:
                       false, as AWS would judge plain HTTP)
  --token-ttl SECONDS  lifetime (exp - iat) of the ID tokens the runner endpoint mints:
                       1..${MAX_TOKEN_TTL}, default ${DEFAULT_TOKEN_TTL} as GitHub's
  --trust-issuer ISSUER[=URL]
                       another OIDC issuer whose tokens STS may verify (repeatable), through its
                       discovery document and jwks_uri. ISSUER is the tokens' iss, an https URL as
                       IAM's OIDC provider has it; the document is fetched from ISSUER itself, or
                       from URL when given (https, or http on a loopback address such as
                       http://127.0.0.1:8080 for a local identity provider). STS still needs an IAM
                       OIDC provider for ISSUER and a role trusting it. Without the flag, STS
                       verifies only this twin's own tokens.
`;

/** Whether a URL's host is a loopback address (plain http is allowed there only). */
function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** --trust-issuer values as KeyResolver's `remote` map (iss → base URL serving its discovery). */
export function trustedIssuers(values: string[]): Record<string, string> | string {
  const remote: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf("=");
    const iss = eq < 0 ? value : value.slice(0, eq);
    const base = eq < 0 ? value : value.slice(eq + 1);
    let issUrl: URL;
    let baseUrl: URL;
    try {
      issUrl = new URL(iss);
      baseUrl = new URL(base);
    } catch {
      return `--trust-issuer takes ISSUER or ISSUER=URL with absolute URLs, got '${value}'`;
    }
    if (issUrl.protocol !== "https:" || issUrl.search || issUrl.hash) {
      return `--trust-issuer: the issuer must be an https URL without query or fragment (IAM's OIDC provider URL), got '${iss}'`;
    }
    if (!(baseUrl.protocol === "https:" || (baseUrl.protocol === "http:" && isLoopback(baseUrl)))) {
      return `--trust-issuer: the discovery URL must be https, or http on a loopback address, got '${base}'`;
    }
    remote[iss] = base; // the tokens' iss byte for byte, as STS compares it
  }
  return remote;
}

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
      "token-ttl": { type: "string" },
      "secure-transport": { type: "boolean", default: false },
      "trust-issuer": { type: "string", multiple: true },
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
  const ttl = values["token-ttl"] === undefined ? DEFAULT_TOKEN_TTL : Number(values["token-ttl"]);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL) {
    process.stderr.write(`keyship up: --token-ttl must be a whole number of seconds, 1..${MAX_TOKEN_TTL}\n`);
    return 2;
  }
  const remote = trustedIssuers(values["trust-issuer"] ?? []);
  if (typeof remote === "string") {
    process.stderr.write(`keyship up: ${remote}\n`);
    return 2;
  }
  const twin = await startTwin({
    stateDir: resolve(String(values.state ?? ".keyship")),
    port,
    host: values.host as string | undefined,
    accountId: values.account as string | undefined,
    region: values.region as string | undefined,
    runtime,
    tokenLifetimeSeconds: ttl,
    ...(values["secure-transport"] ? { secureTransport: true } : {}),
    ...(Object.keys(remote).length > 0 ? { oidc: { verification: { remote } } } : {}),
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
