// The ECS store's read cache: every write empties it, reads inside a transaction bypass it, and what it
// hands out is frozen (shared between callers).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import type { ServiceRecord } from "../../src/ecs/model.ts";
import { EcsStore } from "../../src/ecs/store.ts";
import { openStore } from "../../src/store/sqlite.ts";

const dir = mkdtempSync(join(tmpdir(), "ecs-store-cache-"));
const store = openStore(dir);
const ecs = new EcsStore(store);
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/c";
const ARN = "arn:aws:ecs:us-east-1:123456789012:service/c/web";
const service = (desiredCount: number): ServiceRecord => ({
  serviceArn: ARN,
  serviceName: "web",
  clusterArn: CLUSTER,
  status: "ACTIVE",
  desiredCount,
  runningCount: 0,
  pendingCount: 0,
  taskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1",
  deploymentConfiguration: {
    deploymentCircuitBreaker: { enable: false, rollback: false },
    maximumPercent: 200,
    minimumHealthyPercent: 100,
  },
  deployments: [],
  events: [],
  createdAt: 1,
  createdBy: "arn:aws:iam::123456789012:user/admin",
  healthCheckGracePeriodSeconds: 0,
  steadySince: 0,
  dedup: {},
  extra: {},
});

it("a write is visible to the next read; a miss is not remembered past a write", () => {
  assert.equal(ecs.getService(ARN), undefined);
  ecs.tx(() => ecs.putService(service(1)));
  assert.equal(ecs.getService(ARN)?.desiredCount, 1);
  ecs.tx(() => ecs.putService(service(2)));
  assert.equal(ecs.getService(ARN)?.desiredCount, 2);

  ecs.putCluster({ arn: CLUSTER, name: "c", status: "ACTIVE", created: 1, doc: {} });
  assert.equal(ecs.getCluster(CLUSTER)?.status, "ACTIVE");
  ecs.putCluster({ arn: CLUSTER, name: "c", status: "INACTIVE", created: 1, doc: {} });
  assert.equal(ecs.getCluster(CLUSTER)?.status, "INACTIVE");

  assert.deepEqual(ecs.tags(ARN), []);
  ecs.tag(ARN, [{ key: "team", value: "a" }]);
  assert.deepEqual(ecs.tags(ARN), [{ key: "team", value: "a" }]);
  ecs.untag(ARN, ["team"]);
  assert.deepEqual(ecs.tags(ARN), []);
  ecs.tag(ARN, [{ key: "team", value: "b" }]);
  ecs.dropTags(ARN);
  assert.deepEqual(ecs.tags(ARN), []);
});

it("a value read inside a transaction that rolls back is never served afterwards", () => {
  ecs.tx(() => ecs.putService(service(3)));
  assert.equal(ecs.getService(ARN)?.desiredCount, 3);
  assert.throws(() =>
    ecs.tx(() => {
      ecs.putService(service(99));
      ecs.tag(ARN, [{ key: "gone", value: "x" }]);
      assert.equal(ecs.getService(ARN)?.desiredCount, 99, "the transaction sees its own write");
      assert.equal(ecs.tags(ARN).length, 1);
      throw new Error("roll back");
    }),
  );
  assert.equal(ecs.getService(ARN)?.desiredCount, 3);
  assert.deepEqual(ecs.tags(ARN), []);
});

it("cached values are frozen; reads inside a transaction are the caller's own to edit", () => {
  const shared = ecs.getService(ARN)!;
  assert.ok(Object.isFrozen(shared) && Object.isFrozen(shared.deploymentConfiguration));
  assert.throws(() => {
    shared.desiredCount = 7;
  }, TypeError);
  ecs.tx(() => {
    const own = ecs.getService(ARN)!;
    assert.equal(Object.isFrozen(own), false);
    own.desiredCount = 7;
    ecs.putService(own);
  });
  assert.equal(ecs.getService(ARN)?.desiredCount, 7);
});

it("a second connection's view matches: the cache holds nothing the database does not", () => {
  const other = openStore(dir);
  try {
    const row = other.db
      .prepare<[string], { doc: string }>("SELECT doc FROM ecs_services WHERE arn = ?")
      .get(ARN);
    assert.deepEqual(JSON.parse(row!.doc), ecs.getService(ARN));
  } finally {
    other.close();
  }
});
