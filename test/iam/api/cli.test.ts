// The IAM API through the aws CLI (botocore: its own signer, serializer and the policy-document decoding
// it applies to IAM responses), against a live twin; and the bootstrap admin across restarts.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { IAMClient, ListAttachedUserPoliciesCommand } from "@aws-sdk/client-iam";
import { aws, cliEnv, clientConfig, tempDir, withTwin } from "../../support/twin.ts";
import { ecsTrust, passRole } from "./documents.ts";

describe("IAM API through the aws CLI", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    twin = await withTwin();
    env = cliEnv(twin);
  });
  after(() => twin.dispose());

  const json = async (args: string[]) => {
    const r = await aws(["iam", ...args, "--output", "json"], env);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim() === "" ? {} : JSON.parse(r.stdout);
  };

  it("create-role / get-role: the CLI decodes the URL-encoded trust policy into JSON", async () => {
    const created = await json([
      "create-role",
      "--role-name",
      "cli-role",
      "--assume-role-policy-document",
      ecsTrust,
    ]);
    assert.equal(created.Role.Arn, "arn:aws:iam::123456789012:role/cli-role");
    const got = await json(["get-role", "--role-name", "cli-role"]);
    assert.deepEqual(got.Role.AssumeRolePolicyDocument, JSON.parse(ecsTrust));
    await json([
      "put-role-policy",
      "--role-name",
      "cli-role",
      "--policy-name",
      "p",
      "--policy-document",
      passRole,
    ]);
    const policy = await json(["get-role-policy", "--role-name", "cli-role", "--policy-name", "p"]);
    assert.deepEqual(policy.PolicyDocument, JSON.parse(passRole));
  });

  it("errors carry AWS's code and message", async () => {
    const r = await aws(["iam", "get-role", "--role-name", "missing"], env);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /An error occurred \(NoSuchEntity\) when calling the GetRole operation: The role with name missing cannot be found\./,
    );
    const dup = await aws(
      ["iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", ecsTrust],
      env,
    );
    assert.match(
      dup.stderr,
      /\(EntityAlreadyExists\) when calling the CreateRole operation: Role with name cli-role already exists\./,
    );
  });

  it("list-users pages through Marker when the CLI paginates", async () => {
    for (const n of ["u1", "u2", "u3"]) await json(["create-user", "--user-name", n, "--path", "/cli/"]);
    // --page-size makes the CLI send MaxItems=1 and follow each Marker.
    const all = await json(["list-users", "--path-prefix", "/cli/", "--page-size", "1"]);
    assert.deepEqual(
      all.Users.map((u: { UserName: string }) => u.UserName),
      ["u1", "u2", "u3"],
    );
  });

  it("simulate-custom-policy with a context entry", async () => {
    const out = await json([
      "simulate-custom-policy",
      "--policy-input-list",
      passRole,
      "--action-names",
      "iam:PassRole",
      "--resource-arns",
      "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
      "--context-entries",
      "ContextKeyName=iam:PassedToService,ContextKeyValues=ecs-tasks.amazonaws.com,ContextKeyType=string",
    ]);
    const [r] = out.EvaluationResults;
    assert.equal(r.EvalDecision, "allowed");
    assert.deepEqual(r.MatchedStatements, [
      {
        SourcePolicyId: "PolicyInputList.1",
        SourcePolicyType: "IAM Policy",
        StartPosition: { Line: 1, Column: 38 },
        EndPosition: { Line: 1, Column: 239 },
      },
    ]);
  });
});

describe("the bootstrap admin", () => {
  it("is created once per state dir and keeps its keys across restarts; two states never share a pair", async () => {
    const dir = await tempDir();
    try {
      const first = await withTwin({ stateDir: dir });
      const keys = first.admin;
      await first.close();
      const again = await withTwin({ stateDir: dir });
      assert.deepEqual(again.admin, keys);
      const attached = await new IAMClient(clientConfig(again)).send(
        new ListAttachedUserPoliciesCommand({ UserName: "keyship-admin" }),
      );
      assert.deepEqual(
        attached.AttachedPolicies?.map((p) => p.PolicyArn),
        ["arn:aws:iam::aws:policy/AdministratorAccess"],
      );
      await again.close();
      const other = await withTwin();
      assert.notEqual(other.admin.accessKeyId, keys.accessKeyId);
      assert.notEqual(other.admin.secretAccessKey, keys.secretAccessKey);
      await other.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
