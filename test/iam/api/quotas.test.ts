// IAM's size and count quotas through the SDK (iam-policy.md §4.4): policy sizes count characters
// outside whitespace, inline quotas are per principal in aggregate, ten managed policies per role or user.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { ecsTrust } from "./documents.ts";
import { expectAwsError } from "./expect-error.ts";
import { liveIam } from "./live-iam.ts";

/** A policy document of exactly `size` characters once whitespace is left out, padded with `pad` spaces. */
function sized(size: number, pad = 0): string {
  const head =
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/';
  const tail = '"}]}';
  const name = "x".repeat(size - head.length - tail.length);
  const doc = `${head}${name}${tail}`;
  assert.equal(doc.length, size);
  return pad > 0 ? doc.replace('"Effect"', `${" ".repeat(pad)}"Effect"`) : doc;
}

describe("IAM quotas", () => {
  const live = liveIam();

  it("managed policy: 6144 characters pass (whitespace not counted), 6145 are LimitExceeded", async () => {
    await live.iam.send(
      new CreatePolicyCommand({ PolicyName: "at-limit", PolicyDocument: sized(6144, 500) }),
    );
    await expectAwsError(
      live.iam.send(new CreatePolicyCommand({ PolicyName: "over", PolicyDocument: sized(6145) })),
      {
        code: "LimitExceeded",
        status: 409,
        message: "Cannot exceed quota for PolicySize: 6144",
      },
    );
  });

  it("inline role policies: 10240 characters in aggregate per role", async () => {
    await live.iam.send(new CreateRoleCommand({ RoleName: "big", AssumeRolePolicyDocument: ecsTrust }));
    await live.iam.send(
      new PutRolePolicyCommand({ RoleName: "big", PolicyName: "a", PolicyDocument: sized(6000) }),
    );
    await expectAwsError(
      live.iam.send(
        new PutRolePolicyCommand({ RoleName: "big", PolicyName: "b", PolicyDocument: sized(4300) }),
      ),
      {
        code: "LimitExceeded",
        status: 409,
        message: "Maximum policy size of 10240 bytes exceeded for role big",
      },
    );
    // Replacing a policy counts its new size, not both.
    await live.iam.send(
      new PutRolePolicyCommand({ RoleName: "big", PolicyName: "a", PolicyDocument: sized(5000) }),
    );
    await live.iam.send(
      new PutRolePolicyCommand({ RoleName: "big", PolicyName: "b", PolicyDocument: sized(5000) }),
    );
  });

  it("inline user policies: 2048 characters in aggregate per user", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "small" }));
    await live.iam.send(
      new PutUserPolicyCommand({ UserName: "small", PolicyName: "a", PolicyDocument: sized(1500) }),
    );
    await expectAwsError(
      live.iam.send(
        new PutUserPolicyCommand({ UserName: "small", PolicyName: "b", PolicyDocument: sized(600) }),
      ),
      {
        code: "LimitExceeded",
        status: 409,
        message: "Maximum policy size of 2048 bytes exceeded for user small",
      },
    );
  });

  it("trust policy: 2048 characters (ACLSizePerRole)", async () => {
    const trust = (n: number) => {
      const base = JSON.parse(ecsTrust) as { Statement: { Sid?: string }[] };
      const doc = { ...base, Statement: [{ Sid: "", ...base.Statement[0] }] };
      const short = JSON.stringify(doc).length;
      doc.Statement[0]!.Sid = "S".repeat(n - short);
      return JSON.stringify(doc);
    };
    await live.iam.send(
      new CreateRoleCommand({ RoleName: "trusting", AssumeRolePolicyDocument: trust(2048) }),
    );
    await expectAwsError(
      live.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "trusting", PolicyDocument: trust(2049) })),
      { code: "LimitExceeded", status: 409, message: "Cannot exceed quota for ACLSizePerRole: 2048" },
    );
  });

  it("ten managed policies per role and per user; the eleventh is LimitExceeded", async () => {
    await live.iam.send(new CreateRoleCommand({ RoleName: "collector", AssumeRolePolicyDocument: ecsTrust }));
    await live.iam.send(new CreateUserCommand({ UserName: "collector" }));
    const arns: string[] = [];
    for (let i = 0; i < 11; i++) {
      const p = await live.iam.send(
        new CreatePolicyCommand({ PolicyName: `p${i}`, PolicyDocument: sized(200) }),
      );
      arns.push(p.Policy!.Arn!);
    }
    for (const arn of arns.slice(0, 10)) {
      await live.iam.send(new AttachRolePolicyCommand({ RoleName: "collector", PolicyArn: arn }));
      await live.iam.send(new AttachUserPolicyCommand({ UserName: "collector", PolicyArn: arn }));
    }
    await expectAwsError(
      live.iam.send(new AttachRolePolicyCommand({ RoleName: "collector", PolicyArn: arns[10]! })),
      { code: "LimitExceeded", status: 409, message: "Cannot exceed quota for PoliciesPerRole: 10" },
    );
    await expectAwsError(
      live.iam.send(new AttachUserPolicyCommand({ UserName: "collector", PolicyArn: arns[10]! })),
      { code: "LimitExceeded", status: 409, message: "Cannot exceed quota for PoliciesPerUser: 10" },
    );
  });
});
