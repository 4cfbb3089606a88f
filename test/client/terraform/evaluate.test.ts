// Loading and evaluating Terraform: expressions, variables, locals, count/for_each, errors with file:line.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type EvalHooks, Evaluator } from "../../../src/client/terraform/evaluate.ts";
import { parseExpression } from "../../../src/client/terraform/hcl-expression.ts";
import { ConfigError, loadConfig } from "../../../src/client/terraform/load.ts";
import { renderPolicyDocument } from "../../../src/client/terraform/policy-document.ts";
import type { Value } from "../../../src/client/terraform/value.ts";

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "keyship-tf-"));
  for (const [n, t] of Object.entries(files)) await writeFile(join(dir, n), t);
  return dir;
}

/** Hooks that record resources and answer data sources like the twin would, without any AWS. */
function recording() {
  const applied: { address: string; args: Record<string, Value> }[] = [];
  const hooks: EvalHooks = {
    async data(block, _key, args): Promise<Record<string, Value>> {
      if (block.type === "aws_iam_policy_document") return { ...renderPolicyDocument(args) };
      if (block.type === "aws_caller_identity") return { account_id: "123456789012" };
      if (block.type === "tls_certificate") return { certificates: [{ sha1_fingerprint: "f".repeat(40) }] };
      return {};
    },
    async resource(block, key, args) {
      applied.push({
        address: `${block.type}.${block.name}${key === undefined ? "" : `[${JSON.stringify(key)}]`}`,
        args,
      });
      return { ...args, arn: `arn:aws:iam::123456789012:${block.type}/${String(args.name ?? block.name)}` };
    },
  };
  return { applied, hooks };
}

async function evaluate(files: Record<string, string>, inputs: Record<string, Value> = {}) {
  const config = await loadConfig(await dirWith(files));
  const r = recording();
  const result = await new Evaluator(config, inputs, r.hooks).run();
  return { ...result, applied: r.applied };
}

const cases: [string, string, Value][] = [
  ["arithmetic and precedence", `1 + 2 * 3`, 7],
  ["comparison and logic", `1 < 2 && !false`, true],
  ["conditional", `var.n > 1 ? "many" : "one"`, "many"],
  ["template", `"x-\${var.n}"`, "x-2"],
  [
    "jsonencode sorts keys and escapes like Go",
    `jsonencode({b = 1, a = "<&>"})`,
    '{"a":"\\u003c\\u0026\\u003e","b":1}',
  ],
  ["jsondecode", `jsondecode("{\\"a\\":[1,2]}").a[1]`, 2],
  ["for list with filter", `[for s in var.names : upper(s) if s != "a"]`, ["B", "C"]],
  ["for object", `{for s in var.names : s => length(s)}`, { a: 1, b: 1, c: 1 }],
  ["splat", `[{n = 1}, {n = 2}][*].n`, [1, 2]],
  ["format and join", `format("%s-%03d", join(",", var.names), 7)`, "a,b,c-007"],
  ["toset dedupes and sorts", `toset(["b", "a", "b"])`, ["a", "b"]],
  ["merge and lookup", `lookup(merge({a = 1}, {b = 2}), "b", 0)`, 2],
  ["try falls back", `try(var.missing_map.x, "fallback")`, "fallback"],
  ["string template directive", `"%{ for s in var.names }\${s};%{ endfor }"`, "a;b;c;"],
];

for (const [name, expr, expected] of cases) {
  test(`expression: ${name}`, async () => {
    const { outputs } = await evaluate({
      "main.tf": `variable "n" { default = 2 }\nvariable "names" { default = ["a", "b", "c"] }\nvariable "missing_map" { default = {} }\noutput "o" { value = ${expr} }\n`,
    });
    assert.deepEqual(outputs.o, expected);
  });
}

test("parser rejects garbage with an offset", () => {
  assert.throws(() => parseExpression("1 +"), /Expected the start of an expression/);
});

test("variables: default < tfvars-style inputs; locals; count and for_each instances", async () => {
  const { outputs, applied } = await evaluate(
    {
      "vars.tf": `variable "prefix" { default = "dev" }\nvariable "repos" {\n  type = list(string)\n  default = ["x"]\n}\n`,
      "main.tf": `locals {\n  names = [for r in var.repos : "\${var.prefix}-\${r}"]\n}\nresource "aws_ecr_repository" "r" {\n  for_each = toset(local.names)\n  name = each.key\n}\nresource "aws_iam_role" "c" {\n  count = 2\n  name = "role-\${count.index}"\n  assume_role_policy = "{}"\n}\noutput "arns" { value = [for k, r in aws_ecr_repository.r : r.arn] }\noutput "roles" { value = aws_iam_role.c[*].name }\n`,
    },
    { prefix: "prod", repos: ["api", "web"] },
  );
  assert.deepEqual(
    applied.map((a) => a.address),
    [
      'aws_ecr_repository.r["prod-api"]',
      'aws_ecr_repository.r["prod-web"]',
      "aws_iam_role.c[0]",
      "aws_iam_role.c[1]",
    ],
  );
  assert.deepEqual(outputs.arns, [
    "arn:aws:iam::123456789012:aws_ecr_repository/prod-api",
    "arn:aws:iam::123456789012:aws_ecr_repository/prod-web",
  ]);
  assert.deepEqual(outputs.roles, ["role-0", "role-1"]);
});

test("the seed's terraform/common evaluates to the provider's exact trust and permission policies", async () => {
  const config = await loadConfig(
    new URL("../../../examples/seed-scenario/terraform/common", import.meta.url).pathname,
  );
  const r = recording();
  await new Evaluator(config, {}, r.hooks).run();
  assert.deepEqual(
    r.applied.map((a) => a.address),
    [
      "aws_iam_openid_connect_provider.github_actions_deploy",
      "aws_iam_role.github_actions_deploy",
      "aws_iam_policy.github_actions_deploy",
      "aws_iam_role_policy_attachment.role_policy_attachment",
    ],
  );
  const role = r.applied[1]!.args;
  assert.equal(
    JSON.stringify(JSON.parse(String(role.assume_role_policy))),
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:aws:iam::123456789012:aws_iam_openid_connect_provider/github_actions_deploy"},"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:example-org/sample-app:*"}}}]}',
  );
  const policy = r.applied[2]!.args;
  assert.equal(
    JSON.stringify(JSON.parse(String(policy.policy))),
    '{"Version":"2012-10-17","Statement":[{"Sid":"GetAuthorizationToken","Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"},{"Sid":"RegisterTaskDefinition","Effect":"Allow","Action":"ecs:RegisterTaskDefinition","Resource":"*"},{"Sid":"PassRole","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole","Condition":{"StringLike":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]}',
  );
  assert.deepEqual(r.applied[0]!.args.thumbprint_list, ["f".repeat(40)]);
  assert.equal(r.applied[3]!.args.role, "github-actions-deploy");
});

test("a reference to an undeclared variable names file and line", async () => {
  await assert.rejects(
    evaluate({ "main.tf": `resource "aws_iam_role" "r" {\n  name = "x"\n  description = var.nope\n}\n` }),
    (err: Error) =>
      err instanceof ConfigError &&
      /main\.tf:3: Reference to undeclared input variable "nope"/.test(err.message),
  );
});

test("a reference to an undeclared resource names file and line", async () => {
  await assert.rejects(
    evaluate({
      "a.tf": `\n\nresource "aws_iam_policy" "p" {\n  name = "p"\n  policy = data.aws_iam_policy_document.missing.json\n}\n`,
    }),
    /a\.tf:5: Reference to undeclared data source "data\.aws_iam_policy_document\.missing"/,
  );
});

test("a syntax error names file and line", async () => {
  await assert.rejects(
    loadConfig(await dirWith({ "bad.tf": `resource "a" "b" {\n  x = \n}\n` })),
    /bad\.tf:2: Invalid expression/,
  );
});

test("a cycle is reported", async () => {
  await assert.rejects(evaluate({ "main.tf": `locals {\n  a = local.b\n  b = local.a\n}\n` }), /Cycle: /);
});

test("a required variable without a value is an error at its declaration", async () => {
  await assert.rejects(
    evaluate({ "main.tf": `\nvariable "account" {}\noutput "o" { value = var.account }\n` }),
    /main\.tf:2: No value for required variable "account"/,
  );
});
