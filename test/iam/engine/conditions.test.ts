// Condition operators, one row per rule (iam-policy.md §6): each row is evaluated through `evaluate`
// as a one-statement identity policy, so the operator table, key lookup and set logic are all exercised.
import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate } from "../../../src/iam/evaluate.ts";
import { DOC } from "./docs.ts";

type Req = string | string[] | undefined;
/** [rule, operator, key, policy values, request value (undefined: key absent), expected match] */
type Row = [string, string, string, unknown, Req, boolean];

const O = DOC.operators;
const M = DOC.multiValued;
const S = (s: string) => DOC.spec(s);

const rows: Row[] = [
  // String operators
  [O, "StringEquals", "aws:username", "alice", "alice", true],
  [O, "StringEquals", "aws:username", "alice", "Alice", false],
  [O, "StringEquals", "aws:username", ["bob", "alice"], "alice", true],
  [O, "StringEquals", "aws:username", "ali*", "alice", false],
  [O, "StringEquals", "aws:username", "ali*", "ali*", true],
  [O, "StringEquals", "aws:username", "alice", undefined, false],
  [O, "StringEquals", "aws:username", "", "", true],
  [O, "StringNotEquals", "aws:username", "alice", "bob", true],
  [O, "StringNotEquals", "aws:username", "alice", "alice", false],
  [O, "StringNotEquals", "aws:username", ["a", "b"], "b", false],
  [O, "StringNotEquals", "aws:username", ["a", "b"], "c", true],
  [O, "StringNotEquals", "aws:username", "alice", undefined, true],
  [O, "StringEqualsIgnoreCase", "aws:username", "ALICE", "alice", true],
  [O, "StringEqualsIgnoreCase", "aws:username", "alice", "ALIce", true],
  [O, "StringEqualsIgnoreCase", "aws:username", "alice", "bob", false],
  [O, "StringNotEqualsIgnoreCase", "aws:username", "ALICE", "alice", false],
  [O, "StringNotEqualsIgnoreCase", "aws:username", "ALICE", "bob", true],
  [O, "StringNotEqualsIgnoreCase", "aws:username", "x", undefined, true],
  [O, "StringLike", "s3:prefix", "home/*", "home/alice/x", true],
  [O, "StringLike", "s3:prefix", "home/*", "Home/alice", false],
  [O, "StringLike", "s3:prefix", "home/?", "home/a", true],
  [O, "StringLike", "s3:prefix", "home/?", "home/ab", false],
  [O, "StringLike", "s3:prefix", "*", "", true],
  [O, "StringLike", "s3:prefix", ["", "home/"], "", true],
  [O, "StringLike", "s3:prefix", "home", "home/alice", false],
  [O, "StringLike", "s3:prefix", "a*b*c", "aXXbYYc", true],
  [O, "StringLike", "s3:prefix", "a*b*c", "aXXcYYb", false],
  [O, "StringLike", "s3:prefix", "home/*", undefined, false],
  [O, "StringNotLike", "s3:prefix", "home/*", "tmp/x", true],
  [O, "StringNotLike", "s3:prefix", "home/*", "home/x", false],
  [O, "StringNotLike", "s3:prefix", ["a*", "b*"], "bx", false],
  [O, "StringNotLike", "s3:prefix", "home/*", undefined, true],
  [
    S("§6.3 documented contrast"),
    "StringLike",
    "aws:SourceArn",
    "arn:aws:someservice:*:111122223333:finance/*",
    "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
    true,
  ],
  [
    S("§6.3 documented contrast"),
    "ArnLike",
    "aws:SourceArn",
    "arn:aws:someservice:*:111122223333:finance/*",
    "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
    false,
  ],
  // Numeric
  [O, "NumericEquals", "s3:max-keys", "10", "10", true],
  [O, "NumericEquals", "s3:max-keys", "10", "10.0", true],
  [O, "NumericEquals", "s3:max-keys", 10, "10", true],
  [O, "NumericEquals", "s3:max-keys", "10", "11", false],
  [O, "NumericNotEquals", "s3:max-keys", "10", "11", true],
  [O, "NumericNotEquals", "s3:max-keys", "10", "10", false],
  [O, "NumericNotEquals", "s3:max-keys", "10", undefined, true],
  [O, "NumericLessThan", "s3:max-keys", "10", "2", true],
  [O, "NumericLessThan", "s3:max-keys", "10", "10", false],
  [O, "NumericLessThanEquals", "s3:max-keys", "10", "10", true],
  [O, "NumericLessThanEquals", "s3:max-keys", "10", "10.5", false],
  [O, "NumericGreaterThan", "s3:max-keys", "10", "100", true],
  [O, "NumericGreaterThan", "s3:max-keys", "10", "9", false],
  [O, "NumericGreaterThanEquals", "s3:max-keys", "10", "10", true],
  [O, "NumericGreaterThanEquals", "s3:max-keys", "-1.5", "-1", true],
  [S("§6.3 malformed input"), "NumericEquals", "s3:max-keys", "10", "ten", false],
  [S("§6.3 malformed input"), "NumericNotEquals", "s3:max-keys", "10", "ten", false],
  [S("§6.3 malformed input"), "NumericLessThan", "s3:max-keys", "abc", "1", false],
  [O, "NumericEquals", "s3:max-keys", "10", undefined, false],
  // Date
  [O, "DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", true],
  [O, "DateEquals", "aws:CurrentTime", "2020-01-01", "2020-01-01T00:00:00Z", true],
  [O, "DateEquals", "aws:CurrentTime", "2020-01-01T01:00:00+01:00", "2020-01-01T00:00:00Z", true],
  [O, "DateEquals", "aws:CurrentTime", "1577836800", "2020-01-01T00:00:00Z", true],
  [O, "DateEquals", "aws:EpochTime", "2020-01-01T00:00:00Z", "1577836800", true],
  [O, "DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", true],
  [O, "DateNotEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", false],
  [O, "DateLessThan", "aws:CurrentTime", "2020-06-30T00:00:00Z", "2020-06-29T23:59:59Z", true],
  [O, "DateLessThan", "aws:CurrentTime", "2020-06-30T00:00:00Z", "2020-06-30T00:00:00Z", false],
  [O, "DateLessThanEquals", "aws:CurrentTime", "2020-06-30T00:00:00Z", "2020-06-30T00:00:00Z", true],
  [O, "DateGreaterThan", "aws:CurrentTime", "2020-06-30T00:00:00Z", "2021-01-01T00:00:00Z", true],
  [O, "DateGreaterThan", "aws:CurrentTime", "2020-06-30T00:00:00Z", "2019-01-01T00:00:00Z", false],
  [O, "DateGreaterThanEquals", "aws:CurrentTime", "2020-06-30T00:00:00Z", "2020-06-30T00:00:00Z", true],
  [
    S("§13 decision 21"),
    "DateGreaterThan",
    "aws:CurrentTime",
    "2020-06-30T00:00:00Z",
    "2020-06-30T00:00:00.500Z",
    true,
  ],
  [S("§6.3 malformed input"), "DateLessThan", "aws:CurrentTime", "2020-06-30T00:00:00Z", "yesterday", false],
  [S("§6.3 malformed input"), "DateNotEquals", "aws:CurrentTime", "2020-06-30T00:00:00Z", "yesterday", false],
  [O, "DateLessThan", "aws:CurrentTime", "2020-06-30T00:00:00Z", undefined, false],
  // Bool
  [O, "Bool", "aws:SecureTransport", "true", "true", true],
  [O, "Bool", "aws:SecureTransport", "true", "false", false],
  [O, "Bool", "aws:SecureTransport", true, "true", true],
  [O, "Bool", "aws:SecureTransport", "false", "FALSE", true],
  [O, "Bool", "aws:SecureTransport", "TRUE", "true", true],
  [O, "Bool", "aws:SecureTransport", "false", undefined, false],
  [O, "BoolIfExists", "aws:SecureTransport", "false", undefined, true],
  // Binary
  [O, "BinaryEquals", "key", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWU=", true],
  [O, "BinaryEquals", "key", "QmluYXJ5VmFsdWU=", "T3RoZXJWYWx1ZQ==", false],
  [O, "BinaryEquals", "key", "QmluYXJ5VmFsdWU=", undefined, false],
  // IP addresses
  [O, "IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", true],
  [O, "IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.114.7", false],
  [O, "IpAddress", "aws:SourceIp", "203.0.113.7", "203.0.113.7", true],
  [O, "IpAddress", "aws:SourceIp", "203.0.113.7", "203.0.113.8", false],
  [O, "IpAddress", "aws:SourceIp", "0.0.0.0/0", "198.51.100.1", true],
  [O, "IpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"], "192.168.4.4", true],
  [O, "IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", true],
  [O, "IpAddress", "aws:SourceIp", "2001:db8:1234:5678::/64", "2001:db8:1234:5679::1", false],
  [S("§6.3 IPv6 /128"), "IpAddress", "aws:SourceIp", "2001:db8::1", "2001:db8:0:0:0:0:0:1", true],
  [S("§6.3 IPv4 never in IPv6 block"), "IpAddress", "aws:SourceIp", "::/0", "203.0.113.7", false],
  [S("§6.3 malformed input"), "IpAddress", "aws:SourceIp", "203.0.113.0/24", "not-an-ip", false],
  [S("§6.3 malformed input"), "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "not-an-ip", false],
  [O, "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.1", true],
  [O, "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.1", false],
  [O, "NotIpAddress", "aws:SourceIp", "203.0.113.0/24", undefined, true],
  [O, "IpAddress", "aws:SourceIp", "203.0.113.0/24", undefined, false],
  // ARN
  [
    O,
    "ArnEquals",
    "aws:SourceArn",
    "arn:aws:sns:us-east-1:123456789012:topic",
    "arn:aws:sns:us-east-1:123456789012:topic",
    true,
  ],
  [
    O,
    "ArnLike",
    "aws:SourceArn",
    "arn:aws:sns:*:123456789012:*",
    "arn:aws:sns:eu-west-1:123456789012:t",
    true,
  ],
  [
    O,
    "ArnLike",
    "aws:SourceArn",
    "arn:aws:sns:*:123456789012:*",
    "arn:aws:sns:eu-west-1:999999999999:t",
    false,
  ],
  [O, "ArnEquals", "aws:SourceArn", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", true],
  [
    O,
    "ArnLike",
    "aws:SourceArn",
    "arn:aws:iam::123456789012:role/R",
    "arn:aws:iam::123456789012:role/r",
    false,
  ],
  [
    S("§6.3 ARN part case"),
    "ArnLike",
    "aws:SourceArn",
    "arn:aws:IAM::123456789012:role/R",
    "arn:aws:iam::123456789012:role/R",
    false,
  ],
  [S("§6.3 request not an ARN"), "ArnLike", "aws:SourceArn", "*", "bucket", false],
  [S("§6.3 request not an ARN"), "ArnNotLike", "aws:SourceArn", "arn:aws:s3:::x", "bucket", false],
  [O, "ArnNotEquals", "aws:SourceArn", "arn:aws:s3:::a", "arn:aws:s3:::b", true],
  [O, "ArnNotLike", "aws:SourceArn", "arn:aws:s3:::a*", "arn:aws:s3:::abc", false],
  [O, "ArnNotLike", "aws:SourceArn", "arn:aws:s3:::a*", undefined, true],
  [O, "ArnLike", "aws:SourceArn", "arn:aws:s3:::a*", undefined, false],
  [
    O,
    "ArnLike",
    "aws:SourceArn",
    "arn:aws:sqs:us-east-1:123456789012:q?",
    "arn:aws:sqs:us-east-1:123456789012:q1",
    true,
  ],
  // Null
  [O, "Null", "aws:TokenIssueTime", "true", undefined, true],
  [O, "Null", "aws:TokenIssueTime", "true", "2020-01-01T00:00:00Z", false],
  [O, "Null", "aws:TokenIssueTime", "false", "2020-01-01T00:00:00Z", true],
  [O, "Null", "aws:TokenIssueTime", "false", undefined, false],
  [O, "Null", "aws:TokenIssueTime", true, undefined, true],
  [S("§13 decision 10"), "Null", "aws:TagKeys", "true", [], true],
  [S("§6.2 empty string is present"), "Null", "s3:prefix", "false", "", true],
  // IfExists
  [O, "StringEqualsIfExists", "ec2:InstanceType", "t2.micro", undefined, true],
  [O, "StringEqualsIfExists", "ec2:InstanceType", "t2.micro", "t2.micro", true],
  [O, "StringEqualsIfExists", "ec2:InstanceType", "t2.micro", "m5.large", false],
  [O, "StringNotEqualsIfExists", "ec2:InstanceType", "t2.micro", undefined, true],
  [O, "NumericLessThanIfExists", "s3:max-keys", "10", undefined, true],
  [O, "IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", undefined, true],
  [O, "ArnLikeIfExists", "aws:SourceArn", "arn:aws:s3:::x", undefined, true],
  [O, "DateLessThanIfExists", "aws:CurrentTime", "2020-01-01", undefined, true],
  // multivalued keys without a set operator
  [S("§13 decision 1"), "StringEquals", "aws:TagKeys", "a", ["a", "b"], false],
  [S("§13 decision 1"), "StringNotEquals", "aws:TagKeys", "z", ["a", "b"], false],
  [S("§6.2 one-element list"), "StringEquals", "aws:TagKeys", "a", ["a"], true],
  [S("§6.2 empty list"), "StringEquals", "aws:TagKeys", "a", [], false],
  [S("§6.2 empty list"), "StringNotEquals", "aws:TagKeys", "a", [], true],
  // set operators
  [M, "ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a", "b"], true],
  [M, "ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a"], true],
  [M, "ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a", "c"], false],
  [M, "ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], undefined, true],
  [M, "ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], [], true],
  [M, "ForAllValues:StringEquals", "aws:TagKeys", ["a"], "a", true],
  [M, "ForAllValues:StringLike", "aws:TagKeys", ["env*"], ["env", "environment"], true],
  [M, "ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], ["a", "b"], true],
  [M, "ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], ["a", "secret"], false],
  [M, "ForAnyValue:StringEquals", "aws:TagKeys", ["a"], ["x", "a"], true],
  [M, "ForAnyValue:StringEquals", "aws:TagKeys", ["a"], ["x", "y"], false],
  [M, "ForAnyValue:StringEquals", "aws:TagKeys", ["a"], undefined, false],
  [M, "ForAnyValue:StringEquals", "aws:TagKeys", ["a"], [], false],
  [M, "ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], ["a", "b"], true],
  [M, "ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], ["a"], false],
  [M, "ForAnyValue:StringEqualsIgnoreCase", "aws:TagKeys", ["ENV"], ["env"], true],
  [M, "ForAnyValue:NumericLessThan", "k", "5", ["9", "3"], true],
  [M, "ForAllValues:NumericLessThan", "k", "5", ["9", "3"], false],
  [M, "ForAnyValue:IpAddress", "k", "10.0.0.0/8", ["192.168.1.1", "10.1.1.1"], true],
  [M, "ForAnyValue:ArnLike", "k", "arn:aws:s3:::b/*", ["arn:aws:s3:::a/x", "arn:aws:s3:::b/x"], true],
  [
    S("§6.5 IfExists with set operators"),
    "ForAnyValue:StringEqualsIfExists",
    "aws:TagKeys",
    ["a"],
    undefined,
    true,
  ],
  [
    S("§6.5 IfExists with set operators"),
    "ForAllValues:StringEqualsIfExists",
    "aws:TagKeys",
    ["a"],
    ["b"],
    false,
  ],
  [S("§13 decision 11"), "StringEquals", "aws:username", [], "alice", false],
  [S("§13 decision 11"), "StringNotEquals", "aws:username", [], "alice", true],
  // key names are case-insensitive, values per operator
  [S("§6.1 key case"), "StringEquals", "AWS:USERNAME", "alice", "alice", true],
  [S("§6.1 key case"), "StringEquals", "aws:PrincipalTag/Team", "blue", "blue", true],
  // operator names: IfExists not allowed on Null → malformed, never matches
  [S("§6.3 Null takes no IfExists"), "NullIfExists", "k", "true", undefined, false],
  [S("§4.2 unknown operator"), "StringEqualz", "k", "x", "x", false],
];

const contextKeyFor = (row: Row) =>
  row[2] === "AWS:USERNAME"
    ? "aws:username"
    : row[2] === "aws:PrincipalTag/Team"
      ? "aws:principaltag/team"
      : row[2];

for (const row of rows) {
  const [rule, op, key, values, request, expected] = row;
  test(`${op} ${JSON.stringify(values)} vs ${JSON.stringify(request)} → ${expected} (${rule})`, () => {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { [op]: { [key]: values } } },
      ],
    };
    const context: Record<string, string | string[]> = {};
    if (request !== undefined) context[contextKeyFor(row)] = request;
    const result = evaluate(
      {
        principal: "arn:aws:iam::123456789012:user/alice",
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/k",
        context,
      },
      { identity: [policy] },
    );
    assert.equal(result.decision, expected ? "allowed" : "implicitDeny");
  });
}

test("the table covers every operator", () => {
  const names = new Set(rows.map((r) => r[1].replace(/^For(All|Any)Values?:/, "").replace(/IfExists$/, "")));
  for (const op of [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
  ]) {
    assert.ok(names.has(op), op);
  }
});

test("a Deny with StringNotEqualsIfExists denies when the key is missing (the documented warning)", () => {
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
  const policies = {
    identity: [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ec2:RunInstances", Resource: "*" }] },
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Deny",
            Action: "ec2:RunInstances",
            Resource: "*",
            Condition: { StringNotEqualsIfExists: { "ec2:InstanceType": "t2.micro" } },
          },
        ],
      },
    ],
  };
  const r = evaluate(
    { principal: "arn:aws:iam::1:user/u", action: "ec2:RunInstances", resource: "*", context: {} },
    policies,
  );
  assert.equal(r.decision, "explicitDeny");
});

test("several keys and several operators in one Condition block are ANDed", () => {
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
  const policy = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: "*",
        Condition: {
          StringEquals: { "aws:username": "alice", "aws:PrincipalTag/team": "blue" },
          Bool: { "aws:SecureTransport": "true" },
        },
      },
    ],
  };
  const run = (context: Record<string, string>) =>
    evaluate(
      {
        principal: "arn:aws:iam::1:user/alice",
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/k",
        context,
      },
      { identity: [policy] },
    ).decision;
  assert.equal(
    run({ "aws:username": "alice", "aws:PrincipalTag/team": "blue", "aws:SecureTransport": "true" }),
    "allowed",
  );
  assert.equal(
    run({ "aws:username": "alice", "aws:PrincipalTag/team": "red", "aws:SecureTransport": "true" }),
    "implicitDeny",
  );
  assert.equal(
    run({ "aws:username": "alice", "aws:PrincipalTag/team": "blue", "aws:SecureTransport": "false" }),
    "implicitDeny",
  );
});
