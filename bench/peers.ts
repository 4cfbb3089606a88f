// Starting and stopping benchmark peers (moto_server, the twin as a child process) on free ports.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Keys } from "./signed.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export async function waitFor(url: string, timeoutMs = 30_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return (performance.now() - start) / 1000;
    } catch {
      // not up yet
    }
    if (performance.now() - start > timeoutMs)
      throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Peer {
  url: string;
  child: ChildProcess;
  /** seconds from spawn to the first good answer */
  startup: number;
  stop(): Promise<void>;
}

async function startPeer(
  cmd: string,
  args: string[],
  probe: (url: string) => string,
  port: number,
): Promise<Peer> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(probe(url));
  const startup = (performance.now() - t0) / 1000;
  return {
    url,
    child,
    startup,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export async function startMoto(): Promise<Peer> {
  const port = await freePort();
  return startPeer("moto_server", ["-H", "127.0.0.1", "-p", String(port)], (u) => `${u}/moto-api/`, port);
}

export async function startKeyship(stateDir: string, extra: string[] = []): Promise<Peer> {
  const port = await freePort();
  const bin = join(import.meta.dirname, "../bin/keyship");
  return startPeer(
    process.execPath,
    [bin, "up", "--port", String(port), "--state", stateDir, "--runtime", "simulated", ...extra],
    (u) => `${u}/_keyship/health`,
    port,
  );
}

/** moto_server takes any keys; these are AWS's documentation example keys. */
export const MOTO_KEYS: Keys = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

/** The keys to call each side with: the twin's bootstrap admin (as `keyship env` prints it) and moto's. */
export async function peerKeys(stateDir: string): Promise<{ keyship: Keys; moto: Keys }> {
  const { readAdmin } = await import("../test/support/admin.ts");
  const { admin } = await readAdmin(stateDir);
  return { keyship: admin, moto: MOTO_KEYS };
}
