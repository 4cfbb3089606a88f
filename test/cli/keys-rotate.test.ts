// `keyship keys rotate --overlap N` against a twin served by `keyship up` on the same state: the overlap is
// recorded with the retired key, so the running twin (whose own default overlap is a day) stops publishing
// the old kid after N seconds, and STS refuses a token it signed (InvalidIdentityToken).
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import {
  AssumeRoleWithWebIdentityCommand,
  InvalidIdentityTokenException,
  STSClient,
} from "@aws-sdk/client-sts";
import { decodeProtectedHeader } from "jose";
import { readAdmin } from "../support/admin.ts";
import { keyship } from "../support/cli.ts";
import { killHard, spawnTwin, tempDir } from "../support/twin.ts";
import { webIdentityTrust } from "../support/web-identity-trust.ts";

const GH = "token.actions.githubusercontent.com";

describe("keyship keys rotate --overlap on a served twin", () => {
  let state: string;
  let twin: Awaited<ReturnType<typeof spawnTwin>>;
  let roleArn: string;
  let sts: STSClient;

  const token = async () => {
    const r = await keyship([
      "token",
      "--state",
      state,
      "--repo",
      "example-org/sample-app",
      "--audience",
      "sts.amazonaws.com",
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const kids = async () =>
    ((await (await fetch(`${twin.url}/.well-known/jwks`)).json()) as { keys: { kid: string }[] }).keys.map(
      (k) => k.kid,
    );
  const assume = (jwt: string) =>
    sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: "gha",
        WebIdentityToken: jwt,
      }),
    );

  before(async () => {
    state = await tempDir("keyship-rotate-");
    twin = await spawnTwin(state);
    const { admin } = await readAdmin(state);
    const iam = new IAMClient({
      endpoint: twin.url,
      region: "us-east-1",
      credentials: admin,
      maxAttempts: 1,
    });
    const provider = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
      )
    ).OpenIDConnectProviderArn!;
    roleArn = (
      await iam.send(
        new CreateRoleCommand({
          RoleName: "deploy",
          AssumeRolePolicyDocument: webIdentityTrust(provider, {
            StringEquals: {
              [`${GH}:aud`]: "sts.amazonaws.com",
              [`${GH}:sub`]: "repo:example-org/sample-app:ref:refs/heads/main",
            },
          }),
        }),
      )
    ).Role!.Arn!;
    iam.destroy();
    sts = new STSClient({ endpoint: twin.url, region: "us-east-1", maxAttempts: 1 });
  });
  after(async () => {
    sts.destroy();
    await killHard(twin.child);
    await rm(state, { recursive: true, force: true });
  });

  it("after --overlap the old kid leaves the JWKS and STS refuses its tokens", async () => {
    const old = await token();
    const oldKid = decodeProtectedHeader(old).kid!;
    // Accepted (and so cached by the twin's verifier) before the rotation.
    assert.equal(
      (await assume(old)).SubjectFromWebIdentityToken,
      "repo:example-org/sample-app:ref:refs/heads/main",
    );

    // long enough that the reads below fall inside it on a slow machine, short enough to wait out
    const rotated = await keyship(["keys", "rotate", "--state", state, "--overlap", "5"]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const until = new RegExp(`retired \\(published until (\\S+Z)\\): ${oldKid}`).exec(rotated.stdout);
    assert.ok(until, rotated.stdout);
    const during = await kids();
    const fresh = await token();
    const newKid = decodeProtectedHeader(fresh).kid!;
    assert.notEqual(newKid, oldKid);
    assert.deepEqual(during, [newKid, oldKid], "both published during the overlap");

    await sleep(Math.max(0, Date.parse(until[1]!) - Date.now()) + 500);
    assert.deepEqual(await kids(), [newKid], "the old kid is gone after the overlap");
    // The wire's InvalidIdentityToken, which the SDK names InvalidIdentityTokenException.
    await assert.rejects(assume(old), (err: Error) => {
      assert.ok(err instanceof InvalidIdentityTokenException, `${err.name}: ${err.message}`);
      assert.match(err.message, /Couldn't retrieve verification key from your identity provider/);
      return true;
    });
    assert.ok((await assume(fresh)).Credentials?.AccessKeyId, "the new key's token is accepted");
  });

  it("a bad --overlap is a usage error", async () => {
    const r = await keyship(["keys", "rotate", "--state", state, "--overlap", "soon"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--overlap takes a number of seconds/);
  });
});
