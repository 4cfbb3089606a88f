// The one load generator every benchmark uses: replays a prepared HTTP request over keep-alive
// connections for a bounded time and count, loopback only, and reports req/s and latency.
import { Agent, request } from "node:http";

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
  options: { seconds?: number; concurrency?: number; maxRequests?: number; expectStatus?: number } = {},
): Promise<LoadResult> {
  const url = new URL(baseUrl);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
    throw new Error("load: loopback targets only");
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
