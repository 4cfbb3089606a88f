// Content-addressed blob files for the registry, and the upload files that become them.
//
// Layout (see store/sqlite.ts for the whole state dir):
//   blobs/<alg>/<first 2 hex>/<hex>   published blobs, named by their digest (distribution's paths.go)
//   uploads/<id>                      bytes of an open upload session, appended as they stream in
//
// Publishing is write → fsync → rename, so a blob path either does not exist or holds the whole,
// verified content: a `kill -9` mid-upload leaves at most a file under uploads/, which
// `cleanOrphanUploads` removes. Which blobs are still referenced is the caller's knowledge (SQLite
// rows); `sweep` deletes the files nothing references any more.
import { createHash, type Hash } from "node:crypto";
import { closeSync, createReadStream, fsyncSync, openSync, type ReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";

export type DigestAlgorithm = "sha256" | "sha512";

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** True for the digests the store accepts: sha256 (required by OCI) and sha512, lowercase hex. */
export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

export function digestOf(bytes: Buffer, alg: DigestAlgorithm = "sha256"): string {
  return `${alg}:${createHash(alg).update(bytes).digest("hex")}`;
}

/** The running state of one upload: its hash so far (verified while streaming) and its length. */
interface UploadState {
  alg: DigestAlgorithm;
  hash: Hash;
  size: number;
  /** serialises appends to one upload (two PATCHes must not interleave bytes) */
  busy: Promise<unknown>;
}

export class DigestMismatch extends Error {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string) {
    super(`digest mismatch: expected ${expected}, computed ${actual}`);
    this.expected = expected;
    this.actual = actual;
  }
}

export interface BlobStore {
  readonly root: string;
  path(digest: string): string;
  /** size in bytes, or undefined when the blob is not published */
  size(digest: string): Promise<number | undefined>;
  /** a read stream over the blob, optionally over the inclusive byte range [start, end] */
  read(digest: string, range?: { start: number; end: number }): ReadStream;
  readAll(digest: string): Promise<Buffer>;
  /** publishes small content (manifests) atomically; returns its digest */
  putBytes(bytes: Buffer, alg?: DigestAlgorithm): Promise<string>;

  createUpload(id: string, alg?: DigestAlgorithm): Promise<void>;
  /** bytes received so far; rebuilds the hash state from the file after a restart */
  uploadSize(id: string): Promise<number | undefined>;
  /** streams `source` onto the end of the upload, hashing as it goes; returns the new size */
  append(id: string, source: Readable | Buffer, expectedOffset?: number): Promise<number>;
  /** verifies the digest (when given), fsyncs and renames into place; removes the upload file */
  commit(id: string, expected?: string): Promise<{ digest: string; size: number }>;
  /** the digest of what has been received so far, without closing the upload */
  uploadDigest(id: string): Promise<string | undefined>;
  removeUpload(id: string): Promise<void>;
  /** deletes upload files older than `olderThanMs` whose id `keep` does not claim */
  cleanOrphanUploads(now: Date, olderThanMs: number, keep: (id: string) => boolean): Promise<string[]>;
  /** deletes blob files not referenced, last written before now - graceMs */
  sweep(now: Date, graceMs: number, referenced: (digest: string) => boolean): Promise<string[]>;
}

/** Thrown by `append` when `expectedOffset` is not the number of bytes received so far. */
export class OffsetMismatch extends Error {
  readonly size: number;
  constructor(size: number) {
    super(`upload is at offset ${size}`);
    this.size = size;
  }
}

export function openBlobStore(stateDir: string): BlobStore {
  const blobsDir = join(stateDir, "blobs");
  const uploadsDir = join(stateDir, "uploads");
  const states = new Map<string, UploadState>();

  const blobPath = (digest: string): string => {
    if (!isDigest(digest)) throw new TypeError(`not a digest: ${digest}`);
    const [alg, hex] = digest.split(":") as [string, string];
    return join(blobsDir, alg, hex.slice(0, 2), hex);
  };
  const uploadPath = (id: string): string => {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw new TypeError(`not an upload id: ${id}`);
    return join(uploadsDir, id);
  };

  async function stateOf(id: string): Promise<UploadState | undefined> {
    const known = states.get(id);
    if (known) return known;
    // After a restart the hash state is gone (Node cannot serialise it): rebuild it from the file.
    let alg: DigestAlgorithm = "sha256";
    try {
      const marker = await stat(`${uploadPath(id)}.sha512`).catch(() => undefined);
      if (marker) alg = "sha512";
      const hash = createHash(alg);
      let size = 0;
      for await (const chunk of createReadStream(uploadPath(id)) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      const state: UploadState = { alg, hash, size, busy: Promise.resolve() };
      if (!states.has(id)) states.set(id, state);
      return states.get(id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Runs `fn` after any append already running on the same upload. */
  function serialise<T>(state: UploadState, fn: () => Promise<T>): Promise<T> {
    const run = state.busy.then(fn, fn);
    state.busy = run.catch(() => undefined);
    return run;
  }

  async function publish(tempPath: string, digest: string): Promise<void> {
    const finalPath = blobPath(digest);
    const exists = await stat(finalPath).catch(() => undefined);
    if (exists) {
      await unlink(tempPath).catch(() => undefined);
      return;
    }
    await mkdir(join(finalPath, ".."), { recursive: true });
    await rename(tempPath, finalPath);
    fsyncDir(join(finalPath, ".."));
  }

  return {
    root: stateDir,
    path: blobPath,
    async size(digest) {
      if (!isDigest(digest)) return undefined;
      const s = await stat(blobPath(digest)).catch(() => undefined);
      return s?.isFile() ? s.size : undefined;
    },
    read(digest, range) {
      // 1 MiB reads: fewer syscalls and socket writes than the 64 KiB default on multi-GB pulls.
      const highWaterMark = 1 << 20;
      return createReadStream(
        blobPath(digest),
        range ? { start: range.start, end: range.end, highWaterMark } : { highWaterMark },
      );
    },
    async readAll(digest) {
      const chunks: Buffer[] = [];
      for await (const c of createReadStream(blobPath(digest)) as AsyncIterable<Buffer>) chunks.push(c);
      return Buffer.concat(chunks);
    },
    async putBytes(bytes, alg = "sha256") {
      const digest = digestOf(bytes, alg);
      if (await this.size(digest)) return digest;
      await mkdir(uploadsDir, { recursive: true });
      const temp = join(
        uploadsDir,
        `put-${createHash("sha256").update(`${digest}${Math.random()}`).digest("hex").slice(0, 32)}`,
      );
      const fh = await open(temp, "w");
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await publish(temp, digest);
      return digest;
    },

    async createUpload(id, alg = "sha256") {
      await mkdir(uploadsDir, { recursive: true });
      const fh = await open(uploadPath(id), "wx");
      await fh.close();
      if (alg === "sha512") await (await open(`${uploadPath(id)}.sha512`, "w")).close();
      states.set(id, { alg, hash: createHash(alg), size: 0, busy: Promise.resolve() });
    },
    async uploadSize(id) {
      return (await stateOf(id))?.size;
    },
    async append(id, source, expectedOffset) {
      const state = await stateOf(id);
      if (!state) throw new Error(`upload ${id} not found`);
      return serialise(state, async () => {
        if (expectedOffset !== undefined && expectedOffset !== state.size)
          throw new OffsetMismatch(state.size);
        const fh = await open(uploadPath(id), "a");
        try {
          if (Buffer.isBuffer(source)) {
            state.hash.update(source);
            await fh.write(source);
            state.size += source.length;
          } else {
            // Batch small network chunks into larger writes; never hold more than ~1 MiB.
            let pending: Buffer[] = [];
            let pendingSize = 0;
            const flush = async () => {
              if (pendingSize === 0) return;
              const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingSize);
              pending = [];
              pendingSize = 0;
              await fh.write(buf);
            };
            for await (const chunk of source as AsyncIterable<Buffer>) {
              state.hash.update(chunk);
              state.size += chunk.length;
              pending.push(chunk);
              pendingSize += chunk.length;
              if (pendingSize >= 1 << 20) await flush();
            }
            await flush();
          }
        } catch (err) {
          // A broken stream leaves the file longer than the hash knows: forget the state so the
          // next use re-reads the file (the true offset) instead of trusting a half-updated hash.
          states.delete(id);
          throw err;
        } finally {
          await fh.close();
        }
        return state.size;
      });
    },
    async uploadDigest(id) {
      const state = await stateOf(id);
      if (!state) return undefined;
      return serialise(state, async () => `${state.alg}:${state.hash.copy().digest("hex")}`);
    },
    async commit(id, expected) {
      const state = await stateOf(id);
      if (!state) throw new Error(`upload ${id} not found`);
      return serialise(state, async () => {
        const alg = expected?.startsWith("sha512:") ? "sha512" : state.alg;
        let digest: string;
        if (alg === state.alg) digest = `${alg}:${state.hash.copy().digest("hex")}`;
        else {
          // The client named another algorithm than the session hashed with: hash the file once.
          const hash = createHash(alg);
          for await (const c of createReadStream(uploadPath(id)) as AsyncIterable<Buffer>) hash.update(c);
          digest = `${alg}:${hash.digest("hex")}`;
        }
        if (expected !== undefined && expected !== digest) throw new DigestMismatch(expected, digest);
        const fh = await open(uploadPath(id), "r+");
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await publish(uploadPath(id), digest);
        states.delete(id);
        await rm(`${uploadPath(id)}.sha512`, { force: true });
        return { digest, size: state.size };
      });
    },
    async removeUpload(id) {
      states.delete(id);
      await rm(uploadPath(id), { force: true });
      await rm(`${uploadPath(id)}.sha512`, { force: true });
    },
    async cleanOrphanUploads(now, olderThanMs, keep) {
      const removed: string[] = [];
      const names = await readdir(uploadsDir).catch(() => [] as string[]);
      for (const name of names) {
        const id = name.replace(/\.sha512$/, "");
        // put-* are temp files of putBytes: never claimed by a session.
        if (!id.startsWith("put-") && keep(id)) continue;
        const s = await stat(join(uploadsDir, name)).catch(() => undefined);
        if (!s || now.getTime() - s.mtimeMs < olderThanMs) continue;
        await rm(join(uploadsDir, name), { force: true });
        states.delete(id);
        removed.push(name);
      }
      return removed;
    },
    async sweep(now, graceMs, referenced) {
      const removed: string[] = [];
      for (const alg of await readdir(blobsDir).catch(() => [] as string[])) {
        for (const prefix of await readdir(join(blobsDir, alg)).catch(() => [] as string[])) {
          for (const hex of await readdir(join(blobsDir, alg, prefix)).catch(() => [] as string[])) {
            const digest = `${alg}:${hex}`;
            if (!isDigest(digest)) continue;
            const p = join(blobsDir, alg, prefix, hex);
            const s = await stat(p).catch(() => undefined);
            if (!s || now.getTime() - s.mtimeMs < graceMs) continue;
            // Checked last, right before the unlink, so a reference added meanwhile is seen.
            if (referenced(digest)) continue;
            await unlink(p).catch(() => undefined);
            removed.push(digest);
          }
        }
      }
      return removed;
    },
  };
}

/** A rename is durable only once its directory entry is: fsync the directory (POSIX). */
function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  }
}
