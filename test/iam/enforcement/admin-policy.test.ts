// The bootstrap admin is allowed everything through AdministratorAccess, not by a bypass in the code:
// once it detaches that policy from itself, its next call is denied like anyone's, and an explicit Deny
// in one of its own inline policies wins over the managed Allow.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListRolesCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { clientConfig, withTwin } from "../../support/twin.ts";

describe("the bootstrap admin's authority is a policy", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let iam: IAMClient;
  before(async () => {
    twin = await withTwin();
    iam = new IAMClient(clientConfig(twin));
  });
  after(async () => {
    iam.destroy();
    await twin.dispose();
  });

  it("an explicit Deny in its own inline policy beats AdministratorAccess", async () => {
    const UserName = twin.admin.userName;
    await iam.send(
      new PutUserPolicyCommand({
        UserName,
        PolicyName: "no-list",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", Action: "iam:ListRoles", Resource: "*" }],
        }),
      }),
    );
    await assert.rejects(iam.send(new ListRolesCommand({})), (e: Error) => {
      assert.equal(e.name, "AccessDenied");
      assert.match(e.message, /with an explicit deny in an identity-based policy$/);
      return true;
    });
    await iam.send(new DeleteUserPolicyCommand({ UserName, PolicyName: "no-list" }));
    await iam.send(new ListRolesCommand({}));
  });

  it("without AdministratorAccess the admin is denied like any user", async () => {
    const UserName = twin.admin.userName;
    await iam.send(
      new DetachUserPolicyCommand({ UserName, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
    );
    await assert.rejects(iam.send(new GetRoleCommand({ RoleName: "anything" })), (e: Error) => {
      assert.equal(e.name, "AccessDenied");
      assert.equal(
        e.message,
        `User: arn:aws:iam::${twin.accountId}:user/${UserName} is not authorized to perform: iam:GetRole on resource: arn:aws:iam::${twin.accountId}:role/anything because no identity-based policy allows the iam:GetRole action`,
      );
      return true;
    });
  });
});
