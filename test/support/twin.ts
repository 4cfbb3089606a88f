// Test support: a live twin on a free loopback port, real clients pointed at it, and the aws CLI.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startTwin, type Twin, type TwinOptions } from "../../src/main.ts";

export async function tempDir(prefix = "keyship-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Starts an in-process twin on port 0 with a fresh state dir (simulated ECS runtime unless told). */
export async function withTwin(
  options: Partial<TwinOptions> = {},
): Promise<Twin & { dispose(): Promise<void> }> {
  const stateDir = options.stateDir ?? (await tempDir());
  const twin = await startTwin({ runtime: "simulated", log: () => {}, ...options, stateDir, port: 0 });
  return Object.assign(twin, {
    async dispose() {
      await twin.close();
      if (!options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  });
}

/** SDK v3 client config for a twin and a set of keys (the admin's by default). */
type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export function clientConfig(
  twin: { url: string; admin: Keys },
  keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = twin.admin,
  region = "us-east-1",
) {
  return {
    endpoint: twin.url,
    region,
    credentials: {
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      sessionToken: keys.sessionToken,
    },
    maxAttempts: 1,
  };
}

/** The environment the aws CLI needs to talk to a twin, with nothing inherited from the machine's AWS config. */
export function cliEnv(
  twin: { url: string; admin: Keys },
  keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = twin.admin,
  region = "us-east-1",
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: twin.url,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_MAX_ATTEMPTS: "1",
  };
  if (keys.sessionToken) env.AWS_SESSION_TOKEN = keys.sessionToken;
  return env;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the installed aws CLI; never throws on a non-zero exit (tests assert on it). */
export async function aws(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  try {
    const child = promisify(execFile)("aws", args, { env, maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) child.child.stdin?.end(input);
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** Starts `keyship up` as a child process (for kill -9 tests) and resolves once it prints its URL. */
export async function spawnTwin(
  stateDir: string,
  extra: string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, "../../bin/keyship"),
      "up",
      "--port",
      "0",
      "--state",
      stateDir,
      "--runtime",
      "simulated",
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr?.on("data", (d) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keyship up did not start: ${err}`)), 30_000);
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /keyship (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`keyship up exited with ${code}: ${err}`));
    });
  });
  return { url, child };
}

/**
 * Kills a child with SIGKILL and resolves once it has gone. A child killed by a signal keeps
 * `exitCode` null (the signal is in `signalCode`), so both are read: waiting for an "exit" that was
 * already emitted would leave the test pending with nothing to wake it.
 */
export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  return gone;
}
