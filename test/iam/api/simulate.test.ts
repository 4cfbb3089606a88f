// The IAM policy simulator API (iam-policy.md §11): SimulateCustomPolicy and SimulatePrincipalPolicy,
// through SDK v3 against a live twin.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CreateRoleCommand,
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
