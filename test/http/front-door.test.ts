// The front door through real clients: protocols, dispatch, SigV4 failures, limits, durability.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs";
import { CreateRoleCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { aws, cliEnv, clientConfig, killHard, spawnTwin, tempDir, withTwin } from "../support/twin.ts";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

describe("front door", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  before(async () => {
    twin = await withTwin();
  });
  after(() => twin.dispose());

  test("health answers with version, account and region", async () => {
    const res = await fetch(`${twin.url}/_keyship/health`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "ok");
    assert.equal(body.account, "123456789012");
    assert.equal(body.region, "us-east-1");
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.ok(res.headers.get("x-amzn-requestid"));
  });

  test("the SDK's signed GetCallerIdentity names the bootstrap admin", async () => {
    const sts = new STSClient(clientConfig(twin));
    const who = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, "123456789012");
    assert.equal(who.Arn, `arn:aws:iam::123456789012:user/${twin.admin.userName}`);
    assert.match(who.UserId ?? "", /^AIDA/);
    assert.match(twin.admin.accessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(twin.admin.secretAccessKey.length, 40);
  });

  test("the aws CLI works unchanged through AWS_ENDPOINT_URL, in any region", async () => {
    const r = await aws(
      ["sts", "get-caller-identity", "--output", "json"],
      cliEnv(twin, twin.admin, "eu-west-3"),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).Account, "123456789012");
  });

  test("an unsigned call is MissingAuthenticationToken (awsQuery, 403)", async () => {
    const res = await fetch(twin.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=ListRoles&Version=2010-05-08",
    });
    assert.equal(res.status, 403);
    const xml = await res.text();
    assert.match(xml, /<Code>MissingAuthenticationToken<\/Code>/);
    assert.match(xml, /<Message>Request is missing Authentication Token<\/Message>/);
    assert.match(xml, /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/">/);
    assert.ok(res.headers.get("x-amzn-requestid"));
  });

  test("an unsigned awsJson1_1 call is MissingAuthenticationTokenException (400)", async () => {
    const res = await fetch(twin.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters",
      },
      body: "{}",
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
    assert.deepEqual(await res.json(), {
      __type: "MissingAuthenticationTokenException",
      message: "Missing Authentication Token",
    });
  });

  test("unknown operations get each protocol's error", async () => {
    const q = await fetch(twin.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=MakeCoffee&Version=2010-05-08",
    });
    assert.equal(q.status, 400);
    assert.match(await q.text(), /<Code>InvalidAction<\/Code>/);
    const j = await fetch(twin.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonEC2ContainerServiceV20141113.MakeCoffee",
      },
      body: "{}",
    });
    assert.equal(j.status, 400);
    assert.equal((await j.json()).__type, "UnknownOperationException");
  });

  test("a wrong secret is SignatureDoesNotMatch; an unknown key is InvalidClientTokenId", async () => {
    const wrong = new IAMClient(
      clientConfig(twin, { accessKeyId: twin.admin.accessKeyId, secretAccessKey: "x".repeat(40) }),
    );
    await assert.rejects(
      wrong.send(new GetRoleCommand({ RoleName: "nope" })),
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.name, "SignatureDoesNotMatch");
        assert.equal(e.$metadata?.httpStatusCode, 403);
        assert.match(
          e.message,
          /^The request signature we calculated does not match the signature you provided/,
        );
        return true;
      },
    );
    const unknown = new STSClient(
      clientConfig(twin, { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x".repeat(40) }),
    );
    await assert.rejects(unknown.send(new GetCallerIdentityCommand({})), (e: Error) => {
      assert.equal(e.name, "InvalidClientTokenId");
      assert.equal(e.message, "The security token included in the request is invalid");
      return true;
    });
    const ecs = new ECSClient(
      clientConfig(twin, { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x".repeat(40) }),
    );
    await assert.rejects(ecs.send(new ListClustersCommand({})), (e: Error) => {
      assert.equal(e.name, "UnrecognizedClientException");
      return true;
    });
  });

  test("an oversize body is refused, not buffered", async () => {
    const res = await fetch(twin.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `Action=ListRoles&Junk=${"a".repeat(33 * 1024 * 1024)}`,
    }).catch((e: Error) => e);
    // Either the 413 arrives or the server closes the connection mid-upload: never a 200.
    if (res instanceof Response) assert.equal(res.status, 413);
    const health = await fetch(`${twin.url}/_keyship/health`);
    assert.equal(health.status, 200);
  });

  test("a malformed escape is MalformedQueryString", async () => {
    const res = await fetch(twin.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=ListRoles&X=%zz",
    });
    assert.equal(res.status, 404);
    assert.match(await res.text(), /<Code>MalformedQueryString<\/Code>/);
  });
});

describe("durability", () => {
  test("an acknowledged write survives kill -9 and a restart serves it", async () => {
    const stateDir = await tempDir();
    const first = await spawnTwin(stateDir);
    try {
      const { admin } = await import("../support/admin.ts").then((m) => m.readAdmin(stateDir));
      const iam = new IAMClient(clientConfig({ url: first.url, admin }));
      await iam.send(new CreateRoleCommand({ RoleName: "survivor", AssumeRolePolicyDocument: trust }));
      await killHard(first.child);
      const second = await spawnTwin(stateDir);
      try {
        const iam2 = new IAMClient(clientConfig({ url: second.url, admin }));
        const role = await iam2.send(new GetRoleCommand({ RoleName: "survivor" }));
        assert.equal(role.Role?.RoleName, "survivor");
        assert.equal(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? ""), trust);
      } finally {
        second.child.kill("SIGTERM");
        await new Promise((r) => second.child.once("exit", r));
      }
    } finally {
      if (first.child.exitCode === null) first.child.kill("SIGKILL");
    }
  });
});
