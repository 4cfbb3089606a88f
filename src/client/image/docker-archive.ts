// Image source from a `docker save` tar (docker-archive:TAR[:REPO:TAG]): config as is, layers gzip-compressed once.
// Format: https://github.com/moby/moby/blob/master/image/spec/v1.2.md (manifest.json: Config, RepoTags, Layers).
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip } from "node:zlib";
import { type ImageSource, MEDIA, type SourceBlob } from "./source.ts";
import { readTarIndex, resolveMember, type TarMember } from "./tar-index.ts";

interface SaveManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function hasher(onDone: (digest: string, size: number) => void): Transform {
  const hash = createHash("sha256");
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      onDone(`sha256:${hash.digest("hex")}`, size);
      cb();
    },
  });
}

async function isGzip(tar: string, m: TarMember): Promise<boolean> {
  if (m.size < 2) return false;
  const fh = await open(tar, "r");
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, m.offset);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function memberStream(tar: string, m: TarMember): Readable {
  return m.size === 0
    ? Readable.from([])
    : createReadStream(tar, { start: m.offset, end: m.offset + m.size - 1 });
}

/** Runs `fn` over items with at most `limit` at once, keeping result order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Opens a docker-archive. Uncompressed layers are gzipped into a temporary directory (deterministically: Node's
 * gzip header carries no timestamp, so the same layer always gets the same digest and a re-push skips it).
 * `removeOnClose` (a daemon export's directory) is deleted on close.
 */
export async function openDockerArchive(
  tar: string,
  ref?: string,
  options: { removeOnClose?: string; description?: string } = {},
): Promise<ImageSource> {
  const description = options.description ?? `docker-archive:${tar}`;
  const members = await readTarIndex(tar);
  const need = (name: string) => {
    const m = resolveMember(members, name);
    if (!m) throw new Error(`${description} has no ${name}`);
    return m;
  };
  const readAll = async (m: TarMember) => {
    const chunks: Buffer[] = [];
    for await (const c of memberStream(tar, m)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const entries = JSON.parse((await readAll(need("manifest.json"))).toString("utf8")) as SaveManifestEntry[];
  let entry: SaveManifestEntry | undefined;
  if (ref !== undefined) {
    entry = entries.find((e) => (e.RepoTags ?? []).some((t) => t === ref || t.endsWith(`/${ref}`)));
    if (!entry) throw new Error(`${description} has no image tagged "${ref}"`);
  } else if (entries.length === 1) entry = entries[0];
  else throw new Error(`${description} holds ${entries.length} images; name one with :REPO:TAG`);
  const work = await mkdtemp(join(tmpdir(), "keyship-layers-"));
  const close = async () => {
    await rm(work, { recursive: true, force: true });
    if (options.removeOnClose) await rm(options.removeOnClose, { recursive: true, force: true });
  };
  try {
    const configBytes = await readAll(need(entry!.Config));
    const config: SourceBlob = {
      digest: `sha256:${createHash("sha256").update(configBytes).digest("hex")}`,
      size: configBytes.length,
      mediaType: MEDIA.dockerConfig,
      open: () => Readable.from([configBytes]),
    };
    const layers = await mapLimit([...entry!.Layers.keys()], 4, async (i) => {
      const m = need(entry!.Layers[i]!);
      let digest = "";
      let size = 0;
      const record = (d: string, s: number) => {
        digest = d;
        size = s;
      };
      if (await isGzip(tar, m)) {
        await pipeline(memberStream(tar, m), hasher(record), devNull());
        return {
          digest,
          size,
          mediaType: MEDIA.dockerLayerGzip,
          open: () => memberStream(tar, m),
        } satisfies SourceBlob;
      }
      const file = join(work, `layer-${i}.tar.gz`);
      await pipeline(
        memberStream(tar, m),
        createGzip({ level: constants.Z_DEFAULT_COMPRESSION }),
        hasher(record),
        createWriteStream(file),
      );
      return {
        digest,
        size,
        mediaType: MEDIA.dockerLayerGzip,
        open: () => createReadStream(file),
      } satisfies SourceBlob;
    });
    const manifestJson = {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
      layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
    };
    const bytes = Buffer.from(JSON.stringify(manifestJson, null, 3));
    return {
      description,
      manifest: {
        bytes,
        mediaType: MEDIA.dockerManifest,
        digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
      },
      blobs: [config, ...layers],
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

function devNull(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}
