// STS and the OIDC issuer against a live twin, driven by the clients users run: AWS SDK v3
// (AssumeRoleWithWebIdentityCommand, fromWebToken, fromTokenFile), the aws CLI and @actions/core.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { getIDToken } from "@actions/core";
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListUsersCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { fromTokenFile, fromWebToken } from "@aws-sdk/credential-providers";
import { jobEnv } from "../../src/cli/job-env.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { randomIds } from "../../src/core/ids.ts";
import { jobFor } from "../../src/oidc/claims.ts";
import { openIssuer } from "../../src/oidc/component.ts";
import { openStore } from "../../src/store/sqlite.ts";
import { aws, cliEnv, clientConfig, withTwin } from "../support/twin.ts";

const GH = "token.actions.githubusercontent.com";
const BIN = join(import.meta.dirname, "../../bin/keyship");

describe("STS web identity against a live twin", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  let roleArn: string;
  let chainArn: string;
  let sts: STSClient;
  const region = "us-east-1";

  /** A token from `keyship token`, as a user would mint one. */
  async function cliToken(args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [
      BIN,
      "token",
      "--state",
      twin.stateDir,
      ...args,
    ]);
    return stdout.trim();
  }
  /** SDK clients sign with the twin's (manual) time. */
  const offset = () => clock.now().getTime() - Date.now();

  before(async () => {
    twin = await withTwin({ clock });
    const iam = new IAMClient(clientConfig(twin));
    const provider = await iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
    );
    const trust = (sub: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: provider.OpenIDConnectProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" },
              StringLike: { [`${GH}:sub`]: sub },
            },
          },
        ],
      });
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: "github-actions-deploy",
        AssumeRolePolicyDocument: trust("repo:example-org/sample-app:*"),
      }),
    );
    roleArn = role.Role!.Arn!;
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "github-actions-deploy",
        PolicyName: "read-roles",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["iam:GetRole", "iam:ListRoles"], Resource: "*" },
            { Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" },
          ],
        }),
      }),
    );
    // A second role the first may chain into: its trust policy names the first role.
    const chain = await iam.send(
      new CreateRoleCommand({
        RoleName: "chained",
        MaxSessionDuration: 43200,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: roleArn },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "sts:ExternalId": "ext-123" } },
            },
          ],
        }),
      }),
    );
    chainArn = chain.Role!.Arn!;
    sts = new STSClient({ endpoint: twin.url, region, maxAttempts: 1 });
  });
  after(() => twin.dispose());

  it("serves discovery and JWKS", async () => {
    const d = (await (await fetch(`${twin.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(d.issuer, `https://${GH}`);
    const jwks = (await (await fetch(`${twin.url}/.well-known/jwks`)).json()) as {
      keys: { kid: string; alg: string }[];
    };
    assert.equal(jwks.keys[0]!.alg, "RS256");
  });

  it("AssumeRoleWithWebIdentityCommand, then the session signs STS and IAM calls", async () => {
    const token = await cliToken(["--repo", "example-org/sample-app", "--audience", "sts.amazonaws.com"]);
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: "GitHubActions",
        WebIdentityToken: token,
      }),
    );
    assert.equal(out.SubjectFromWebIdentityToken, "repo:example-org/sample-app:ref:refs/heads/main");
    assert.equal(out.Provider, `arn:aws:iam::${twin.accountId}:oidc-provider/${GH}`);
    assert.equal(out.Audience, "sts.amazonaws.com");
    assert.ok(out.Credentials!.Expiration instanceof Date);
    const credentials = {
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    };
    const me = await new STSClient({ ...clientConfig(twin, credentials) }).send(
      new GetCallerIdentityCommand({}),
    );
    assert.equal(me.Arn, `arn:aws:sts::${twin.accountId}:assumed-role/github-actions-deploy/GitHubActions`);
    assert.match(me.UserId!, /^AROA\w+:GitHubActions$/);
    const iam = new IAMClient(clientConfig(twin, credentials));
    assert.equal((await iam.send(new GetRoleCommand({ RoleName: "chained" }))).Role!.RoleName, "chained");
    await assert.rejects(iam.send(new ListUsersCommand({})), (err: Error) => err.name === "AccessDenied");
  });

  it("session policies apply to every later call of the session", async () => {
    const token = await cliToken(["--repo", "example-org/sample-app", "--audience", "sts.amazonaws.com"]);
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: "limited",
        WebIdentityToken: token,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "iam:ListRoles", Resource: "*" }],
        }),
      }),
    );
    assert.ok((out.PackedPolicySize ?? 0) > 0);
    const iam = new IAMClient(
      clientConfig(twin, {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretAccessKey!,
        sessionToken: out.Credentials!.SessionToken!,
      }),
    );
    await assert.rejects(
      iam.send(new GetRoleCommand({ RoleName: "chained" })),
      (err: Error) => err.name === "AccessDenied",
    );
  });

  it("refuses other repositories and hostile tokens with AWS's codes over the wire", async () => {
    const evil = await cliToken(["--repo", "example-org/sample-app-evil", "--audience", "sts.amazonaws.com"]);
    await assert.rejects(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: "s1",
          WebIdentityToken: evil,
        }),
      ),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) =>
        err.name === "AccessDenied" &&
        err.message === "Not authorized to perform sts:AssumeRoleWithWebIdentity" &&
        err.$metadata?.httpStatusCode === 403,
    );
    const expired = await cliToken([
      "--repo",
      "example-org/sample-app",
      "--audience",
      "sts.amazonaws.com",
      "--claim",
      "exp=1",
    ]);
    await assert.rejects(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: "s1",
          WebIdentityToken: expired,
        }),
      ),
      (err: Error) => err.name === "ExpiredTokenException",
    );
    await assert.rejects(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: "s1",
          WebIdentityToken: "nope.nope.nope",
        }),
      ),
      (err: Error) => err.name === "InvalidIdentityTokenException",
    );
  });

  it("fromWebToken and fromTokenFile credential providers", async () => {
    const token = await cliToken([
      "--repo",
      "example-org/sample-app",
      "--environment",
      "production",
      "--audience",
      "sts.amazonaws.com",
    ]);
    const clientConfig = { endpoint: twin.url, region, maxAttempts: 1 };
    const viaToken = await fromWebToken({
      roleArn,
      webIdentityToken: token,
      roleSessionName: "web",
      clientConfig,
    })();
    assert.match(viaToken.accessKeyId, /^ASIA/);
    assert.ok(viaToken.sessionToken);
    const file = join(twin.stateDir, "token.jwt");
    await writeFile(file, token);
    const viaFile = await fromTokenFile({
      roleArn,
      webIdentityTokenFile: file,
      roleSessionName: "file",
      clientConfig,
    })();
    assert.match(viaFile.accessKeyId, /^ASIA/);
    const me = await new STSClient({ endpoint: twin.url, region, credentials: viaFile, maxAttempts: 1 }).send(
      new GetCallerIdentityCommand({}),
    );
    assert.equal(me.Arn, `arn:aws:sts::${twin.accountId}:assumed-role/github-actions-deploy/file`);
  });

  it("aws sts assume-role-with-web-identity", async () => {
    const token = await cliToken([
      "--repo",
      "example-org/sample-app",
      "--ref",
      "refs/tags/v1.2.0",
      "--audience",
      "sts.amazonaws.com",
    ]);
    const env = cliEnv(twin);
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    const ok = await aws(
      [
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        roleArn,
        "--role-session-name",
        "cli",
        "--web-identity-token",
        token,
      ],
      env,
    );
    assert.equal(ok.code, 0, ok.stderr);
    const parsed = JSON.parse(ok.stdout);
    assert.equal(parsed.SubjectFromWebIdentityToken, "repo:example-org/sample-app:ref:refs/tags/v1.2.0");
    assert.match(parsed.Credentials.AccessKeyId, /^ASIA/);
    const bad = await aws(
      [
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        roleArn,
        "--role-session-name",
        "cli",
        "--web-identity-token",
        `${token}x`,
      ],
      env,
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /InvalidIdentityToken/);
  });

  it("@actions/core getIDToken() against the job-env endpoint", async () => {
    const env = await jobEnv({
      stateDir: twin.stateDir,
      job: { repository: "example-org/sample-app", environment: "production" },
      url: twin.url,
      clock,
    });
    const saved = {
      url: process.env.ACTIONS_ID_TOKEN_REQUEST_URL,
      token: process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
    };
    try {
      process.env.ACTIONS_ID_TOKEN_REQUEST_URL = env.ACTIONS_ID_TOKEN_REQUEST_URL;
      process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
      const token = await getIDToken("sts.amazonaws.com");
      const out = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: "core",
          WebIdentityToken: token,
        }),
      );
      assert.equal(out.SubjectFromWebIdentityToken, "repo:example-org/sample-app:environment:production");
      // Without an audience GitHub's default is https://github.com/<owner>.
      const plain = await getIDToken();
      assert.equal(
        JSON.parse(Buffer.from(plain.split(".")[1]!, "base64url").toString()).aud,
        "https://github.com/example-org",
      );
      process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = `${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}x`;
      await assert.rejects(
        getIDToken("sts.amazonaws.com"),
        /Failed to get ID Token[\s\S]*401[\s\S]*Bad credentials/,
      );
    } finally {
      for (const [k, v] of [
        ["ACTIONS_ID_TOKEN_REQUEST_URL", saved.url],
        ["ACTIONS_ID_TOKEN_REQUEST_TOKEN", saved.token],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const noPermission = await jobEnv({
      stateDir: twin.stateDir,
      job: { repository: "example-org/sample-app" },
      idToken: false,
    });
    assert.equal(noPermission.ACTIONS_ID_TOKEN_REQUEST_URL, undefined);
    assert.equal(noPermission.GITHUB_REPOSITORY, "example-org/sample-app");
  });

  it("token request endpoint: 401 without a valid request token, bound to its job URL, audience rules", async () => {
    const env = await jobEnv({
      stateDir: twin.stateDir,
      job: { repository: "example-org/sample-app" },
      url: twin.url,
      clock,
    });
    const url = env.ACTIONS_ID_TOKEN_REQUEST_URL!;
    const auth = { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` };
    const noAuth = await fetch(`${url}&audience=sts.amazonaws.com`);
    assert.equal(noAuth.status, 401);
    assert.deepEqual(await noAuth.json(), { message: "Bad credentials" });
    const other = url.replace(/jobs\/[^/]+\//, "jobs/someone-else/");
    assert.equal((await fetch(other, { headers: auth })).status, 401);
    const tooLong = await fetch(`${url}&audience=${"a".repeat(257)}`, { headers: auth });
    assert.equal(tooLong.status, 400);
    const ok = await fetch(`${url}&audience=${encodeURIComponent("a+b:c")}`, { headers: auth });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { count: number; value: string };
    assert.equal(body.count, 1);
    assert.equal(JSON.parse(Buffer.from(body.value.split(".")[1]!, "base64url").toString()).aud, "a+b:c");
    // A custom template that names a claim the job lacks fails the request, as GitHub's does.
    const put = await fetch(`${twin.url}/repos/example-org/needs-env/actions/oidc/customization/sub`, {
      method: "PUT",
      body: JSON.stringify({ use_default: false, include_claim_keys: ["repo", "environment"] }),
    });
    assert.equal(put.status, 201);
    const envless = await jobEnv({
      stateDir: twin.stateDir,
      job: { repository: "example-org/needs-env" },
      url: twin.url,
      clock,
    });
    const failed = await fetch(envless.ACTIONS_ID_TOKEN_REQUEST_URL!, {
      headers: { authorization: `Bearer ${envless.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
    });
    assert.equal(failed.status, 400);
    assert.deepEqual(await failed.json(), { message: "an environment is required and must be provided" });
  });

  it("subject customization through GitHub's REST paths changes the next token's sub", async () => {
    const put = await fetch(`${twin.url}/repos/example-org/custom-app/actions/oidc/customization/sub`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        use_default: false,
        include_claim_keys: ["repo", "context", "job_workflow_ref"],
      }),
    });
    assert.equal(put.status, 201);
    const got = (await (
      await fetch(`${twin.url}/repos/example-org/custom-app/actions/oidc/customization/sub`)
    ).json()) as Record<string, unknown>;
    assert.equal(got.use_default, false);
    assert.deepEqual(got.include_claim_keys, ["repo", "context", "job_workflow_ref"]);
    assert.equal(got.sub_claim_prefix, "repo:example-org/custom-app");
    const bad = await fetch(`${twin.url}/orgs/example-org/actions/oidc/customization/sub`, {
      method: "PUT",
      body: JSON.stringify({ include_claim_keys: ["no spaces allowed"] }),
    });
    assert.equal(bad.status, 422);
    const token = await cliToken(["--repo", "example-org/custom-app"]);
    const sub = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).sub;
    assert.equal(
      sub,
      "repo:example-org/custom-app:ref:refs/heads/main:job_workflow_ref:example-org/custom-app/.github/workflows/deploy.yml@refs/heads/main",
    );
  });

  it("AssumeRole: ExternalId, role chaining capped at one hour", async () => {
    const token = await cliToken(["--repo", "example-org/sample-app", "--audience", "sts.amazonaws.com"]);
    const first = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: "first",
        WebIdentityToken: token,
      }),
    );
    const session = new STSClient(
      clientConfig(twin, {
        accessKeyId: first.Credentials!.AccessKeyId!,
        secretAccessKey: first.Credentials!.SecretAccessKey!,
        sessionToken: first.Credentials!.SessionToken!,
      }),
    );
    await assert.rejects(
      session.send(new AssumeRoleCommand({ RoleArn: chainArn, RoleSessionName: "second" })),
      (err: Error) => err.name === "AccessDenied",
    );
    await assert.rejects(
      session.send(
        new AssumeRoleCommand({
          RoleArn: chainArn,
          RoleSessionName: "second",
          ExternalId: "ext-123",
          DurationSeconds: 7200,
        }),
      ),
      (err: Error) =>
        err.name === "ValidationError" &&
        err.message ===
          "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    const second = await session.send(
      new AssumeRoleCommand({ RoleArn: chainArn, RoleSessionName: "second", ExternalId: "ext-123" }),
    );
    assert.equal(second.AssumedRoleUser!.Arn, `arn:aws:sts::${twin.accountId}:assumed-role/chained/second`);
    await assert.rejects(
      session.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${twin.accountId}:role/none`, RoleSessionName: "xx" }),
      ),
      (err: Error) =>
        err.name === "AccessDenied" &&
        err.message ===
          `User: arn:aws:sts::${twin.accountId}:assumed-role/github-actions-deploy/first is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${twin.accountId}:role/none`,
    );
  });

  it("keys rotate: new tokens use the new kid, old tokens still verify", async () => {
    const store = openStore(twin.stateDir);
    const issuer = openIssuer(store, { clock, ids: randomIds });
    const before = await issuer.mint(jobFor({ repository: "example-org/sample-app" }), {
      audience: "sts.amazonaws.com",
    });
    store.close();
    await promisify(execFile)(process.execPath, [BIN, "keys", "rotate", "--state", twin.stateDir]);
    const after = await cliToken(["--repo", "example-org/sample-app", "--audience", "sts.amazonaws.com"]);
    const kid = (t: string) => JSON.parse(Buffer.from(t.split(".")[0]!, "base64url").toString()).kid;
    assert.notEqual(kid(before), kid(after));
    const jwks = (await (await fetch(`${twin.url}/.well-known/jwks`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      [kid(after), kid(before)],
    );
    for (const t of [before, after]) {
      await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: "rot",
          WebIdentityToken: t,
        }),
      );
    }
  });

  it("keyship explain prints the trace down to the claim", async () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [
        BIN,
        "explain",
        "--state",
        twin.stateDir,
        "--role",
        "github-actions-deploy",
        ...args,
      ]).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    const ok = await run(["--repo", "example-org/sample-app"]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /allowed/);
    const denied = await run(["--repo", "example-org/sample-app-evil"]);
    assert.equal(denied.code, 1);
    assert.match(
      denied.stdout,
      /token\.actions\.githubusercontent\.com:sub was 'repo:example-org\/sample-app-evil:ref:refs\/heads\/main'; StringLike requires 'repo:example-org\/sample-app:\*'/,
    );
  });

  it("an expired session is refused with ExpiredToken", async () => {
    const token = await cliToken(["--repo", "example-org/sample-app", "--audience", "sts.amazonaws.com"]);
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: "short",
        WebIdentityToken: token,
        DurationSeconds: 900,
      }),
    );
    const credentials = {
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    };
    clock.advance(901_000);
    const late = new STSClient({ ...clientConfig(twin, credentials), systemClockOffset: offset() });
    await assert.rejects(
      late.send(new GetCallerIdentityCommand({})),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) =>
        err.name === "ExpiredToken" && err.$metadata?.httpStatusCode === 403,
    );
  });
});
