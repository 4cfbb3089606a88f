// Group policies in enforcement, through real signed calls with a member's own access key: a user with no
// policy of its own is allowed exactly what its group allows, and no longer once it leaves the group or the
// group's policy is detached; an explicit Deny in a group policy wins over the user's own Allow; the policy
// simulator sees group policies; groups and their effect survive a restart of the twin.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteGroupPolicyCommand,
  DetachGroupPolicyCommand,
  GetGroupCommand,
  GetRoleCommand,
  IAMClient,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  SimulatePrincipalPolicyCommand,
  UpdateGroupCommand,
} from "@aws-sdk/client-iam";
import { clientConfig, tempDir, withTwin } from "../../support/twin.ts";
import { expectAwsError } from "../api/expect-error.ts";

const account = "123456789012";
const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});
const getRoleOn = (role: string, effect: "Allow" | "Deny" = "Allow") =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: effect, Action: "iam:GetRole", Resource: `arn:aws:iam::${account}:role/${role}` }],
  });

type Keys = { accessKeyId: string; secretAccessKey: string };

async function userWithKey(admin: IAMClient, name: string): Promise<Keys> {
  await admin.send(new CreateUserCommand({ UserName: name }));
  const key = (await admin.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
}

const denied = (p: Promise<unknown>, user: string, role: string, because: RegExp) =>
  expectAwsError(p, {
    code: "AccessDenied",
    status: 403,
    message: new RegExp(
      `^User: arn:aws:iam::${account}:user/${user} is not authorized to perform: iam:GetRole on resource: arn:aws:iam::${account}:role/${role} ${because.source}`,
    ),
  });

describe("group policies apply to the group's members", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let admin: IAMClient;
  before(async () => {
    twin = await withTwin();
    admin = new IAMClient(clientConfig(twin));
    for (const name of ["app-role", "other-role"])
      await admin.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
  });
  after(() => twin.dispose());

  test("inline group policy: allowed exactly that while a member, denied after RemoveUserFromGroup", async () => {
    const keys = await userWithKey(admin, "member");
    const asMember = new IAMClient(clientConfig(twin, keys));
    await denied(
      asMember.send(new GetRoleCommand({ RoleName: "app-role" })),
      "member",
      "app-role",
      /because no identity-based policy allows the iam:GetRole action$/,
    );
    await admin.send(new CreateGroupCommand({ GroupName: "readers" }));
    await admin.send(
      new PutGroupPolicyCommand({
        GroupName: "readers",
        PolicyName: "app",
        PolicyDocument: getRoleOn("app-role"),
      }),
    );
    // The policy exists but the user is not a member yet.
    await denied(
      asMember.send(new GetRoleCommand({ RoleName: "app-role" })),
      "member",
      "app-role",
      /because/,
    );

    await admin.send(new AddUserToGroupCommand({ GroupName: "readers", UserName: "member" }));
    const got = await asMember.send(new GetRoleCommand({ RoleName: "app-role" }));
    assert.equal(got.Role?.RoleName, "app-role");
    await denied(
      asMember.send(new GetRoleCommand({ RoleName: "other-role" })),
      "member",
      "other-role",
      /because no identity-based policy allows the iam:GetRole action$/,
    );
    // Group operations are authorized like any other: the member may not read its own group.
    await expectAwsError(asMember.send(new GetGroupCommand({ GroupName: "readers" })), {
      code: "AccessDenied",
      status: 403,
      message: new RegExp(
        `not authorized to perform: iam:GetGroup on resource: arn:aws:iam::${account}:group/readers `,
      ),
    });

    await admin.send(new RemoveUserFromGroupCommand({ GroupName: "readers", UserName: "member" }));
    await denied(
      asMember.send(new GetRoleCommand({ RoleName: "app-role" })),
      "member",
      "app-role",
      /because no identity-based policy allows the iam:GetRole action$/,
    );
  });

  test("managed policy attached to the group: allowed until DetachGroupPolicy", async () => {
    const keys = await userWithKey(admin, "attached-member");
    const asMember = new IAMClient(clientConfig(twin, keys));
    const policy = await admin.send(
      new CreatePolicyCommand({ PolicyName: "read-app-role", PolicyDocument: getRoleOn("app-role") }),
    );
    const arn = policy.Policy!.Arn!;
    await admin.send(new CreateGroupCommand({ GroupName: "managed-readers" }));
    await admin.send(new AttachGroupPolicyCommand({ GroupName: "managed-readers", PolicyArn: arn }));
    await admin.send(
      new AddUserToGroupCommand({ GroupName: "managed-readers", UserName: "attached-member" }),
    );
    assert.equal(
      (await asMember.send(new GetRoleCommand({ RoleName: "app-role" }))).Role?.Arn,
      `arn:aws:iam::${account}:role/app-role`,
    );
    await admin.send(new DetachGroupPolicyCommand({ GroupName: "managed-readers", PolicyArn: arn }));
    await denied(
      asMember.send(new GetRoleCommand({ RoleName: "app-role" })),
      "attached-member",
      "app-role",
      /because no identity-based policy allows the iam:GetRole action$/,
    );
  });

  test("an explicit Deny in a group policy wins over the user's own Allow", async () => {
    const keys = await userWithKey(admin, "denied-member");
    const asMember = new IAMClient(clientConfig(twin, keys));
    await admin.send(
      new PutUserPolicyCommand({
        UserName: "denied-member",
        PolicyName: "all-roles",
        PolicyDocument: getRoleOn("*"),
      }),
    );
    assert.equal(
      (await asMember.send(new GetRoleCommand({ RoleName: "other-role" }))).Role?.RoleName,
      "other-role",
    );
    await admin.send(new CreateGroupCommand({ GroupName: "no-other" }));
    await admin.send(
      new PutGroupPolicyCommand({
        GroupName: "no-other",
        PolicyName: "deny-other",
        PolicyDocument: getRoleOn("other-role", "Deny"),
      }),
    );
    await admin.send(new AddUserToGroupCommand({ GroupName: "no-other", UserName: "denied-member" }));
    await denied(
      asMember.send(new GetRoleCommand({ RoleName: "other-role" })),
      "denied-member",
      "other-role",
      /with an explicit deny in an identity-based policy$/,
    );
    // The decision log names the group's policy as the one that denied.
    const records = (await (
      await fetch(`${twin.url}/_keyship/decisions?denied=1&principal=user/denied-member&limit=10`)
    ).json()) as { decision: string; explanation?: string; decidedBy?: unknown }[];
    const deny = records.find((r) => r.decision === "explicitDeny");
    assert.ok(deny, "the explicit deny is logged");
    assert.match(JSON.stringify(deny), /group\/no-other\/deny-other/);
    // The user's own Allow still works where the group denies nothing.
    assert.equal(
      (await asMember.send(new GetRoleCommand({ RoleName: "app-role" }))).Role?.RoleName,
      "app-role",
    );
    // Deleting the group's inline policy lifts the deny on the next call.
    await admin.send(new DeleteGroupPolicyCommand({ GroupName: "no-other", PolicyName: "deny-other" }));
    assert.equal(
      (await asMember.send(new GetRoleCommand({ RoleName: "other-role" }))).Role?.RoleName,
      "other-role",
    );
  });

  test("group operations are authorized on the group's ARN, path included; UpdateGroup on the old and the new name", async () => {
    const keys = await userWithKey(admin, "group-admin");
    const asGroupAdmin = new IAMClient(clientConfig(twin, keys));
    await admin.send(
      new PutUserPolicyCommand({
        UserName: "group-admin",
        PolicyName: "team-groups",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["iam:CreateGroup", "iam:UpdateGroup", "iam:GetGroup"],
              Resource: `arn:aws:iam::${account}:group/team/*`,
            },
          ],
        }),
      }),
    );
    const created = await asGroupAdmin.send(new CreateGroupCommand({ GroupName: "t1", Path: "/team/" }));
    assert.equal(created.Group?.Arn, `arn:aws:iam::${account}:group/team/t1`);
    await expectAwsError(asGroupAdmin.send(new CreateGroupCommand({ GroupName: "t2" })), {
      code: "AccessDenied",
      status: 403,
      message: `User: arn:aws:iam::${account}:user/group-admin is not authorized to perform: iam:CreateGroup on resource: arn:aws:iam::${account}:group/t2 because no identity-based policy allows the iam:CreateGroup action`,
    });
    // Moving the group out of /team/ needs the permission on the new ARN too.
    await expectAwsError(asGroupAdmin.send(new UpdateGroupCommand({ GroupName: "t1", NewPath: "/other/" })), {
      code: "AccessDenied",
      status: 403,
      message: new RegExp(`iam:UpdateGroup on resource: arn:aws:iam::${account}:group/other/t1 `),
    });
    await asGroupAdmin.send(new UpdateGroupCommand({ GroupName: "t1", NewGroupName: "t1-renamed" }));
    assert.equal(
      (await asGroupAdmin.send(new GetGroupCommand({ GroupName: "t1-renamed" }))).Group?.Arn,
      `arn:aws:iam::${account}:group/team/t1-renamed`,
    );
  });

  test("SimulatePrincipalPolicy for a user includes its groups' policies; a group ARN is simulated too", async () => {
    await admin.send(new CreateUserCommand({ UserName: "simulated" }));
    await admin.send(new CreateGroupCommand({ GroupName: "sim-group" }));
    await admin.send(
      new PutGroupPolicyCommand({
        GroupName: "sim-group",
        PolicyName: "app",
        PolicyDocument: getRoleOn("app-role"),
      }),
    );
    const simulate = (source: string) =>
      admin.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: source,
          ActionNames: ["iam:GetRole"],
          ResourceArns: [`arn:aws:iam::${account}:role/app-role`],
        }),
      );
    const userArn = `arn:aws:iam::${account}:user/simulated`;
    assert.equal((await simulate(userArn)).EvaluationResults?.[0]?.EvalDecision, "implicitDeny");
    await admin.send(new AddUserToGroupCommand({ GroupName: "sim-group", UserName: "simulated" }));
    const result = (await simulate(userArn)).EvaluationResults?.[0];
    assert.equal(result?.EvalDecision, "allowed");
    assert.deepEqual(
      result?.MatchedStatements?.map((m) => m.SourcePolicyId),
      ["group_sim-group_app"],
    );
    const group = (await simulate(`arn:aws:iam::${account}:group/sim-group`)).EvaluationResults?.[0];
    assert.equal(group?.EvalDecision, "allowed");
  });
});

test("groups, memberships and group policies survive a restart and still authorize", async () => {
  const stateDir = await tempDir();
  const first = await withTwin({ stateDir });
  let keys: Keys;
  try {
    const admin = new IAMClient(clientConfig(first));
    await admin.send(new CreateRoleCommand({ RoleName: "app-role", AssumeRolePolicyDocument: trust }));
    keys = await userWithKey(admin, "lasting");
    await admin.send(new CreateGroupCommand({ GroupName: "lasting-group", Path: "/kept/" }));
    await admin.send(
      new PutGroupPolicyCommand({
        GroupName: "lasting-group",
        PolicyName: "app",
        PolicyDocument: getRoleOn("app-role"),
      }),
    );
    await admin.send(new AddUserToGroupCommand({ GroupName: "lasting-group", UserName: "lasting" }));
  } finally {
    await first.close();
  }
  const again = await withTwin({ stateDir });
  try {
    const admin = new IAMClient(clientConfig(again));
    const got = await admin.send(new GetGroupCommand({ GroupName: "lasting-group" }));
    assert.equal(got.Group?.Arn, `arn:aws:iam::${account}:group/kept/lasting-group`);
    assert.deepEqual(
      got.Users?.map((u) => u.UserName),
      ["lasting"],
    );
    const asMember = new IAMClient(clientConfig(again, keys));
    assert.equal(
      (await asMember.send(new GetRoleCommand({ RoleName: "app-role" }))).Role?.RoleName,
      "app-role",
    );
  } finally {
    await again.dispose();
    await rm(stateDir, { recursive: true, force: true });
  }
});
