// The global condition keys the twin supplies, each reaching a policy condition through a real client:
// for every key one principal whose condition matches (allowed) and one whose condition does not
// (AccessDenied), and the decision log naming the key and the value the request carried.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-ecr";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type Tag,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { clientConfig, withTwin } from "../../support/twin.ts";
import { expectAwsError } from "../api/expect-error.ts";

const ACCOUNT = "123456789012";
type Condition = Record<string, Record<string, string | string[]>>;
interface Who {
  name: string;
  arn: string;
  id: string;
}
interface Decision {
  action: string;
  decision: string;
  context?: Record<string, string | string[]>;
  explanation?: string;
}

/** Each key: a condition the request satisfies and one it does not. */
const cases: { key: string; pass: (u: Who) => Condition; fail: (u: Who) => Condition; tags?: Tag[] }[] = [
  {
    key: "aws:PrincipalArn",
    pass: (u) => ({ ArnEquals: { "aws:PrincipalArn": u.arn } }),
    fail: () => ({ ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:user/someone-else` } }),
  },
  {
    key: "aws:PrincipalAccount",
    pass: () => ({ StringEquals: { "aws:PrincipalAccount": ACCOUNT } }),
    fail: () => ({ StringEquals: { "aws:PrincipalAccount": "210987654321" } }),
  },
  {
    key: "aws:PrincipalType",
    pass: () => ({ StringEquals: { "aws:PrincipalType": "User" } }),
    fail: () => ({ StringEquals: { "aws:PrincipalType": "AssumedRole" } }),
  },
  {
    key: "aws:userid",
    pass: (u) => ({ StringEquals: { "aws:userid": u.id } }),
    fail: () => ({ StringEquals: { "aws:userid": "AIDAEXAMPLEEXAMPLE00" } }),
  },
  {
    key: "aws:username",
    pass: (u) => ({ StringEquals: { "aws:username": u.name } }),
    fail: () => ({ StringEquals: { "aws:username": "someone-else" } }),
  },
  {
    key: "aws:CurrentTime",
    pass: () => ({ DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } }),
    fail: () => ({ DateGreaterThan: { "aws:CurrentTime": "2999-01-01T00:00:00Z" } }),
  },
  {
    key: "aws:EpochTime",
    pass: () => ({ NumericGreaterThan: { "aws:EpochTime": "1577836800" } }),
    fail: () => ({ NumericLessThan: { "aws:EpochTime": "1577836800" } }),
  },
  {
    // The twin is served over plain HTTP on loopback.
    key: "aws:SecureTransport",
    pass: () => ({ Bool: { "aws:SecureTransport": "false" } }),
    fail: () => ({ Bool: { "aws:SecureTransport": "true" } }),
  },
  {
    key: "aws:SourceIp",
    pass: () => ({ IpAddress: { "aws:SourceIp": "127.0.0.0/8" } }),
    fail: () => ({ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }),
  },
  {
    key: "aws:RequestedRegion",
    pass: () => ({ StringEquals: { "aws:RequestedRegion": "us-east-1" } }),
    fail: () => ({ StringEquals: { "aws:RequestedRegion": "eu-west-3" } }),
  },
  {
    // the SDK names itself in User-Agent
    key: "aws:UserAgent",
    pass: () => ({ StringLike: { "aws:UserAgent": "*aws-sdk-js*" } }),
    fail: () => ({ StringLike: { "aws:UserAgent": "curl/*" } }),
  },
  {
    key: "aws:PrincipalTag/team",
    tags: [{ Key: "team", Value: "blue" }],
    pass: () => ({ StringEquals: { "aws:PrincipalTag/team": "blue" } }),
    fail: () => ({ StringEquals: { "aws:PrincipalTag/team": "red" } }),
  },
];

describe("global condition keys reach conditions through the twin", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let admin: IAMClient;

  /** A user allowed iam:GetRole only under `condition`, and its IAM client (in `region`). */
  async function userWith(
    name: string,
    condition: (u: Who) => Condition,
    tags: Tag[] = [],
  ): Promise<{ who: Who; client: (region?: string) => IAMClient }> {
    const user = (await admin.send(new CreateUserCommand({ UserName: name, Tags: tags }))).User!;
    const who = { name, arn: user.Arn!, id: user.UserId! };
    await admin.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: "conditional",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "Conditional",
              Effect: "Allow",
              Action: "iam:GetRole",
              Resource: "*",
              Condition: condition(who),
            },
          ],
        }),
      }),
    );
    const key = (await admin.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const keys = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    return { who, client: (region = "us-east-1") => new IAMClient(clientConfig(twin, keys, region)) };
  }

  async function lastDenial(principal: string, action: string): Promise<Decision> {
    const res = await fetch(
      `${twin.url}/_keyship/decisions?denied=1&principal=${encodeURIComponent(principal)}&action=${action}&limit=1`,
    );
    const [d] = (await res.json()) as Decision[];
    assert.ok(d, `a denial of ${action} by ${principal} is logged`);
    return d;
  }

  before(async () => {
    twin = await withTwin();
    admin = new IAMClient(clientConfig(twin));
    await admin.send(
      new CreateRoleCommand({
        RoleName: "target",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/${twin.admin.userName}` },
              Action: "sts:AssumeRole",
            },
          ],
        }),
      }),
    );
  });
  after(async () => {
    admin.destroy();
    await twin.dispose();
  });

  for (const [i, c] of cases.entries()) {
    test(`${c.key}: a matching condition allows, another value denies and is logged`, async () => {
      const yes = await userWith(`pass-${i}`, c.pass, c.tags);
      const role = await yes.client().send(new GetRoleCommand({ RoleName: "target" }));
      assert.equal(role.Role?.RoleName, "target");

      const no = await userWith(`fail-${i}`, c.fail, c.tags);
      await expectAwsError(no.client().send(new GetRoleCommand({ RoleName: "target" })), {
        code: "AccessDenied",
        status: 403,
        message: `User: ${no.who.arn} is not authorized to perform: iam:GetRole on resource: arn:aws:iam::${ACCOUNT}:role/target because no identity-based policy allows the iam:GetRole action`,
      });
      const logged = await lastDenial(no.who.arn, "iam:GetRole");
      assert.ok(logged.context && c.key in logged.context, `${c.key} is in the logged request context`);
      assert.match(logged.explanation ?? "", new RegExp(c.key.replace("/", "\\/"), "i"));
    });
  }

  test("aws:RequestedRegion follows the region the client signs for", async () => {
    const u = await userWith("regional", (_) => ({ StringEquals: { "aws:RequestedRegion": "eu-west-3" } }));
    await u.client("eu-west-3").send(new GetRoleCommand({ RoleName: "target" }));
    await expectAwsError(u.client("us-east-1").send(new GetRoleCommand({ RoleName: "target" })), {
      code: "AccessDenied",
      status: 403,
    });
  });

  test("long-term keys carry neither aws:MultiFactorAuthPresent nor aws:TokenIssueTime", async () => {
    const absent = await userWith("long-term", () => ({
      Null: { "aws:MultiFactorAuthPresent": "true", "aws:TokenIssueTime": "true" },
    }));
    await absent.client().send(new GetRoleCommand({ RoleName: "target" }));
    const present = await userWith("claims-mfa", () => ({ Bool: { "aws:MultiFactorAuthPresent": "false" } }));
    await expectAwsError(present.client().send(new GetRoleCommand({ RoleName: "target" })), {
      code: "AccessDenied",
      status: 403,
    });
  });

  test("${aws:username} as a policy variable in a resource: a user may read only itself", async () => {
    const name = "self-reader";
    await admin.send(new CreateUserCommand({ UserName: name }));
    await admin.send(new CreateUserCommand({ UserName: "neighbour" }));
    await admin.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: "self",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: "iam:GetUser",
              Resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
            },
          ],
        }),
      }),
    );
    const key = (await admin.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const iam = new IAMClient(
      clientConfig(twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
    assert.equal((await iam.send(new GetUserCommand({}))).User?.UserName, name);
    await expectAwsError(iam.send(new GetUserCommand({ UserName: "neighbour" })), {
      code: "AccessDenied",
      status: 403,
    });
  });

  test("a role session: aws:PrincipalArn is the role, aws:PrincipalType AssumedRole, aws:userid ROLEID:session, no aws:username", async () => {
    const policy = (type: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "iam:GetRole",
            Resource: "*",
            Condition: {
              ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/target` },
              StringEquals: { "aws:PrincipalType": type },
              StringLike: { "aws:userid": "AROA*:probe" },
              Null: { "aws:username": "true" },
              // temporary credentials: no MFA in the twin, and the time they were issued
              Bool: { "aws:MultiFactorAuthPresent": "false" },
              DateGreaterThan: { "aws:TokenIssueTime": "2020-01-01T00:00:00Z" },
            },
          },
        ],
      });
    await admin.send(
      new PutRolePolicyCommand({
        RoleName: "target",
        PolicyName: "p",
        PolicyDocument: policy("AssumedRole"),
      }),
    );
    const sts = new STSClient(clientConfig(twin));
    const assume = async () => {
      const c = (
        await sts.send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/target`, RoleSessionName: "probe" }),
        )
      ).Credentials!;
      return new IAMClient(
        clientConfig(twin, {
          accessKeyId: c.AccessKeyId!,
          secretAccessKey: c.SecretAccessKey!,
          sessionToken: c.SessionToken!,
        }),
      );
    };
    assert.equal(
      (await (await assume()).send(new GetRoleCommand({ RoleName: "target" }))).Role?.RoleName,
      "target",
    );
    await admin.send(
      new PutRolePolicyCommand({ RoleName: "target", PolicyName: "p", PolicyDocument: policy("User") }),
    );
    await expectAwsError((await assume()).send(new GetRoleCommand({ RoleName: "target" })), {
      code: "AccessDenied",
      status: 403,
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/target/probe is not authorized to perform: iam:GetRole on resource: arn:aws:iam::${ACCOUNT}:role/target because no identity-based policy allows the iam:GetRole action`,
    });
    sts.destroy();
  });

  test("ECR: aws:ResourceTag on repository actions, aws:RequestTag and aws:TagKeys on CreateRepository, TagResource and UntagResource", async () => {
    const ecrAdmin = new ECRClient(clientConfig(twin));
    const blue = await ecrAdmin.send(
      new CreateRepositoryCommand({ repositoryName: "blue-repo", tags: [{ Key: "team", Value: "blue" }] }),
    );
    const red = await ecrAdmin.send(
      new CreateRepositoryCommand({ repositoryName: "red-repo", tags: [{ Key: "team", Value: "red" }] }),
    );
    const name = "ecr-tagger";
    await admin.send(new CreateUserCommand({ UserName: name }));
    await admin.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: "ecr",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "BlueRepos",
              Effect: "Allow",
              Action: ["ecr:DescribeRepositories", "ecr:ListTagsForResource"],
              Resource: "*",
              Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } },
            },
            {
              Sid: "CreateOnlyBlue",
              Effect: "Allow",
              Action: ["ecr:CreateRepository", "ecr:TagResource"],
              Resource: "*",
              Condition: {
                StringEquals: { "aws:RequestTag/team": "blue" },
                "ForAllValues:StringEquals": { "aws:TagKeys": ["team", "cost"] },
              },
            },
            {
              Sid: "UntagOnlyCost",
              Effect: "Allow",
              Action: "ecr:UntagResource",
              Resource: "*",
              Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["cost"] } },
            },
          ],
        }),
      }),
    );
    const key = (await admin.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    const ecr = new ECRClient(
      clientConfig(twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
    const denied = { code: "AccessDenied", status: 400 };
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["blue-repo"] }));
    assert.equal(described.repositories?.[0]?.repositoryName, "blue-repo");
    await expectAwsError(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["red-repo"] })),
      denied,
    );

    await ecr.send(
      new CreateRepositoryCommand({ repositoryName: "made-blue", tags: [{ Key: "team", Value: "blue" }] }),
    );
    await expectAwsError(
      ecr.send(
        new CreateRepositoryCommand({ repositoryName: "made-red", tags: [{ Key: "team", Value: "red" }] }),
      ),
      denied,
    );
    await expectAwsError(ecr.send(new CreateRepositoryCommand({ repositoryName: "untagged" })), denied);

    const blueArn = blue.repository!.repositoryArn!;
    await ecr.send(
      new TagResourceCommand({
        resourceArn: blueArn,
        tags: [
          { Key: "team", Value: "blue" },
          { Key: "cost", Value: "42" },
        ],
      }),
    );
    await expectAwsError(
      ecr.send(new TagResourceCommand({ resourceArn: blueArn, tags: [{ Key: "owner", Value: "x" }] })),
      denied,
    );
    await expectAwsError(
      ecr.send(
        new TagResourceCommand({
          resourceArn: red.repository!.repositoryArn!,
          tags: [{ Key: "team", Value: "red" }],
        }),
      ),
      denied,
    );
    await expectAwsError(
      ecr.send(new UntagResourceCommand({ resourceArn: blueArn, tagKeys: ["team"] })),
      denied,
    );
    await ecr.send(new UntagResourceCommand({ resourceArn: blueArn, tagKeys: ["cost"] }));
    assert.deepEqual((await ecr.send(new ListTagsForResourceCommand({ resourceArn: blueArn }))).tags, [
      { Key: "team", Value: "blue" },
    ]);
    ecr.destroy();
    ecrAdmin.destroy();
  });
});
