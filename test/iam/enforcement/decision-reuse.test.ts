// The authorizer reuses an allowed decision for a request its principal's policies cannot tell apart
// from an earlier one. These cases repeat one request after something the decision depends on has
// changed (a policy, a tag, the clock, a request value) and expect the answer AWS would give now.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteUserPolicyCommand,
  GetRoleCommand,
  IAMClient,
  PutUserPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagUserCommand,
} from "@aws-sdk/client-iam";
import { ManualClock } from "../../../src/core/clock.ts";
import { clientConfig, withTwin } from "../../support/twin.ts";
import { expectAwsError } from "../api/expect-error.ts";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});
const policy = (statements: object[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

describe("decision reuse", () => {
  const clock = new ManualClock(new Date());
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let admin: IAMClient;

  before(async () => {
    twin = await withTwin({ clock });
    admin = new IAMClient(clientConfig(twin));
    for (const RoleName of ["alpha", "beta"])
      await admin.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trust }));
  });
  after(() => twin.dispose());

  async function user(name: string, statements: object[]): Promise<IAMClient> {
    await admin.send(new CreateUserCommand({ UserName: name }));
    await admin.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: policy(statements) }),
    );
    const key = (await admin.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return new IAMClient(
      clientConfig(twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
  }
  const getRole = (c: IAMClient, RoleName = "alpha") => c.send(new GetRoleCommand({ RoleName }));

  test("a policy written after an allowed call decides the same call again", async () => {
    const c = await user("writer", [{ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }]);
    await getRole(c);
    await getRole(c);
    await admin.send(
      new PutUserPolicyCommand({
        UserName: "writer",
        PolicyName: "deny",
        PolicyDocument: policy([{ Effect: "Deny", Action: "iam:GetRole", Resource: "*" }]),
      }),
    );
    await expectAwsError(getRole(c), {
      code: "AccessDenied",
      status: 403,
      message: /with an explicit deny in an identity-based policy/,
    });
    await admin.send(new DeleteUserPolicyCommand({ UserName: "writer", PolicyName: "deny" }));
    await getRole(c);
  });

  test("an allow for one resource is not reused for another", async () => {
    const c = await user("one-role", [
      { Effect: "Allow", Action: "iam:GetRole", Resource: "arn:aws:iam::123456789012:role/alpha" },
    ]);
    await getRole(c, "alpha");
    await expectAwsError(getRole(c, "beta"), { code: "AccessDenied", status: 403, message: /role\/beta/ });
  });

  test("a resource tag the condition reads tells requests apart, and a tag change is seen", async () => {
    const c = await user("tagged", [
      {
        Effect: "Allow",
        Action: "iam:GetRole",
        Resource: "*",
        Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } },
      },
    ]);
    await admin.send(new TagRoleCommand({ RoleName: "alpha", Tags: [{ Key: "team", Value: "blue" }] }));
    await getRole(c, "alpha");
    await expectAwsError(getRole(c, "beta"), {
      code: "AccessDenied",
      status: 403,
      message: /no identity-based policy allows/,
    });
    await admin.send(new TagRoleCommand({ RoleName: "alpha", Tags: [{ Key: "team", Value: "red" }] }));
    await expectAwsError(getRole(c, "alpha"), {
      code: "AccessDenied",
      status: 403,
      message: /no identity-based policy allows/,
    });
  });

  test("a request value the condition reads tells requests apart (aws:RequestedRegion)", async () => {
    const c = await user("regional", [
      {
        Effect: "Allow",
        Action: "iam:GetRole",
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } },
      },
    ]);
    const keys = await c.config.credentials();
    const elsewhere = new IAMClient(clientConfig(twin, keys, "eu-west-1"));
    await getRole(c);
    await expectAwsError(getRole(elsewhere), {
      code: "AccessDenied",
      status: 403,
      message: /no identity-based policy allows/,
    });
    await getRole(c);
  });

  test("a principal tag read through a policy variable is re-read after it changes", async () => {
    const c = await user("by-tag", [
      {
        Effect: "Allow",
        Action: "iam:GetRole",
        Resource: "arn:aws:iam::123456789012:role/${aws:PrincipalTag/role}",
      },
    ]);
    await admin.send(new TagUserCommand({ UserName: "by-tag", Tags: [{ Key: "role", Value: "alpha" }] }));
    await getRole(c, "alpha");
    await admin.send(new UntagUserCommand({ UserName: "by-tag", TagKeys: ["role"] }));
    await expectAwsError(getRole(c, "alpha"), {
      code: "AccessDenied",
      status: 403,
      message: /no identity-based policy allows/,
    });
  });

  test("a decision that reads the clock is taken again when time passes", async () => {
    const until = new Date(clock.now().getTime() + 60_000).toISOString();
    const c = await user("until", [
      {
        Effect: "Allow",
        Action: "iam:GetRole",
        Resource: "*",
        Condition: { DateLessThan: { "aws:CurrentTime": until } },
      },
    ]);
    await getRole(c);
    clock.advance(120_000); // within SigV4's 5-minute skew of the client's real clock
    try {
      await expectAwsError(getRole(c), {
        code: "AccessDenied",
        status: 403,
        message: /no identity-based policy allows/,
      });
    } finally {
      clock.advance(-120_000);
    }
  });

  test("every call is still recorded, reused or not", async () => {
    const c = await user("counted", [{ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }]);
    for (let i = 0; i < 5; i++) await getRole(c);
    const res = await fetch(`${twin.url}/_keyship/decisions?principal=user/counted&action=iam:GetRole`);
    const records = (await res.json()) as { requestId: string; decision: string; decidedBy: string }[];
    assert.equal(records.length, 5);
    assert.equal(new Set(records.map((r) => r.requestId)).size, 5);
    for (const r of records) {
      assert.equal(r.decision, "allowed");
      assert.equal(r.decidedBy, "inline:user/counted/p#0");
    }
  });
});
