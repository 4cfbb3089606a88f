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

describe("SessionSealer", () => {
  const sealer = new SessionSealer(Buffer.alloc(32, 7));
  const accessKeyId = temporaryKeyId(ACCOUNT);
  const sealed = {
    accessKeyId,
    secretAccessKey: randomIds.secret(),
    accountId: ACCOUNT,
    issuedAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0)),
    session,
  };
  const token = sealer.seal(sealed);

  it("opens what it sealed, for the key id it was sealed for", () => {
    assert.ok(token.startsWith(SESSION_TOKEN_PREFIX));
    assert.match(token, /^[A-Za-z0-9+/]+$/);
    assert.deepEqual(sealer.open(token, accessKeyId), sealed);
    const bare: RoleSession = { ...session, policyArns: [], tags: {}, transitiveTagKeys: [] };
    delete bare.policy;
    delete bare.sourceIdentity;
    delete bare.webIdentity;
    const plain = { ...sealed, session: bare };
    assert.deepEqual(sealer.open(sealer.seal(plain), accessKeyId), plain);
  });

  it("opens nothing altered, misplaced or foreign", () => {
    assert.equal(sealer.open(token, temporaryKeyId(ACCOUNT)), undefined);
    for (let i = SESSION_TOKEN_PREFIX.length; i < token.length; i += 7) {
      const c = token[i] === "A" ? "B" : "A";
      assert.equal(
        sealer.open(token.slice(0, i) + c + token.slice(i + 1), accessKeyId),
        undefined,
        `at ${i}`,
      );
    }
    assert.equal(sealer.open(token.slice(0, -4), accessKeyId), undefined);
    assert.equal(new SessionSealer(Buffer.alloc(32, 8)).open(token, accessKeyId), undefined);
    for (const junk of ["", SESSION_TOKEN_PREFIX, `${SESSION_TOKEN_PREFIX}AAAA`, "IQoJ%%%", token.slice(16)])
      assert.equal(sealer.open(junk, accessKeyId), undefined, junk);
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
