// Image sources from an OCI image layout: a directory (`oci:DIR[:REF]`) or a tar of one (`oci-archive:TAR[:REF]`).
// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { descriptorsOf, hostPlatform, type ImageSource, MEDIA } from "./source.ts";
import { readTarIndex, resolveMember } from "./tar-index.ts";

interface BlobAccess {
  read(digest: string): Promise<Buffer>;
  open(digest: string): Readable;
  has(digest: string): boolean;
}

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

function blobPath(digest: string): string {
  const [alg, hex] = digest.split(":");
  if (!alg || !hex || !/^[a-z0-9]+$/.test(alg) || !/^[a-f0-9]+$/.test(hex))
    throw new Error(`invalid digest ${digest}`);
  return `blobs/${alg}/${hex}`;
}

/** Picks the image: by `org.opencontainers.image.ref.name` when a ref is given, else the only one; an index resolves to this platform. */
async function chooseManifest(
  access: BlobAccess,
  index: { manifests?: IndexEntry[] },
  ref: string | undefined,
  where: string,
) {
  let entries = index.manifests ?? [];
  if (ref !== undefined) {
    entries = entries.filter((e) => e.annotations?.["org.opencontainers.image.ref.name"] === ref);
    if (entries.length === 0) throw new Error(`${where} has no image named "${ref}"`);
  }
  if (entries.length !== 1) {
    const names = (index.manifests ?? []).map(
      (e) => e.annotations?.["org.opencontainers.image.ref.name"] ?? e.digest,
    );
    throw new Error(`${where} holds ${entries.length} images; name one with :REF (${names.join(", ")})`);
  }
  let entry = entries[0]!;
  const platform = hostPlatform();
  for (let depth = 0; entry.mediaType === MEDIA.ociIndex || entry.mediaType === MEDIA.dockerList; depth++) {
    if (depth > 4) throw new Error(`${where}: nested indexes too deep`);
    const nested = JSON.parse((await access.read(entry.digest)).toString("utf8")) as {
      manifests?: IndexEntry[];
    };
    const match =
      nested.manifests?.find(
        (m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture,
      ) ?? nested.manifests?.find((m) => m.platform?.os === "linux");
    if (!match) throw new Error(`${where}: no ${platform.os}/${platform.architecture} image in the index`);
    entry = match;
  }
  const bytes = await access.read(entry.digest);
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (entry.digest.startsWith("sha256:") && digest !== entry.digest)
    throw new Error(`${where}: manifest ${entry.digest} is corrupt`);
  const parsed = JSON.parse(bytes.toString("utf8")) as { mediaType?: string };
  return { bytes, digest, mediaType: parsed.mediaType ?? entry.mediaType ?? MEDIA.ociManifest };
}

async function fromAccess(
  access: BlobAccess,
  indexBytes: Buffer,
  ref: string | undefined,
  description: string,
  close: () => Promise<void>,
): Promise<ImageSource> {
  const manifest = await chooseManifest(access, JSON.parse(indexBytes.toString("utf8")), ref, description);
  const blobs = descriptorsOf(JSON.parse(manifest.bytes.toString("utf8"))).map((d) => {
    if (!access.has(d.digest)) throw new Error(`${description}: blob ${d.digest} is missing`);
    return { ...d, open: () => access.open(d.digest) };
  });
  return { description, manifest, blobs, close };
}

/** Splits `PATH[:REF]`; a Windows-free world, so the last `:` after the last `/` starts the ref. */
export function splitPathRef(spec: string): { path: string; ref?: string } {
  const colon = spec.lastIndexOf(":");
  if (colon > spec.lastIndexOf("/") && colon > 0)
    return { path: spec.slice(0, colon), ref: spec.slice(colon + 1) };
  return { path: spec };
}

export async function openOciLayout(dir: string, ref?: string): Promise<ImageSource> {
  const access: BlobAccess = {
    read: (d) => readFile(join(dir, blobPath(d))),
    open: (d) => createReadStream(join(dir, blobPath(d))),
    has: (d) => existsSync(join(dir, blobPath(d))),
  };
  const index = await readFile(join(dir, "index.json"));
  return fromAccess(access, index, ref, `oci:${dir}`, async () => {});
}

export async function openOciArchive(tar: string, ref?: string): Promise<ImageSource> {
  const members = await readTarIndex(tar);
  const member = (name: string) => {
    const m = resolveMember(members, name);
    if (!m) throw new Error(`oci-archive:${tar} has no ${name}`);
    return m;
  };
  const range = (name: string) => {
    const m = member(name);
    return createReadStream(tar, { start: m.offset, end: m.offset + m.size - 1 });
  };
  const readAll = async (name: string) => {
    const chunks: Buffer[] = [];
    const m = member(name);
    if (m.size === 0) return Buffer.alloc(0);
    for await (const c of range(name)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const access: BlobAccess = {
    read: (d) => readAll(blobPath(d)),
    open: (d) => (member(blobPath(d)).size === 0 ? emptyStream() : range(blobPath(d))),
    has: (d) => resolveMember(members, blobPath(d)) !== undefined,
  };
  return fromAccess(access, await readAll("index.json"), ref, `oci-archive:${tar}`, async () => {});
}

/** createReadStream cannot express a zero-length range. */
function emptyStream(): Readable {
  return Readable.from([]);
}
