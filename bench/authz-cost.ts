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

export async function runAuthzCostBench(seconds = 2, rounds = 5): Promise<Row[]> {
  // Both twins run side by side and are measured in alternation, best round of each, so JIT
  // warm-up and the machine's other load do not favour either side.
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
      return { twin, stateDir, req, best: 0 };
    }),
  );
  try {
    for (let r = 0; r < rounds; r++) {
      for (const t of twins)
        t.best = Math.max(t.best, (await load(t.twin.url, () => t.req, { seconds })).rps);
    }
  } finally {
    for (const t of twins) {
      await t.twin.close();
      await rm(t.stateDir, { recursive: true, force: true });
    }
  }
  const [withCheck, without] = twins.map((t) => t.best) as [number, number];
  return [
    {
      bench: "GetRole req/s with vs without authorization",
      keyship: withCheck,
      peer: without,
      peerName: "same twin, no check",
      unit: "req/s",
      target: "< 5% apart",
      detail: `${(((without - withCheck) / without) * 100).toFixed(1)}% cost, best of ${rounds} alternating rounds`,
    },
  ];
}
