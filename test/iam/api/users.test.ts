// IAM users, access keys, inline and attached user policies and tags, through SDK v3 against a live twin.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutUserPolicyCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { clientConfig } from "../../support/twin.ts";
import { expectAwsError } from "./expect-error.ts";
import { liveIam } from "./live-iam.ts";

const readPolicy = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["iam:GetUser", "iam:ListUsers"], Resource: "*" }],
});

describe("IAM users and access keys", () => {
  const live = liveIam();

  it("GetUser without a name answers the caller: the bootstrap admin", async () => {
    const { User } = await live.iam.send(new GetUserCommand({}));
    assert.equal(User?.UserName, "keyship-admin");
    assert.equal(User?.Arn, "arn:aws:iam::123456789012:user/keyship-admin");
    assert.match(User?.UserId ?? "", /^AIDA[A-Z2-7]{17}$/);
    assert.match(live.twin.admin.accessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(live.twin.admin.secretAccessKey.length, 40);
    const attached = await live.iam.send(new ListAttachedUserPoliciesCommand({ UserName: "keyship-admin" }));
    assert.deepEqual(attached.AttachedPolicies, [
      { PolicyName: "AdministratorAccess", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    ]);
  });

  it("creates, reads, lists and deletes a user with a path and tags", async () => {
    const created = await live.iam.send(
      new CreateUserCommand({ UserName: "alice", Path: "/team/", Tags: [{ Key: "team", Value: "blue" }] }),
    );
    assert.equal(created.User?.Arn, "arn:aws:iam::123456789012:user/team/alice");
    assert.deepEqual(created.User?.Tags, [{ Key: "team", Value: "blue" }]);
    const got = await live.iam.send(new GetUserCommand({ UserName: "alice" }));
    assert.equal(got.User?.Path, "/team/");
    const listed = await live.iam.send(new ListUsersCommand({ PathPrefix: "/team/" }));
    assert.deepEqual(
      listed.Users?.map((u) => u.UserName),
      ["alice"],
    );
    await expectAwsError(live.iam.send(new CreateUserCommand({ UserName: "ALICE" })), {
      code: "EntityAlreadyExists",
      status: 409,
      message: "User with name ALICE already exists.",
    });
    await live.iam.send(new DeleteUserCommand({ UserName: "alice" }));
    await expectAwsError(live.iam.send(new GetUserCommand({ UserName: "alice" })), {
      code: "NoSuchEntity",
      status: 404,
      message: "The user with name alice cannot be found.",
    });
  });

  it("rejects a user name outside the model's pattern with ValidationError", async () => {
    await expectAwsError(live.iam.send(new CreateUserCommand({ UserName: "bad name" })), {
      code: "ValidationError",
      status: 400,
      message:
        "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    });
  });

  it("pages ListUsers with MaxItems and Marker", async () => {
    for (const n of ["p1", "p2", "p3"])
      await live.iam.send(new CreateUserCommand({ UserName: n, Path: "/paged/" }));
    const first = await live.iam.send(new ListUsersCommand({ PathPrefix: "/paged/", MaxItems: 2 }));
    assert.equal(first.IsTruncated, true);
    assert.deepEqual(
      first.Users?.map((u) => u.UserName),
      ["p1", "p2"],
    );
    const second = await live.iam.send(
      new ListUsersCommand({ PathPrefix: "/paged/", MaxItems: 2, Marker: first.Marker }),
    );
    assert.equal(second.IsTruncated, false);
    assert.equal(second.Marker, undefined);
    assert.deepEqual(
      second.Users?.map((u) => u.UserName),
      ["p3"],
    );
  });

  it("access keys: create (max two), list, deactivate, delete; keys sign requests as the user", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "bob" }));
    const k1 = (await live.iam.send(new CreateAccessKeyCommand({ UserName: "bob" }))).AccessKey!;
    assert.match(k1.AccessKeyId ?? "", /^AKIA/);
    assert.equal(k1.SecretAccessKey?.length, 40);
    assert.equal(k1.Status, "Active");
    await live.iam.send(new CreateAccessKeyCommand({ UserName: "bob" }));
    await expectAwsError(live.iam.send(new CreateAccessKeyCommand({ UserName: "bob" })), {
      code: "LimitExceeded",
      status: 409,
      message: "Cannot exceed quota for AccessKeysPerUser: 2",
    });
    const listed = await live.iam.send(new ListAccessKeysCommand({ UserName: "bob" }));
    assert.equal(listed.AccessKeyMetadata?.length, 2);
    assert.equal(
      listed.AccessKeyMetadata?.some((k) => "SecretAccessKey" in k),
      false,
    );

    const keys = { accessKeyId: k1.AccessKeyId!, secretAccessKey: k1.SecretAccessKey! };
    // No policy yet: every IAM call is denied by the engine, naming the missing identity-based allow.
    const asBob = new IAMClient(clientConfig(live.twin, keys));
    await expectAwsError(asBob.send(new ListUsersCommand({})), {
      code: "AccessDenied",
      status: 403,
      message:
        /^User: arn:aws:iam::123456789012:user\/bob is not authorized to perform: iam:ListUsers on resource: .* because no identity-based policy allows the iam:ListUsers action$/,
    });
    await live.iam.send(
      new PutUserPolicyCommand({ UserName: "bob", PolicyName: "read", PolicyDocument: readPolicy }),
    );
    const self = await asBob.send(new GetUserCommand({}));
    assert.equal(self.User?.Arn, "arn:aws:iam::123456789012:user/bob");

    await live.iam.send(
      new UpdateAccessKeyCommand({ UserName: "bob", AccessKeyId: k1.AccessKeyId, Status: "Inactive" }),
    );
    await expectAwsError(asBob.send(new GetUserCommand({})), { code: "InvalidClientTokenId", status: 403 });

    await expectAwsError(
      live.iam.send(new DeleteAccessKeyCommand({ UserName: "bob", AccessKeyId: "AKIAEXAMPLEEXAMPLE12" })),
      {
        code: "NoSuchEntity",
        status: 404,
        message: "The Access Key with id AKIAEXAMPLEEXAMPLE12 cannot be found.",
      },
    );
  });

  it("DeleteUser is a DeleteConflict while policies or keys remain", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "carol" }));
    await live.iam.send(
      new PutUserPolicyCommand({ UserName: "carol", PolicyName: "read", PolicyDocument: readPolicy }),
    );
    await live.iam.send(
      new AttachUserPolicyCommand({
        UserName: "carol",
        PolicyArn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
      }),
    );
    const key = (await live.iam.send(new CreateAccessKeyCommand({ UserName: "carol" }))).AccessKey!;

    const conflict = (message: string) =>
      expectAwsError(live.iam.send(new DeleteUserCommand({ UserName: "carol" })), {
        code: "DeleteConflict",
        status: 409,
        message,
      });
    await conflict("Cannot delete entity, must detach all policies first.");
    await live.iam.send(
      new DetachUserPolicyCommand({
        UserName: "carol",
        PolicyArn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
      }),
    );
    await conflict("Cannot delete entity, must delete policies first.");
    await live.iam.send(new DeleteUserPolicyCommand({ UserName: "carol", PolicyName: "read" }));
    await conflict("Cannot delete entity, must delete access keys first.");
    await live.iam.send(new DeleteAccessKeyCommand({ UserName: "carol", AccessKeyId: key.AccessKeyId }));
    await live.iam.send(new DeleteUserCommand({ UserName: "carol" }));
  });

  it("inline user policies: put, get (URL-encoded as IAM returns it), list, delete; malformed documents", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "dave" }));
    const doc = `{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]\n}`;
    await live.iam.send(
      new PutUserPolicyCommand({ UserName: "dave", PolicyName: "ecr", PolicyDocument: doc }),
    );
    const got = await live.iam.send(new GetUserPolicyCommand({ UserName: "dave", PolicyName: "ecr" }));
    assert.equal(got.PolicyDocument, encodeURIComponent(doc));
    assert.equal(decodeURIComponent(got.PolicyDocument ?? ""), doc);
    const names = await live.iam.send(new ListUserPoliciesCommand({ UserName: "dave" }));
    assert.deepEqual(names.PolicyNames, ["ecr"]);
    await expectAwsError(
      live.iam.send(
        new PutUserPolicyCommand({
          UserName: "dave",
          PolicyName: "bad",
          PolicyDocument: '{"Statement": []}',
        }),
      ),
      { code: "MalformedPolicyDocument", status: 400, message: "Syntax errors in policy." },
    );
    await expectAwsError(live.iam.send(new GetUserPolicyCommand({ UserName: "dave", PolicyName: "nope" })), {
      code: "NoSuchEntity",
      status: 404,
      message: "The user policy with name nope cannot be found.",
    });
    await live.iam.send(new DeleteUserPolicyCommand({ UserName: "dave", PolicyName: "ecr" }));
    assert.deepEqual(
      (await live.iam.send(new ListUserPoliciesCommand({ UserName: "dave" }))).PolicyNames,
      [],
    );
  });

  it("attaching a policy that does not exist is NoSuchEntity", async () => {
    await expectAwsError(
      live.iam.send(
        new AttachUserPolicyCommand({
          UserName: "keyship-admin",
          PolicyArn: "arn:aws:iam::aws:policy/NoSuchPolicy",
        }),
      ),
      {
        code: "NoSuchEntity",
        status: 404,
        message: "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.",
      },
    );
  });

  it("tags: tag, list, untag; keys are case-insensitive", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "erin" }));
    await live.iam.send(
      new TagUserCommand({
        UserName: "erin",
        Tags: [
          { Key: "Env", Value: "dev" },
          { Key: "a", Value: "1" },
        ],
      }),
    );
    await live.iam.send(new TagUserCommand({ UserName: "erin", Tags: [{ Key: "env", Value: "prod" }] }));
    assert.deepEqual((await live.iam.send(new ListUserTagsCommand({ UserName: "erin" }))).Tags, [
      { Key: "env", Value: "prod" },
      { Key: "a", Value: "1" },
    ]);
    await expectAwsError(
      live.iam.send(
        new TagUserCommand({
          UserName: "erin",
          Tags: [
            { Key: "x", Value: "1" },
            { Key: "X", Value: "2" },
          ],
        }),
      ),
      {
        code: "InvalidInput",
        status: 400,
        message: "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
      },
    );
    await live.iam.send(new UntagUserCommand({ UserName: "erin", TagKeys: ["ENV"] }));
    assert.deepEqual((await live.iam.send(new ListUserTagsCommand({ UserName: "erin" }))).Tags, [
      { Key: "a", Value: "1" },
    ]);
  });
});
