// Writes a registry credential into docker's or podman's auth file, so no password goes on a command line
// (amazon-ecr-login's `docker login -p` puts it on argv: official-actions.md §2).
// docker: https://docs.docker.com/reference/cli/docker/#configuration-files ($DOCKER_CONFIG/config.json)
// podman/skopeo/buildah: containers-auth.json(5) (REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/auth.json)
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export type AuthFileKind = "docker" | "podman";

export function authFilePath(kind: AuthFileKind, env: NodeJS.ProcessEnv = process.env): string {
  if (kind === "docker")
    return join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), ".docker"), "config.json");
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "containers", "auth.json");
  // Root without XDG_RUNTIME_DIR: containers/image falls back to /run/containers/<uid>/auth.json.
  return join("/run/containers", String(process.getuid?.() ?? 0), "auth.json");
}

/**
 * Adds or replaces `auths[host]` and keeps everything else in the file. A docker `credsStore`/`credHelpers`
 * entry for the host would take precedence over `auths`, so that is reported back to the caller.
 */
export async function writeAuthEntry(
  path: string,
  host: string,
  username: string,
  password: string,
): Promise<{ shadowedBy?: string }> {
  let config: {
    auths?: Record<string, { auth?: string }>;
    credsStore?: string;
    credHelpers?: Record<string, string>;
  } = {};
  try {
    config = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT")
      throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  config.auths = {
    ...config.auths,
    [host]: { auth: Buffer.from(`${username}:${password}`).toString("base64") },
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.keyship-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(config, null, "\t")}\n`, { mode: 0o600 });
  await rename(tmp, path);
  const helper = config.credHelpers?.[host] ?? config.credsStore;
  return helper ? { shadowedBy: helper } : {};
}
