// The cost of authorization inside the twin: signed GetRole req/s with and without the IAM check,
// each twin in a process of its own, both under load at the same time, same client. Target: < 5% apart.
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

export async function runAuthzCostBench(seconds = 2, rounds = 15): Promise<Row[]> {
  // Each twin has a process of its own, warmed up alike: in one process the two shared a heap, a
  // JIT and the front door's call sites, which made them differ by more than the check does.
  const twins = await Promise.all([startSubject(false), startSubject(true)]);
  for (const t of twins) await load(t.url, () => t.req, { seconds: 1 }); // warm-up
  // Both twins are loaded at the same time in every round: the machine's cores are then shared by
  // two twins doing the same work but for the check, and a neighbour's burst on this shared VM
  // slows both alike. Measured one after the other, a pair's cost scattered by ±20%, four times the
  // effect looked for; the cost is the median of the rounds' paired costs.
  const pairs: { with: number; without: number }[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const [withCheck, without] = await Promise.all(twins.map((t) => load(t.url, () => t.req, { seconds })));
      pairs.push({ with: withCheck!.rps, without: without!.rps });
    }
  } finally {
    await Promise.all(twins.map(stop));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const costs = pairs.map((p) => (p.without - p.with) / p.without);
  return [
    {
      bench: "GetRole req/s with vs without authorization (both loaded at once)",
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
