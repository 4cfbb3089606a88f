// The decision log on a real state dir: bounded (oldest dropped), newest first, filtered by principal,
// action and decision, and readable from a second connection as `keyship decisions` reads it.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { AllowedHead, DecisionLog, type DecisionRecord, readDecisions } from "../../src/iam/decisions.ts";
import { openStore, type Store } from "../../src/store/sqlite.ts";
import { tempDir } from "../support/twin.ts";

function record(n: number, over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    id: `id-${n}`,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    service: "iam",
    operation: "GetRole",
    requestId: `req-${n}`,
    principal: n % 2 ? "arn:aws:iam::123456789012:user/odd" : "arn:aws:iam::123456789012:user/even",
    action: n % 3 ? "iam:GetRole" : "ecr:PutImage",
    resource: "*",
    decision: n % 4 ? "allowed" : "implicitDeny",
    ...over,
  };
}

describe("DecisionLog", () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = await tempDir();
    store = openStore(dir);
  });
  after(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the newest `max` records, newest first, and drops the oldest", () => {
    const log = new DecisionLog(store, { max: 5 });
    for (let n = 1; n <= 12; n++) log.record(record(n));
    assert.deepEqual(
      log.query({ limit: 100 }).map((r) => r.id),
      ["id-12", "id-11", "id-10", "id-9", "id-8"],
    );
    const rows = store.db.prepare("SELECT sum(count - skip) AS n FROM decision_batches").get() as {
      n: number;
    };
    assert.equal(rows.n, 5);
    // The bound holds across batches too.
    for (let n = 13; n <= 20; n++) {
      log.record(record(n));
      log.flush();
    }
    assert.deepEqual(
      log.query().map((r) => r.id),
      ["id-20", "id-19", "id-18", "id-17", "id-16"],
    );
  });

  it("filters by principal substring, action (any case) and decision; limit applies after filters", () => {
    const log = new DecisionLog(store, { max: 1000 });
    for (let n = 21; n <= 40; n++) log.record(record(n));
    const odd = log.query({ principal: "user/odd", limit: 1000 }).filter((r) => Number(r.id.slice(3)) > 20);
    assert.ok(odd.length > 0 && odd.every((r) => r.principal.endsWith("user/odd")));
    const puts = log.query({ action: "ECR:putimage", limit: 1000 });
    assert.ok(puts.length > 0 && puts.every((r) => r.action === "ecr:PutImage"));
    const denied = log.query({ denied: true, limit: 1000 });
    assert.ok(denied.length > 0 && denied.every((r) => r.decision !== "allowed"));
    const allowed = log.query({ decision: "allowed", limit: 1000 });
    assert.ok(allowed.length > 0 && allowed.every((r) => r.decision === "allowed"));
    assert.deepEqual(
      log.query({ principal: "user/even", denied: true, limit: 2 }).map((r) => r.id),
      ["id-40", "id-36"],
    );
  });

  it("allowed calls logged by head come back as whole records, in order among full records", () => {
    const log = new DecisionLog(store, { max: 1000 });
    const user = "arn:aws:iam::123456789012:user/heads";
    const get = new AllowedHead(
      "iam",
      "GetRole",
      user,
      "iam:GetRole",
      "arn:aws:iam::123456789012:role/r",
      "p#1",
    );
    const list = new AllowedHead("iam", "ListRoles", user, "iam:ListRoles", "*", undefined);
    const at = (s: number) => new Date(Date.UTC(2026, 1, 1, 0, 0, s));
    log.recordAllowed(get, at(1), "req-h1");
    log.record({ ...record(0), id: undefined, principal: user, time: at(2), requestId: "req-h2" });
    log.recordAllowed(list, at(3), "req-h3");
    log.recordAllowed(get, at(4), "req-h4");
    const got = log.query({ principal: "user/heads", limit: 10 });
    assert.deepEqual(
      got.map((r) => [r.requestId, r.time, r.operation, r.action, r.resource, r.decision, r.decidedBy]),
      [
        ["req-h4", at(4).toISOString(), "GetRole", "iam:GetRole", get.resource, "allowed", "p#1"],
        ["req-h3", at(3).toISOString(), "ListRoles", "iam:ListRoles", "*", "allowed", undefined],
        ["req-h2", at(2).toISOString(), "GetRole", "ecr:PutImage", "*", "implicitDeny", undefined],
        ["req-h1", at(1).toISOString(), "GetRole", "iam:GetRole", get.resource, "allowed", "p#1"],
      ],
    );
    assert.equal(new Set(got.map((r) => r.id)).size, 4);
    assert.ok(!("decidedBy" in got[1]!), "an absent deciding statement is not written as a member");
    assert.deepEqual(
      log.query({ principal: "user/heads", denied: true }).map((r) => r.requestId),
      ["req-h2"],
    );
    assert.deepEqual(
      log.query({ principal: "user/heads", action: "IAM:GETROLE" }).map((r) => r.requestId),
      ["req-h4", "req-h1"],
    );
    // the bound cuts inside a batch of heads as it does inside any batch
    const small = new DecisionLog(store, { max: 3 });
    small.recordAllowed(list, at(5), "req-h5");
    assert.deepEqual(
      small.query({ limit: 10 }).map((r) => r.requestId),
      ["req-h5", "req-h4", "req-h3"],
    );
  });

  it("another connection (the CLI's) reads what the twin flushed", () => {
    const log = new DecisionLog(store, { max: 1000 });
    log.record(record(41, { decision: "explicitDeny", explanation: "Sid NeverOther denies" }));
    log.flush();
    const cli = openStore(dir);
    try {
      const [latest] = readDecisions(cli, { denied: true, limit: 1 });
      assert.equal(latest?.id, "id-41");
      assert.equal(latest?.explanation, "Sid NeverOther denies");
    } finally {
      cli.close();
    }
  });

  it("keeps the records a state written before batching holds (schema version 1)", async () => {
    const old = await tempDir();
    const s1 = openStore(old);
    try {
      s1.db.exec(`CREATE TABLE decisions (
         seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, time TEXT NOT NULL, principal TEXT NOT NULL,
         action TEXT NOT NULL, decision TEXT NOT NULL, record TEXT NOT NULL);
       INSERT INTO schema_versions (component, version) VALUES ('decisions', 1);`);
      const insert = s1.db.prepare(
        "INSERT INTO decisions (id, time, principal, action, decision, record) VALUES (?, ?, ?, ?, ?, ?)",
      );
      for (const n of [1, 2, 3]) {
        const r = record(n);
        insert.run(r.id, r.time, r.principal, r.action, r.decision, JSON.stringify(r));
      }
      const log = new DecisionLog(s1);
      log.record(record(4));
      assert.deepEqual(
        log.query().map((r) => r.id),
        ["id-4", "id-3", "id-2", "id-1"],
      );
      assert.deepEqual(log.query({ denied: true })[0], record(4));
    } finally {
      s1.close();
      await rm(old, { recursive: true, force: true });
    }
  });

  it("a token's claims shared by many records come back whole in each", () => {
    const log = new DecisionLog(store, { max: 1000 });
    const claims = { sub: "repo:o/r:ref:refs/heads/main", aud: "sts.amazonaws.com", nested: { a: [1, 2] } };
    for (const n of [101, 102, 103]) {
      log.record(record(n, { principal: "claims-test", context: { "x:sub": claims.sub, token: claims } }));
    }
    log.record(
      record(104, { principal: "claims-test", context: { "x:sub": "other", token: { sub: "other" } } }),
    );
    const back = log.query({ principal: "claims-test" });
    assert.deepEqual(
      back.map((r) => r.context),
      [
        { "x:sub": "other", token: { sub: "other" } },
        { "x:sub": claims.sub, token: claims },
        { "x:sub": claims.sub, token: claims },
        { "x:sub": claims.sub, token: claims },
      ],
    );
  });

  it("a log reopened on a trimmed state keeps the bound exactly", async () => {
    const own = await tempDir();
    const s1 = openStore(own);
    try {
      const first = new DecisionLog(s1, { max: 5 });
      for (let n = 1; n <= 4; n++) first.record(record(n));
      first.flush();
      for (let n = 5; n <= 7; n++) first.record(record(n));
      first.flush(); // 7 records in two batches: the older one keeps only its newest 2
      const reopened = new DecisionLog(s1, { max: 5 });
      reopened.record(record(8));
      assert.deepEqual(
        reopened.query().map((r) => r.id),
        ["id-8", "id-7", "id-6", "id-5", "id-4"],
      );
    } finally {
      s1.close();
      await rm(own, { recursive: true, force: true });
    }
  });

  it("a few hundred waiting records are written at once, not after the 50 ms timer", async () => {
    const own = await tempDir();
    const s1 = openStore(own);
    try {
      const log = new DecisionLog(s1);
      for (let n = 1; n <= 511; n++) log.record(record(n));
      await Promise.resolve();
      const count = () =>
        (
          s1.db.prepare("SELECT coalesce(sum(count - skip), 0) AS n FROM decision_batches").get() as {
            n: number;
          }
        ).n;
      assert.equal(count(), 0, "below the threshold, records wait for the timer");
      log.record(record(512));
      await Promise.resolve();
      assert.equal(count(), 512);
      log.flush();
    } finally {
      s1.close();
      await rm(own, { recursive: true, force: true });
    }
  });
});
