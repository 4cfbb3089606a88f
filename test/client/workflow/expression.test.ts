// GitHub Actions expressions: the documented coercions, functions and `if:` rules.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  type EvalEnv,
  type ExprValue,
  evaluate,
  evaluateCondition,
  interpolate,
  interpolateText,
  parseExpression,
} from "../../../src/client/workflow/expression.ts";

const env: EvalEnv = {
  contexts: {
    github: {
      event_name: "push",
      ref: "refs/heads/main",
      repository: "example-org/sample-app",
      event: { commits: [{ id: "a" }, { id: "b" }] },
    },
    env: { AWS_REGION: "ap-northeast-1", EMPTY: "" },
    steps: { "login-ecr": { outputs: { registry: "127.0.0.1:4599" }, outcome: "success" } },
    secrets: { TOKEN: "s3cret" },
    vars: {},
  },
};

const table: [string, ExprValue][] = [
  ["1 == 1", true],
  ["'abc' == 'ABC'", true],
  ["'1' == 1", true],
  ["null == 0", true],
  ["true == 1", true],
  ["'' == 0", true],
  ["'x' == 0", false],
  ["0x10 == 16", true],
  ["1 < 2 && 2 <= 2", true],
  ["'b' > 'A'", true],
  ["!0", true],
  ["'' || 'fallback'", "fallback"],
  ["'a' && 'b'", "b"],
  ["github.event_name == 'push' && startsWith(github.ref, 'refs/heads/')", true],
  ["github.EVENT_NAME", "push"],
  ["github.nope", null],
  ["github.nope.deeper", null],
  ["steps.login-ecr.outputs.registry", "127.0.0.1:4599"],
  ["steps['login-ecr'].outcome", "success"],
  ["github.event.commits.*.id", ["a", "b"]],
  ["contains(github.event.commits.*.id, 'B')", true],
  ["contains('Hello world', 'WORLD')", true],
  ["endsWith(github.repository, '/SAMPLE-APP')", true],
  ["format('{0}/{1} {{x}}', 'a', 2)", "a/2 {x}"],
  ["join(github.event.commits.*.id, '+')", "a+b"],
  ["fromJSON('{\"n\": [1, 2]}').n[1]", 2],
  ["toJSON(steps.login-ecr.outputs)", '{\n  "registry": "127.0.0.1:4599"\n}'],
  ["fromJSON('true')", true],
  ["secrets.TOKEN", "s3cret"],
  ["env.EMPTY || 'default'", "default"],
];

for (const [expr, expected] of table) {
  test(`expression ${expr}`, () => {
    assert.deepEqual(evaluate(parseExpression(expr), env), expected);
  });
}

test("unknown contexts and functions are errors, as on the runner", () => {
  assert.throws(() => evaluate(parseExpression("nothere.x"), env), /Unrecognized named-value: 'nothere'/);
  assert.throws(() => evaluate(parseExpression("nofn(1)"), env), /Unrecognized function: 'nofn'/);
  assert.throws(() => parseExpression("1 +"), /Unexpected symbol/);
});

test("interpolation keeps the type of a whole-string expression, stringifies parts", () => {
  assert.equal(interpolate("${{ 1 == 1 }}", env), true);
  assert.equal(
    interpolateText("region=${{ env.AWS_REGION }}, n=${{ github.nope }}!", env),
    "region=ap-northeast-1, n=!",
  );
});

test("if: conditions add success() unless a status function is used", () => {
  assert.equal(evaluateCondition("github.event_name == 'push'", env), true);
  assert.equal(evaluateCondition("${{ github.event_name == 'pull_request' }}", env), false);
  const failed = { ...env, jobStatus: "failure" };
  assert.equal(evaluateCondition("github.event_name == 'push'", failed), false);
  assert.equal(evaluateCondition("failure()", failed), true);
  assert.equal(evaluateCondition("always()", failed), true);
  assert.equal(evaluateCondition(undefined, failed), false);
  assert.equal(evaluateCondition(undefined, env), true);
});

test("hashFiles hashes matched files in order, empty string when nothing matches", async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyship-hash-"));
  await writeFile(join(dir, "a.lock"), "a");
  await writeFile(join(dir, "b.txt"), "b");
  const w = { ...env, workspace: dir };
  const h = evaluate(parseExpression("hashFiles('**/*.lock')"), w);
  assert.match(String(h), /^[0-9a-f]{64}$/);
  assert.equal(evaluate(parseExpression("hashFiles('*.none')"), w), "");
  assert.notEqual(evaluate(parseExpression("hashFiles('*.lock', '*.txt')"), w), h);
});
