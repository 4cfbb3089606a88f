// `keyship up --token-ttl` and `--trust-issuer` on a served twin: STS verifies a second issuer on loopback
// through its discovery document, the runner endpoint mints tokens with the given lifetime, and bad values
// are usage errors (exit 2) before anything starts.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { readAdmin } from "../support/admin.ts";
import { keyship } from "../support/cli.ts";
import { type LoopbackIdp, startLoopbackIdp } from "../support/loopback-idp.ts";
import { killHard, spawnTwin, tempDir } from "../support/twin.ts";
import { webIdentityTrust } from "../support/web-identity-trust.ts";

describe("keyship up --token-ttl --trust-issuer", () => {
  let state: string;
  let idp: LoopbackIdp;
  let twin: Awaited<ReturnType<typeof spawnTwin>>;

  before(async () => {
    idp = await startLoopbackIdp();
    state = await tempDir("keyship-up-oidc-");
    twin = await spawnTwin(state, ["--token-ttl", "120", "--trust-issuer", `${idp.iss}=${idp.base}`]);
  });
  after(async () => {
    await killHard(twin.child);
    await idp.close();
    await rm(state, { recursive: true, force: true });
  });

  it("STS verifies the trusted issuer's token through its discovery document", async () => {
    const { admin } = await readAdmin(state);
    const iam = new IAMClient({
      endpoint: twin.url,
      region: "us-east-1",
      credentials: admin,
      maxAttempts: 1,
    });
    const provider = (
      await iam.send(new CreateOpenIDConnectProviderCommand({ Url: idp.iss, ClientIDList: ["my-app"] }))
    ).OpenIDConnectProviderArn!;
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: "idp-role",
        AssumeRolePolicyDocument: webIdentityTrust(provider, {
          StringEquals: { "idp.example.test:aud": "my-app", "idp.example.test:sub": "user-42" },
        }),
      }),
    );
    iam.destroy();
    const sts = new STSClient({ endpoint: twin.url, region: "us-east-1", maxAttempts: 1 });
    try {
      const out = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: role.Role!.Arn!,
          RoleSessionName: "s1",
          WebIdentityToken: await idp.sign({ aud: "my-app", sub: "user-42" }),
        }),
      );
      assert.equal(out.Provider, provider);
      assert.equal(out.SubjectFromWebIdentityToken, "user-42");
    } finally {
      sts.destroy();
    }
  });

  it("the runner endpoint's tokens live --token-ttl seconds", async () => {
    const r = await keyship([
      "job-env",
      "--state",
      state,
      "--repo",
      "example-org/sample-app",
      "--url",
      twin.url,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const get = (k: string) => new RegExp(`^export ${k}='(.*)'$`, "m").exec(r.stdout)![1]!;
    const res = await fetch(get("ACTIONS_ID_TOKEN_REQUEST_URL"), {
      headers: { Authorization: `Bearer ${get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")}` },
    });
    assert.equal(res.status, 200);
    const { value } = (await res.json()) as { value: string };
    const claims = JSON.parse(Buffer.from(value.split(".")[1]!, "base64url").toString()) as {
      iat: number;
      exp: number;
    };
    assert.equal(claims.exp - claims.iat, 120);
  });

  it("bad values exit 2 with a message and start nothing", async () => {
    const cases: [string[], RegExp][] = [
      [["--token-ttl", "0"], /--token-ttl must be a whole number of seconds, 1\.\.86400/],
      [["--token-ttl", "5m"], /--token-ttl must be a whole number of seconds/],
      [["--trust-issuer", "idp.example.test"], /--trust-issuer takes ISSUER or ISSUER=URL/],
      [["--trust-issuer", "http://idp.example.test"], /the issuer must be an https URL/],
      [
        ["--trust-issuer", "https://idp.example.test=http://10.1.2.3:8080"],
        /https, or http on a loopback address/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await keyship(["up", "--port", "0", "--state", state, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
