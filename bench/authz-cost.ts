// The cost of authorization inside the twin: signed GetRole req/s with and without the IAM check,
// both twins in this process, same client, same run. Target: < 5% apart.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { startTwin } from "../src/main.ts";
import { load } from "./load.ts";
import { signQuery } from "./signed.ts";
import type { Row } from "./table.ts";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

export async function runAuthzCostBench(seconds = 2, rounds = 11): Promise<Row[]> {
  // Both twins run side by side in this process, warmed up alike, so JIT warm-up favours neither.
  const twins = await Promise.all(
    [false, true].map(async (skip) => {
      const stateDir = await mkdtemp(join(tmpdir(), "keyship-bench-authz-"));
      const twin = await startTwin({
        stateDir,
        port: 0,
        runtime: "simulated",
        log: () => {},
        benchmarkWithoutAuthorization: skip,
      });
      const iam = new IAMClient({ endpoint: twin.url, region: "us-east-1", credentials: twin.admin });
      await iam.send(new CreateRoleCommand({ RoleName: "bench-role", AssumeRolePolicyDocument: trust }));
      const req = await signQuery(
        twin.url,
        "iam",
        "Action=GetRole&RoleName=bench-role&Version=2010-05-08",
        twin.admin,
      );
      await load(twin.url, () => req, { seconds: 0.5 }); // warm-up
      return { twin, stateDir, req };
    }),
  );
  // Each round measures both twins back to back (the order alternating), and the cost is the median
  // of the rounds' paired costs: a neighbour's burst on this shared machine moves one pair, not the
  // verdict, where best-of-each would pair runs from different moments.
  const pairs: { with: number; without: number }[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? twins : [...twins].reverse();
      const rps = new Map<(typeof twins)[number], number>();
      for (const t of order) rps.set(t, (await load(t.twin.url, () => t.req, { seconds })).rps);
      pairs.push({ with: rps.get(twins[0]!)!, without: rps.get(twins[1]!)! });
    }
  } finally {
    for (const t of twins) {
      await t.twin.close();
      await rm(t.stateDir, { recursive: true, force: true });
    }
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
