// IAM roles, trust-policy checks (incl. the 2025 GitHub guardrail), inline role policies, attachments and
// permissions boundaries, through SDK v3 against a live twin.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { clientConfig } from "../../support/twin.ts";
import { ecsTrust } from "./documents.ts";
import { expectAwsError } from "./expect-error.ts";
import { liveIam } from "./live-iam.ts";

const provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
const githubTrust = (condition?: object) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: provider },
        Action: "sts:AssumeRoleWithWebIdentity",
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });
const guardrailMessage =
  "Trust policy with trusted principal arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com must evaluate, using StringEquals, StringLike or StringEqualsIgnoreCase, token.actions.githubusercontent.com:sub or token.actions.githubusercontent.com:job_workflow_ref which is not scoped to all.";

describe("IAM roles", () => {
  const live = liveIam();

  it("creates a role with path, description, session duration and tags; GetRole returns the trust policy URL-encoded", async () => {
    const { Role } = await live.iam.send(
      new CreateRoleCommand({
        RoleName: "app-task",
        Path: "/ecs/",
        AssumeRolePolicyDocument: ecsTrust,
        Description: "task role",
        MaxSessionDuration: 7200,
        Tags: [{ Key: "app", Value: "sample" }],
      }),
    );
    assert.equal(Role?.Arn, "arn:aws:iam::123456789012:role/ecs/app-task");
    assert.match(Role?.RoleId ?? "", /^AROA/);
    const got = (await live.iam.send(new GetRoleCommand({ RoleName: "app-task" }))).Role!;
    assert.equal(got.AssumeRolePolicyDocument, encodeURIComponent(ecsTrust));
    assert.equal(decodeURIComponent(got.AssumeRolePolicyDocument!), ecsTrust);
    assert.equal(got.Description, "task role");
    assert.equal(got.MaxSessionDuration, 7200);
    assert.deepEqual(got.Tags, [{ Key: "app", Value: "sample" }]);
    // Role names are unique case-insensitively, and found that way.
    await expectAwsError(
      live.iam.send(new CreateRoleCommand({ RoleName: "APP-TASK", AssumeRolePolicyDocument: ecsTrust })),
      {
        code: "EntityAlreadyExists",
        status: 409,
        message: "Role with name APP-TASK already exists.",
      },
    );
    const listed = await live.iam.send(new ListRolesCommand({ PathPrefix: "/ecs/" }));
    assert.deepEqual(
      listed.Roles?.map((r) => r.RoleName),
      ["app-task"],
    );
  });

  it("validates names and MaxSessionDuration with ValidationError", async () => {
    await expectAwsError(
      live.iam.send(new CreateRoleCommand({ RoleName: "no/slash", AssumeRolePolicyDocument: ecsTrust })),
      {
        code: "ValidationError",
        status: 400,
        message:
          "1 validation error detected: Value 'no/slash' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      },
    );
    await expectAwsError(
      live.iam.send(
        new CreateRoleCommand({
          RoleName: "r",
          AssumeRolePolicyDocument: ecsTrust,
          MaxSessionDuration: 50000,
        }),
      ),
      {
        code: "ValidationError",
        status: 400,
        message:
          "1 validation error detected: Value '50000' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200",
      },
    );
    await expectAwsError(
      live.iam.send(
        new CreateRoleCommand({
          RoleName: "x".repeat(65),
          AssumeRolePolicyDocument: ecsTrust,
          MaxSessionDuration: 60,
        }),
      ),
      {
        code: "ValidationError",
        status: 400,
        message: /^2 validation errors detected: .*roleName.*; .*maxSessionDuration/,
      },
    );
  });

  it("refuses malformed trust policies and unknown AWS principals", async () => {
    await expectAwsError(
      live.iam.send(
        new CreateRoleCommand({
          RoleName: "bad-trust",
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "sts:AssumeRole" }],
          }),
        }),
      ),
      {
        code: "MalformedPolicyDocument",
        status: 400,
        message:
          "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
      },
    );
    const ghost = "arn:aws:iam::123456789012:user/ghost";
    await expectAwsError(
      live.iam.send(
        new CreateRoleCommand({
          RoleName: "bad-trust",
          AssumeRolePolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: ghost }, Action: "sts:AssumeRole" }],
          }),
        }),
      ),
      {
        code: "MalformedPolicyDocument",
        status: 400,
        message: `Invalid principal in policy: "AWS":"${ghost}"`,
      },
    );
  });

  it("applies IAM's GitHub guardrail on CreateRole and UpdateAssumeRolePolicy", async () => {
    const refused = [
      undefined,
      { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" } },
      { StringLike: { "token.actions.githubusercontent.com:sub": "*" } },
      { StringLike: { "token.actions.githubusercontent.com:sub": ["*", "repo:acme/x:*"] } },
      { StringLikeIfExists: { "token.actions.githubusercontent.com:sub": "repo:acme/x:*" } },
    ];
    for (const condition of refused) {
      await expectAwsError(
        live.iam.send(
          new CreateRoleCommand({ RoleName: "gh", AssumeRolePolicyDocument: githubTrust(condition) }),
        ),
        { code: "MalformedPolicyDocument", status: 400, message: guardrailMessage },
      );
    }
    const scoped = githubTrust({
      StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
      StringLike: { "token.actions.githubusercontent.com:sub": "repo:example-org/sample-app:*" },
    });
    await live.iam.send(new CreateRoleCommand({ RoleName: "gh", AssumeRolePolicyDocument: scoped }));
    await expectAwsError(
      live.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "gh", PolicyDocument: githubTrust() })),
      { code: "MalformedPolicyDocument", status: 400, message: guardrailMessage },
    );
    const workflow = githubTrust({
      StringLike: {
        "token.actions.githubusercontent.com:job_workflow_ref":
          "acme/x/.github/workflows/ci.yml@refs/heads/main",
      },
    });
    await live.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "gh", PolicyDocument: workflow }));
    const got = (await live.iam.send(new GetRoleCommand({ RoleName: "gh" }))).Role!;
    assert.equal(decodeURIComponent(got.AssumeRolePolicyDocument!), workflow);
  });

  it("UpdateRole changes description and session duration", async () => {
    await live.iam.send(new CreateRoleCommand({ RoleName: "upd", AssumeRolePolicyDocument: ecsTrust }));
    await live.iam.send(
      new UpdateRoleCommand({ RoleName: "upd", Description: "now described", MaxSessionDuration: 43200 }),
    );
    const got = (await live.iam.send(new GetRoleCommand({ RoleName: "upd" }))).Role!;
    assert.equal(got.Description, "now described");
    assert.equal(got.MaxSessionDuration, 43200);
    await expectAwsError(live.iam.send(new UpdateRoleCommand({ RoleName: "nope" })), {
      code: "NoSuchEntity",
      status: 404,
      message: "The role with name nope cannot be found.",
    });
  });

  it("inline role policies, attachments and DeleteRole's DeleteConflict", async () => {
    await live.iam.send(new CreateRoleCommand({ RoleName: "worker", AssumeRolePolicyDocument: ecsTrust }));
    const doc = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "Logs", Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*" }],
    });
    await live.iam.send(
      new PutRolePolicyCommand({ RoleName: "worker", PolicyName: "logs", PolicyDocument: doc }),
    );
    const got = await live.iam.send(new GetRolePolicyCommand({ RoleName: "worker", PolicyName: "logs" }));
    assert.equal(decodeURIComponent(got.PolicyDocument!), doc);
    assert.deepEqual((await live.iam.send(new ListRolePoliciesCommand({ RoleName: "worker" }))).PolicyNames, [
      "logs",
    ]);
    const exec = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
    await live.iam.send(new AttachRolePolicyCommand({ RoleName: "worker", PolicyArn: exec }));
    await live.iam.send(new AttachRolePolicyCommand({ RoleName: "worker", PolicyArn: exec }));
    assert.deepEqual(
      (await live.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "worker" }))).AttachedPolicies,
      [{ PolicyName: "AmazonECSTaskExecutionRolePolicy", PolicyArn: exec }],
    );
    assert.deepEqual(
      (
        await live.iam.send(
          new ListAttachedRolePoliciesCommand({ RoleName: "worker", PathPrefix: "/other/" }),
        )
      ).AttachedPolicies,
      [],
    );

    await expectAwsError(live.iam.send(new DeleteRoleCommand({ RoleName: "worker" })), {
      code: "DeleteConflict",
      status: 409,
      message: "Cannot delete entity, must detach all policies first.",
    });
    await live.iam.send(new DetachRolePolicyCommand({ RoleName: "worker", PolicyArn: exec }));
    await expectAwsError(
      live.iam.send(new DetachRolePolicyCommand({ RoleName: "worker", PolicyArn: exec })),
      {
        code: "NoSuchEntity",
        status: 404,
        message: `Policy ${exec} was not found.`,
      },
    );
    await expectAwsError(live.iam.send(new DeleteRoleCommand({ RoleName: "worker" })), {
      code: "DeleteConflict",
      status: 409,
      message: "Cannot delete entity, must delete policies first.",
    });
    await live.iam.send(new DeleteRolePolicyCommand({ RoleName: "worker", PolicyName: "logs" }));
    await live.iam.send(new DeleteRoleCommand({ RoleName: "worker" }));
    await expectAwsError(live.iam.send(new GetRoleCommand({ RoleName: "worker" })), {
      code: "NoSuchEntity",
      status: 404,
    });
  });

  it("role tags and permissions boundaries", async () => {
    await live.iam.send(new CreateRoleCommand({ RoleName: "bounded", AssumeRolePolicyDocument: ecsTrust }));
    await live.iam.send(
      new TagRoleCommand({
        RoleName: "bounded",
        Tags: [
          { Key: "k", Value: "v" },
          { Key: "k2", Value: "" },
        ],
      }),
    );
    await live.iam.send(new UntagRoleCommand({ RoleName: "bounded", TagKeys: ["k2"] }));
    assert.deepEqual((await live.iam.send(new ListRoleTagsCommand({ RoleName: "bounded" }))).Tags, [
      { Key: "k", Value: "v" },
    ]);

    const boundary = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";
    await live.iam.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: "bounded", PermissionsBoundary: boundary }),
    );
    assert.deepEqual(
      (await live.iam.send(new GetRoleCommand({ RoleName: "bounded" }))).Role?.PermissionsBoundary,
      {
        PermissionsBoundaryType: "Policy",
        PermissionsBoundaryArn: boundary,
      },
    );
    await live.iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: "bounded" }));
    assert.equal(
      (await live.iam.send(new GetRoleCommand({ RoleName: "bounded" }))).Role?.PermissionsBoundary,
      undefined,
    );
    await expectAwsError(
      live.iam.send(
        new PutRolePermissionsBoundaryCommand({
          RoleName: "bounded",
          PermissionsBoundary: "arn:aws:iam::123456789012:policy/missing",
        }),
      ),
      { code: "NoSuchEntity", status: 404 },
    );
  });
});

describe("IAM operations authorize with the keys AWS defines for them", () => {
  const live = liveIam();

  it("tags on create need the Tag action: CreateRole, CreateUser, CreatePolicy, CreateOpenIDConnectProvider", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "creates-only" }));
    await live.iam.send(
      new PutUserPolicyCommand({
        UserName: "creates-only",
        PolicyName: "create",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: [
                "iam:CreateRole",
                "iam:CreateUser",
                "iam:CreatePolicy",
                "iam:CreateOpenIDConnectProvider",
              ],
              Resource: "*",
            },
          ],
        }),
      }),
    );
    const key = (await live.iam.send(new CreateAccessKeyCommand({ UserName: "creates-only" }))).AccessKey!;
    const creator = new IAMClient(
      clientConfig(live.twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
    const Tags = [{ Key: "team", Value: "blue" }];
    const who = "arn:aws:iam::123456789012:user/creates-only";
    const refused = (action: string, resource: string) => ({
      code: "AccessDenied",
      status: 403,
      message: `User: ${who} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    });
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ecr:ListImages", Resource: "*" }],
    });
    await expectAwsError(
      creator.send(new CreateRoleCommand({ RoleName: "tag-me", AssumeRolePolicyDocument: ecsTrust, Tags })),
      refused("iam:TagRole", "arn:aws:iam::123456789012:role/tag-me"),
    );
    await expectAwsError(
      creator.send(new CreateUserCommand({ UserName: "tag-me", Tags })),
      refused("iam:TagUser", "arn:aws:iam::123456789012:user/tag-me"),
    );
    await expectAwsError(
      creator.send(new CreatePolicyCommand({ PolicyName: "tag-me", PolicyDocument: policy, Tags })),
      refused("iam:TagPolicy", "arn:aws:iam::123456789012:policy/tag-me"),
    );
    await expectAwsError(
      creator.send(
        new CreateOpenIDConnectProviderCommand({
          Url: "https://idp.tag-me.example",
          ClientIDList: ["a"],
          Tags,
        }),
      ),
      refused("iam:TagOpenIDConnectProvider", "arn:aws:iam::123456789012:oidc-provider/idp.tag-me.example"),
    );
    // refused whole, and untagged the same calls succeed
    await creator.send(new CreateRoleCommand({ RoleName: "tag-me", AssumeRolePolicyDocument: ecsTrust }));
    await creator.send(new CreateUserCommand({ UserName: "tag-me" }));
    await creator.send(new CreatePolicyCommand({ PolicyName: "tag-me", PolicyDocument: policy }));
    creator.destroy();
  });

  it("aws:RequestTag on CreateRole and iam:PolicyARN on AttachRolePolicy", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "limited" }));
    const readOnly = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";
    await live.iam.send(
      new PutUserPolicyCommand({
        UserName: "limited",
        PolicyName: "scoped",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              // tags on create need iam:TagRole as well
              Effect: "Allow",
              Action: ["iam:CreateRole", "iam:TagRole"],
              Resource: "*",
              Condition: { StringEquals: { "aws:RequestTag/team": "blue" } },
            },
            {
              Effect: "Allow",
              Action: "iam:AttachRolePolicy",
              Resource: "arn:aws:iam::123456789012:role/*",
              Condition: { ArnEquals: { "iam:PolicyARN": readOnly } },
            },
          ],
        }),
      }),
    );
    const key = (await live.iam.send(new CreateAccessKeyCommand({ UserName: "limited" }))).AccessKey!;
    const limited = new IAMClient(
      clientConfig(live.twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
    await expectAwsError(
      limited.send(new CreateRoleCommand({ RoleName: "untagged", AssumeRolePolicyDocument: ecsTrust })),
      { code: "AccessDenied", status: 403, message: /iam:CreateRole/ },
    );
    await limited.send(
      new CreateRoleCommand({
        RoleName: "tagged",
        AssumeRolePolicyDocument: ecsTrust,
        Tags: [{ Key: "team", Value: "blue" }],
      }),
    );
    await limited.send(new AttachRolePolicyCommand({ RoleName: "tagged", PolicyArn: readOnly }));
    await expectAwsError(
      limited.send(
        new AttachRolePolicyCommand({
          RoleName: "tagged",
          PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        }),
      ),
      {
        code: "AccessDenied",
        status: 403,
        message: /iam:AttachRolePolicy on resource: arn:aws:iam::123456789012:role\/tagged/,
      },
    );
  });
});
