// The cost of authorization inside the twin: signed GetRole req/s with and without the IAM check,
// each twin in a process of its own, same client, same run. Target: < 5% apart.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type LoadRequest, load } from "./load.ts";
import type { Row } from "./table.ts";

interface Subject {
  child: ChildProcess;
  url: string;
  req: LoadRequest;
}

/** A twin in its own process (bench/authz-twin.ts), once it is serving. */
async function startSubject(withoutAuthorization: boolean): Promise<Subject> {
  const args = ["--import", "tsx", join(import.meta.dirname, "authz-twin.ts")];
  if (withoutAuthorization) args.push("--without-authorization");
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "ignore"] });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`authz-twin exited with ${code}`)));
  });
  lines.close();
  const { url, req } = JSON.parse(first) as { url: string; req: LoadRequest };
  return { child, url, req };
}

function stop(s: Subject): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) return resolve();
    s.child.once("exit", () => resolve());
    s.child.kill("SIGTERM");
  });
}

export async function runAuthzCostBench(seconds = 2, rounds = 11): Promise<Row[]> {
  // Each twin has a process of its own, warmed up alike: in one process the two shared a heap, a
  // JIT and the front door's call sites, which made them differ by more than the check does.
  const twins = await Promise.all([startSubject(false), startSubject(true)]);
  for (const t of twins) await load(t.url, () => t.req, { seconds: 1 }); // warm-up
  // Each round measures both twins back to back (the order alternating), and the cost is the median
  // of the rounds' paired costs: a neighbour's burst on this shared machine moves one pair, not the
  // verdict, where best-of-each would pair runs from different moments.
  const pairs: { with: number; without: number }[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? twins : [...twins].reverse();
      const rps = new Map<(typeof twins)[number], number>();
      for (const t of order) rps.set(t, (await load(t.url, () => t.req, { seconds })).rps);
      pairs.push({ with: rps.get(twins[0]!)!, without: rps.get(twins[1]!)! });
    }
  } finally {
    await Promise.all(twins.map(stop));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const costs = pairs.map((p) => (p.without - p.with) / p.without);
  return [
    {
      bench: "GetRole req/s with vs without authorization",
      keyship: median(pairs.map((p) => p.with)),
      peer: median(pairs.map((p) => p.without)),
      peerName: "same twin, no check",
      unit: "req/s",
      target: "< 5% apart",
      detail:
        `${(median(costs) * 100).toFixed(1)}% cost, median of ${rounds} paired rounds ` +
        `(${costs.map((c) => (c * 100).toFixed(1)).join(", ")})`,
    },
  ];
}
