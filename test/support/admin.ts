// Test support: the bootstrap admin's keys of a state dir, read the way `keyship env` prints them.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

export async function readAdmin(
  stateDir: string,
): Promise<{ admin: { accessKeyId: string; secretAccessKey: string } }> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    join(import.meta.dirname, "../../bin/keyship"),
    "env",
    "--state",
    stateDir,
  ]);
  const get = (k: string) =>
    new RegExp(`^export ${k}=(.*)$`, "m").exec(stdout)?.[1]?.replace(/^'|'$/g, "") ?? "";
  return { admin: { accessKeyId: get("AWS_ACCESS_KEY_ID"), secretAccessKey: get("AWS_SECRET_ACCESS_KEY") } };
}
