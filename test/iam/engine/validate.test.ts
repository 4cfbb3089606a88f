// Write-time validation: AWS's exact messages and their precedence (iam-policy.md §4), and size quotas.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type PolicyKind,
  policySize,
  type ValidateOptions,
  validatePolicy,
} from "../../../src/iam/policy.ts";
import { DOC } from "./docs.ts";

const S = (s: string) => DOC.spec(s);
const stmt = (s: object) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*", ...s }],
  });
const raw = (s: object) => JSON.stringify({ Version: "2012-10-17", Statement: [s] });

/** [rule, document, kind, expected message or null for valid, options] */
type Row = [string, string, PolicyKind, string | null, ValidateOptions?];
const SYNTAX = "Syntax errors in policy.";
const LEGACY = "The policy failed legacy parsing";

const rows: Row[] = [
  [S("§4.2 not JSON"), "not json", "identity", SYNTAX],
  [S("§4.2 null"), "null", "identity", SYNTAX],
  [S("§4.2 not an object"), "[]", "identity", SYNTAX],
  [
    S("§4.2 unknown top-level member"),
    JSON.stringify({ Version: "2012-10-17", Statement: [], Extra: 1 }),
    "identity",
    SYNTAX,
  ],
  [S("§4.2 Statement missing"), JSON.stringify({ Version: "2012-10-17" }), "identity", SYNTAX],
  [S("§4.2 Statement empty"), JSON.stringify({ Version: "2012-10-17", Statement: [] }), "identity", SYNTAX],
  [
    S("§4.2 Statement a string"),
    JSON.stringify({ Version: "2012-10-17", Statement: "x" }),
    "identity",
    SYNTAX,
  ],
  [
    S("§4.2 statement not an object"),
    JSON.stringify({ Version: "2012-10-17", Statement: ["x"] }),
    "identity",
    SYNTAX,
  ],
  [S("§4.2 unknown statement member"), stmt({ Actions: "x" }), "identity", SYNTAX],
  [
    S("§4.2 member names are case-sensitive"),
    raw({ effect: "Allow", Action: "s3:*", Resource: "*" }),
    "identity",
    SYNTAX,
  ],
  [
    S("§4.2 Id not a string"),
    JSON.stringify({
      Version: "2012-10-17",
      Id: 1,
      Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
    }),
    "identity",
    SYNTAX,
  ],
  [S("§4.2 Sid not a string"), stmt({ Sid: 1 }), "identity", SYNTAX],
  [S("§4.2 Effect missing"), raw({ Action: "s3:*", Resource: "*" }), "identity", SYNTAX],
  [
    S("§4.2 Effect not allow/deny"),
    raw({ Effect: "Permit", Action: "s3:*", Resource: "*" }),
    "identity",
    SYNTAX,
  ],
  [S("§4.2 Action an object"), stmt({ Action: {} }), "identity", SYNTAX],
  [S("§4.2 Action nested list"), stmt({ Action: [[]] }), "identity", SYNTAX],
  [S("§4.2 Action list with object"), stmt({ Action: ["s3:GetObject", {}] }), "identity", SYNTAX],
  [S("§4.2 Resource an object"), stmt({ Resource: {} }), "identity", SYNTAX],
  [S("§4.2 Action and NotAction"), stmt({ NotAction: "s3:*" }), "identity", SYNTAX],
  [S("§4.2 Resource and NotResource"), stmt({ NotResource: "*" }), "identity", SYNTAX],
  [S("§4.2 Condition not an object"), stmt({ Condition: [] }), "identity", SYNTAX],
  [S("§4.2 operator value not an object"), stmt({ Condition: { StringEquals: "x" } }), "identity", SYNTAX],
  [
    S("§4.2 unknown operator with keys"),
    stmt({ Condition: { StringEqualz: { k: "v" } } }),
    "identity",
    SYNTAX,
  ],
  [
    S("§4.2 malformed operator"),
    stmt({ Condition: { "ForAnyValue::StringEqualsIfExists": { k: "v" } } }),
    "identity",
    SYNTAX,
  ],
  [S("§4.2 NullIfExists"), stmt({ Condition: { NullIfExists: { k: "true" } } }), "identity", SYNTAX],
  [
    S("§4.2 Version other than the two dates"),
    JSON.stringify({
      Version: "2012-10-18",
      Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
    }),
    "identity",
    SYNTAX,
  ],
  [S("§4.2 Principal with unknown type"), stmt({ Principal: { User: "x" } }), "resource", SYNTAX],
  [
    S("§4.2 managed policy without Version"),
    JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
    "identity",
    "Policy document must be version 2012-10-17 or greater.",
  ],
  [
    S("§4.2 managed policy 2008-10-17"),
    JSON.stringify({
      Version: "2008-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
    }),
    "boundary",
    "Policy document must be version 2012-10-17 or greater.",
  ],
  [
    S("§1 inline policy may use 2008-10-17"),
    JSON.stringify({
      Version: "2008-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
    }),
    "identity",
    null,
    { attachment: "role" },
  ],
  [
    S("§1 inline policy without Version"),
    JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
    "identity",
    null,
    { attachment: "user" },
  ],
  [
    S("§4.2 Effect in the wrong case"),
    raw({ Effect: "allow", Action: "s3:*", Resource: "*" }),
    "identity",
    LEGACY,
  ],
  [S("§4.2 Effect denY"), raw({ Effect: "denY", Action: "s3:*", Resource: "*" }), "identity", LEGACY],
  [
    S("§4.2 Date value not a date"),
    stmt({ Condition: { DateGreaterThan: { "aws:CurrentTime": "sdfdsf" } } }),
    "identity",
    LEGACY,
  ],
  [
    S("§4.2 Date month 13"),
    stmt({ Condition: { DateGreaterThan: { "aws:CurrentTime": "234-13" } } }),
    "identity",
    LEGACY,
  ],
  [
    S("§4.2 epoch above 2^63-1"),
    stmt({ Condition: { DateLessThan: { "aws:CurrentTime": "9223372036854775808" } } }),
    "identity",
    LEGACY,
  ],
  [
    S("§4.2 valid ISO date"),
    stmt({ Condition: { DateLessThan: { "aws:CurrentTime": "2026-11-25T20:30:00Z" } } }),
    "identity",
    null,
  ],
  [
    S("§4.2 valid epoch date"),
    stmt({ Condition: { DateLessThan: { "aws:EpochTime": "1700000000" } } }),
    "identity",
    null,
  ],
  [
    S("§4.2 resource with :: and too few parts"),
    stmt({ Resource: "arn:aws:s3::example_bucket" }),
    "identity",
    LEGACY,
  ],
  [S("§4.2 empty service part"), stmt({ Resource: "arn:aws::::x" }), "identity", LEGACY],
  [
    S("§4.2 duplicate Sid"),
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "Allow", Action: "s3:*", Resource: "*" },
        { Sid: "A", Effect: "Deny", Action: "s3:*", Resource: "*" },
      ],
    }),
    "identity",
    "Statement IDs (SID) in a single policy must be unique.",
  ],
  [
    S("§2.1 empty Sids may repeat"),
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "", Effect: "Allow", Action: "s3:*", Resource: "*" },
        { Sid: "", Effect: "Deny", Action: "s3:*", Resource: "*" },
      ],
    }),
    "identity",
    null,
  ],
  [
    S("§4.2 no Action"),
    raw({ Effect: "Allow", Resource: "*" }),
    "identity",
    "Policy statement must contain actions.",
  ],
  [S("§4.2 empty Action list"), stmt({ Action: [] }), "identity", "Policy statement must contain actions."],
  [
    S("§4.2 no Resource"),
    raw({ Effect: "Allow", Action: "s3:*" }),
    "identity",
    "Policy statement must contain resources.",
  ],
  [
    S("§4.2 empty Resource list"),
    stmt({ Resource: [] }),
    "session",
    "Policy statement must contain resources.",
  ],
  [
    S("§4.2 action without vendor"),
    stmt({ Action: "GetObject" }),
    "identity",
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
  ],
  [
    S("§4.2 action with two colons"),
    stmt({ Action: "s3:Get:Object" }),
    "identity",
    "Actions/Condition can contain only one colon.",
  ],
  [S("§4.2 vendor with a space"), stmt({ Action: "a a:b" }), "identity", "Vendor a a is not valid"],
  [S("§4.2 action * alone is valid"), stmt({ Action: "*" }), "identity", null],
  [
    S("§4.2 resource without colon"),
    stmt({ Resource: "bucket" }),
    "identity",
    'Resource bucket must be in ARN format or "*".',
  ],
  [S("§4.2 empty resource"), stmt({ Resource: "" }), "identity", 'Resource  must be in ARN format or "*".'],
  [
    S("§4.2 two-part resource"),
    stmt({ Resource: "arn:aws" }),
    "identity",
    "Resource vendor must be fully qualified and cannot contain regexes.",
  ],
  [
    S("§4.2 unknown partition"),
    stmt({ Resource: "a:b:cadfsdf" }),
    "identity",
    'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".',
  ],
  [S("§4.2 china partition is valid"), stmt({ Resource: "arn:aws-cn:s3:::bucket" }), "identity", null],
  [
    S("§4.2 S3 resource with region"),
    stmt({ Resource: "arn:aws:s3:us-east-1::example_bucket" }),
    "identity",
    "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
  ],
  [
    S("§4.2 S3 access point may carry a region"),
    stmt({ Resource: "arn:aws:s3:us-east-1:123456789012:accesspoint/ap" }),
    "identity",
    null,
  ],
  [
    S("§4.2 IAM resource with region"),
    stmt({ Resource: "arn:aws:iam:us-east-1::example_bucket" }),
    "identity",
    "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
  ],
  [
    S("§4.2 IAM resource type"),
    stmt({ Resource: "arn:aws:iam::123456789012:bucket/x" }),
    "identity",
    'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.',
  ],
  [
    S("§4.2 valid IAM role resource"),
    stmt({ Resource: "arn:aws:iam::123456789012:role/team/app" }),
    "identity",
    null,
  ],
  [
    S("§4.3 identity policy with Principal"),
    stmt({ Principal: "*" }),
    "identity",
    "Policy document should not specify a principal.",
  ],
  [
    S("§4.3 session policy with NotPrincipal"),
    stmt({ NotPrincipal: { AWS: "123456789012" } }),
    "session",
    "Policy document should not specify a principal.",
  ],
  [
    S("§4.3 boundary with Principal"),
    stmt({ Principal: { AWS: "*" } }),
    "boundary",
    "Policy document should not specify a principal.",
  ],
  [
    S("§4.3 trust policy with Resource"),
    raw({
      Effect: "Allow",
      Principal: { Service: "ecs-tasks.amazonaws.com" },
      Action: "sts:AssumeRole",
      Resource: "*",
    }),
    "trust",
    "Has prohibited field Resource.",
  ],
  [
    S("§4.3 trust policy with NotResource"),
    raw({
      Effect: "Allow",
      Principal: { Service: "ecs-tasks.amazonaws.com" },
      Action: "sts:AssumeRole",
      NotResource: "*",
    }),
    "trust",
    "AssumeRole policy must not contain resources.",
  ],
  [
    S("§4.3 trust statement without Principal"),
    raw({ Effect: "Allow", Action: "sts:AssumeRole" }),
    "trust",
    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
  ],
  [
    S("§4.3 trust policy with NotPrincipal"),
    raw({ Effect: "Allow", NotPrincipal: { AWS: "123456789012" }, Action: "sts:AssumeRole" }),
    "trust",
    "AssumeRole policy must not contain NotPrincipal field.",
  ],
  [
    S("§4.3 trust action not an assume action"),
    raw({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "s3:GetObject" }),
    "trust",
    "AssumeRole policy may only specify STS AssumeRole actions.",
  ],
  [
    S("§4.3 sts:AssumeRole* is an assume action"),
    raw({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole*" }),
    "trust",
    null,
  ],
  [
    S("§4.3 TagSession in a trust policy"),
    raw({
      Effect: "Allow",
      Principal: { AWS: "123456789012" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
    }),
    "trust",
    null,
  ],
  [
    S("§4.3 partial wildcard principal"),
    raw({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::*:role/x" }, Action: "sts:AssumeRole" }),
    "trust",
    'Invalid principal in policy: "AWS":"arn:aws:iam::*:role/x"',
  ],
  [
    S("§4.3 unknown user principal"),
    raw({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:user/ghost" },
      Action: "sts:AssumeRole",
    }),
    "trust",
    'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/ghost"',
    { principalExists: () => false },
  ],
  [
    S("§4.3 Federated principals are not checked for existence"),
    raw({
      Effect: "Allow",
      Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
      Action: "sts:AssumeRoleWithWebIdentity",
    }),
    "trust",
    null,
    { principalExists: () => false },
  ],
  [
    S("§4.1 precedence: syntax before version"),
    JSON.stringify({ Statement: [{ Effect: "Allow", Action: {}, Resource: "*" }] }),
    "identity",
    SYNTAX,
  ],
  [
    S("§4.1 precedence: version before legacy"),
    JSON.stringify({ Statement: [{ Effect: "allow", Action: "s3:*", Resource: "*" }] }),
    "identity",
    "Policy document must be version 2012-10-17 or greater.",
  ],
  [
    S("§4.1 precedence: legacy before Sid"),
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "A", Effect: "allow", Action: "s3:*", Resource: "*" },
        { Sid: "A", Effect: "Allow", Action: "s3:*", Resource: "*" },
      ],
    }),
    "identity",
    LEGACY,
  ],
  [
    S("§4.1 precedence: actions present before resource format"),
    raw({ Effect: "Allow", Resource: "bucket" }),
    "identity",
    "Policy statement must contain actions.",
  ],
  [
    S("§4.1 precedence: resource format before action prefix"),
    stmt({ Action: "GetObject", Resource: "bucket" }),
    "identity",
    'Resource bucket must be in ARN format or "*".',
  ],
  [
    S("§4.1 precedence: action prefix before resources present"),
    raw({ Effect: "Allow", Action: "invalid" }),
    "identity",
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
  ],
  [
    S("§2.1 condition values may be numbers and booleans"),
    stmt({ Condition: { NumericLessThan: { "s3:max-keys": 10 }, Bool: { "aws:SecureTransport": true } } }),
    "identity",
    null,
  ],
  [
    S("§2.1 a single statement object"),
    JSON.stringify({ Version: "2012-10-17", Statement: { Effect: "Allow", Action: "s3:*", Resource: "*" } }),
    "identity",
    null,
  ],
  [
    S("§1 ECR repository policy"),
    raw({
      Sid: "pull",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: ["ecr:BatchGetImage"],
    }),
    "resource",
    null,
  ],
];

for (const [rule, doc, kind, message, options] of rows) {
  test(`${kind}: ${message ?? "valid"} — ${doc.slice(0, 80)} (${rule})`, () => {
    const problems = validatePolicy(doc, kind, options);
    if (message === null) assert.deepEqual(problems, []);
    else assert.deepEqual(problems[0], { code: "MalformedPolicyDocument", message });
  });
}

// Size quotas: IAM does not count white space (reference_iam-quotas.md).
const big = (n: number) => {
  const head =
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::';
  const tail = '"}]}';
  return head + "x".repeat(n - head.length - tail.length) + tail;
};

const sizeRows: [string, string, PolicyKind, ValidateOptions, string | null][] = [
  [DOC.quotas, big(6144), "identity", {}, null],
  [DOC.quotas, big(6145), "identity", {}, "Cannot exceed quota for PolicySize: 6144"],
  [DOC.quotas, big(2048), "identity", { attachment: "user", entityName: "alice" }, null],
  [
    DOC.quotas,
    big(2049),
    "identity",
    { attachment: "user", entityName: "alice" },
    "Maximum policy size of 2048 bytes exceeded for user alice",
  ],
  [
    DOC.quotas,
    big(5121),
    "identity",
    { attachment: "group", entityName: "devs" },
    "Maximum policy size of 5120 bytes exceeded for group devs",
  ],
  [DOC.quotas, big(10240), "identity", { attachment: "role", entityName: "app" }, null],
  [
    DOC.quotas,
    big(10241),
    "identity",
    { attachment: "role", entityName: "app" },
    "Maximum policy size of 10240 bytes exceeded for role app",
  ],
  [DOC.quotas, big(6145), "boundary", {}, "Cannot exceed quota for PolicySize: 6144"],
  [DOC.quotas, big(150), "identity", { limit: 149 }, "Cannot exceed quota for PolicySize: 149"],
];
for (const [rule, doc, kind, options, message] of sizeRows) {
  test(`size ${policySize(doc)} for ${kind}/${options.attachment ?? "default"} → ${message ?? "ok"} (${rule})`, () => {
    const problems = validatePolicy(doc, kind, options);
    if (message === null) assert.deepEqual(problems, []);
    else assert.deepEqual(problems, [{ code: "LimitExceeded", message }]);
  });
}

test("trust policy quota is 2048 by default (ACLSizePerRole) and configurable", () => {
  const doc = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "x".repeat(2000),
        Effect: "Allow",
        Principal: { Service: "ecs-tasks.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ],
  });
  assert.deepEqual(validatePolicy(doc, "trust"), [
    { code: "LimitExceeded", message: "Cannot exceed quota for ACLSizePerRole: 2048" },
  ]);
  assert.deepEqual(validatePolicy(doc, "trust", { limit: 4096 }), []);
});

test("whitespace outside strings is not counted; inside strings it is (§4.4, decision 13)", () => {
  const compact =
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}';
  const pretty = JSON.stringify(JSON.parse(compact), null, 4);
  assert.equal(policySize(pretty), compact.length);
  assert.equal(policySize('{"Sid": "a b"}'), '{"Sid":"a b"}'.length);
  assert.equal(policySize('{"a":"x\\"y"}'), 12);
});
