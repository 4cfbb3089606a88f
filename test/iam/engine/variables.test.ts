// Policy variables (iam-policy.md §7) and the glob/ARN matcher (§3.1, §3.3).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables are written ${key} in plain strings
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileGlobText, globMatch, splitArn } from "../../../src/iam/arn.ts";
import { evaluate } from "../../../src/iam/evaluate.ts";
import { DOC } from "./docs.ts";

const V = DOC.variables;

/** [rule, operator, policy value, request value, context, expected] */
type Row = [string, string, string, string, Record<string, string | string[]>, boolean];
const rows: Row[] = [
  [V, "StringEquals", "${aws:username}", "alice", { "aws:username": "alice" }, true],
  [V, "StringEquals", "${aws:username}", "bob", { "aws:username": "alice" }, false],
  [V, "StringEquals", "${AWS:USERNAME}", "alice", { "aws:username": "alice" }, true],
  [V, "StringEquals", "home/${aws:username}/x", "home/alice/x", { "aws:username": "alice" }, true],
  [V, "StringLike", "home/${aws:username}/*", "home/alice/docs/a", { "aws:username": "alice" }, true],
  [V, "StringLike", "home/${aws:username}/*", "home/bob/docs/a", { "aws:username": "alice" }, false],
  [V, "StringEquals", "${aws:PrincipalTag/team, 'company-wide'}", "company-wide", {}, true],
  [
    V,
    "StringEquals",
    "${aws:PrincipalTag/team, 'company-wide'}",
    "blue",
    { "aws:PrincipalTag/team": "blue" },
    true,
  ],
  [V, "StringEquals", "${aws:PrincipalTag/team,'x'}", "x", {}, true],
  [V, "StringEquals", "a${*}b", "a*b", {}, true],
  [V, "StringLike", "a${*}b", "aXb", {}, false],
  [V, "StringLike", "a${*}b", "a*b", {}, true],
  [V, "StringEquals", "a${?}b", "a?b", {}, true],
  [V, "StringEquals", "cost${$}", "cost$", {}, true],
  [
    DOC.spec("§7 substituted values are literal"),
    "StringLike",
    "${aws:username}",
    "anything",
    { "aws:username": "*" },
    false,
  ],
  [
    DOC.spec("§7 substituted values are literal"),
    "StringLike",
    "${aws:username}",
    "*",
    { "aws:username": "*" },
    true,
  ],
  [V, "StringEquals", "${aws:username}", "alice", {}, false],
  [V, "StringNotEquals", "${aws:PrincipalTag/Team}", "blue", {}, true],
  [V, "StringNotLike", "${aws:PrincipalTag/Team}", "blue", {}, true],
  [V, "StringNotEqualsIgnoreCase", "${aws:PrincipalTag/Team}", "blue", {}, true],
  [
    DOC.spec("§13 decision 9"),
    "ArnNotLike",
    "arn:aws:iam::1:user/${aws:username}",
    "arn:aws:iam::1:user/x",
    {},
    true,
  ],
  [
    V,
    "ArnLike",
    "arn:aws:iam::${aws:PrincipalAccount}:role/*",
    "arn:aws:iam::123456789012:role/r",
    { "aws:PrincipalAccount": "123456789012" },
    true,
  ],
  [
    V,
    "ArnEquals",
    "arn:aws:iam::123456789012:user/${aws:username}",
    "arn:aws:iam::123456789012:user/alice",
    { "aws:username": "alice" },
    true,
  ],
  [
    DOC.spec("§7 multivalued key never substitutes"),
    "StringEquals",
    "${aws:TagKeys}",
    "a",
    { "aws:TagKeys": ["a", "b"] },
    false,
  ],
  [
    DOC.spec("§7 one-element list substitutes"),
    "StringEquals",
    "${aws:TagKeys}",
    "a",
    { "aws:TagKeys": ["a"] },
    true,
  ],
  [
    DOC.spec("§13 decision 3"),
    "Bool",
    "${aws:MultiFactorAuthPresent}",
    "true",
    { "aws:MultiFactorAuthPresent": "true" },
    true,
  ],
  [
    DOC.spec("§7 literal in Numeric"),
    "NumericEquals",
    "${aws:username}",
    "5",
    { "aws:username": "5" },
    false,
  ],
  [DOC.spec("§7 unterminated ${ is literal"), "StringEquals", "a${b", "a${b", {}, true],
];

for (const [rule, op, value, request, context, expected] of rows) {
  test(`${op} ${value} vs ${request} ${JSON.stringify(context)} → ${expected} (${rule})`, () => {
    const r = evaluate(
      {
        principal: "arn:aws:iam::1:user/alice",
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/k",
        context: { ...context, "test:key": request },
      },
      {
        identity: [
          {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: "*", Resource: "*", Condition: { [op]: { "test:key": value } } },
            ],
          },
        ],
      },
    );
    assert.equal(r.decision, expected ? "allowed" : "implicitDeny");
  });
}

test("variables are literal under Version 2008-10-17 (reference_policies_elements_version)", () => {
  const run = (Version: string | undefined) =>
    evaluate(
      {
        principal: "arn:aws:iam::1:user/alice",
        action: "s3:GetObject",
        resource: "*",
        context: { "aws:username": "alice", "test:key": "alice" },
      },
      {
        identity: [
          {
            ...(Version ? { Version } : {}),
            Statement: [
              {
                Effect: "Allow",
                Action: "*",
                Resource: "*",
                Condition: { StringEquals: { "test:key": "${aws:username}" } },
              },
            ],
          },
        ],
      },
    ).decision;
  assert.equal(run("2012-10-17"), "allowed");
  assert.equal(run("2008-10-17"), "implicitDeny");
  assert.equal(run(undefined), "implicitDeny");
});

test("an unresolved variable is listed in missingContextKeys", () => {
  const r = evaluate(
    {
      principal: "arn:aws:iam::1:user/alice",
      action: "s3:GetObject",
      resource: "arn:aws:s3:::b/home/x",
      context: {},
    },
    {
      identity: [
        {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b/home/${aws:username}" }],
        },
      ],
    },
  );
  assert.deepEqual(r.missingContextKeys, ["aws:username"]);
});

// glob matcher (§3.1)
const globs: [string, string, boolean][] = [
  ["*", "", true],
  ["*", "anything/at:all", true],
  ["a*", "a", true],
  ["a*", "ba", false],
  ["*a", "ba", true],
  ["a?c", "abc", true],
  ["a?c", "ac", false],
  ["a*b*c", "abc", true],
  ["a*b*c", "ab", false],
  ["a**c", "ac", true],
  ["*.txt", "a/b.txt", true],
  ["*/test/*", "1///test///object.jpg", true],
  ["*/test/*", "1-test/object.jpg", false],
  ["abc", "abc", true],
  ["abc", "abcd", false],
  ["??", "ab", true],
  ["??", "abc", false],
  ["*ab*ab*", "abab", true],
  ["*ab*ab*", "aab", false],
  ["x*y?z", "xAAyBz", true],
];
for (const [pattern, value, expected] of globs) {
  test(`glob ${pattern} ~ ${value} → ${expected} (iam-policy.md §3.1)`, () => {
    assert.equal(globMatch(compileGlobText(pattern), value), expected);
  });
}

test("ARNs split at the first five colons (iam-policy.md §3.3)", () => {
  assert.deepEqual(splitArn("arn:aws:logs:us-east-1:1:log-group:g:log-stream:s"), [
    "arn",
    "aws",
    "logs",
    "us-east-1",
    "1",
    "log-group:g:log-stream:s",
  ]);
  assert.deepEqual(splitArn("arn:aws:s3:::b/k"), ["arn", "aws", "s3", "", "", "b/k"]);
  assert.equal(splitArn("arn:aws:s3"), undefined);
  assert.deepEqual(splitArn("arn:aws:iam::${aws:PrincipalAccount}:role/x", true), [
    "arn",
    "aws",
    "iam",
    "",
    "${aws:PrincipalAccount}",
    "role/x",
  ]);
});
