// STS benchmark: AssumeRoleWithWebIdentity req/s with full verification (signature by kid, claims,
// trust policy, session written durably) vs moto_server (which verifies nothing), same client,
// same token, same run; and ID tokens minted per second by the issuer.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { ManualClock } from "../src/core/clock.ts";
import { randomIds } from "../src/core/ids.ts";
import { jobFor } from "../src/oidc/claims.ts";
import { openIssuer } from "../src/oidc/component.ts";
import { openStore } from "../src/store/sqlite.ts";
import { bestOfAlternating, type LoadResult, load } from "./load.ts";
import { peerKeys, startKeyship, startMoto } from "./peers.ts";
import { type Row, versusMoto } from "./table.ts";

const GH = "token.actions.githubusercontent.com";

function trust(account: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: `arn:aws:iam::${account}:oidc-provider/${GH}` },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" },
          StringLike: { [`${GH}:sub`]: "repo:example-org/sample-app:*" },
        },
      },
    ],
  });
}

export async function runStsBench(seconds = 3): Promise<Row[]> {
  const stateDir = await mkdtemp(join(tmpdir(), "keyship-bench-sts-"));
  const rows: Row[] = [];
  // The token comes from the CLI users run, signed with the state's key the twin serves.
  const bin = join(import.meta.dirname, "../bin/keyship");
  const { stdout } = await promisify(execFile)(process.execPath, [
    bin,
    "token",
    "--state",
    stateDir,
    "--repo",
    "example-org/sample-app",
    "--audience",
    "sts.amazonaws.com",
    // Long enough for the whole run; the content is otherwise what GitHub issues.
    "--claim",
    "exp=now+3600",
  ]);
  const token = stdout.trim();
  const moto = await startMoto();
  const keyship = await startKeyship(stateDir);
  try {
    const keys = await peerKeys(stateDir);
    const roleArns: string[] = [];
    for (const [peer, k] of [
      [keyship, keys.keyship],
      [moto, keys.moto],
    ] as const) {
      const iam = new IAMClient({
        endpoint: peer.url,
        region: "us-east-1",
        credentials: k,
        maxAttempts: 1,
      });
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
      );
      const role = await iam.send(
        new CreateRoleCommand({
          RoleName: "github-actions-deploy",
          AssumeRolePolicyDocument: trust("123456789012"),
        }),
      );
      roleArns.push(role.Role!.Arn!);
    }
    const request = (roleArn: string, webIdentityToken: string) => {
      const body = new URLSearchParams({
        Action: "AssumeRoleWithWebIdentity",
        Version: "2011-06-15",
        RoleArn: roleArn,
        RoleSessionName: "bench",
        WebIdentityToken: webIdentityToken,
        DurationSeconds: "3600",
      }).toString();
      return {
        method: "POST",
        path: "/",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": String(Buffer.byteLength(body)),
        },
        body,
      };
    };
    const kReq = request(roleArns[0]!, token);
    const mReq = request(roleArns[1]!, token);
    const [ks, ms] = (await bestOfAlternating([
      () => load(keyship.url, () => kReq, { seconds, maxRequests: 100_000 }),
      () => load(moto.url, () => mReq, { seconds, maxRequests: 100_000 }),
    ])) as [LoadResult, LoadResult];
    rows.push(versusMoto("AssumeRoleWithWebIdentity req/s (full verification vs none)", ks, ms));

    // The same with a different token on every call, so no signature check is ever reused (the
    // twin remembers 1024 verified tokens; these are 4096, in turn). wrk replays one request, so
    // the Node client drives both subjects here.
    const tokens = await mintTokens(stateDir, 4096);
    let next = 0;
    const varying = (roleArn: string) => () => request(roleArn, tokens[next++ % tokens.length]!);
    const [kv, mv] = (await bestOfAlternating([
      () => load(keyship.url, varying(roleArns[0]!), { seconds, varying: true }),
      () => load(moto.url, varying(roleArns[1]!), { seconds, varying: true }),
    ])) as [LoadResult, LoadResult];
    // The target (>= 30x) is for the same client and token (the row above); this row shows
    // what a fresh RS256 verification per call costs, so it carries no target of its own.
    rows.push({
      ...versusMoto("AssumeRoleWithWebIdentity req/s, a new token every call (Node client)", kv, mv),
      target: "- (RS256 verify per call)",
    });
  } finally {
    await keyship.stop();
    await moto.stop();
  }

  // Tokens minted per second: in process, bounded by time and count.
  const store = openStore(stateDir);
  try {
    const issuer = openIssuer(store, { clock: new ManualClock(Date.now()), ids: randomIds });
    const job = jobFor({ repository: "example-org/sample-app", environment: "production" });
    await issuer.mint(job, { audience: "sts.amazonaws.com" });
    const deadline = performance.now() + seconds * 1000;
    const t0 = performance.now();
    let n = 0;
    while (performance.now() < deadline && n < 200_000) {
      await issuer.mint(job, { audience: "sts.amazonaws.com" });
      n++;
    }
    rows.push({
      bench: "ID tokens minted per second (RS256, one core)",
      keyship: n / ((performance.now() - t0) / 1000),
      unit: "tokens/s",
      detail: `${n} tokens`,
    });
  } finally {
    store.close();
    await rm(stateDir, { recursive: true, force: true });
  }
  return rows;
}

/** Distinct tokens signed with the state's key (the twin serving it verifies them), valid an hour. */
async function mintTokens(stateDir: string, count: number): Promise<string[]> {
  const store = openStore(stateDir);
  try {
    const issuer = openIssuer(store, { clock: new ManualClock(Date.now()), ids: randomIds });
    const job = jobFor({ repository: "example-org/sample-app" });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const out: string[] = [];
    for (let i = 0; i < count; i++)
      out.push(await issuer.mint(job, { audience: "sts.amazonaws.com", overrides: { exp } }));
    return out;
  } finally {
    store.close();
  }
}
