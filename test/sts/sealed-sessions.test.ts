// Session tokens seal their session: nothing is written when a session is issued, yet its credentials
// (and an ECR password made with them) keep working on a twin restarted on the same state; a token
// altered, presented with another key id, or sealed under another state's key authenticates nothing.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { randomIds } from "../../src/core/ids.ts";
import type { RoleSession } from "../../src/core/service.ts";
import { openStore } from "../../src/store/sqlite.ts";
import { SESSION_TOKEN_PREFIX, SessionSealer } from "../../src/sts/session-token.ts";
import { temporaryKeyId } from "../../src/sts/sessions.ts";
import { clientConfig, tempDir, withTwin } from "../support/twin.ts";

const ACCOUNT = "123456789012";

const session: RoleSession = {
  roleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
  roleName: "deploy",
  roleId: "AROARZPUZDIKGMGRLHRGV",
  sessionName: "s1",
  expiration: new Date(Date.UTC(2026, 10, 25, 13, 0, 0)),
  policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:*","Resource":"*"}]}',
  policyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
  tags: { team: "blue" },
  transitiveTagKeys: ["team"],
  sourceIdentity: "octocat",
  chained: false,
  via: "AssumeRoleWithWebIdentity",
  webIdentity: { provider: "p", subject: "repo:o/r:ref:refs/heads/main", audience: "sts.amazonaws.com" },
};

// A token version 1 sealed (keyship before sealed parts were shared), under Buffer.alloc(32, 7).
const V1_TOKEN =
  "IQoJb3JpZ2luX2VjASvxrV0hUii9Uhu8Y7Xhg8xFklpmlQlScGrWXfM7O8AWJPkzUXCHYs/+QlyBzA8kzG9Hrm6UC072PPvsqeOPTaAWOtVl1/XMI3GkdGOucvl/ZoeSm6aOQFJDBRZ5LMDX7jV1N/gVG3ps8PLCtO2ux7mi1BRmsw1983iralKtIcyvWrctx5mmZz+hWQ1MV+uP5uI8XaSdla6Up1SHi51erGpdis+yivPDbAz31MM0gwxPNukPa4ddPcL4Clv7H0onUIGa+NxFuSkn3j9hT9gso4gaj71B0zofmjwF8QWafLYr13aUSTf3BZp/+kz1k4z8Od5RticxHO4p2WmnXo37UXtMHkFjI/rsst3fQ6oDoNabHtfM+Wyv8s2CI5iIeanSklQNCBsuxaDoUXW8axO7xYonB8JQ3cXvoeLd/YXCqcNcKmXqf2ci3R9k/0VG7N1dI34aj8a7Cvm9xPeYNsC/wT1r+m+11Al6uKdRfzSiZCizCxWiEzeMG9LjMg0N28AbYTKDVysOpSkQxZvvG11Sx6S33wx6cKeWJ9ooAxRHZdPKIaLFopcDrw8Tl9g5d69w0/l5iBgq8hjoMvtYbE3q6A/sf6UrtQ927sM0z1Ium0hN0GBovekAgF4aqUQMoRTep+QE0PrHmXFMB3idkocMmc+P7/vpweo+PA";

describe("SessionSealer", () => {
  const sealer = new SessionSealer(Buffer.alloc(32, 7));
  const accessKeyId = temporaryKeyId(ACCOUNT);
  const issuedAt = new Date(Date.UTC(2026, 10, 25, 12, 0, 0));
  const { sessionToken: token, secretAccessKey } = sealer.issue(accessKeyId, ACCOUNT, issuedAt, session);

  it("opens what it issued, for the key id it was issued for, with the secret it derived", () => {
    assert.ok(token.startsWith(SESSION_TOKEN_PREFIX));
    assert.match(token, /^[A-Za-z0-9+/]+$/);
    assert.match(secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
    assert.deepEqual(sealer.open(token, accessKeyId), {
      accessKeyId,
      secretAccessKey,
      accountId: ACCOUNT,
      issuedAt,
      session,
    });
    const bare: RoleSession = { ...session, policyArns: [], tags: {}, transitiveTagKeys: [] };
    delete bare.policy;
    delete bare.sourceIdentity;
    delete bare.webIdentity;
    const issued = sealer.issue(accessKeyId, ACCOUNT, issuedAt, bare);
    assert.deepEqual(sealer.open(issued.sessionToken, accessKeyId), {
      accessKeyId,
      secretAccessKey: issued.secretAccessKey,
      accountId: ACCOUNT,
      issuedAt,
      session: bare,
    });
  });

  it("sessions that differ only in key id and times share a sealed part, never a secret", () => {
    const later = new Date(issuedAt.getTime() + 1000);
    const other = sealer.issue(temporaryKeyId(ACCOUNT), ACCOUNT, later, {
      ...session,
      expiration: new Date(session.expiration.getTime() + 60_000),
    });
    assert.notEqual(other.secretAccessKey, secretAccessKey);
    const body = (t: string) => Buffer.from(t.slice(SESSION_TOKEN_PREFIX.length), "base64");
    const sealedPart = (b: Buffer) => b.subarray(3, 3 + b.readUInt16BE(1));
    assert.deepEqual(sealedPart(body(other.sessionToken)), sealedPart(body(token)));
    // a new state key seals anew and opens none of the old tokens
    const fresh = new SessionSealer(Buffer.alloc(32, 9));
    const mine = fresh.issue(accessKeyId, ACCOUNT, issuedAt, session);
    assert.notDeepEqual(sealedPart(body(mine.sessionToken)), sealedPart(body(token)));
    assert.equal(fresh.open(token, accessKeyId), undefined);
  });

  it("a session that differs from the one before in any lasting field carries its own", () => {
    const variants: Partial<RoleSession>[] = [
      { roleArn: `arn:aws:iam::${ACCOUNT}:role/other` },
      { roleId: "AROAOTHEROTHEROTHER00" },
      { roleName: "other" },
      { sessionName: "s2" },
      { policy: '{"Version":"2012-10-17","Statement":[]}' },
      { policyArns: [] },
      { policyArns: ["arn:aws:iam::aws:policy/PowerUserAccess"] },
      { tags: { team: "green" } },
      { tags: { team: "blue", env: "prod" } },
      { transitiveTagKeys: [] },
      { sourceIdentity: "hubot" },
      { chained: true },
      { via: "AssumeRole" },
      { webIdentity: { ...session.webIdentity!, subject: "repo:o/r:ref:refs/heads/dev" } },
      { webIdentity: { ...session.webIdentity!, audience: "other" } },
      { webIdentity: { ...session.webIdentity!, provider: "q" } },
    ];
    for (const change of variants) {
      sealer.issue(accessKeyId, ACCOUNT, issuedAt, session);
      const variant = { ...session, ...change };
      const issued = sealer.issue(accessKeyId, ACCOUNT, issuedAt, variant);
      assert.deepEqual(
        sealer.open(issued.sessionToken, accessKeyId)?.session,
        variant,
        JSON.stringify(change),
      );
    }
    // another account, same session
    const elsewhere = sealer.issue(accessKeyId, "210987654321", issuedAt, session);
    assert.equal(sealer.open(elsewhere.sessionToken, accessKeyId)?.accountId, "210987654321");
    // the caller's objects changed after issuing change what the next session carries
    const mine: RoleSession = { ...session, tags: { team: "blue" } };
    sealer.issue(accessKeyId, ACCOUNT, issuedAt, mine);
    mine.tags.team = "red";
    const after = sealer.issue(accessKeyId, ACCOUNT, issuedAt, mine);
    assert.deepEqual(sealer.open(after.sessionToken, accessKeyId)?.session.tags, { team: "red" });
  });

  it("opens nothing altered, misplaced or foreign", () => {
    assert.equal(sealer.open(token, temporaryKeyId(ACCOUNT)), undefined);
    for (let i = SESSION_TOKEN_PREFIX.length; i < token.length; i++) {
      const c = token[i] === "A" ? "B" : "A";
      assert.equal(
        sealer.open(token.slice(0, i) + c + token.slice(i + 1), accessKeyId),
        undefined,
        `at ${i}`,
      );
    }
    assert.equal(sealer.open(token.slice(0, -4), accessKeyId), undefined);
    assert.equal(sealer.open(`${token}AAAA`, accessKeyId), undefined);
    assert.equal(new SessionSealer(Buffer.alloc(32, 8)).open(token, accessKeyId), undefined);
    for (const junk of ["", SESSION_TOKEN_PREFIX, `${SESSION_TOKEN_PREFIX}AAAA`, "IQoJ%%%", token.slice(16)])
      assert.equal(sealer.open(junk, accessKeyId), undefined, junk);
  });

  it("opens a token an older twin sealed whole (version 1), for its key id only", () => {
    const v1Key = "ASIARZPUZDIKAAAAAAAA";
    assert.deepEqual(sealer.open(V1_TOKEN, v1Key), {
      accessKeyId: v1Key,
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      accountId: ACCOUNT,
      issuedAt,
      session,
    });
    assert.equal(sealer.open(V1_TOKEN, accessKeyId), undefined);
    assert.equal(sealer.open(`${V1_TOKEN.slice(0, -2)}AA`, v1Key), undefined);
  });
});

describe("sealed sessions on a live twin", () => {
  let dir: string;
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let keys: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  let other: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  let password: string;

  before(async () => {
    dir = await tempDir();
    twin = await withTwin({ stateDir: dir });
    const iam = new IAMClient(clientConfig(twin));
    const trust = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
      ],
    };
    await iam.send(
      new CreateRoleCommand({ RoleName: "pusher", AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "pusher",
        PolicyName: "ecr",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }],
        }),
      }),
    );
    const sts = new STSClient(clientConfig(twin));
    const assume = async (name: string) => {
      const c = (
        await sts.send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/pusher`, RoleSessionName: name }),
        )
      ).Credentials!;
      return {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      };
    };
    keys = await assume("first");
    other = await assume("second");
    const ecr = new ECRClient(clientConfig(twin, keys));
    password = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!
      .authorizationToken!;
  });
  after(async () => {
    await twin.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const callerArn = async (k: typeof keys) =>
    (await new STSClient(clientConfig(twin, k)).send(new GetCallerIdentityCommand({}))).Arn;

  it("issuing a session writes no session row", () => {
    const store = openStore(dir);
    try {
      const row = store.db.prepare("SELECT count(*) AS n FROM sts_sessions").get() as { n: number };
      assert.equal(row.n, 0);
    } finally {
      store.close();
    }
  });

  it("credentials and ECR passwords work after a restart on the same state", async () => {
    await twin.close();
    twin = await withTwin({ stateDir: dir });
    assert.equal(await callerArn(keys), `arn:aws:sts::${ACCOUNT}:assumed-role/pusher/first`);
    const res = await fetch(`${twin.url}/v2/`, { headers: { authorization: `Basic ${password}` } });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
  });

  it("a token altered, or presented with another session's key id, is InvalidClientTokenId", async () => {
    const mid = Math.floor(keys.sessionToken.length / 2);
    const altered = {
      ...keys,
      sessionToken:
        keys.sessionToken.slice(0, mid) +
        (keys.sessionToken[mid] === "A" ? "B" : "A") +
        keys.sessionToken.slice(mid + 1),
    };
    const swapped = { ...keys, sessionToken: other.sessionToken };
    for (const k of [altered, swapped]) {
      await assert.rejects(
        callerArn(k),
        (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(err.name, "InvalidClientTokenId");
          assert.equal(err.$metadata?.httpStatusCode, 403);
          return true;
        },
      );
    }
    assert.equal(await callerArn(other), `arn:aws:sts::${ACCOUNT}:assumed-role/pusher/second`);
  });

  it("a session stored by an older twin (before tokens were sealed) still authenticates", async () => {
    const legacy = {
      accessKeyId: temporaryKeyId(ACCOUNT),
      secretAccessKey: randomIds.secret(),
      sessionToken: `${SESSION_TOKEN_PREFIX}${Buffer.alloc(32, 3).toString("base64").replace(/=+$/, "")}`,
    };
    const store = openStore(dir);
    try {
      store.db
        .prepare(
          `INSERT INTO sts_sessions VALUES (?, ?, ?, ?, ?, 'AROARZPUZDIKGMGRLHRGV', 'pusher', 'old', ?, ?,
             NULL, '[]', '{}', '[]', NULL, 0, 'AssumeRole', NULL)`,
        )
        .run(
          legacy.accessKeyId,
          legacy.secretAccessKey,
          legacy.sessionToken,
          ACCOUNT,
          `arn:aws:iam::${ACCOUNT}:role/pusher`,
          Date.now(),
          Date.now() + 3600_000,
        );
    } finally {
      store.close();
    }
    assert.equal(await callerArn(legacy), `arn:aws:sts::${ACCOUNT}:assumed-role/pusher/old`);
  });
});
