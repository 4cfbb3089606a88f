// Hostile awsJson1_1 input (ECR, ECS) against a live twin: every answer is `{__type, message}` with a
// 4xx status and the x-amzn-ErrorType header, never InternalFailure, and the twin keeps answering.
// https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as ecrSdk from "@aws-sdk/client-ecr";
import * as ecsSdk from "@aws-sdk/client-ecs";
import { withTwin } from "../support/twin.ts";
import {
  AMZ_JSON,
  assertAlive,
  assertJsonError,
  ECR_TARGET,
  ECS_TARGET,
  json,
  operationsOf,
  send,
  sendSigned,
} from "./wire.ts";

const SERVICES = [
  { service: "ecr" as const, prefix: ECR_TARGET, ops: operationsOf(ecrSdk) },
  { service: "ecs" as const, prefix: ECS_TARGET, ops: operationsOf(ecsSdk) },
];

/** Values of the wrong type for any member: whatever the member's shape, one of these is wrong. */
const WRONG = [42, -1.5, true, "s", "", [], [1, "a", null], {}, { a: { b: [1] } }, null, "x".repeat(100_000)];

/** Member names that ECR and ECS operations read, to fill with wrong types. */
const MEMBERS = [
  "repositoryName",
  "registryId",
  "imageIds",
  "imageTag",
  "imageDigest",
  "imageManifest",
  "imageManifestMediaType",
  "layerDigests",
  "uploadId",
  "partFirstByte",
  "partLastByte",
  "layerPartBlob",
  "policyText",
  "lifecyclePolicyText",
  "tags",
  "tagKeys",
  "resourceArn",
  "maxResults",
  "nextToken",
  "filter",
  "imageScanningConfiguration",
  "encryptionConfiguration",
  "imageTagMutability",
  "cluster",
  "clusterName",
  "service",
  "serviceName",
  "services",
  "taskDefinition",
  "family",
  "containerDefinitions",
  "desiredCount",
  "tasks",
  "task",
  "include",
  "launchType",
  "networkConfiguration",
  "loadBalancers",
  "deploymentConfiguration",
  "capacityProviderStrategy",
  "overrides",
  "count",
  "startedBy",
  "reason",
  "executionRoleArn",
  "taskRoleArn",
  "cpu",
  "memory",
  "requiresCompatibilities",
  "volumes",
  "placementConstraints",
  "settings",
  "name",
  "value",
  "status",
  "forceNewDeployment",
];

describe("awsJson1_1 robustness (ECR, ECS)", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  before(async () => {
    twin = await withTwin();
  });
  after(() => twin.dispose());

  const call = (service: "ecr" | "ecs", target: string, body: string | Buffer) =>
    json(twin.url, service, target, body, twin.admin);

  test("bodies that are not a JSON object: SerializationException", async () => {
    for (const { service, prefix } of SERVICES) {
      const target = `${prefix}.${service === "ecr" ? "DescribeRepositories" : "ListClusters"}`;
      for (const body of [
        "{",
        "nope",
        "[]",
        "[{}]",
        "42",
        "null",
        '"x"',
        "true",
        '{"a":1}}',
        "\u0000",
        '{"a":"\\ud800"}x',
      ]) {
        assertJsonError(
          await call(service, target, body),
          { code: "SerializationException", status: 400 },
          `${service} ${body}`,
        );
      }
      assertJsonError(
        await call(service, target, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
        { code: "SerializationException", status: 400 },
        `${service} non-UTF-8`,
      );
      // Deeply nested JSON: parsed or refused, never a crash.
      const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
      const res = await call(service, target, `{"a":${deep}}`);
      assert.ok(res.status < 500, `${service} deep: ${res.text.slice(0, 200)}`);
    }
    await assertAlive(twin);
  });

  test("unknown targets: UnknownOperationException", async () => {
    for (const target of [
      `${ECR_TARGET}.NoSuchOp`,
      `${ECR_TARGET}.`,
      `${ECR_TARGET}.__proto__`,
      `${ECR_TARGET}.constructor`,
      `${ECS_TARGET}.toString`,
      "NoSuchPrefix.ListClusters",
      "ListClusters",
      ".",
      "x".repeat(5000),
    ]) {
      const res = await call("ecs", target, "{}");
      assertJsonError(res, { code: "UnknownOperationException", status: 400 }, target);
    }
    await assertAlive(twin);
  });

  test("every operation of both services with {}: a 4xx JSON error or a success, never InternalFailure", async () => {
    for (const { service, prefix, ops } of SERVICES) {
      assert.ok(ops.length > 20, `only ${ops.length} ${service} operations`);
      const failures: string[] = [];
      let implemented = 0;
      for (const op of ops) {
        const res = await call(service, `${prefix}.${op}`, "{}");
        if (res.status === 200) {
          implemented++;
          continue;
        }
        try {
          const err = assertJsonError(res, {}, op);
          if (err.code !== "UnknownOperationException") implemented++;
        } catch (e) {
          failures.push(`${op}: ${(e as Error).message.split("\n")[0]}`);
        }
      }
      assert.deepEqual(failures, [], service);
      assert.ok(implemented >= 10, `${service}: only ${implemented} operations implemented`);
    }
    await assertAlive(twin);
  });

  for (const { service, prefix, ops } of SERVICES) {
    // Found here first: DescribeClusters {"clusters": 42} (TypeError) and ListTaskDefinitions
    // {"status": []} (SQLite RangeError); wrong types now stop at the edge (http/json-shapes.ts).
    test(`every ${service} operation with wrong member types: a 4xx JSON error or a success`, async () => {
      const failures: string[] = [];
      for (const op of ops) {
        for (let i = 0; i < WRONG.length; i++) {
          const body: Record<string, unknown> = {};
          // Each member gets a different wrong value, rotating through WRONG per round.
          MEMBERS.forEach((m, j) => {
            body[m] = WRONG[(i + j) % WRONG.length];
          });
          const res = await call(service, `${prefix}.${op}`, JSON.stringify(body));
          if (res.status === 200) continue;
          try {
            assertJsonError(res, {}, op);
          } catch (e) {
            failures.push(`${op} round ${i}: ${(e as Error).message.split("\n")[0]}`);
          }
        }
      }
      assert.deepEqual(failures, [], service);
      await assertAlive(twin);
    });
  }

  test("__proto__ and constructor keys pollute nothing", async () => {
    const bodies = [
      '{"__proto__":{"polluted":"yes"}}',
      '{"repositoryName":"pp","__proto__":{"polluted":"yes"},"tags":[{"__proto__":{"polluted":"yes"},"Key":"a","Value":"b"}]}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"family":"pp","containerDefinitions":[{"name":"c","image":"i","__proto__":{"polluted":"yes"},"environment":[{"__proto__":{"polluted":"yes"}}]}]}',
    ];
    for (const { service, prefix, ops } of SERVICES) {
      for (const op of ops) {
        for (const body of bodies) {
          const res = await call(service, `${prefix}.${op}`, body);
          if (res.status !== 200) assertJsonError(res, {}, `${op} ${body}`);
          assert.equal(({} as Record<string, unknown>).polluted, undefined, `${op} ${body} polluted`);
        }
      }
    }
    await assertAlive(twin);
  });

  test("very long strings are refused with a validation error", async () => {
    const long = "a".repeat(300_000);
    assertJsonError(
      await call("ecr", `${ECR_TARGET}.CreateRepository`, JSON.stringify({ repositoryName: long })),
      { code: /InvalidParameterException|ValidationException/ },
      "ecr long name",
    );
    assertJsonError(
      await call("ecs", `${ECS_TARGET}.CreateCluster`, JSON.stringify({ clusterName: long })),
      { code: /InvalidParameterException|ClientException/ },
      "ecs long name",
    );
    assertJsonError(
      await call(
        "ecs",
        `${ECS_TARGET}.RegisterTaskDefinition`,
        JSON.stringify({ family: long, containerDefinitions: [{ name: "c", image: "i", memory: 128 }] }),
      ),
      { code: /InvalidParameterException|ClientException/ },
      "ecs long family",
    );
    await assertAlive(twin);
  });

  test("ECR layer parts with hostile offsets, blobs and ids: ECR's own exceptions", async () => {
    const ecr = (op: string, body: unknown) => call("ecr", `${ECR_TARGET}.${op}`, JSON.stringify(body));
    assert.equal((await ecr("CreateRepository", { repositoryName: "parts" })).status, 200);
    const { uploadId } = JSON.parse((await ecr("InitiateLayerUpload", { repositoryName: "parts" })).text);
    // Values of the right JSON type reach ECR, which answers in its own exceptions; values of the
    // wrong type (the model says long and blob) are refused at the edge as SerializationException.
    const ecrOwn = /InvalidLayerPartException|InvalidParameterException/;
    for (const [part, code] of [
      [{ partFirstByte: -1, partLastByte: 3, layerPartBlob: "AAAA" }, ecrOwn],
      [{ partFirstByte: 0, partLastByte: 1e308, layerPartBlob: "AAAA" }, ecrOwn],
      [{ partFirstByte: 0, partLastByte: 3, layerPartBlob: "!!!!" }, ecrOwn],
      [{ partFirstByte: 1.5, partLastByte: 3, layerPartBlob: "AAAA" }, /^SerializationException$/],
      [{ partFirstByte: 0, partLastByte: 3, layerPartBlob: 5 }, /^SerializationException$/],
      [{ partFirstByte: "0", partLastByte: "3", layerPartBlob: { a: 1 } }, /^SerializationException$/],
    ] as const) {
      const res = await ecr("UploadLayerPart", { repositoryName: "parts", uploadId, ...part });
      assertJsonError(res, { code }, JSON.stringify(part));
    }
    for (const uploadId of ["../../x", "%2e%2e", "", "x".repeat(5000)]) {
      const res = await ecr("CompleteLayerUpload", {
        repositoryName: "parts",
        uploadId,
        layerDigests: ["sha256:x"],
      });
      assertJsonError(
        res,
        { code: /UploadNotFoundException|InvalidParameterException/ },
        uploadId.slice(0, 20),
      );
    }
    await assertAlive(twin);
  });

  test("an oversize body: 413 RequestEntityTooLargeException or a closed connection, then alive", async () => {
    // Declared too large: refused before a byte of it is read.
    const declared = await send(twin.url, {
      method: "POST",
      headers: {
        "content-type": AMZ_JSON,
        "x-amz-target": `${ECR_TARGET}.ListImages`,
        "content-length": String(40 * 1024 * 1024),
      },
      body: "{}",
    });
    assertJsonError(declared, { code: "RequestEntityTooLargeException", status: 413 });
    // Streamed too large: the twin stops reading; the client sees the 413 or a reset.
    const streamed = await json(
      twin.url,
      "ecr",
      `${ECR_TARGET}.ListImages`,
      Buffer.alloc(33 * 1024 * 1024 + 1, 0x20),
      twin.admin,
    ).catch((err: Error) => err);
    if (!(streamed instanceof Error)) {
      assertJsonError(streamed, { code: "RequestEntityTooLargeException", status: 413 });
    }
    await assertAlive(twin);
  });

  test("Content-Type and method variations never crash", async () => {
    for (const ct of ["application/json", "text/plain", "", "application/x-amz-json-1.0"]) {
      const res = await sendSigned(twin.url, {
        service: "ecs",
        keys: twin.admin,
        headers: { ...(ct ? { "content-type": ct } : {}), "x-amz-target": `${ECS_TARGET}.ListClusters` },
        body: "{}",
      });
      assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${ct}: ${res.text}`);
    }
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await sendSigned(twin.url, {
        service: "ecr",
        keys: twin.admin,
        method,
        headers: { "content-type": AMZ_JSON, "x-amz-target": `${ECR_TARGET}.DescribeRepositories` },
        body: "{}",
      });
      assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${method}: ${res.text}`);
    }
    await assertAlive(twin);
  });
});
