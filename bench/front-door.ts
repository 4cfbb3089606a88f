// Front-door benchmark: signed GetCallerIdentity and GetRole, keyship vs moto_server, same client,
// same run; and cold start (spawn to first 200 on the health endpoint).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { bestOfAlternating, type LoadResult, load } from "./load.ts";
import { peerKeys, startKeyship, startMoto } from "./peers.ts";
import { signQuery } from "./signed.ts";
import { type Row, versusMoto } from "./table.ts";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

export async function runFrontDoorBench(seconds = 3): Promise<Row[]> {
  const stateDir = await mkdtemp(join(tmpdir(), "keyship-bench-"));
  const rows: Row[] = [];
  const moto = await startMoto();
  const keyship = await startKeyship(stateDir);
  try {
    const keys = await peerKeys(stateDir);
    for (const [peer, k] of [
      [keyship, keys.keyship],
      [moto, keys.moto],
    ] as const) {
      const iam = new IAMClient({ endpoint: peer.url, region: "us-east-1", credentials: k });
      await iam.send(new CreateRoleCommand({ RoleName: "bench-role", AssumeRolePolicyDocument: trust }));
    }
    const cases = [
      { name: "GetCallerIdentity", service: "sts", body: "Action=GetCallerIdentity&Version=2011-06-15" },
      { name: "GetRole", service: "iam", body: "Action=GetRole&RoleName=bench-role&Version=2010-05-08" },
    ];
    for (const c of cases) {
      const kReq = await signQuery(keyship.url, c.service, c.body, keys.keyship);
      const mReq = await signQuery(moto.url, c.service, c.body, keys.moto);
      const [ks, ms] = (await bestOfAlternating([
        () => load(keyship.url, () => kReq, { seconds }),
        () => load(moto.url, () => mReq, { seconds }),
      ])) as [LoadResult, LoadResult];
      rows.push(versusMoto(`signed ${c.name} req/s`, ks, ms));
    }
  } finally {
    await keyship.stop();
    await moto.stop();
  }
  // Cold start: a fresh spawn of each, three times, best of three.
  const starts: { k: number[]; m: number[] } = { k: [], m: [] };
  for (let i = 0; i < 3; i++) {
    const dir = await mkdtemp(join(tmpdir(), "keyship-bench-cold-"));
    const k = await startKeyship(dir);
    starts.k.push(k.startup);
    await k.stop();
    await rm(dir, { recursive: true, force: true });
    const m = await startMoto();
    starts.m.push(m.startup);
    await m.stop();
  }
  rows.push({
    bench: "cold start to first 200 (s)",
    keyship: Math.min(...starts.k),
    peer: Math.min(...starts.m),
    peerName: "moto_server",
    unit: "s",
    lowerIsBetter: true,
    target: "<= 0.25 s",
    detail: `runs ${starts.k.map((s) => s.toFixed(3)).join(", ")} / ${starts.m.map((s) => s.toFixed(3)).join(", ")}`,
  });
  await rm(stateDir, { recursive: true, force: true });
  return rows;
}
