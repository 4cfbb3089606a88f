// keyship up --secure-transport: a policy's "deny unless SecureTransport" guard (common in organizations'
// baselines) is judged as over TLS, so it can be tested unchanged: in identity policies and in a web
// identity trust policy alike. Without the flag, plain HTTP is insecure transport.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { describe, it } from "node:test";
import {
  CreateAccessKeyCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { readAdmin } from "../support/admin.ts";
import { keyship } from "../support/cli.ts";
import { killHard, spawnTwin, tempDir } from "../support/twin.ts";

const GH = "token.actions.githubusercontent.com";
const insecureDenied = {
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Action: "*",
  Resource: "*",
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

/** As a guarded user: GetUser; as GitHub's token: AssumeRoleWithWebIdentity. Each answer or its error. */
async function underGuard(extra: string[]): Promise<{ user: string; role: string }> {
  const stateDir = await tempDir();
  const twin = await spawnTwin(stateDir, extra);
  const config = { endpoint: twin.url, region: "us-east-1", maxAttempts: 1 };
  const outcome = (p: Promise<string>) => p.catch((e: Error) => e.message);
  try {
    const { admin } = await readAdmin(stateDir);
    const iam = new IAMClient({ ...config, credentials: admin });
    await iam.send(new CreateUserCommand({ UserName: "guarded" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "guarded",
        PolicyName: "p",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "iam:GetUser", Resource: "*" }, insecureDenied],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "guarded" }))).AccessKey!;
    const provider = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
      )
    ).OpenIDConnectProviderArn!;
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: "guarded-deploy",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: provider },
              Action: "sts:AssumeRoleWithWebIdentity",
              // the web identity request carries the caller's User-Agent too
              Condition: {
                StringLike: {
                  [`${GH}:sub`]: "repo:example-org/sample-app:*",
                  "aws:UserAgent": "*aws-sdk-js*",
                },
              },
            },
            {
              Effect: "Deny",
              Principal: { Federated: provider },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: insecureDenied.Condition,
            },
          ],
        }),
      }),
    );
    iam.destroy();
    const minted = await keyship([
      "token",
      "--state",
      stateDir,
      "--repo",
      "example-org/sample-app",
      "--audience",
      "sts.amazonaws.com",
    ]);
    assert.equal(minted.code, 0, minted.stderr);
    const user = new IAMClient({
      ...config,
      credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
    });
    const sts = new STSClient(config);
    try {
      return {
        user: await outcome(user.send(new GetUserCommand({})).then((r) => r.User!.UserName!)),
        role: await outcome(
          sts
            .send(
              new AssumeRoleWithWebIdentityCommand({
                RoleArn: role.Role!.Arn!,
                RoleSessionName: "gha",
                WebIdentityToken: minted.stdout.trim(),
              }),
            )
            .then((r) => r.AssumedRoleUser!.Arn!),
        ),
      };
    } finally {
      user.destroy();
      sts.destroy();
    }
  } finally {
    await killHard(twin.child);
    await rm(stateDir, { recursive: true, force: true });
  }
}

describe("keyship up --secure-transport", { timeout: 60_000 }, () => {
  it("without it, plain HTTP is insecure transport and the guard denies", async () => {
    const { user, role } = await underGuard([]);
    assert.match(user, /with an explicit deny in an identity-based policy/);
    assert.equal(role, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
  });
  it("with it, the guard lets both calls through", async () => {
    const { user, role } = await underGuard(["--secure-transport"]);
    assert.equal(user, "guarded");
    assert.equal(role, "arn:aws:sts::123456789012:assumed-role/guarded-deploy/gha");
  });
});
