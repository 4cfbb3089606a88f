// The content-addressed blob store: verify while streaming, atomic publish, resume, orphans, sweep.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { it } from "node:test";
import { DigestMismatch, OffsetMismatch, openBlobStore } from "../../src/store/blobs.ts";

const sha = (s: string | Buffer) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

it("streams an upload, verifies its digest and publishes it under blobs/sha256/ab/<hex>", async () => {
  const dir = mkdtempSync(join(tmpdir(), "blobs-"));
  const store = openBlobStore(dir);
  await store.createUpload("u1");
  await store.append("u1", Readable.from([Buffer.from("hello "), Buffer.from("world")]));
  assert.equal(await store.uploadSize("u1"), 11);
  assert.equal(await store.size(sha("hello world")), undefined, "nothing visible before commit");
  const out = await store.commit("u1", sha("hello world"));
  assert.deepEqual(out, { digest: sha("hello world"), size: 11 });
  const hex = sha("hello world").slice(7);
  assert.ok(existsSync(join(dir, "blobs", "sha256", hex.slice(0, 2), hex)));
  assert.equal((await store.readAll(sha("hello world"))).toString(), "hello world");
  assert.equal(existsSync(join(dir, "uploads", "u1")), false);
});

it("a digest mismatch publishes nothing; an out-of-order append is refused", async () => {
  const store = openBlobStore(mkdtempSync(join(tmpdir(), "blobs-")));
  await store.createUpload("u2");
  await store.append("u2", Buffer.from("abc"), 0);
  await assert.rejects(store.append("u2", Buffer.from("x"), 1), OffsetMismatch);
  await assert.rejects(store.commit("u2", sha("abd")), DigestMismatch);
  assert.equal(await store.size(sha("abc")), undefined);
});

it("rebuilds the hash state from the upload file after a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "blobs-"));
  const a = openBlobStore(dir);
  await a.createUpload("u3");
  await a.append("u3", Buffer.from("first half,"));
  const b = openBlobStore(dir); // a new process: no in-memory state
  assert.equal(await b.uploadSize("u3"), 11);
  await b.append("u3", Buffer.from(" second half"), 11);
  assert.equal((await b.commit("u3", sha("first half, second half"))).size, 23);
});

it("cleans orphaned upload files past the bound and sweeps unreferenced blobs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "blobs-"));
  const store = openBlobStore(dir);
  await mkdir(join(dir, "uploads"), { recursive: true });
  writeFileSync(join(dir, "uploads", "orphan"), "partial");
  writeFileSync(join(dir, "uploads", "live"), "partial");
  writeFileSync(join(dir, "uploads", "fresh"), "partial");
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(join(dir, "uploads", "orphan"), old, old);
  utimesSync(join(dir, "uploads", "live"), old, old);
  const removed = await store.cleanOrphanUploads(new Date(), 3600_000, (id) => id === "live");
  assert.deepEqual(removed, ["orphan"]);
  assert.deepEqual(readdirSync(join(dir, "uploads")).sort(), ["fresh", "live"]);

  const keep = await store.putBytes(Buffer.from("keep"));
  const drop = await store.putBytes(Buffer.from("drop"));
  const swept = await store.sweep(new Date(Date.now() + 10_000), 0, (d) => d === keep);
  assert.deepEqual(swept, [drop]);
  assert.equal(await store.size(keep), 4);
  assert.equal(await store.size(drop), undefined);
});
