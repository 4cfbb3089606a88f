// Enforcement through real clients: a principal with a narrow policy is allowed exactly that, the
// denial carries AWS's sentence and code, and the decision log explains it down to the statement.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient } from "@aws-sdk/client-ecr";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { aws, cliEnv, clientConfig, withTwin } from "../../support/twin.ts";

const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

describe("authorization in front of every call", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let keys: { accessKeyId: string; secretAccessKey: string };
  const account = "123456789012";

  before(async () => {
    twin = await withTwin();
    const admin = new IAMClient(clientConfig(twin));
    for (const name of ["app-role", "other-role"]) {
      await admin.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
    }
    const ecr = new ECRClient(clientConfig(twin));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: "sample-app" }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: "other" }));
    await admin.send(new CreateUserCommand({ UserName: "narrow" }));
    await admin.send(
      new PutUserPolicyCommand({
        UserName: "narrow",
        PolicyName: "just-these",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ReadAppRole",
              Effect: "Allow",
              Action: "iam:GetRole",
              Resource: `arn:aws:iam::${account}:role/app-*`,
            },
            {
              Sid: "DescribeAppRepo",
              Effect: "Allow",
              Action: "ecr:DescribeRepositories",
              Resource: `arn:aws:ecr:*:${account}:repository/sample-app`,
            },
            {
              Sid: "NeverOther",
              Effect: "Deny",
              Action: "ecr:*",
              Resource: `arn:aws:ecr:*:${account}:repository/other`,
            },
          ],
        }),
      }),
    );
    const created = await admin.send(new CreateAccessKeyCommand({ UserName: "narrow" }));
    keys = {
      accessKeyId: created.AccessKey!.AccessKeyId!,
      secretAccessKey: created.AccessKey!.SecretAccessKey!,
    };
  });
  after(() => twin.dispose());

  test("allowed exactly what the policy names (wildcard resource, one repository)", async () => {
    const iam = new IAMClient(clientConfig(twin, keys));
    const role = await iam.send(new GetRoleCommand({ RoleName: "app-role" }));
    assert.equal(role.Role?.RoleName, "app-role");
    const ecr = new ECRClient(clientConfig(twin, keys));
    const repos = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["sample-app"] }));
    assert.equal(repos.repositories?.[0]?.repositoryName, "sample-app");
  });

  test("no identity-based policy allows: AccessDenied (awsQuery 403) with AWS's sentence", async () => {
    const iam = new IAMClient(clientConfig(twin, keys));
    await assert.rejects(
      iam.send(new GetRoleCommand({ RoleName: "other-role" })),
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.name, "AccessDenied");
        assert.equal(e.$metadata?.httpStatusCode, 403);
        assert.equal(
          e.message,
          `User: arn:aws:iam::${account}:user/narrow is not authorized to perform: iam:GetRole on resource: arn:aws:iam::${account}:role/other-role because no identity-based policy allows the iam:GetRole action`,
        );
        return true;
      },
    );
  });

  test("an explicit deny: AccessDeniedException (awsJson1_1 400) naming the deny", async () => {
    const ecr = new ECRClient(clientConfig(twin, keys));
    await assert.rejects(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["other"] })),
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.name, "AccessDeniedException");
        assert.equal(e.$metadata?.httpStatusCode, 400);
        assert.match(e.message, /with an explicit deny in an identity-based policy/);
        assert.match(e.message, /ecr:DescribeRepositories/);
        return true;
      },
    );
  });

  test("listing every repository is authorized on repository/*, which a grant on one does not cover", async () => {
    for (const region of ["us-east-1", "eu-west-1"]) {
      // eu-west-1 holds no repository: the call is still checked, not answered with an empty list
      const regional = new ECRClient({ ...clientConfig(twin, keys), region });
      await assert.rejects(regional.send(new DescribeRepositoriesCommand({})), (e: Error) => {
        assert.equal(e.name, "AccessDeniedException");
        assert.equal(
          e.message,
          `User: arn:aws:iam::${account}:user/narrow is not authorized to perform: ecr:DescribeRepositories on resource: arn:aws:ecr:${region}:${account}:repository/* because no identity-based policy allows the ecr:DescribeRepositories action`,
        );
        return true;
      });
    }
    const all = await new ECRClient(clientConfig(twin)).send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(all.repositories?.map((r) => r.repositoryName).sort(), ["other", "sample-app"]);
  });

  test("the aws CLI sees the same denial", async () => {
    const r = await aws(["iam", "get-role", "--role-name", "other-role"], cliEnv(twin, keys));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\(AccessDenied\)/);
    assert.match(r.stderr, /because no identity-based policy allows the iam:GetRole action/);
  });

  test("the decision log explains each denial: statement, resource, what was closest", async () => {
    const res = await fetch(`${twin.url}/_keyship/decisions?denied=1&principal=user/narrow&limit=50`);
    assert.equal(res.status, 200);
    const records = (await res.json()) as {
      action: string;
      resource: string;
      decision: string;
      explanation?: string;
      message?: string;
    }[];
    const getRole = records.find((r) => r.action === "iam:GetRole");
    assert.ok(getRole, "the GetRole denial is logged");
    assert.equal(getRole.decision, "implicitDeny");
    assert.equal(getRole.resource, `arn:aws:iam::${account}:role/other-role`);
    assert.match(getRole.explanation ?? "", /ReadAppRole/);
    const deny = records.find(
      (r) => r.action === "ecr:DescribeRepositories" && r.resource.endsWith(":repository/other"),
    );
    assert.equal(deny?.decision, "explicitDeny");
    assert.match(deny?.explanation ?? "", /NeverOther/);
    // Allowed calls are logged too, without the costly explanation.
    const all = (await (
      await fetch(`${twin.url}/_keyship/decisions?principal=user/narrow&decision=allowed`)
    ).json()) as {
      action: string;
    }[];
    assert.ok(all.some((r) => r.action === "iam:GetRole"));
    // `decision=denied` is either denial; a value that is no decision is refused, not answered with []
    const denied = (await (
      await fetch(`${twin.url}/_keyship/decisions?principal=user/narrow&decision=denied`)
    ).json()) as { decision: string }[];
    assert.deepEqual(new Set(denied.map((r) => r.decision)), new Set(["implicitDeny", "explicitDeny"]));
    const bad = await fetch(`${twin.url}/_keyship/decisions?decision=deny`);
    assert.equal(bad.status, 400);
    assert.match(
      ((await bad.json()) as { error: string }).error,
      /allowed, implicitDeny, explicitDeny, denied/,
    );
  });

  test("keyship decisions --denied prints a readable trace from the state dir", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(import.meta.dirname, "../../../bin/keyship"),
      "decisions",
      "--state",
      twin.stateDir,
      "--denied",
    ]);
    assert.match(
      stdout,
      /DENY \(explicit\)\s+ecr:DescribeRepositories on arn:aws:ecr:us-east-1:123456789012:repository\/other/,
    );
    assert.match(stdout, /DENY\s+iam:GetRole on arn:aws:iam::123456789012:role\/other-role/);
    assert.match(stdout, /principal: arn:aws:iam::123456789012:user\/narrow/);
  });
});
