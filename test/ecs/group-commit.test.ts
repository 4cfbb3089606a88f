// Group commit of RegisterTaskDefinition: calls of one event-loop turn share a transaction, each in its
// own savepoint; nothing is acknowledged before the commit, revisions stay sequential, one failure stays
// alone, and an acknowledged registration survives kill -9.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import Database from "better-sqlite3";
import { EcsStore } from "../../src/ecs/store.ts";
import { openStore } from "../../src/store/sqlite.ts";
import { readAdmin } from "../support/admin.ts";
import { clientConfig, killHard, spawnTwin, tempDir, withTwin } from "../support/twin.ts";

const definition = (family: string, image = "web:v1") => ({
  family,
  containerDefinitions: [{ name: "app", image, memory: 64 }],
});

describe("GroupCommit in the ECS store", () => {
  const dir = mkdtempSync(join(tmpdir(), "ecs-group-commit-"));
  const store = openStore(dir);
  const ecs = new EcsStore(store);
  const reader = new Database(join(dir, "keyship.db"), { readonly: true });
  const revisionsOf = (family: string) =>
    reader
      .prepare<[string], { revision: number }>(
        "SELECT revision FROM ecs_task_definitions WHERE family = ? ORDER BY revision",
      )
      .all(family)
      .map((r) => r.revision);
  after(() => {
    reader.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A registration as the operation does it: the next revision, then the row. */
  const register = (family: string, fail = false) =>
    ecs.txGrouped(() => {
      const revision = ecs.nextRevision(family);
      const arn = `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;
      ecs.putTaskDefinition({ arn, family, revision, status: "ACTIVE", doc: { revision } });
      if (fail) throw new Error(`registration ${revision} fails`);
      return revision;
    });

  it("calls of one turn share a commit; nothing is visible to another connection before it", async () => {
    const pending = [register("a"), register("a"), register("b"), register("a")];
    assert.deepEqual(revisionsOf("a"), [], "not committed before the promises settle");
    assert.deepEqual(await Promise.all(pending), [1, 2, 1, 3]);
    assert.deepEqual(revisionsOf("a"), [1, 2, 3]);
    assert.deepEqual(revisionsOf("b"), [1]);
  });

  it("a failing call in a batch is rolled back alone: no gap, no duplicate, the others commit", async () => {
    const results = await Promise.allSettled([
      register("c"),
      register("c", true),
      register("c"),
      register("d", true),
      register("c"),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)),
      [1, "registration 2 fails", 2, "registration 1 fails", 3],
    );
    assert.deepEqual(revisionsOf("c"), [1, 2, 3]);
    assert.deepEqual(revisionsOf("d"), []);
    assert.deepEqual(await register("d"), 1);
  });

  it("a batch whose transaction cannot start fails as a whole and commits nothing", async () => {
    const writer = new Database(join(dir, "keyship.db"));
    store.db.pragma("busy_timeout = 0");
    writer.exec("BEGIN IMMEDIATE");
    try {
      const results = await Promise.allSettled([register("e"), register("e")]);
      for (const r of results) {
        assert.equal(r.status, "rejected");
        assert.equal((r.reason as { code?: string }).code, "SQLITE_BUSY");
      }
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
      store.db.pragma("busy_timeout = 5000");
    }
    assert.deepEqual(revisionsOf("e"), []);
    assert.equal(await register("e"), 1);
  });
});

describe("RegisterTaskDefinition under concurrency", { timeout: 120_000 }, () => {
  it("concurrent registrations get distinct sequential revisions, each readable from another connection when answered", async () => {
    const twin = await withTwin();
    const ecs = new ECSClient(clientConfig(twin));
    const reader = new Database(join(twin.stateDir, "keyship.db"), { readonly: true });
    const stored = reader.prepare<[string], { revision: number }>(
      "SELECT revision FROM ecs_task_definitions WHERE arn = ?",
    );
    try {
      const calls = Array.from({ length: 40 }, (_, i) =>
        ecs
          .send(
            new RegisterTaskDefinitionCommand(
              // every 7th is refused by validation: it must not touch the others
              i % 7 === 3 ? { family: "web", containerDefinitions: [] } : definition("web", `web:${i}`),
            ),
          )
          .then((out) => {
            const arn = out.taskDefinition!.taskDefinitionArn!;
            assert.ok(stored.get(arn), `${arn} is committed when its response arrives`);
            return out.taskDefinition!;
          }),
      );
      const results = await Promise.allSettled(calls);
      const ok = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
      assert.equal(refused.length, 6);
      for (const e of refused) assert.equal(e.message, "Container list cannot be empty.");
      assert.deepEqual(
        ok.map((t) => t.revision).sort((a, b) => a! - b!),
        Array.from({ length: 34 }, (_, i) => i + 1),
      );
      const listed = (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "web" })))
        .taskDefinitionArns!;
      assert.equal(listed.length, 34);
      const by = new Map(ok.map((t) => [t.revision, t]));
      const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "web:17" }));
      assert.equal(
        d.taskDefinition!.containerDefinitions![0]!.image,
        by.get(17)!.containerDefinitions![0]!.image,
      );
    } finally {
      reader.close();
      ecs.destroy();
      await twin.dispose();
    }
  });

  it("every acknowledged registration survives kill -9", async () => {
    const stateDir = await tempDir();
    const first = await spawnTwin(stateDir);
    const { admin } = await readAdmin(stateDir);
    let ecs = new ECSClient({ endpoint: first.url, region: "us-east-1", credentials: admin, maxAttempts: 1 });
    const acknowledged: string[] = [];
    try {
      // keep registrations in flight while the twin is killed: the answered ones must all be there
      const inFlight = Array.from({ length: 8 }, async () => {
        for (;;) {
          try {
            const out = await ecs.send(new RegisterTaskDefinitionCommand(definition("durable")));
            acknowledged.push(out.taskDefinition!.taskDefinitionArn!);
          } catch {
            return;
          }
        }
      });
      while (acknowledged.length < 200) await new Promise((r) => setTimeout(r, 5));
      const gone = killHard(first.child);
      await Promise.all(inFlight);
      await gone;
      ecs.destroy();

      const second = await spawnTwin(stateDir);
      try {
        ecs = new ECSClient({
          endpoint: second.url,
          region: "us-east-1",
          credentials: admin,
          maxAttempts: 1,
        });
        const listed = new Set<string>();
        let nextToken: string | undefined;
        do {
          const page = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "durable", nextToken }));
          for (const arn of page.taskDefinitionArns!) listed.add(arn);
          nextToken = page.nextToken;
        } while (nextToken);
        for (const arn of acknowledged) assert.ok(listed.has(arn), `${arn} was acknowledged, then lost`);
        const revisions = [...listed].map((arn) => Number(arn.slice(arn.lastIndexOf(":") + 1)));
        revisions.sort((a, b) => a - b);
        assert.deepEqual(
          revisions,
          Array.from({ length: revisions.length }, (_, i) => i + 1),
          "no gap",
        );
      } finally {
        ecs.destroy();
        second.child.kill("SIGKILL");
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
