// keyship up --secure-transport: a policy's "deny unless SecureTransport" guard (common in organizations'
// baselines) is judged as over TLS, so it can be tested unchanged; without the flag, plain HTTP is insecure.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { describe, it } from "node:test";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { readAdmin } from "../support/admin.ts";
import { killHard, spawnTwin, tempDir } from "../support/twin.ts";

const guarded = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: "iam:GetUser", Resource: "*" },
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Action: "*",
      Resource: "*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ],
});

async function getUserAsGuarded(extra: string[]): Promise<string> {
  const stateDir = await tempDir();
  const twin = await spawnTwin(stateDir, extra);
  try {
    const { admin } = await readAdmin(stateDir);
    const config = { endpoint: twin.url, region: "us-east-1", maxAttempts: 1 };
    const iam = new IAMClient({ ...config, credentials: admin });
    await iam.send(new CreateUserCommand({ UserName: "guarded" }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: "guarded", PolicyName: "p", PolicyDocument: guarded }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "guarded" }))).AccessKey!;
    const user = new IAMClient({
      ...config,
      credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
    });
    try {
      return (await user.send(new GetUserCommand({}))).User!.UserName!;
    } catch (e) {
      return (e as Error).message;
    } finally {
      user.destroy();
      iam.destroy();
    }
  } finally {
    await killHard(twin.child);
    await rm(stateDir, { recursive: true, force: true });
  }
}

describe("keyship up --secure-transport", { timeout: 60_000 }, () => {
  it("without it, plain HTTP is insecure transport and the guard denies", async () => {
    assert.match(await getUserAsGuarded([]), /with an explicit deny in an identity-based policy/);
  });
  it("with it, the guard lets the call through", async () => {
    assert.equal(await getUserAsGuarded(["--secure-transport"]), "guarded");
  });
});
