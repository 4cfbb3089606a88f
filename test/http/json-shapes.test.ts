// awsJson1_1 input types checked against the service model (botocore's input shapes), through the
// SDK's wire: a wrong JSON type is SerializationException 400 before the operation runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { signJson } from "../../bench/signed.ts";
import { checkJsonInput } from "../../src/http/json-shapes.ts";
import ecsShapes from "../../src/http/shapes/ecs.json" with { type: "json" };
import { withTwin } from "../support/twin.ts";

const cases: [string, Record<string, unknown>, string | null][] = [
  // [operation, input, expected message or null for accepted]
  ["DescribeClusters", { clusters: ["default"] }, null],
  ["DescribeClusters", { clusters: null }, null],
  ["DescribeClusters", { clusters: 42 }, "NUMBER_VALUE can not be converted to a List"],
  ["DescribeClusters", { clusters: "default" }, "STRING_VALUE can not be converted to a List"],
  ["DescribeClusters", { clusters: [1] }, "NUMBER_VALUE can not be converted to a String"],
  ["DescribeClusters", { clusters: [{}] }, "Start of structure or map found where not expected."],
  ["ListTaskDefinitions", { status: [] }, "Start of list found where not expected"],
  ["ListTaskDefinitions", { maxResults: "10" }, "STRING_VALUE can not be converted to an Integer"],
  ["ListTaskDefinitions", { maxResults: 1.5 }, "NUMBER_VALUE can not be converted to an Integer"],
  [
    "UpdateService",
    { service: "s", forceNewDeployment: "true" },
    "STRING_VALUE can not be converted to a Boolean",
  ],
  [
    "TagResource",
    { resourceArn: "a", tags: { key: "k", value: "v" } },
    "Start of structure or map found where not expected.",
  ],
  [
    "RegisterTaskDefinition",
    { family: "f", containerDefinitions: [{ name: "c", memory: true }] },
    "TRUE_VALUE can not be converted to an Integer",
  ],
];

test("types follow the model, nulls are absent members", () => {
  for (const [op, input, expected] of cases) {
    if (expected === null) assert.doesNotThrow(() => checkJsonInput(ecsShapes, op, input), op);
    else
      assert.throws(
        () => checkJsonInput(ecsShapes, op, input),
        (e: Error & { code?: string; status?: number }) =>
          e.code === "SerializationException" && e.status === 400 && e.message === expected,
        `${op} ${JSON.stringify(input)}`,
      );
  }
});

test("the twin answers a wrong type as SerializationException, after authentication", async () => {
  const twin = await withTwin();
  try {
    const req = await signJson(
      twin.url,
      "ecs",
      "AmazonEC2ContainerServiceV20141113.DescribeClusters",
      { clusters: 42 },
      twin.admin,
    );
    const res = await fetch(twin.url, { method: "POST", headers: req.headers, body: req.body });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      __type: "SerializationException",
      message: "NUMBER_VALUE can not be converted to a List",
    });
    const unsigned = await fetch(twin.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonEC2ContainerServiceV20141113.DescribeClusters",
      },
      body: JSON.stringify({ clusters: 42 }),
    });
    assert.equal((await unsigned.json()).__type, "MissingAuthenticationTokenException");
  } finally {
    await twin.dispose();
  }
});
