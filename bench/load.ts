// The one load generator every benchmark uses: replays a prepared HTTP request over keep-alive
// connections for a bounded time and count, loopback only, and reports req/s and latency.
// wrk (Debian's package) drives the load when it is installed, so the client is never the
// bottleneck; otherwise a Node client does. Every subject in one run gets the same client.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface LoadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
}

export async function load(
  baseUrl: string,
  make: () => LoadRequest,
  options: {
    seconds?: number;
    concurrency?: number;
    maxRequests?: number;
    expectStatus?: number;
    /** every request made anew by `make` (the Node client): wrk replays one request */
    varying?: boolean;
  } = {},
): Promise<LoadResult> {
  const url = new URL(baseUrl);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
    throw new Error("load: loopback targets only");
  if (loadClient() === "wrk" && !options.varying && (options.seconds ?? 3) >= 1)
    return wrkLoad(url, make(), options);
  const seconds = options.seconds ?? 3;
  const concurrency = options.concurrency ?? 16;
  const maxRequests = options.maxRequests ?? 200_000;
  const expect = options.expectStatus ?? 200;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;

  const one = (req: LoadRequest) =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const r = request(
        {
          host: url.hostname,
          port: url.port,
          method: req.method,
          path: req.path,
          headers: req.headers,
          agent,
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode !== expect) errors++;
            latencies.push(performance.now() - t0);
            resolve();
          });
        },
      );
      r.on("error", () => {
        errors++;
        resolve();
      });
      r.end(req.body);
    });

  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && sent < maxRequests) {
        sent++;
        await one(make());
      }
    }),
  );
  agent.destroy();
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50ms: pct(0.5),
    p99ms: pct(0.99),
  };
}

/** How many alternating rounds the head-to-head rows take the best of. */
export const ROUNDS = 3;

/**
 * Each subject's best run of `rounds`, the subjects taking turns: on a shared machine a noisy moment
 * then costs one run, not the ratio. Both sides get the same treatment.
 */
export async function bestOfAlternating(
  runs: readonly (() => Promise<LoadResult>)[],
  rounds = ROUNDS,
): Promise<LoadResult[]> {
  const best: LoadResult[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of runs.entries()) {
      const result = await run();
      if (best[i] === undefined || result.rps > best[i]!.rps) best[i] = result;
    }
  }
  return best;
}

/**
 * wrk's threads: half the machine's cores (at least one), so the client never takes the core the
 * subject runs on. On this 2-core VM two threads cost the twin ~10% of its rate and moto nothing.
 */
function wrkThreads(): number {
  const fromEnv = Number(process.env.KEYSHIP_BENCH_WRK_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0
    ? fromEnv
    : Math.max(1, Math.floor(availableParallelism() / 2));
}

let client: "wrk" | "node" | undefined;

/** Which client drives the load in this run: wrk when installed (KEYSHIP_BENCH_CLIENT=node forces Node). */
export function loadClient(): "wrk" | "node" {
  if (client) return client;
  client = "node";
  if (process.env.KEYSHIP_BENCH_CLIENT !== "node") {
    try {
      execFileSync("wrk", ["--version"], { stdio: "ignore" });
      client = "wrk";
    } catch (err) {
      // wrk prints its version and exits 1: it is installed if it ran at all.
      if ((err as { status?: number }).status === 1) client = "wrk";
    }
  }
  return client;
}

async function wrkLoad(
  url: URL,
  req: LoadRequest,
  options: { seconds?: number; concurrency?: number },
): Promise<LoadResult> {
  const seconds = Math.max(1, Math.round(options.seconds ?? 3));
  const concurrency = options.concurrency ?? 16;
  const dir = mkdtempSync(join(tmpdir(), "keyship-wrk-"));
  const lua = join(dir, "request.lua");
  const headers = Object.entries(req.headers)
    .filter(([k]) => !["host", "content-length"].includes(k.toLowerCase()))
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join("\n");
  // No Lua `response` hook: wrk counts non-2xx/3xx answers itself, and a hook would make it parse
  // every response in Lua, slowing the client more than some subjects.
  writeFileSync(
    lua,
    `wrk.method = ${JSON.stringify(req.method)}\nwrk.body = ${JSON.stringify(req.body ?? "")}\n${headers}\n`,
  );
  try {
    const { stdout } = await promisify(execFile)("wrk", [
      "-t",
      String(wrkThreads()),
      "-c",
      String(concurrency),
      "-d",
      `${seconds}s`,
      "--latency",
      "-s",
      lua,
      `${url.origin}${req.path}`,
    ]);
    const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? Number.NaN);
    const requests = num(/(\d+) requests in/);
    const ms = (p: string) => {
      const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
      if (!m) return Number.NaN;
      const v = Number(m[1]);
      return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
    };
    return {
      requests,
      errors: (num(/Non-2xx or 3xx responses: (\d+)/) || 0) + (num(/Socket errors: connect (\d+)/) || 0),
      seconds,
      rps: num(/Requests\/sec:\s+([\d.]+)/),
      p50ms: ms("50"),
      p99ms: ms("99"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
