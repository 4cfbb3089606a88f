// IAM groups through SDK v3 and the aws CLI against a live twin: CRUD, membership, inline and attached group
// policies, the errors AWS answers (codes, statuses, messages), the account summary and ListEntitiesForPolicy.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeleteUserCommand,
  DetachGroupPolicyCommand,
  GetAccountSummaryCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  PutGroupPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateGroupCommand,
} from "@aws-sdk/client-iam";
import { aws, cliEnv } from "../../support/twin.ts";
import { expectAwsError } from "./expect-error.ts";
import { liveIam } from "./live-iam.ts";

const ACCOUNT = "123456789012";
const readRoles = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "iam:GetRole", Resource: "*" }],
});

describe("IAM groups", () => {
  const live = liveIam();

  it("creates, reads, lists (by path, paged), renames and deletes a group", async () => {
    const created = await live.iam.send(new CreateGroupCommand({ GroupName: "devs", Path: "/eng/" }));
    assert.equal(created.Group?.Arn, `arn:aws:iam::${ACCOUNT}:group/eng/devs`);
    assert.equal(created.Group?.Path, "/eng/");
    assert.match(created.Group?.GroupId ?? "", /^AGPA[A-Z2-7]{17}$/);
    assert.ok(created.Group?.CreateDate instanceof Date);
    for (const n of ["ops", "qa"])
      await live.iam.send(new CreateGroupCommand({ GroupName: n, Path: "/eng/" }));
    await live.iam.send(new CreateGroupCommand({ GroupName: "elsewhere" }));

    const got = await live.iam.send(new GetGroupCommand({ GroupName: "DEVS" }));
    assert.equal(got.Group?.GroupName, "devs", "names are case-insensitive, the stored spelling is kept");
    assert.deepEqual(got.Users, []);
    assert.equal(got.IsTruncated, false);

    const first = await live.iam.send(new ListGroupsCommand({ PathPrefix: "/eng/", MaxItems: 2 }));
    assert.deepEqual(
      first.Groups?.map((g) => g.GroupName),
      ["devs", "ops"],
    );
    assert.equal(first.IsTruncated, true);
    const second = await live.iam.send(
      new ListGroupsCommand({ PathPrefix: "/eng/", MaxItems: 2, Marker: first.Marker }),
    );
    assert.deepEqual(
      second.Groups?.map((g) => g.GroupName),
      ["qa"],
    );
    assert.equal(second.IsTruncated, false);

    await live.iam.send(new UpdateGroupCommand({ GroupName: "qa", NewGroupName: "testers", NewPath: "/t/" }));
    const renamed = await live.iam.send(new GetGroupCommand({ GroupName: "testers" }));
    assert.equal(renamed.Group?.Arn, `arn:aws:iam::${ACCOUNT}:group/t/testers`);
    assert.equal(
      renamed.Group?.GroupId,
      (await live.iam.send(new ListGroupsCommand({ PathPrefix: "/t/" }))).Groups?.[0]?.GroupId,
    );
    await expectAwsError(live.iam.send(new GetGroupCommand({ GroupName: "qa" })), {
      code: "NoSuchEntity",
      status: 404,
      message: "The group with name qa cannot be found.",
    });
    await expectAwsError(
      live.iam.send(new UpdateGroupCommand({ GroupName: "testers", NewGroupName: "OPS" })),
      {
        code: "EntityAlreadyExists",
        status: 409,
        message: "Group with name OPS already exists.",
      },
    );

    await live.iam.send(new DeleteGroupCommand({ GroupName: "testers" }));
    await expectAwsError(live.iam.send(new DeleteGroupCommand({ GroupName: "testers" })), {
      code: "NoSuchEntity",
      status: 404,
      message: "The group with name testers cannot be found.",
    });
  });

  it("answers AWS's errors for duplicates and bad names", async () => {
    await live.iam.send(new CreateGroupCommand({ GroupName: "dup" }));
    await expectAwsError(live.iam.send(new CreateGroupCommand({ GroupName: "DUP" })), {
      code: "EntityAlreadyExists",
      status: 409,
      message: "Group with name DUP already exists.",
    });
    await expectAwsError(live.iam.send(new CreateGroupCommand({ GroupName: "bad name" })), {
      code: "ValidationError",
      status: 400,
      message:
        "1 validation error detected: Value 'bad name' at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    });
    await expectAwsError(live.iam.send(new CreateGroupCommand({ GroupName: "g".repeat(129) })), {
      code: "ValidationError",
      status: 400,
      message: /Member must have length less than or equal to 128/,
    });
    await expectAwsError(live.iam.send(new CreateGroupCommand({ GroupName: "p", Path: "no-slash" })), {
      code: "ValidationError",
      status: 400,
      message: /at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    });
  });

  it("membership: add (idempotent), GetGroup's users (paged), ListGroupsForUser, remove", async () => {
    await live.iam.send(new CreateGroupCommand({ GroupName: "crew" }));
    for (const u of ["m1", "m2", "m3"]) {
      await live.iam.send(new CreateUserCommand({ UserName: u }));
      await live.iam.send(new AddUserToGroupCommand({ GroupName: "crew", UserName: u }));
    }
    await live.iam.send(new AddUserToGroupCommand({ GroupName: "CREW", UserName: "M1" }));
    const page1 = await live.iam.send(new GetGroupCommand({ GroupName: "crew", MaxItems: 2 }));
    assert.deepEqual(
      page1.Users?.map((u) => u.UserName),
      ["m1", "m2"],
    );
    assert.equal(page1.Users?.[0]?.Arn, `arn:aws:iam::${ACCOUNT}:user/m1`);
    assert.equal(page1.IsTruncated, true);
    const page2 = await live.iam.send(new GetGroupCommand({ GroupName: "crew", Marker: page1.Marker }));
    assert.deepEqual(
      page2.Users?.map((u) => u.UserName),
      ["m3"],
    );
    assert.equal(page2.Group?.GroupName, "crew");

    const forUser = await live.iam.send(new ListGroupsForUserCommand({ UserName: "m1" }));
    assert.deepEqual(
      forUser.Groups?.map((g) => g.GroupName),
      ["crew"],
    );

    await expectAwsError(live.iam.send(new AddUserToGroupCommand({ GroupName: "crew", UserName: "ghost" })), {
      code: "NoSuchEntity",
      status: 404,
      message: "The user with name ghost cannot be found.",
    });
    await expectAwsError(live.iam.send(new AddUserToGroupCommand({ GroupName: "nope", UserName: "m1" })), {
      code: "NoSuchEntity",
      status: 404,
      message: "The group with name nope cannot be found.",
    });
    await expectAwsError(live.iam.send(new ListGroupsForUserCommand({ UserName: "ghost" })), {
      code: "NoSuchEntity",
      status: 404,
      message: "The user with name ghost cannot be found.",
    });

    // A user in a group cannot be deleted; a group with members cannot either.
    await expectAwsError(live.iam.send(new DeleteUserCommand({ UserName: "m3" })), {
      code: "DeleteConflict",
      status: 409,
      message: "Cannot delete entity, must remove users from group first.",
    });
    await expectAwsError(live.iam.send(new DeleteGroupCommand({ GroupName: "crew" })), {
      code: "DeleteConflict",
      status: 409,
      message: "Cannot delete entity, must remove users from group first.",
    });

    for (const u of ["m1", "m2", "m3"])
      await live.iam.send(new RemoveUserFromGroupCommand({ GroupName: "crew", UserName: u }));
    // removing a user who is no longer a member changes nothing; a missing user is NoSuchEntity
    await live.iam.send(new RemoveUserFromGroupCommand({ GroupName: "crew", UserName: "m1" }));
    await expectAwsError(
      live.iam.send(new RemoveUserFromGroupCommand({ GroupName: "crew", UserName: "ghost" })),
      { code: "NoSuchEntity", status: 404, message: "The user with name ghost cannot be found." },
    );
    assert.deepEqual((await live.iam.send(new ListGroupsForUserCommand({ UserName: "m1" }))).Groups, []);
    await live.iam.send(new DeleteUserCommand({ UserName: "m3" }));
    await live.iam.send(new DeleteGroupCommand({ GroupName: "crew" }));
  });

  it("a user belongs to at most 10 groups (LimitExceeded)", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "joiner" }));
    for (let i = 0; i < 11; i++) await live.iam.send(new CreateGroupCommand({ GroupName: `club${i}` }));
    for (let i = 0; i < 10; i++)
      await live.iam.send(new AddUserToGroupCommand({ GroupName: `club${i}`, UserName: "joiner" }));
    await expectAwsError(
      live.iam.send(new AddUserToGroupCommand({ GroupName: "club10", UserName: "joiner" })),
      {
        code: "LimitExceeded",
        status: 409,
        message: "Cannot exceed quota for GroupsPerUser: 10",
      },
    );
    // already a member: still fine at the quota
    await live.iam.send(new AddUserToGroupCommand({ GroupName: "club3", UserName: "joiner" }));
    const listed = await live.iam.send(new ListGroupsForUserCommand({ UserName: "joiner", MaxItems: 4 }));
    assert.equal(listed.Groups?.length, 4);
    assert.equal(listed.IsTruncated, true);
  });

  it("inline and attached group policies; DeleteGroup refuses while any is left", async () => {
    await live.iam.send(new CreateGroupCommand({ GroupName: "readers" }));
    await live.iam.send(
      new PutGroupPolicyCommand({ GroupName: "readers", PolicyName: "roles", PolicyDocument: readRoles }),
    );
    const got = await live.iam.send(new GetGroupPolicyCommand({ GroupName: "readers", PolicyName: "roles" }));
    assert.equal(got.GroupName, "readers");
    assert.equal(decodeURIComponent(got.PolicyDocument ?? ""), readRoles);
    assert.deepEqual(
      (await live.iam.send(new ListGroupPoliciesCommand({ GroupName: "readers" }))).PolicyNames,
      ["roles"],
    );
    await expectAwsError(
      live.iam.send(new GetGroupPolicyCommand({ GroupName: "readers", PolicyName: "nope" })),
      { code: "NoSuchEntity", status: 404, message: "The group policy with name nope cannot be found." },
    );
    await expectAwsError(
      live.iam.send(
        new PutGroupPolicyCommand({
          GroupName: "readers",
          PolicyName: "bad",
          PolicyDocument: '{"Statement": []}',
        }),
      ),
      { code: "MalformedPolicyDocument", status: 400 },
    );
    await expectAwsError(
      live.iam.send(
        new PutGroupPolicyCommand({ GroupName: "nobody", PolicyName: "p", PolicyDocument: readRoles }),
      ),
      { code: "NoSuchEntity", status: 404, message: "The group with name nobody cannot be found." },
    );

    const arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";
    await live.iam.send(new AttachGroupPolicyCommand({ GroupName: "readers", PolicyArn: arn }));
    assert.deepEqual(
      (await live.iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "readers" }))).AttachedPolicies,
      [{ PolicyName: "AmazonEC2ContainerRegistryReadOnly", PolicyArn: arn }],
    );
    const entities = await live.iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
    assert.deepEqual(
      entities.PolicyGroups?.map((g) => g.GroupName),
      ["readers"],
    );
    assert.match(entities.PolicyGroups?.[0]?.GroupId ?? "", /^AGPA/);

    const conflict = (message: string) =>
      expectAwsError(live.iam.send(new DeleteGroupCommand({ GroupName: "readers" })), {
        code: "DeleteConflict",
        status: 409,
        message,
      });
    await conflict("Cannot delete entity, must detach all policies first.");
    await live.iam.send(new DetachGroupPolicyCommand({ GroupName: "readers", PolicyArn: arn }));
    await expectAwsError(
      live.iam.send(new DetachGroupPolicyCommand({ GroupName: "readers", PolicyArn: arn })),
      { code: "NoSuchEntity", status: 404, message: `Policy ${arn} was not found.` },
    );
    await conflict("Cannot delete entity, must delete policies first.");
    await live.iam.send(new DeleteGroupPolicyCommand({ GroupName: "readers", PolicyName: "roles" }));
    await live.iam.send(new DeleteGroupCommand({ GroupName: "readers" }));
  });

  it("renaming a group keeps its members and its policies", async () => {
    const local = await live.iam.send(
      new CreatePolicyCommand({ PolicyName: "group-local", PolicyDocument: readRoles }),
    );
    await live.iam.send(new CreateGroupCommand({ GroupName: "before" }));
    await live.iam.send(new CreateUserCommand({ UserName: "mover" }));
    await live.iam.send(new AddUserToGroupCommand({ GroupName: "before", UserName: "mover" }));
    await live.iam.send(
      new PutGroupPolicyCommand({ GroupName: "before", PolicyName: "inline", PolicyDocument: readRoles }),
    );
    await live.iam.send(new AttachGroupPolicyCommand({ GroupName: "before", PolicyArn: local.Policy?.Arn }));
    await live.iam.send(new UpdateGroupCommand({ GroupName: "before", NewGroupName: "after" }));
    const got = await live.iam.send(new GetGroupCommand({ GroupName: "after" }));
    assert.deepEqual(
      got.Users?.map((u) => u.UserName),
      ["mover"],
    );
    assert.deepEqual(
      (await live.iam.send(new ListGroupPoliciesCommand({ GroupName: "after" }))).PolicyNames,
      ["inline"],
    );
    assert.deepEqual(
      (
        await live.iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "after" }))
      ).AttachedPolicies?.map((p) => p.PolicyName),
      ["group-local"],
    );
    assert.deepEqual(
      (await live.iam.send(new ListGroupsForUserCommand({ UserName: "mover" }))).Groups?.map(
        (g) => g.GroupName,
      ),
      ["after"],
    );
  });

  it("GetAccountSummary counts groups", async () => {
    const before = (await live.iam.send(new GetAccountSummaryCommand({}))).SummaryMap?.Groups ?? -1;
    await live.iam.send(new CreateGroupCommand({ GroupName: "counted" }));
    const after = (await live.iam.send(new GetAccountSummaryCommand({}))).SummaryMap?.Groups;
    assert.equal(after, before + 1);
    assert.ok(before >= 1, "groups made by earlier tests are counted");
  });

  it("the aws CLI: create-group, add-user-to-group, get-group, list-groups-for-user, errors", async () => {
    const env = cliEnv(live.twin);
    const json = async (args: string[]) => {
      const r = await aws(["iam", ...args, "--output", "json"], env);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim() === "" ? {} : JSON.parse(r.stdout);
    };
    const created = await json(["create-group", "--group-name", "cli-group", "--path", "/cli/"]);
    assert.equal(created.Group.Arn, `arn:aws:iam::${ACCOUNT}:group/cli/cli-group`);
    await json(["create-user", "--user-name", "cli-member"]);
    await json(["add-user-to-group", "--group-name", "cli-group", "--user-name", "cli-member"]);
    await json([
      "put-group-policy",
      "--group-name",
      "cli-group",
      "--policy-name",
      "p",
      "--policy-document",
      readRoles,
    ]);
    const policy = await json(["get-group-policy", "--group-name", "cli-group", "--policy-name", "p"]);
    assert.deepEqual(policy.PolicyDocument, JSON.parse(readRoles));
    const got = await json(["get-group", "--group-name", "cli-group"]);
    assert.deepEqual(
      got.Users.map((u: { UserName: string }) => u.UserName),
      ["cli-member"],
    );
    const groups = await json(["list-groups-for-user", "--user-name", "cli-member"]);
    assert.deepEqual(
      groups.Groups.map((g: { GroupName: string }) => g.GroupName),
      ["cli-group"],
    );
    const r = await aws(["iam", "delete-group", "--group-name", "cli-group"], env);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /An error occurred \(DeleteConflict\) when calling the DeleteGroup operation: Cannot delete entity, must remove users from group first\./,
    );
  });
});
