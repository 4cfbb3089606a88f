// `keyship explain` in both modes against a state dir: --token JWT (a token minted elsewhere, checked as
// STS would: signature, expiry, audience, then the trust policy) and --repo/--ref/--event/--environment
// (a token minted for the described job), each trace naming the claim and the condition.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { clientConfig, withTwin } from "../support/twin.ts";
import { webIdentityTrust } from "../support/web-identity-trust.ts";

const BIN = join(import.meta.dirname, "../../bin/keyship");
const GH = "token.actions.githubusercontent.com";

describe("keyship explain", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;

  const keyship = (...args: string[]) =>
    promisify(execFile)(process.execPath, [BIN, ...args]).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );
  const token = async (...args: string[]) => {
    const r = await keyship("token", "--state", twin.stateDir, ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const explain = (role: string, ...args: string[]) =>
    keyship("explain", "--state", twin.stateDir, "--role", role, ...args);

  before(async () => {
    twin = await withTwin();
    const iam = new IAMClient(clientConfig(twin));
    const provider = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
      )
    ).OpenIDConnectProviderArn!;
    const role = (name: string, sub: string) =>
      iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: webIdentityTrust(
            provider,
            {
              StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com", [`${GH}:sub`]: sub },
            },
            "GitHubDeploy",
          ),
        }),
      );
    await role("main-only", "repo:example-org/sample-app:ref:refs/heads/main");
    await role("prod-only", "repo:example-org/sample-app:environment:production");
    iam.destroy();
  });
  after(() => twin.dispose());

  it("--token: a token from the main branch is allowed (exit 0)", async () => {
    const jwt = await token("--repo", "example-org/sample-app", "--audience", "sts.amazonaws.com");
    const r = await explain("main-only", "--token", jwt);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /sub repo:example-org\/sample-app:ref:refs\/heads\/main/);
    assert.match(r.stdout, /STS would issue credentials/);
  });

  it("--token: a pull request's token is refused, down to the claim (exit 1)", async () => {
    const jwt = await token(
      "--repo",
      "example-org/sample-app",
      "--event",
      "pull_request",
      "--ref",
      "refs/pull/7/merge",
      "--audience",
      "sts.amazonaws.com",
    );
    const r = await explain("arn:aws:iam::123456789012:role/main-only", "--token", jwt);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /token\.actions\.githubusercontent\.com:sub was 'repo:example-org\/sample-app:pull_request'; StringEquals requires 'repo:example-org\/sample-app:ref:refs\/heads\/main'/,
    );
    assert.match(
      r.stdout,
      /STS would answer AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity/,
    );
  });

  it("--token: an expired token and a foreign audience are refused before the trust policy", async () => {
    const expired = await token(
      "--repo",
      "example-org/sample-app",
      "--audience",
      "sts.amazonaws.com",
      "--claim",
      "iat=now-900",
      "--claim",
      "nbf=now-900",
      "--claim",
      "exp=now-600",
    );
    const late = await explain("main-only", "--token", expired);
    assert.equal(late.code, 1);
    assert.match(
      late.stdout,
      /^token refused before the trust policy: ExpiredTokenException: Token expired/m,
    );
    const foreign = await token(
      "--repo",
      "example-org/sample-app",
      "--audience",
      "https://github.com/example-org",
    );
    const aud = await explain("main-only", "--token", foreign);
    assert.equal(aud.code, 1);
    assert.match(
      aud.stdout,
      /^token refused before the trust policy: InvalidIdentityToken: Incorrect token audience$/m,
    );
    // a source identity STS would refuse (ValidationError) is reported, not thrown
    const aws = await token(
      "--repo",
      "example-org/sample-app",
      "--audience",
      "sts.amazonaws.com",
      "--claim",
      "https://aws.amazon.com/source_identity=aws:me",
    );
    const bad = await explain("main-only", "--token", aws);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stdout, /^token refused before the trust policy: ValidationError: .*source_identity/m);
  });

  it("--repo/--environment mints for the described job; a missing role says what STS would answer", async () => {
    const prod = await explain(
      "prod-only",
      "--repo",
      "example-org/sample-app",
      "--environment",
      "production",
    );
    assert.equal(prod.code, 0, prod.stdout + prod.stderr);
    assert.match(prod.stdout, /sub repo:example-org\/sample-app:environment:production/);
    const staging = await explain(
      "prod-only",
      "--repo",
      "example-org/sample-app",
      "--environment",
      "staging",
    );
    assert.equal(staging.code, 1);
    assert.match(staging.stdout, /sub was 'repo:example-org\/sample-app:environment:staging'/);
    const missing = await explain("nope", "--repo", "example-org/sample-app");
    assert.equal(missing.code, 1);
    assert.match(
      missing.stdout,
      /role nope does not exist in account 123456789012: STS would answer AccessDenied/,
    );
    const usage = await explain("main-only");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--token or --repo are required/);
  });

  it("--role ARN: another account has no provider for the token; a path other than the role's names no role", async () => {
    const iam = new IAMClient(clientConfig(twin));
    const provider = `arn:aws:iam::123456789012:oidc-provider/${GH}`;
    await iam.send(
      new CreateRoleCommand({
        RoleName: "pathed",
        Path: "/deploy/",
        AssumeRolePolicyDocument: webIdentityTrust(provider, {
          StringEquals: {
            [`${GH}:aud`]: "sts.amazonaws.com",
            [`${GH}:sub`]: "repo:example-org/sample-app:ref:refs/heads/main",
          },
        }),
      }),
    );
    iam.destroy();
    const job = ["--repo", "example-org/sample-app"];
    const other = await explain("arn:aws:iam::210987654321:role/main-only", ...job);
    assert.equal(other.code, 1, other.stdout + other.stderr);
    assert.match(
      other.stdout,
      /^token refused before the trust policy: InvalidIdentityToken: No OpenIDConnect provider found in your account for https:\/\/token\.actions\.githubusercontent\.com$/m,
    );
    const rootPath = await explain("arn:aws:iam::123456789012:role/pathed", ...job);
    assert.equal(rootPath.code, 1, rootPath.stdout + rootPath.stderr);
    assert.match(
      rootPath.stdout,
      /role pathed has path \/deploy\/, not \/: .* STS would answer AccessDenied/,
    );
    const wrongPath = await explain("arn:aws:iam::123456789012:role/ops/main-only", ...job);
    assert.equal(wrongPath.code, 1, wrongPath.stdout + wrongPath.stderr);
    assert.match(wrongPath.stdout, /STS would answer AccessDenied/);
    const rightPath = await explain("arn:aws:iam::123456789012:role/deploy/pathed", ...job);
    assert.equal(rightPath.code, 0, rightPath.stdout + rightPath.stderr);
    const bare = await explain("pathed", ...job);
    assert.equal(bare.code, 0, bare.stdout + bare.stderr);
    const bad = await explain("arn:aws:iam::12:role/x", ...job);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Request ARN is invalid/);
  });
});
