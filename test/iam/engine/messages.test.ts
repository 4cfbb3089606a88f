// AccessDenied sentences (§10), the explanation record and text (§12), statement positions (§11.3).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${key} in plain strings
import assert from "node:assert/strict";
import { test } from "node:test";
import { accessDeniedMessage } from "../../../src/iam/access-denied.ts";
import { type EvalRequest, evaluate, type PolicySet } from "../../../src/iam/evaluate.ts";
import { explainText, hintFor } from "../../../src/iam/explain.ts";
import { parsePolicy, statementPositions } from "../../../src/iam/policy.ts";
import { DOC } from "./docs.ts";

const A = "595172359776";
const SESSION = `arn:aws:sts::${A}:assumed-role/GitHubActions-ECR-Push/GitHubActions`;
const base = (r: Partial<EvalRequest>): EvalRequest => ({
  principal: SESSION,
  action: "iam:PassRole",
  resource: `arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent`,
  resourceAccount: A,
  context: {},
  ...r,
});
const allowAll = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
const denyAll = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] };

const rows: [string, Partial<EvalRequest>, PolicySet, string][] = [
  [
    DOC.accessDenied,
    {},
    { identity: [] },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent because no identity-based policy allows the iam:PassRole action`,
  ],
  [
    DOC.accessDenied,
    {},
    { identity: [allowAll, denyAll] },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent with an explicit deny in an identity-based policy`,
  ],
  [
    DOC.accessDenied,
    {},
    { identity: [allowAll, { id: `arn:aws:iam::${A}:policy/NoPass`, document: denyAll }] },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent with an explicit deny in an identity-based policy: arn:aws:iam::${A}:policy/NoPass`,
  ],
  [
    DOC.accessDenied,
    {},
    {
      identity: [allowAll],
      permissionsBoundary: [
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
      ],
    },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent because no permissions boundary allows the iam:PassRole action`,
  ],
  [
    DOC.accessDenied,
    {},
    { identity: [allowAll], permissionsBoundary: [allowAll, denyAll] },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent with an explicit deny in a permissions boundary`,
  ],
  [
    DOC.accessDenied,
    {},
    {
      identity: [allowAll],
      session: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
    },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent because no session policy allows the iam:PassRole action`,
  ],
  [
    DOC.accessDenied,
    {},
    { identity: [allowAll], session: denyAll },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent with an explicit deny in a session policy`,
  ],
  [
    DOC.accessDenied,
    {},
    {
      identity: [allowAll],
      scp: [
        {
          orgIdentifier: "r",
          policies: [
            { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
          ],
        },
      ],
    },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent with an explicit deny in a service control policy`,
  ],
  [
    DOC.accessDenied,
    {},
    { identity: [allowAll], scp: [{ orgIdentifier: "r", policies: [allowAll, denyAll] }] },
    `User: ${SESSION} is not authorized to perform: iam:PassRole on resource: arn:aws:iam::${A}:role/ecsTaskRole-next-voters-agent with an explicit deny in a service control policy`,
  ],
  [
    DOC.accessDenied,
    { action: "s3:GetObject", resource: "arn:aws:s3:::b/k" },
    {
      identity: [allowAll],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Deny", Principal: "*", Action: "*", Resource: "*" }],
      },
    },
    `User: ${SESSION} is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k with an explicit deny in a resource-based policy`,
  ],
  [
    DOC.accessDenied,
    { action: "ecr:GetAuthorizationToken", resource: "*" },
    { identity: [] },
    `User: ${SESSION} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
  ],
  [
    DOC.spec("§10 IAM wording"),
    { action: "iam:CreatePolicy", resource: `arn:aws:iam::${A}:policy/deploy` },
    { identity: [] },
    `User: ${SESSION} is not authorized to perform: iam:CreatePolicy on resource: policy deploy because no identity-based policy allows the iam:CreatePolicy action`,
  ],
  [
    DOC.spec("§10 STS wording"),
    {
      action: "sts:AssumeRoleWithWebIdentity",
      resource: `arn:aws:iam::${A}:role/r`,
      principal: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`,
    },
    {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Federated: "x" }, Action: "sts:AssumeRoleWithWebIdentity" },
        ],
      },
    },
    "Not authorized to perform sts:AssumeRoleWithWebIdentity",
  ],
  [
    DOC.spec("§10 STS wording"),
    { action: "sts:AssumeRole", resource: `arn:aws:iam::${A}:role/r` },
    {
      identity: [],
      resource: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "sts:AssumeRole" }],
      },
    },
    `User: ${SESSION} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${A}:role/r`,
  ],
];

for (const [rule, r, policies, message] of rows) {
  test(`AccessDenied: ${message.slice(message.indexOf("perform"), 140)} (${rule})`, () => {
    const request = base(r);
    assert.equal(accessDeniedMessage(request, evaluate(request, policies)), message);
  });
}

test("positions follow the published simulator outputs (iam-policy.md §11.3)", () => {
  const one =
    '{"Version": "2012-10-17", "Statement": [{"Sid": "s3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::tims-fancy-bucket/only-here/*"]}]}';
  assert.deepEqual(statementPositions(parsePolicy(one)), [
    { start: { line: 1, column: 41 }, end: { line: 1, column: 180 } },
  ]);
  const two =
    '{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"*","Resource":["arn:aws:s3:::tims-fancy-bucket/*","arn:aws:s3:::tims-fancy-bucket"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},{"Sid":"DenyTimDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::tims-fancy-bucket/*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::112233445566:role/tims-test-role"}}}]}';
  assert.deepEqual(statementPositions(parsePolicy(two)), [
    { start: { line: 1, column: 38 }, end: { line: 1, column: 248 } },
    { start: { line: 1, column: 248 }, end: { line: 1, column: 470 } },
  ]);
  const admin =
    '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n      "Action": "*",\n      "Resource": "*"\n    }\n  ]\n}';
  assert.deepEqual(statementPositions(parsePolicy(admin)), [
    { start: { line: 3, column: 17 }, end: { line: 8, column: 6 } },
  ]);
  const passRole =
    '{"Version":"2012-10-17","Statement":[{"Sid":"PassRole","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole","Condition":{"StringLike":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]}';
  assert.deepEqual(statementPositions(parsePolicy(passRole)), [
    { start: { line: 1, column: 38 }, end: { line: 1, column: 239 } },
  ]);
});

const TRUST =
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:example-org/sample-app:ref:refs/heads/main"}}}]}';
const trustRequest: EvalRequest = {
  principal: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
  action: "sts:AssumeRoleWithWebIdentity",
  resource: "arn:aws:iam::123456789012:role/github-actions-deploy",
  resourceAccount: "123456789012",
  context: {
    "token.actions.githubusercontent.com:sub": "repo:example-org/sample-app:environment:production",
  },
};

test("the explanation record of §12 (the environment-vs-ref example)", () => {
  const r = evaluate(
    trustRequest,
    { identity: [], resource: { id: "trust:github-actions-deploy", document: TRUST } },
    { explain: true },
  );
  assert.equal(r.decision, "implicitDeny");
  assert.deepEqual(r.blockedBy, ["resource"]);
  const p = r.policies[0]!;
  assert.equal(p.type, "resource");
  assert.equal(p.id, "trust:github-actions-deploy");
  const s = p.statements[0]!;
  assert.deepEqual(s.start, { line: 1, column: 38 });
  assert.deepEqual(s.end, { line: 1, column: 324 });
  assert.equal(s.applies, false);
  assert.deepEqual(s.action.matched, true);
  assert.deepEqual(s.resource, { matched: true, by: null, not: false, patterns: [] });
  assert.deepEqual(s.principal, {
    matched: true,
    by: "Federated:arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
  });
  assert.deepEqual(s.conditions, [
    {
      operator: "StringEquals",
      key: "token.actions.githubusercontent.com:sub",
      policyValues: ["repo:example-org/sample-app:ref:refs/heads/main"],
      resolvedPolicyValues: ["repo:example-org/sample-app:ref:refs/heads/main"],
      requestValues: ["repo:example-org/sample-app:environment:production"],
      result: false,
      reason: "noValueMatched",
    },
  ]);
  const text = explainText(trustRequest, r);
  assert.match(
    text,
    /token\.actions\.githubusercontent\.com:sub was 'repo:example-org\/sample-app:environment:production'; StringEquals requires 'repo:example-org\/sample-app:ref:refs\/heads\/main'/,
  );
  assert.match(text, /hint: .*environment/);
});

test("hints come only from statements that cover the denied action (§12 hint)", () => {
  // A PassRole statement's iam:PassedToService condition says nothing about a denied ecr:PutImage.
  const policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: "*",
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
    ],
  };
  const put = {
    principal: "arn:aws:iam::123456789012:user/u",
    action: "ecr:PutImage",
    resource: "arn:aws:ecr:us-east-1:123456789012:repository/r",
    context: {},
  };
  const denied = evaluate(put, { identity: [policy] }, { explain: true });
  assert.equal(denied.decision, "implicitDeny");
  assert.equal(hintFor(denied), undefined);
  const pass = {
    ...put,
    action: "iam:PassRole",
    resource: "arn:aws:iam::123456789012:role/r",
    context: { "iam:PassedToService": "lambda.amazonaws.com" },
  };
  const passDenied = evaluate(pass, { identity: [policy] }, { explain: true });
  assert.match(hintFor(passDenied) ?? "", /passed to lambda\.amazonaws\.com/);
});

test("condition reasons (§12)", () => {
  const reasonOf = (condition: object, context: Record<string, string | string[]>) => {
    const r = evaluate(
      { principal: "arn:aws:iam::1:user/u", action: "s3:GetObject", resource: "*", context },
      {
        identity: [
          {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Condition: condition }],
          },
        ],
      },
      { explain: true },
    );
    return r.policies[0]!.statements[0]!.conditions[0]!.reason;
  };
  assert.equal(reasonOf({ StringEquals: { k: "a" } }, { k: "a" }), "matched");
  assert.equal(reasonOf({ StringEquals: { k: "a" } }, { k: "b" }), "noValueMatched");
  assert.equal(reasonOf({ StringEquals: { k: "a" } }, {}), "failedBecauseMissing");
  assert.equal(reasonOf({ StringNotEquals: { k: "a" } }, {}), "matchedBecauseMissing");
  assert.equal(reasonOf({ "ForAllValues:StringEquals": { k: "a" } }, {}), "matchedBecauseMissing");
  assert.equal(reasonOf({ StringEquals: { k: "a" } }, { k: ["a", "b"] }), "failedBecauseMultivalued");
  assert.equal(reasonOf({ NumericLessThan: { k: "5" } }, { k: "five" }), "invalidValue");
  assert.equal(reasonOf({ StringEquals: { k: "${aws:username}" } }, { k: "a" }), "variableUnresolved");
});

test("explainText names the closest statement and what it allows (ecr:PutImage on another repository)", () => {
  const request: EvalRequest = {
    principal: SESSION,
    action: "ecr:PutImage",
    resource: `arn:aws:ecr:us-east-1:${A}:repository/other`,
    context: {},
  };
  const r = evaluate(
    request,
    {
      identity: [
        {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "PushImageOnly",
              Effect: "Allow",
              Action: "ecr:PutImage",
              Resource: `arn:aws:ecr:us-east-1:${A}:repository/sample-app`,
            },
          ],
        },
      ],
    },
    { explain: true },
  );
  const text = explainText(request, r);
  assert.match(
    text,
    /no identity statement allows ecr:PutImage on arn:aws:ecr:us-east-1:595172359776:repository\/other; the closest, Sid PushImageOnly .* allows 'arn:aws:ecr:us-east-1:595172359776:repository\/sample-app'/,
  );
});

test("explainText of an allowed request names the allowing statement", () => {
  const request = base({});
  const text = explainText(
    request,
    evaluate(request, {
      identity: [
        {
          id: "p",
          document: {
            Version: "2012-10-17",
            Statement: [{ Sid: "Pass", Effect: "Allow", Action: "iam:PassRole", Resource: "*" }],
          },
        },
      ],
    }),
  );
  assert.match(text, /^allowed: /);
  assert.match(text, /allowed by Sid Pass in identity policy p/);
});

test("accessDeniedMessage refuses an allowed result (programmer mistake)", () => {
  const request = base({});
  assert.throws(() => accessDeniedMessage(request, evaluate(request, { identity: [allowAll] })), TypeError);
});
