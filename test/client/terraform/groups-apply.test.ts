// keyship apply of users, groups, group policies and memberships against an in-process twin: created, then a
// second apply changes nothing; the member's own key is allowed what the group's policies allow; exclusive
// group membership removes a user added some other way; a membership naming a missing group is deferred.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  GetGroupCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
} from "@aws-sdk/client-iam";
import { applyConfiguration } from "../../../src/client/terraform/apply.ts";
import { clientsFor } from "../../../src/client/workflow/aws-target.ts";
import { startTwin } from "../../../src/main.ts";

const region = "us-east-1";
const config = `
resource "aws_iam_role" "app" {
  name = "app-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }] })
}
resource "aws_iam_group" "readers" {
  name = "readers"
  path = "/team/"
}
resource "aws_iam_group_policy" "read_app" {
  name  = "read-app"
  group = aws_iam_group.readers.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:GetRole", Resource = aws_iam_role.app.arn }] })
}
resource "aws_iam_group_policy_attachment" "ecr" {
  group      = aws_iam_group.readers.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
}
resource "aws_iam_user" "alice" { name = "alice" }
resource "aws_iam_user" "bob" { name = "bob" }
resource "aws_iam_user_group_membership" "alice" {
  user   = aws_iam_user.alice.name
  groups = [aws_iam_group.readers.name]
}
resource "aws_iam_group" "ops" { name = "ops" }
resource "aws_iam_group_membership" "ops" {
  name  = "ops-members"
  group = aws_iam_group.ops.name
  users = [aws_iam_user.bob.name]
}
output "group_arn" { value = aws_iam_group.readers.arn }
`;

test("apply loads users, groups, group policies and memberships; again changes nothing", {
  timeout: 120_000,
}, async () => {
  const stateDir = await mkdtemp(join(tmpdir(), "keyship-apply-groups-"));
  const dir = await mkdtemp(join(tmpdir(), "keyship-tf-groups-"));
  const twin = await startTwin({ stateDir, port: 0, region, log: () => {}, runtime: "simulated" });
  try {
    await writeFile(join(dir, "main.tf"), config);
    const clients = clientsFor(twin.url, region, twin.admin);
    const apply = () => applyConfiguration({ dir, clients, region, twinUrl: twin.url });
    const first = await apply();
    assert.equal(first.incomplete, false);
    assert.deepEqual(
      first.resources.filter((r) => r.action !== "create").map((r) => `${r.address}=${r.action}`),
      [],
    );
    assert.equal(first.outputs.group_arn, "arn:aws:iam::123456789012:group/team/readers");

    const iam = clients.iam;
    const readers = await iam.send(new GetGroupCommand({ GroupName: "readers" }));
    assert.match(readers.Group?.GroupId ?? "", /^AGPA/);
    assert.deepEqual(
      readers.Users?.map((u) => u.UserName),
      ["alice"],
    );
    assert.deepEqual((await iam.send(new ListGroupPoliciesCommand({ GroupName: "readers" }))).PolicyNames, [
      "read-app",
    ]);
    assert.deepEqual(
      (await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "readers" }))).AttachedPolicies?.map(
        (p) => p.PolicyName,
      ),
      ["AmazonEC2ContainerRegistryReadOnly"],
    );
    assert.deepEqual(
      (await iam.send(new GetGroupCommand({ GroupName: "ops" }))).Users?.map((u) => u.UserName),
      ["bob"],
    );

    // The applied group policy authorizes its member's own calls.
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }))).AccessKey!;
    const asAlice = new IAMClient({
      endpoint: twin.url,
      region,
      credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
      maxAttempts: 1,
    });
    assert.equal(
      (await asAlice.send(new GetRoleCommand({ RoleName: "app-role" }))).Role?.RoleName,
      "app-role",
    );

    const second = await apply();
    assert.deepEqual(
      second.resources.filter((r) => r.action !== "no-op").map((r) => `${r.address}=${r.action}`),
      [],
    );

    // aws_iam_group_membership is exclusive: a member added some other way is removed; the user's own
    // membership resource leaves its other groups alone.
    await iam.send(new CreateUserCommand({ UserName: "intruder" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "ops", UserName: "intruder" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "ops", UserName: "alice" }));
    const third = await apply();
    assert.deepEqual(
      third.resources.filter((r) => r.action !== "no-op").map((r) => `${r.address}=${r.action}`),
      ["aws_iam_group_membership.ops=update"],
    );
    assert.deepEqual(
      (await iam.send(new GetGroupCommand({ GroupName: "ops" }))).Users?.map((u) => u.UserName),
      ["bob"],
    );
    assert.deepEqual(
      (await iam.send(new ListGroupsForUserCommand({ UserName: "alice" }))).Groups?.map((g) => g.GroupName),
      ["readers"],
    );
  } finally {
    await twin.close();
    await rm(stateDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});

test("a group policy or membership naming a group that does not exist is deferred, the rest applied", {
  timeout: 120_000,
}, async () => {
  const stateDir = await mkdtemp(join(tmpdir(), "keyship-apply-groups-"));
  const dir = await mkdtemp(join(tmpdir(), "keyship-tf-groups-"));
  const twin = await startTwin({ stateDir, port: 0, region, log: () => {}, runtime: "simulated" });
  try {
    await writeFile(
      join(dir, "main.tf"),
      `resource "aws_iam_user" "carol" { name = "carol" }
resource "aws_iam_group_policy" "p" {
  name   = "p"
  group  = "elsewhere"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:GetRole", Resource = "*" }] })
}
resource "aws_iam_user_group_membership" "carol" {
  user   = aws_iam_user.carol.name
  groups = ["elsewhere"]
}
`,
    );
    const clients = clientsFor(twin.url, region, twin.admin);
    const report = await applyConfiguration({ dir, clients, region, twinUrl: twin.url });
    assert.equal(report.incomplete, true);
    assert.deepEqual(report.resources.map((r) => `${r.address}=${r.action}`).sort(), [
      "aws_iam_group_policy.p=deferred",
      "aws_iam_user.carol=create",
      "aws_iam_user_group_membership.carol=deferred",
    ]);
    assert.match(
      report.resources.find((r) => r.action === "deferred")?.reason ?? "",
      /group "elsewhere" does not exist/,
    );
  } finally {
    await twin.close();
    await rm(stateDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});
