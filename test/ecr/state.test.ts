// The image store's reference keeping: a blob shared by repositories is deleted only when nothing
// references it; idle sessions and orphaned upload files are purged by housekeeping.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { systemClock } from "../../src/core/clock.ts";
import { randomIds } from "../../src/core/ids.ts";
import { EcrState } from "../../src/ecr/state.ts";
import { openBlobStore } from "../../src/store/blobs.ts";
import { openStore } from "../../src/store/sqlite.ts";

const rt = { clock: systemClock, ids: randomIds, accountId: "123456789012", region: "us-east-1" };
const repoInput = (name: string) => ({
  name,
  imageTagMutability: "MUTABLE" as const,
  imageTagMutabilityExclusionFilters: [],
  imageScanningConfiguration: { scanOnPush: false },
  encryptionConfiguration: { encryptionType: "AES256" },
  tags: [],
});

it("a blob shared by two repositories survives deleting one and goes with the last", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecr-state-"));
  const store = openStore(dir);
  const blobs = openBlobStore(dir);
  const state = new EcrState(store, blobs, rt, { gcGraceMs: 0 });
  const a = state.createRepository(rt.accountId, rt.region, repoInput("a"));
  const b = state.createRepository(rt.accountId, rt.region, repoInput("b"));
  const shared = `sha256:${createHash("sha256").update("shared layer").digest("hex")}`;
  for (const repo of [a, b]) {
    const up = await state.createUpload(repo, undefined);
    await state.appendUpload(up, Buffer.from("shared layer"));
    await state.completeUpload(repo, up, shared);
  }
  state.deleteRepository(a, true);
  await state.housekeeping(0);
  assert.equal(await blobs.size(shared), 12, "still referenced by b");
  state.deleteRepository(b, true);
  const swept = await state.housekeeping(0);
  assert.deepEqual(swept.blobs, [shared]);
  assert.equal(await blobs.size(shared), undefined);
  store.close();
});

it("housekeeping purges idle sessions (file and row) and keeps live ones", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ecr-state-"));
  const store = openStore(dir);
  const blobs = openBlobStore(dir);
  const state = new EcrState(store, blobs, rt, { uploadTtlMs: 60_000 });
  const repo = state.createRepository(rt.accountId, rt.region, repoInput("r"));
  const idle = await state.createUpload(repo, undefined);
  const live = await state.createUpload(repo, undefined);
  store.db.prepare("UPDATE ecr_uploads SET updated_at = ? WHERE id = ?").run(Date.now() - 120_000, idle.id);
  const out = await state.housekeeping();
  assert.ok(out.uploads.includes(idle.id));
  assert.equal(state.getUpload(repo, idle.id), undefined);
  assert.equal(await blobs.uploadSize(idle.id), undefined);
  assert.ok(state.getUpload(repo, live.id));
  assert.equal(await blobs.uploadSize(live.id), 0);
  store.close();
});
