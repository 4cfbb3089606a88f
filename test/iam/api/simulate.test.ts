// The IAM policy simulator API (iam-policy.md §11): SimulateCustomPolicy and SimulatePrincipalPolicy,
// through SDK v3 against a live twin.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CreateRoleCommand,
  GetContextKeysForCustomPolicyCommand,
  GetContextKeysForPrincipalPolicyCommand,
  PutRolePolicyCommand,
  SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
} from "@aws-sdk/client-iam";
import { passRole } from "./documents.ts";
import { expectAwsError } from "./expect-error.ts";
import { liveIam } from "./live-iam.ts";

const role = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";

describe("IAM simulator API", () => {
  const live = liveIam();

  it("SimulateCustomPolicy allows PassRole with the context key, with AWS's statement positions", async () => {
    const out = await live.iam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [passRole],
        ActionNames: ["iam:PassRole"],
        ResourceArns: [role],
        ContextEntries: [
          {
            ContextKeyName: "iam:PassedToService",
            ContextKeyValues: ["ecs-tasks.amazonaws.com"],
            ContextKeyType: "string",
          },
        ],
      }),
    );
    assert.equal(out.IsTruncated, false);
    const [r] = out.EvaluationResults ?? [];
    assert.equal(r?.EvalActionName, "iam:PassRole");
    assert.equal(r?.EvalResourceName, role);
    assert.equal(r?.EvalDecision, "allowed");
    const statement = {
      SourcePolicyId: "PolicyInputList.1",
      SourcePolicyType: "IAM Policy",
      StartPosition: { Line: 1, Column: 38 },
      EndPosition: { Line: 1, Column: 239 },
    };
    assert.deepEqual(r?.MatchedStatements, [statement]);
    assert.deepEqual(r?.MissingContextValues, []);
    assert.deepEqual(r?.ResourceSpecificResults, [
      {
        EvalResourceName: role,
        EvalResourceDecision: "allowed",
        MatchedStatements: [statement],
        MissingContextValues: [],
      },
    ]);
  });

  it("without the context entry: implicitDeny, no matched statements, the key reported missing", async () => {
    const out = await live.iam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [passRole],
        ActionNames: ["iam:PassRole"],
        ResourceArns: [role],
      }),
    );
    const [r] = out.EvaluationResults ?? [];
    assert.equal(r?.EvalDecision, "implicitDeny");
    assert.deepEqual(r?.MatchedStatements, []);
    assert.deepEqual(r?.ResourceSpecificResults?.[0]?.MissingContextValues, ["iam:PassedToService"]);
  });

  it("explicit deny, several actions, and the resource `*` by default", async () => {
    const deny = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "ecr:*", Resource: "*" },
        { Effect: "Deny", Action: "ecr:DeleteRepository", Resource: "*" },
      ],
    });
    const out = await live.iam.send(
      new SimulateCustomPolicyCommand({
        PolicyInputList: [deny],
        ActionNames: ["ecr:DescribeRepositories", "ecr:DeleteRepository", "ecs:ListClusters"],
      }),
    );
    assert.deepEqual(
      out.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision]),
      [
        ["ecr:DescribeRepositories", "*", "allowed"],
        ["ecr:DeleteRepository", "*", "explicitDeny"],
        ["ecs:ListClusters", "*", "implicitDeny"],
      ],
    );
    assert.equal(out.EvaluationResults?.[1]?.MatchedStatements?.[0]?.SourcePolicyId, "PolicyInputList.1");
  });

  it("rejects wildcard action names and malformed input policies with InvalidInput", async () => {
    await expectAwsError(
      live.iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: [passRole], ActionNames: ["iam:*"] })),
      { code: "InvalidInput", status: 400 },
    );
    await expectAwsError(
      live.iam.send(
        new SimulateCustomPolicyCommand({ PolicyInputList: ["{"], ActionNames: ["iam:PassRole"] }),
      ),
      { code: "InvalidInput", status: 400, message: "Syntax errors in policy." },
    );
  });

  describe("cross-account: EvalDecisionDetails gives each account's side", () => {
    const readAny = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    });
    const bucketPolicy = (principal: string, effect = "Allow") =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: effect,
            Principal: { AWS: principal },
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::b/*",
          },
        ],
      });
    const caller = "arn:aws:iam::123456789012:user/reader";
    const simulate = (resourcePolicy: string, identity = [readAny], resources = ["arn:aws:s3:::b/k"]) =>
      live.iam.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: identity,
          ResourcePolicy: resourcePolicy,
          CallerArn: caller,
          ResourceOwner: "arn:aws:iam::210987654321:root",
          ActionNames: ["s3:GetObject"],
          ResourceArns: resources,
        }),
      );

    it("the bucket policy does not name the caller: the resource side denies", async () => {
      const [r] = (await simulate(bucketPolicy("arn:aws:iam::123456789012:user/other"))).EvaluationResults!;
      assert.equal(r?.EvalDecision, "implicitDeny");
      const details = { "IAM Policy": "allowed", "Resource Policy": "implicitDeny" };
      assert.deepEqual(r?.EvalDecisionDetails, details);
      assert.deepEqual(r?.ResourceSpecificResults?.[0]?.EvalDecisionDetails, details);
    });

    it("both sides allow: allowed; without an identity grant the caller's side denies", async () => {
      const [ok] = (await simulate(bucketPolicy(caller))).EvaluationResults!;
      assert.equal(ok?.EvalDecision, "allowed");
      assert.deepEqual(ok?.EvalDecisionDetails, { "IAM Policy": "allowed", "Resource Policy": "allowed" });
      const none = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: "*" }],
      });
      const [denied] = (await simulate(bucketPolicy(caller), [none])).EvaluationResults!;
      assert.equal(denied?.EvalDecision, "implicitDeny");
      assert.deepEqual(denied?.EvalDecisionDetails, {
        "IAM Policy": "implicitDeny",
        "Resource Policy": "allowed",
      });
    });

    it("a Deny in the bucket policy is the resource side's explicitDeny", async () => {
      const [r] = (await simulate(bucketPolicy(caller, "Deny"))).EvaluationResults!;
      assert.equal(r?.EvalDecision, "explicitDeny");
      assert.deepEqual(r?.EvalDecisionDetails, {
        "IAM Policy": "allowed",
        "Resource Policy": "explicitDeny",
      });
    });

    it("within one account: empty with explicit resources, absent for `*`", async () => {
      const same = await live.iam.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [readAny],
          ActionNames: ["s3:GetObject"],
          ResourceArns: ["arn:aws:s3:::b/k"],
        }),
      );
      assert.ok(!same.EvaluationResults?.[0]?.EvalDecisionDetails?.["IAM Policy"]);
      assert.equal(same.EvaluationResults?.[0]?.ResourceSpecificResults?.[0]?.EvalDecisionDetails, undefined);
      const wildcard = await live.iam.send(
        new SimulateCustomPolicyCommand({ PolicyInputList: [readAny], ActionNames: ["s3:GetObject"] }),
      );
      assert.equal(wildcard.EvaluationResults?.[0]?.EvalDecisionDetails, undefined);
    });

    it("CallerArn must be an IAM user's ARN", async () => {
      await expectAwsError(
        live.iam.send(
          new SimulateCustomPolicyCommand({
            PolicyInputList: [readAny],
            ResourcePolicy: bucketPolicy(caller),
            CallerArn: "arn:aws:iam::123456789012:role/r",
            ActionNames: ["s3:GetObject"],
          }),
        ),
        { code: "InvalidInput", status: 400 },
      );
    });
  });

  describe("OrderedOrganizationPolicyInputList: SCP levels from the root to the account", () => {
    const allowAll = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }],
    });
    const fullAccess = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    const readOnly = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ecr:Describe*", Resource: "*" }],
    });
    const noDelete = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "NoDelete", Effect: "Deny", Action: "ecr:DeleteRepository", Resource: "*" }],
    });
    const simulate = (levels: string[][], ActionNames: string[]) =>
      live.iam.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [allowAll],
          OrderedOrganizationPolicyInputList: levels.map((l) => ({ ServiceControlPolicyInputList: l })),
          ActionNames,
        }),
      );

    it("every level must allow: an account level that allows only reads leaves writes implicitly denied", async () => {
      const out = await simulate([[fullAccess], [readOnly]], ["ecr:DescribeRepositories", "ecr:PutImage"]);
      assert.deepEqual(
        out.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision, r.OrganizationsDecisionDetail]),
        [
          ["ecr:DescribeRepositories", "allowed", { AllowedByOrganizations: true }],
          ["ecr:PutImage", "implicitDeny", { AllowedByOrganizations: false }],
        ],
      );
    });

    it("a Deny at any level wins, and is the matched statement; without SCPs there is no Organizations detail", async () => {
      const out = await simulate([[fullAccess, noDelete], [fullAccess]], ["ecr:DeleteRepository"]);
      const [r] = out.EvaluationResults!;
      assert.equal(r?.EvalDecision, "explicitDeny");
      assert.deepEqual(r?.OrganizationsDecisionDetail, { AllowedByOrganizations: false });
      assert.equal(
        r?.MatchedStatements?.[0]?.SourcePolicyId,
        "OrderedOrganizationPolicyInputList.1.ServiceControlPolicyInputList.2",
      );
      const plain = await live.iam.send(
        new SimulateCustomPolicyCommand({
          PolicyInputList: [allowAll],
          ActionNames: ["ecr:DeleteRepository"],
        }),
      );
      assert.equal(plain.EvaluationResults?.[0]?.EvalDecision, "allowed");
      assert.equal(plain.EvaluationResults?.[0]?.OrganizationsDecisionDetail, undefined);
    });

    it("an SCP that is not a valid policy is InvalidInput", async () => {
      await expectAwsError(simulate([["{"]], ["ecr:PutImage"]), { code: "InvalidInput", status: 400 });
    });
  });

  it("GetContextKeysForCustomPolicy lists the condition keys and variables, as written, each once", async () => {
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "s3:*",
          Resource: "arn:aws:s3:::home/${aws:username}/*",
          Condition: {
            StringEquals: { "aws:RequestedRegion": "us-east-1", "s3:prefix": "${aws:PrincipalTag/team}" },
          },
        },
        {
          Effect: "Deny",
          Action: "*",
          Resource: "*",
          Condition: { Bool: { "AWS:SecureTransport": "false", "aws:MultiFactorAuthPresent": "false" } },
        },
      ],
    });
    const passed = await live.iam.send(
      new GetContextKeysForCustomPolicyCommand({ PolicyInputList: [passRole] }),
    );
    assert.deepEqual(passed.ContextKeyNames, ["iam:PassedToService"]);
    const out = await live.iam.send(
      new GetContextKeysForCustomPolicyCommand({ PolicyInputList: [policy, passRole, policy] }),
    );
    assert.deepEqual(out.ContextKeyNames, [
      "aws:username",
      "aws:RequestedRegion",
      "s3:prefix",
      "aws:PrincipalTag/team",
      "AWS:SecureTransport",
      "aws:MultiFactorAuthPresent",
      "iam:PassedToService",
    ]);
    await expectAwsError(
      live.iam.send(new GetContextKeysForCustomPolicyCommand({ PolicyInputList: ["{"] })),
      { code: "InvalidInput", status: 400, message: "Syntax errors in policy." },
    );
  });

  it("GetContextKeysForPrincipalPolicy reads the principal's own policies, plus any given", async () => {
    await live.iam.send(
      new CreateRoleCommand({
        RoleName: "keyed",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    await live.iam.send(
      new PutRolePolicyCommand({ RoleName: "keyed", PolicyName: "pass", PolicyDocument: passRole }),
    );
    const arn = "arn:aws:iam::123456789012:role/keyed";
    const own = await live.iam.send(new GetContextKeysForPrincipalPolicyCommand({ PolicySourceArn: arn }));
    assert.deepEqual(own.ContextKeyNames, ["iam:PassedToService"]);
    const extra = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "*",
          Resource: "*",
          Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
        },
      ],
    });
    const both = await live.iam.send(
      new GetContextKeysForPrincipalPolicyCommand({ PolicySourceArn: arn, PolicyInputList: [extra] }),
    );
    assert.deepEqual(both.ContextKeyNames, ["iam:PassedToService", "aws:SourceIp"]);
    await expectAwsError(
      live.iam.send(
        new GetContextKeysForPrincipalPolicyCommand({
          PolicySourceArn: "arn:aws:iam::123456789012:role/nobody",
        }),
      ),
      { code: "NoSuchEntity", status: 404 },
    );
  });

  it("SimulatePrincipalPolicy uses the role's own policies, named as AWS names them", async () => {
    await live.iam.send(
      new CreateRoleCommand({
        RoleName: "deployer",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
      }),
    );
    await live.iam.send(
      new PutRolePolicyCommand({ RoleName: "deployer", PolicyName: "pass", PolicyDocument: passRole }),
    );
    const out = await live.iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: "arn:aws:iam::123456789012:role/deployer",
        ActionNames: ["iam:PassRole"],
        ResourceArns: [role],
        ContextEntries: [
          {
            ContextKeyName: "iam:PassedToService",
            ContextKeyValues: ["ecs.amazonaws.com"],
            ContextKeyType: "string",
          },
        ],
      }),
    );
    assert.equal(out.EvaluationResults?.[0]?.EvalDecision, "implicitDeny");
    const allowed = await live.iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: "arn:aws:iam::123456789012:role/deployer",
        ActionNames: ["iam:PassRole"],
        ResourceArns: [role],
        ContextEntries: [
          {
            ContextKeyName: "iam:PassedToService",
            ContextKeyValues: ["ecs-tasks.amazonaws.com"],
            ContextKeyType: "string",
          },
        ],
      }),
    );
    assert.equal(allowed.EvaluationResults?.[0]?.EvalDecision, "allowed");
    assert.equal(
      allowed.EvaluationResults?.[0]?.MatchedStatements?.[0]?.SourcePolicyId,
      "role_deployer_pass",
    );
    await expectAwsError(
      live.iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: "arn:aws:iam::123456789012:role/nobody",
          ActionNames: ["iam:PassRole"],
        }),
      ),
      { code: "NoSuchEntity", status: 404 },
    );
  });
});
