// `keyship iam simulate` core: JSON document, corpus file and JSON-lines inputs, one output line each, in order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simulateLines } from "../../../src/iam/simulate-stream.ts";

const input = (i: number) => ({
  id: `case-${i}`,
  request: {
    principal: "arn:aws:iam::1:user/u",
    action: i % 2 ? "s3:GetObject" : "s3:PutObject",
    resource: "arn:aws:s3:::b/k",
    context: {},
  },
  policies: {
    identity: [
      {
        Version: "2012-10-17",
        Statement: [{ Sid: "Get", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
      },
    ],
  },
});

async function* chunks(parts: string[]): AsyncIterable<string> {
  for (const p of parts) yield p;
}

async function run(parts: string[]): Promise<Record<string, unknown>[]> {
  const out: string[] = [];
  await simulateLines(chunks(parts), (l) => out.push(l));
  return out.map((l) => JSON.parse(l) as Record<string, unknown>);
}

test("JSON lines given as lines (readline style)", async () => {
  const out = await run([0, 1, 2].map((i) => JSON.stringify(input(i))));
  assert.deepEqual(
    out.map((o) => o.decision),
    ["implicitDeny", "allowed", "implicitDeny"],
  );
  assert.equal(out[1]!.id, "case-1");
  assert.deepEqual(
    (out[1]!.matchedStatements as { sid: string }[]).map((m) => m.sid),
    ["Get"],
  );
  assert.match(String(out[0]!.explain), /no identity statement allows s3:PutObject/);
});

test("JSON lines given as arbitrary chunks", async () => {
  const text = [0, 1, 2, 3].map((i) => JSON.stringify(input(i))).join("\n") + "\n";
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += 7) parts.push(text.slice(i, i + 7));
  const out = await run(parts);
  assert.deepEqual(
    out.map((o) => o.id),
    ["case-0", "case-1", "case-2", "case-3"],
  );
});

test("one pretty-printed JSON document, and a corpus file with cases", async () => {
  const one = await run(JSON.stringify(input(1), null, 2).split(/(?<=\n)/));
  assert.deepEqual(
    one.map((o) => o.decision),
    ["allowed"],
  );
  const corpus = await run(
    JSON.stringify({ format: "iam-eval-case/v1", cases: [input(0), input(1)] }, null, 2).split(/(?<=\n)/),
  );
  assert.deepEqual(
    corpus.map((o) => o.decision),
    ["implicitDeny", "allowed"],
  );
});

test("a bad line yields an error line and the stream goes on", async () => {
  const out = await run([
    JSON.stringify(input(1)),
    "{not json",
    JSON.stringify({ nope: 1 }),
    JSON.stringify(input(1)),
  ]);
  assert.equal(out.length, 4);
  assert.equal(out[0]!.decision, "allowed");
  assert.match(String(out[1]!.error), /invalid JSON line/);
  assert.match(String(out[2]!.error), /request and policies/);
  assert.equal(out[3]!.decision, "allowed");
});

test("a broken first line does not turn the stream into one bad document", async () => {
  const text = ["not json", ...[0, 1, 2].map((i) => JSON.stringify(input(i)))].join("\n") + "\n";
  const out = await run(text.match(/[\s\S]{1,11}/g)!);
  assert.equal(out.length, 4);
  assert.match(String(out[0]!.error), /invalid JSON line/);
  assert.deepEqual(
    out.slice(1).map((o) => o.id),
    ["case-0", "case-1", "case-2"],
  );
  // a pretty-printed document that is broken is still one input, with one error, also when some of its
  // lines parse alone (an array's last string element)
  const broken = `${JSON.stringify(input(1), null, 2).slice(0, -2)}\n`;
  const withList = { ...input(1), request: { ...input(1).request, context: { "aws:TagKeys": ["a", "b"] } } };
  // a missing comma; the list's last element, `"b"`, is a line that parses alone
  const missingComma = JSON.stringify({ cases: [withList] }, null, 2).replace('"case-1",', '"case-1"');
  assert.ok(missingComma.split("\n").some((l) => l.trim() === '"b"'));
  for (const text of [broken, missingComma]) {
    const one = await run(text.split(/(?<=\n)/));
    assert.equal(one.length, 1, text);
    assert.match(String(one[0]!.error), /invalid JSON input/);
  }
});

test("after the first line, each line is one input: an array there is one error, not several answers", async () => {
  const out = await run([
    `${JSON.stringify(input(1))}\n`,
    `${JSON.stringify([input(0), input(1)])}\n`,
    `${JSON.stringify(input(0))}\n`,
  ]);
  assert.equal(out.length, 3);
  assert.equal(out[0]!.decision, "allowed");
  assert.match(String(out[1]!.error), /request and policies/);
  assert.equal(out[2]!.decision, "implicitDeny");
});

test("streams many lines quickly", async () => {
  const line = JSON.stringify(input(1));
  const n = 20000;
  let count = 0;
  const t0 = performance.now();
  await simulateLines(chunks(Array.from({ length: n }, () => line)), () => count++);
  const ms = performance.now() - t0;
  assert.equal(count, n);
  assert.ok(ms < 10000, `took ${ms} ms`);
});
