// The fixture's aws_iam_policy_document blocks render to exactly the JSON the AWS provider produces.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderPolicyDocument } from "../../../src/client/terraform/policy-document.ts";

test("trust policy of the seed: one-element sets become strings, condition grouped by test", () => {
  const { json, minified_json } = renderPolicyDocument({
    statement: [
      {
        principals: [
          {
            type: "Federated",
            identifiers: ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"],
          },
        ],
        actions: ["sts:AssumeRoleWithWebIdentity"],
        condition: [
          {
            test: "StringLike",
            variable: "token.actions.githubusercontent.com:sub",
            values: ["repo:example-org/sample-app:*"],
          },
        ],
      },
    ],
  });
  assert.equal(
    json,
    `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Principal": {
        "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
      },
      "Condition": {
        "StringLike": {
          "token.actions.githubusercontent.com:sub": "repo:example-org/sample-app:*"
        }
      }
    }
  ]
}`,
  );
  assert.equal(
    minified_json,
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:example-org/sample-app:*"}}}]}',
  );
});

test("action sets are sorted in reverse, Sid first, resources as a string when single", () => {
  const { minified_json } = renderPolicyDocument({
    statement: [
      {
        sid: "PushImageOnly",
        actions: [
          "ecr:BatchCheckLayerAvailability",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
        ],
        resources: ["arn:aws:ecr:ap-northeast-1:123456789012:repository/sample-app"],
      },
    ],
  });
  assert.equal(
    minified_json,
    '{"Version":"2012-10-17","Statement":[{"Sid":"PushImageOnly","Effect":"Allow","Action":["ecr:UploadLayerPart","ecr:PutImage","ecr:InitiateLayerUpload","ecr:CompleteLayerUpload","ecr:BatchCheckLayerAvailability"],"Resource":"arn:aws:ecr:ap-northeast-1:123456789012:repository/sample-app"}]}',
  );
});

test("not_* elements, multiple principals of one type, condition values keep order, &{} becomes ${}", () => {
  const { minified_json } = renderPolicyDocument({
    statement: [
      {
        effect: "Deny",
        not_actions: ["iam:*"],
        not_resources: ["arn:aws:s3:::b/&{aws:username}/*", "arn:aws:s3:::a"],
        not_principals: [
          { type: "AWS", identifiers: ["arn:aws:iam::111122223333:root"] },
          {
            type: "AWS",
            identifiers: ["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:user/x"],
          },
        ],
        condition: [
          { test: "StringEquals", variable: "aws:RequestedRegion", values: ["us-west-2", "eu-west-1"] },
          { test: "Bool", variable: "aws:SecureTransport", values: ["false"] },
        ],
      },
    ],
  });
  assert.equal(
    minified_json,
    '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":["arn:aws:s3:::b/${aws:username}/*","arn:aws:s3:::a"],"NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:user/x"]},"Condition":{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"aws:RequestedRegion":["us-west-2","eu-west-1"]}}}]}',
  );
});

test('source documents merge first; overrides replace statements by Sid; wildcard principal is "*"', () => {
  const source = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "A", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
  });
  const override = JSON.stringify({
    Statement: [{ Sid: "B", Effect: "Deny", Action: ["s3:*"], Resource: "*", Principal: "*" }],
  });
  const { minified_json } = renderPolicyDocument({
    source_policy_documents: [source],
    override_policy_documents: [override],
    statement: [
      { sid: "B", actions: ["s3:PutObject"], resources: ["*"] },
      { actions: ["s3:List*"], resources: ["*"] },
    ],
  });
  assert.equal(
    minified_json,
    '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":["s3:*"],"Resource":"*","Principal":"*"},{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}',
  );
});

test("duplicate Sids and bad effects are errors, as in the provider", () => {
  assert.throws(
    () => renderPolicyDocument({ statement: [{ sid: "A" }, { sid: "A" }] }),
    /duplicate Sid \(A\)/,
  );
  assert.throws(() => renderPolicyDocument({ statement: [{ effect: "Maybe" }] }), /expected effect/);
});

test("Go's HTML escaping of < > & is reproduced", () => {
  const { minified_json } = renderPolicyDocument({
    statement: [{ actions: ["a:b"], resources: ["x<y>&z"] }],
  });
  assert.match(minified_json, /x\\u003cy\\u003e\\u0026z/);
});
