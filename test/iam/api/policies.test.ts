// Managed policies and their versions, attachments seen from the policy side, and the AWS managed
// policies every state starts with, through SDK v3 against a live twin.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  SetDefaultPolicyVersionCommand,
} from "@aws-sdk/client-iam";
import { ecsTrust } from "./documents.ts";
import { expectAwsError } from "./expect-error.ts";
import { liveIam } from "./live-iam.ts";

const doc = (action: string) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });

describe("IAM managed policies", () => {
  const live = liveIam();

  it("seeds AWS managed policies with their documents", async () => {
    const aws = await live.iam.send(new ListPoliciesCommand({ Scope: "AWS" }));
    const names = aws.Policies?.map((p) => p.PolicyName) ?? [];
    for (const n of [
      "AdministratorAccess",
      "AmazonEC2ContainerRegistryPowerUser",
      "AmazonEC2ContainerRegistryReadOnly",
      "AmazonECSTaskExecutionRolePolicy",
      "AmazonECS_FullAccess",
    ])
      assert.ok(names.includes(n), n);
    const admin = (
      await live.iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }))
    ).Policy!;
    assert.equal(admin.AttachmentCount, 1);
    const v = await live.iam.send(
      new GetPolicyVersionCommand({ PolicyArn: admin.Arn, VersionId: admin.DefaultVersionId }),
    );
    assert.deepEqual(JSON.parse(decodeURIComponent(v.PolicyVersion!.Document!)), {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    const local = await live.iam.send(new ListPoliciesCommand({ Scope: "Local" }));
    assert.deepEqual(local.Policies, []);
  });

  it("creates, reads and lists a customer managed policy", async () => {
    const { Policy } = await live.iam.send(
      new CreatePolicyCommand({
        PolicyName: "deploy",
        Path: "/ci/",
        PolicyDocument: doc("ecs:*"),
        Description: "deploys",
        Tags: [{ Key: "owner", Value: "ci" }],
      }),
    );
    assert.equal(Policy?.Arn, "arn:aws:iam::123456789012:policy/ci/deploy");
    assert.match(Policy?.PolicyId ?? "", /^ANPA/);
    assert.equal(Policy?.DefaultVersionId, "v1");
    assert.equal(Policy?.IsAttachable, true);
    const got = (await live.iam.send(new GetPolicyCommand({ PolicyArn: Policy!.Arn }))).Policy!;
    assert.equal(got.Description, "deploys");
    assert.deepEqual(got.Tags, [{ Key: "owner", Value: "ci" }]);
    await expectAwsError(
      live.iam.send(new CreatePolicyCommand({ PolicyName: "deploy", PolicyDocument: doc("ecs:*") })),
      {
        code: "EntityAlreadyExists",
        status: 409,
        message: "A policy called deploy already exists. Duplicate names are not allowed.",
      },
    );
    await expectAwsError(
      live.iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::123456789012:policy/none" })),
      {
        code: "NoSuchEntity",
        status: 404,
        message: "Policy arn:aws:iam::123456789012:policy/none was not found.",
      },
    );
    const onlyLocal = await live.iam.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/ci/" }));
    assert.deepEqual(
      onlyLocal.Policies?.map((p) => p.PolicyName),
      ["deploy"],
    );
  });

  it("managed policies must use Version 2012-10-17 and be well formed", async () => {
    await expectAwsError(
      live.iam.send(
        new CreatePolicyCommand({
          PolicyName: "old",
          PolicyDocument: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
        }),
      ),
      {
        code: "MalformedPolicyDocument",
        status: 400,
        message: "Policy document must be version 2012-10-17 or greater.",
      },
    );
    await expectAwsError(
      live.iam.send(new CreatePolicyCommand({ PolicyName: "broken", PolicyDocument: "{not json" })),
      {
        code: "MalformedPolicyDocument",
        status: 400,
        message: "Syntax errors in policy.",
      },
    );
  });

  it("versions: create up to five, the sixth is LimitExceeded; set default; delete", async () => {
    const arn = (
      await live.iam.send(
        new CreatePolicyCommand({ PolicyName: "versioned", PolicyDocument: doc("s3:Get*") }),
      )
    ).Policy!.Arn!;
    for (let i = 2; i <= 5; i++) {
      const v = await live.iam.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: doc(`s3:Action${i}`),
          SetAsDefault: i === 3,
        }),
      );
      assert.equal(v.PolicyVersion?.VersionId, `v${i}`);
    }
    await expectAwsError(
      live.iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc("s3:X") })),
      {
        code: "LimitExceeded",
        status: 409,
        message:
          "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
      },
    );
    const listed = await live.iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    assert.deepEqual(
      listed.Versions?.map((v) => [v.VersionId, v.IsDefaultVersion]),
      [
        ["v5", false],
        ["v4", false],
        ["v3", true],
        ["v2", false],
        ["v1", false],
      ],
    );
    await expectAwsError(live.iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v3" })), {
      code: "DeleteConflict",
      status: 409,
      message: "Cannot delete the default version of a policy.",
    });
    await live.iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v5" }));
    assert.equal(
      (await live.iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId,
      "v5",
    );
    await expectAwsError(live.iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v9" })), {
      code: "NoSuchEntity",
      status: 404,
      message: `Policy ${arn} version v9 does not exist or is not attachable.`,
    });
    await expectAwsError(live.iam.send(new DeletePolicyCommand({ PolicyArn: arn })), {
      code: "DeleteConflict",
      status: 409,
      message:
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
    });
    for (const v of ["v1", "v2", "v3", "v4"])
      await live.iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    // The next version number keeps counting after deletions, as IAM's does.
    const next = await live.iam.send(
      new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc("s3:Y") }),
    );
    assert.equal(next.PolicyVersion?.VersionId, "v6");
    await live.iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v6" }));
    await live.iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
  });

  it("attachments: counts, ListEntitiesForPolicy, OnlyAttached, DeleteConflict while attached", async () => {
    const arn = (
      await live.iam.send(new CreatePolicyCommand({ PolicyName: "attached", PolicyDocument: doc("ecr:*") }))
    ).Policy!.Arn!;
    await live.iam.send(new CreateRoleCommand({ RoleName: "holder", AssumeRolePolicyDocument: ecsTrust }));
    await live.iam.send(new AttachRolePolicyCommand({ RoleName: "holder", PolicyArn: arn }));
    assert.equal((await live.iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount, 1);
    const entities = await live.iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
    assert.deepEqual(
      entities.PolicyRoles?.map((r) => r.RoleName),
      ["holder"],
    );
    assert.deepEqual(entities.PolicyUsers, []);
    const attachedOnly = await live.iam.send(new ListPoliciesCommand({ Scope: "Local", OnlyAttached: true }));
    assert.deepEqual(
      attachedOnly.Policies?.map((p) => p.PolicyName),
      ["attached"],
    );
    await expectAwsError(live.iam.send(new DeletePolicyCommand({ PolicyArn: arn })), {
      code: "DeleteConflict",
      status: 409,
      message: "Cannot delete a policy attached to entities.",
    });
    await live.iam.send(new DetachRolePolicyCommand({ RoleName: "holder", PolicyArn: arn }));
    await live.iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
  });
});
