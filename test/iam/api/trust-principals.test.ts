// A trust policy trusts the user or role it named when it was saved, not whoever has that name later:
// a principal deleted and created again is refused, and GetRole shows the old unique id in its place.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  GetRoleCommand,
  IAMClient,
  PutUserPolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { currentTrustText, principalIdsOf } from "../../../src/iam/trust-principals.ts";
import { clientConfig, withTwin } from "../../support/twin.ts";
import { expectAwsError } from "./expect-error.ts";

const ACCOUNT = "123456789012";
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;

describe("trust principals, unit", () => {
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: ALICE }, Action: "sts:AssumeRole" },
      {
        Effect: "Allow",
        Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/ci/bot`, ACCOUNT] },
        Action: "sts:TagSession",
      },
      { Effect: "Deny", NotPrincipal: { AWS: ALICE }, Action: "sts:AssumeRole" },
    ],
  });
  const live = new Map([
    ["user:alice", "AIDAALICE1"],
    ["role:bot", "AROABOT1"],
  ]);
  const idOf = (kind: string, name: string) => live.get(`${kind}:${name}`);

  it("records the account's users and roles only", () => {
    assert.deepEqual(principalIdsOf(trust, ACCOUNT, idOf), {
      [ALICE]: "AIDAALICE1",
      [`arn:aws:iam::${ACCOUNT}:role/ci/bot`]: "AROABOT1",
    });
    assert.deepEqual(principalIdsOf(trust, "210987654321", idOf), {});
  });

  it("leaves the text as written while every principal is the same one, else names the old id", () => {
    const recorded = principalIdsOf(trust, ACCOUNT, idOf);
    assert.equal(currentTrustText(trust, recorded, ACCOUNT, idOf), trust);
    const recreated = (kind: string, name: string) => (kind === "user" ? "AIDAALICE2" : idOf(kind, name));
    const now = JSON.parse(currentTrustText(trust, recorded, ACCOUNT, recreated));
    assert.equal(now.Statement[0].Principal.AWS, "AIDAALICE1");
    assert.deepEqual(now.Statement[1].Principal.AWS, [`arn:aws:iam::${ACCOUNT}:role/ci/bot`, ACCOUNT]);
    assert.equal(now.Statement[2].NotPrincipal.AWS, "AIDAALICE1");
  });
});

describe("trust principals on a live twin", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let iam: IAMClient;

  before(async () => {
    twin = await withTwin();
    iam = new IAMClient(clientConfig(twin));
  });
  after(() => twin.dispose());

  async function alice(): Promise<{ sts: STSClient; keyId: string }> {
    await iam.send(new CreateUserCommand({ UserName: "alice" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "alice",
        PolicyName: "assume",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }))).AccessKey!;
    return {
      sts: new STSClient(
        clientConfig(twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
      ),
      keyId: key.AccessKeyId!,
    };
  }
  const assume = (sts: STSClient) =>
    sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/deployer`, RoleSessionName: "s1" }),
    );
  const trustText = async () =>
    decodeURIComponent(
      (await iam.send(new GetRoleCommand({ RoleName: "deployer" }))).Role!.AssumeRolePolicyDocument!,
    );

  it("a user deleted and created again is not trusted, and GetRole shows the old unique id", async () => {
    const first = await alice();
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: ALICE }, Action: "sts:AssumeRole" }],
    });
    await iam.send(new CreateRoleCommand({ RoleName: "deployer", AssumeRolePolicyDocument: trust }));
    await assume(first.sts);
    assert.equal(await trustText(), trust);

    await iam.send(new DeleteAccessKeyCommand({ UserName: "alice", AccessKeyId: first.keyId }));
    await iam.send(new DeleteUserPolicyCommand({ UserName: "alice", PolicyName: "assume" }));
    await iam.send(new DeleteUserCommand({ UserName: "alice" }));
    const shown = JSON.parse(await trustText());
    assert.match(shown.Statement[0].Principal.AWS, /^AIDA[A-Z0-9]{16,}$/, "the old unique id, not the ARN");

    const second = await alice();
    await expectAwsError(assume(second.sts), {
      code: "AccessDenied",
      status: 403,
      message: /is not authorized to perform: sts:AssumeRole on resource/,
    });
    assert.equal(JSON.parse(await trustText()).Statement[0].Principal.AWS, shown.Statement[0].Principal.AWS);

    // Saving the policy again binds it to the user who now has the name.
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "deployer", PolicyDocument: trust }));
    await assume(second.sts);
    assert.equal(await trustText(), trust);
  });
});
