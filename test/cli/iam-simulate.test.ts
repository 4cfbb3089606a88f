// `keyship iam simulate` as a user runs it: JSON lines in, one decision line out per input, in order.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

const bin = join(import.meta.dirname, "../../bin/keyship");

function simulate(input: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, "iam", "simulate", "-"], (err, stdout) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout }),
    );
    child.stdin?.end(input);
  });
}

const allowGet = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }],
};
const denyKey = {
  Version: "2012-10-17",
  Statement: [{ Sid: "NoSecrets", Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::b/secret*" }],
};
const req = (action: string, resource: string) => ({
  principal: "arn:aws:iam::123456789012:user/a",
  action,
  resource,
  context: {},
});

test("JSON lines in, one decision per line out, in order", async () => {
  // Rule: an explicit deny overrides any allow; no allow is an implicit deny.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  const cases = [
    { request: req("s3:GetObject", "arn:aws:s3:::b/k"), policies: { identity: [allowGet] } },
    { request: req("s3:PutObject", "arn:aws:s3:::b/k"), policies: { identity: [allowGet] } },
    {
      request: req("s3:GetObject", "arn:aws:s3:::b/secret.txt"),
      policies: { identity: [allowGet, denyKey] },
    },
  ];
  const many = Array.from({ length: 300 }, (_, i) => cases[i % 3]);
  const { code, stdout } = await simulate(many.map((c) => JSON.stringify(c)).join("\n"));
  assert.equal(code, 0);
  const lines = stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 300);
  lines.forEach((l, i) => {
    assert.equal(l.decision, ["allowed", "implicitDeny", "explicitDeny"][i % 3], `line ${i}`);
  });
  assert.match(lines[2].explain, /NoSecrets/);
});
