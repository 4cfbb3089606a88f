// `keyship ecr login`: an ECR authorization token written into docker's and/or podman's auth file, never onto argv.
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { CredentialsError } from "../client/credentials/errors.ts";
import { resolveCredentials } from "../client/credentials/resolve.ts";
import { addMask, setOutput } from "../client/github/commands.ts";
import { type AuthFileKind, authFilePath, writeAuthEntry } from "../client/image/auth-file.ts";
import { misuse, parseCommand } from "./args.ts";

export const usage = `Usage: keyship ecr login [--region REGION] [--role-arn ARN] [--registry-ids ID,...] [--for docker|podman|both]
                         [--auth-file PATH] [--print-host]

Gets an ECR authorization token (ecr:GetAuthorizationToken) and writes it into the auth file that docker
($DOCKER_CONFIG/config.json, ~/.docker/config.json) or podman/skopeo/buildah (REGISTRY_AUTH_FILE, else
$XDG_RUNTIME_DIR/containers/auth.json) read. The password never appears on a command line; in GitHub Actions it
is masked. Registry ids stay strings (a leading zero is kept). Default --for both.

Credentials as for keyship deploy (OIDC in a GitHub job with --role-arn, token file, or the AWS chain).
Output: one line per registry host; with GITHUB_OUTPUT set, the output \`registry\` (one registry only).
`;

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      region: { type: "string" },
      "role-arn": { type: "string" },
      "registry-ids": { type: "string" },
      for: { type: "string", default: "both" },
      "auth-file": { type: "string" },
      "print-host": { type: "boolean" },
    },
    usage,
    { name: "keyship ecr login", positionals: false },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const kinds: AuthFileKind[] =
    values.for === "both"
      ? ["docker", "podman"]
      : values.for === "docker" || values.for === "podman"
        ? [values.for]
        : [];
  if (!region || kinds.length === 0)
    return misuse(
      `keyship ecr login: ${!region ? "missing --region" : "--for is docker, podman or both"}`,
      usage,
    );
  const inActions = env.GITHUB_ACTIONS === "true";
  const io = { env, write: (line: string) => process.stdout.write(`${line}\n`) };
  const mask = inActions ? (s: string) => addMask(io, s) : () => {};
  try {
    const creds = await resolveCredentials({
      region,
      env,
      mask,
      ...(values["role-arn"] && { roleArn: values["role-arn"] }),
    });
    const ecr = new ECRClient({ region, credentials: creds.provider });
    const registryIds = values["registry-ids"]
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const out = await ecr.send(new GetAuthorizationTokenCommand(registryIds?.length ? { registryIds } : {}));
    const hosts: string[] = [];
    for (const data of out.authorizationData ?? []) {
      if (!data.authorizationToken || !data.proxyEndpoint) continue;
      const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
      // Split at the first colon only (amazon-ecr-login's split(':', 2) truncates a password with a colon).
      const colon = decoded.indexOf(":");
      const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      mask(password);
      mask(data.authorizationToken);
      const host = data.proxyEndpoint.replace(/^https?:\/\//, "").replace(/\/$/, "");
      for (const kind of kinds) {
        const path =
          kind === "podman" && values["auth-file"]
            ? values["auth-file"]
            : kind === "docker" && values["auth-file"] && kinds.length === 1
              ? values["auth-file"]
              : authFilePath(kind, env);
        const { shadowedBy } = await writeAuthEntry(path, host, user, password);
        process.stderr.write(
          `Login for ${host} written to ${path} (${kind})${data.expiresAt ? `, valid until ${data.expiresAt.toISOString()}` : ""}\n`,
        );
        if (shadowedBy)
          process.stderr.write(
            `Warning: ${path} names the credential helper "${shadowedBy}", which docker asks before this entry.\n`,
          );
      }
      hosts.push(host);
    }
    if (hosts.length === 0) {
      process.stderr.write("Amazon ECR authorization token returned no data\n");
      return 1;
    }
    if (values["print-host"]) for (const h of hosts) process.stdout.write(`${h}\n`);
    if (inActions && hosts.length === 1) setOutput(io, "registry", hosts[0]!);
    return 0;
  } catch (e) {
    process.stderr.write(
      `${e instanceof CredentialsError ? e.render() : `keyship ecr login: ${(e as Error).name}: ${(e as Error).message}`}\n`,
    );
    return 1;
  }
}
