// Every IAM resource of issue #2 created, read, listed, changed and deleted with the aws CLI (botocore's
// own signer, serializer and parser) against a live twin, and the simulator's principal mode.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { aws, cliEnv, withTwin } from "../../support/twin.ts";
import { ecsTrust, passRole } from "./documents.ts";

const ACCOUNT = "123456789012";
const readRoles = (version: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: `Read${version}`, Effect: "Allow", Action: "iam:GetRole", Resource: "*" }],
  });

describe("the IAM API through the aws CLI, resource by resource", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    twin = await withTwin();
    env = cliEnv(twin);
  });
  after(() => twin.dispose());

  /** `aws iam ARGS --output json`, which must succeed; its JSON ({} for an empty answer). */
  const iam = async (...args: string[]) => {
    const r = await aws(["iam", ...args, "--output", "json"], env);
    assert.equal(r.code, 0, `aws iam ${args[0]}: ${r.stderr}`);
    return r.stdout.trim() === "" ? {} : JSON.parse(r.stdout);
  };
  /** `aws iam ARGS`, which must fail with `code` in the CLI's sentence. */
  const fails = async (code: string, ...args: string[]) => {
    const r = await aws(["iam", ...args], env);
    assert.notEqual(r.code, 0, `aws iam ${args[0]} should fail`);
    assert.match(r.stderr, new RegExp(`An error occurred \\(${code}\\) when calling the `));
    return r.stderr;
  };

  it("users, access keys, inline and attached user policies", async () => {
    const created = await iam(
      "create-user",
      "--user-name",
      "alice",
      "--path",
      "/team/",
      "--tags",
      "Key=k,Value=v",
    );
    assert.equal(created.User.Arn, `arn:aws:iam::${ACCOUNT}:user/team/alice`);
    assert.equal((await iam("get-user", "--user-name", "alice")).User.Path, "/team/");
    const users = await iam("list-users", "--path-prefix", "/team/");
    assert.deepEqual(
      users.Users.map((u: { UserName: string }) => u.UserName),
      ["alice"],
    );

    const key = (await iam("create-access-key", "--user-name", "alice")).AccessKey;
    assert.match(key.AccessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(key.SecretAccessKey.length, 40);
    const keys = await iam("list-access-keys", "--user-name", "alice");
    assert.deepEqual(
      keys.AccessKeyMetadata.map((k: { AccessKeyId: string; Status: string }) => [k.AccessKeyId, k.Status]),
      [[key.AccessKeyId, "Active"]],
    );

    await iam(
      "put-user-policy",
      "--user-name",
      "alice",
      "--policy-name",
      "pass",
      "--policy-document",
      passRole,
    );
    const inline = await iam("get-user-policy", "--user-name", "alice", "--policy-name", "pass");
    assert.deepEqual(inline.PolicyDocument, JSON.parse(passRole));
    assert.deepEqual((await iam("list-user-policies", "--user-name", "alice")).PolicyNames, ["pass"]);

    const readOnly = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";
    await iam("attach-user-policy", "--user-name", "alice", "--policy-arn", readOnly);
    const attached = await iam("list-attached-user-policies", "--user-name", "alice");
    assert.deepEqual(
      attached.AttachedPolicies.map((p: { PolicyArn: string }) => p.PolicyArn),
      [readOnly],
    );
    assert.match(await fails("DeleteConflict", "delete-user", "--user-name", "alice"), /DeleteUser/);

    await iam("detach-user-policy", "--user-name", "alice", "--policy-arn", readOnly);
    await iam("delete-user-policy", "--user-name", "alice", "--policy-name", "pass");
    await iam("delete-access-key", "--user-name", "alice", "--access-key-id", key.AccessKeyId);
    await iam("delete-user", "--user-name", "alice");
    await fails("NoSuchEntity", "get-user", "--user-name", "alice");
  });

  it("roles: create with path, description, duration, boundary and tags; update; tags; boundary; delete", async () => {
    const boundary = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser";
    const created = await iam(
      "create-role",
      "--role-name",
      "svc",
      "--path",
      "/apps/",
      "--description",
      "first",
      "--max-session-duration",
      "7200",
      "--permissions-boundary",
      boundary,
      "--tags",
      "Key=team,Value=blue",
      "--assume-role-policy-document",
      ecsTrust,
    );
    assert.equal(created.Role.Arn, `arn:aws:iam::${ACCOUNT}:role/apps/svc`);
    const got = (await iam("get-role", "--role-name", "svc")).Role;
    assert.equal(got.Description, "first");
    assert.equal(got.MaxSessionDuration, 7200);
    assert.equal(got.PermissionsBoundary.PermissionsBoundaryArn, boundary);
    assert.deepEqual(got.Tags, [{ Key: "team", Value: "blue" }]);
    assert.deepEqual(got.AssumeRolePolicyDocument, JSON.parse(ecsTrust));
    const listed = await iam("list-roles", "--path-prefix", "/apps/");
    assert.deepEqual(
      listed.Roles.map((r: { RoleName: string }) => r.RoleName),
      ["svc"],
    );

    await iam(
      "update-role",
      "--role-name",
      "svc",
      "--description",
      "second",
      "--max-session-duration",
      "3600",
    );
    const updated = (await iam("get-role", "--role-name", "svc")).Role;
    assert.equal(updated.Description, "second");
    assert.equal(updated.MaxSessionDuration, 3600);
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
      ],
    });
    await iam("update-assume-role-policy", "--role-name", "svc", "--policy-document", trust);
    assert.deepEqual(
      (await iam("get-role", "--role-name", "svc")).Role.AssumeRolePolicyDocument,
      JSON.parse(trust),
    );

    await iam("tag-role", "--role-name", "svc", "--tags", "Key=env,Value=dev");
    assert.deepEqual((await iam("list-role-tags", "--role-name", "svc")).Tags, [
      { Key: "team", Value: "blue" },
      { Key: "env", Value: "dev" },
    ]);
    await iam("untag-role", "--role-name", "svc", "--tag-keys", "team");
    assert.deepEqual((await iam("list-role-tags", "--role-name", "svc")).Tags, [
      { Key: "env", Value: "dev" },
    ]);

    const other = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";
    await iam("put-role-permissions-boundary", "--role-name", "svc", "--permissions-boundary", other);
    assert.equal(
      (await iam("get-role", "--role-name", "svc")).Role.PermissionsBoundary.PermissionsBoundaryArn,
      other,
    );

    await iam(
      "put-role-policy",
      "--role-name",
      "svc",
      "--policy-name",
      "read",
      "--policy-document",
      readRoles("1"),
    );
    assert.deepEqual((await iam("list-role-policies", "--role-name", "svc")).PolicyNames, ["read"]);
    await iam("attach-role-policy", "--role-name", "svc", "--policy-arn", other);
    assert.deepEqual(
      (await iam("list-attached-role-policies", "--role-name", "svc")).AttachedPolicies.map(
        (p: { PolicyArn: string }) => p.PolicyArn,
      ),
      [other],
    );
    await fails("DeleteConflict", "delete-role", "--role-name", "svc");
    await iam("detach-role-policy", "--role-name", "svc", "--policy-arn", other);
    await fails("DeleteConflict", "delete-role", "--role-name", "svc");
    await iam("delete-role-policy", "--role-name", "svc", "--policy-name", "read");
    await iam("delete-role", "--role-name", "svc");
    await fails("NoSuchEntity", "get-role", "--role-name", "svc");
  });

  it("managed policies: versions up to five, default switching, entities, delete", async () => {
    const created = (
      await iam(
        "create-policy",
        "--policy-name",
        "reader",
        "--path",
        "/p/",
        "--policy-document",
        readRoles("1"),
      )
    ).Policy;
    const arn = created.Arn;
    assert.equal(arn, `arn:aws:iam::${ACCOUNT}:policy/p/reader`);
    assert.equal(created.DefaultVersionId, "v1");
    assert.equal((await iam("get-policy", "--policy-arn", arn)).Policy.PolicyName, "reader");
    const local = await iam("list-policies", "--scope", "Local");
    assert.deepEqual(
      local.Policies.map((p: { Arn: string }) => p.Arn),
      [arn],
    );

    for (const v of ["2", "3", "4", "5"]) {
      await iam(
        "create-policy-version",
        "--policy-arn",
        arn,
        "--policy-document",
        readRoles(v),
        "--set-as-default",
      );
    }
    assert.match(
      await fails(
        "LimitExceeded",
        "create-policy-version",
        "--policy-arn",
        arn,
        "--policy-document",
        readRoles("6"),
      ),
      /A managed policy can have up to 5 versions/,
    );
    const v3 = (await iam("get-policy-version", "--policy-arn", arn, "--version-id", "v3")).PolicyVersion;
    assert.deepEqual(v3.Document, JSON.parse(readRoles("3")));
    assert.equal(v3.IsDefaultVersion, false);
    await iam("set-default-policy-version", "--policy-arn", arn, "--version-id", "v3");
    const versions = (await iam("list-policy-versions", "--policy-arn", arn)).Versions as {
      VersionId: string;
      IsDefaultVersion: boolean;
    }[];
    assert.deepEqual(versions.find((v) => v.IsDefaultVersion)?.VersionId, "v3");
    await fails("DeleteConflict", "delete-policy-version", "--policy-arn", arn, "--version-id", "v3");
    await iam("delete-policy-version", "--policy-arn", arn, "--version-id", "v1");
    assert.equal((await iam("list-policy-versions", "--policy-arn", arn)).Versions.length, 4);

    await iam("create-role", "--role-name", "holder", "--assume-role-policy-document", ecsTrust);
    await iam("create-user", "--user-name", "bob");
    await iam("attach-role-policy", "--role-name", "holder", "--policy-arn", arn);
    await iam("attach-user-policy", "--user-name", "bob", "--policy-arn", arn);
    const entities = await iam("list-entities-for-policy", "--policy-arn", arn);
    assert.deepEqual(
      entities.PolicyRoles.map((r: { RoleName: string }) => r.RoleName),
      ["holder"],
    );
    assert.deepEqual(
      entities.PolicyUsers.map((u: { UserName: string }) => u.UserName),
      ["bob"],
    );
    assert.equal((await iam("get-policy", "--policy-arn", arn)).Policy.AttachmentCount, 2);
    await fails("DeleteConflict", "delete-policy", "--policy-arn", arn);
    await iam("detach-role-policy", "--role-name", "holder", "--policy-arn", arn);
    await iam("detach-user-policy", "--user-name", "bob", "--policy-arn", arn);
    for (const v of ["v2", "v4", "v5"])
      await iam("delete-policy-version", "--policy-arn", arn, "--version-id", v);
    await iam("delete-policy", "--policy-arn", arn);
    await fails("NoSuchEntity", "get-policy", "--policy-arn", arn);
  });

  it("OIDC providers: no thumbprint needed, URL stored without https://, client ids and thumbprints changed", async () => {
    const created = await iam(
      "create-open-id-connect-provider",
      "--url",
      "https://token.actions.githubusercontent.com",
      "--client-id-list",
      "sts.amazonaws.com",
    );
    const arn = created.OpenIDConnectProviderArn;
    assert.equal(arn, `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`);
    const listed = await iam("list-open-id-connect-providers");
    assert.deepEqual(listed.OpenIDConnectProviderList, [{ Arn: arn }]);

    await iam(
      "add-client-id-to-open-id-connect-provider",
      "--open-id-connect-provider-arn",
      arn,
      "--client-id",
      "a2",
    );
    await iam(
      "remove-client-id-from-open-id-connect-provider",
      "--open-id-connect-provider-arn",
      arn,
      "--client-id",
      "sts.amazonaws.com",
    );
    const thumb = "a".repeat(40);
    await iam(
      "update-open-id-connect-provider-thumbprint",
      "--open-id-connect-provider-arn",
      arn,
      "--thumbprint-list",
      thumb,
    );
    const got = await iam("get-open-id-connect-provider", "--open-id-connect-provider-arn", arn);
    assert.equal(got.Url, "token.actions.githubusercontent.com");
    assert.deepEqual(got.ClientIDList, ["a2"]);
    assert.deepEqual(got.ThumbprintList, [thumb]);

    await iam("delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn);
    await fails("NoSuchEntity", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn);
  });

  it("simulate-principal-policy: a role's own policies, allowed and denied per action", async () => {
    await iam("create-role", "--role-name", "sim", "--assume-role-policy-document", ecsTrust);
    await iam(
      "put-role-policy",
      "--role-name",
      "sim",
      "--policy-name",
      "pass",
      "--policy-document",
      passRole,
    );
    const out = await iam(
      "simulate-principal-policy",
      "--policy-source-arn",
      `arn:aws:iam::${ACCOUNT}:role/sim`,
      "--action-names",
      "iam:PassRole",
      "iam:DeleteRole",
      "--resource-arns",
      `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
      "--context-entries",
      "ContextKeyName=iam:PassedToService,ContextKeyValues=ecs-tasks.amazonaws.com,ContextKeyType=string",
    );
    const byAction = Object.fromEntries(
      out.EvaluationResults.map((r: { EvalActionName: string; EvalDecision: string }) => [
        r.EvalActionName,
        r.EvalDecision,
      ]),
    );
    assert.deepEqual(byAction, { "iam:PassRole": "allowed", "iam:DeleteRole": "implicitDeny" });
    const pass = out.EvaluationResults.find(
      (r: { EvalActionName: string }) => r.EvalActionName === "iam:PassRole",
    );
    assert.equal(pass.MatchedStatements[0].SourcePolicyId, "role_sim_pass");
    await fails(
      "NoSuchEntity",
      "simulate-principal-policy",
      "--policy-source-arn",
      `arn:aws:iam::${ACCOUNT}:role/missing`,
      "--action-names",
      "iam:GetRole",
    );
  });
});
