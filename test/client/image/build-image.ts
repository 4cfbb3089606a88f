// Test fixture: builds small images from files as an OCI layout, an oci-archive and a docker-archive (no tools needed).
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { tar } from "../../../src/client/demo/tiny-image.ts";

export interface FileEntry {
  path: string;
  content: Buffer | string;
  mode?: number;
}

/** A ustar archive of the given files (names < 100 bytes), written by the demo's in-process image builder. */
export function tarOf(files: FileEntry[]): Buffer {
  return tar(
    files.map((f) => ({
      path: f.path,
      data: Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content),
      mode: f.mode ?? 0o644,
      dir: false,
    })),
  );
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export interface BuiltImage {
  layerTar: Buffer;
  config: Buffer;
  /** OCI manifest bytes (for the layout and oci-archive). */
  manifest: Buffer;
  manifestDigest: string;
  layoutFiles: FileEntry[];
}

/** One-layer image whose config runs `cmd`. `label` makes distinct images from the same files. */
export function buildImage(files: FileEntry[], cmd: string[], label = "v1"): BuiltImage {
  const layerTar = tarOf(files);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: cmd, Labels: { "keyship.test": label }, ExposedPorts: { "8080/tcp": {} } },
      rootfs: { type: "layers", diff_ids: [sha(layerTar)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        size: config.length,
        digest: sha(config),
      },
      layers: [
        { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", size: layer.length, digest: sha(layer) },
      ],
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        size: manifest.length,
        digest: sha(manifest),
        annotations: { "org.opencontainers.image.ref.name": "latest" },
      },
    ],
  };
  const blob = (b: Buffer): FileEntry => ({ path: `blobs/sha256/${sha(b).slice(7)}`, content: b });
  return {
    layerTar,
    config,
    manifest,
    manifestDigest: sha(manifest),
    layoutFiles: [
      { path: "oci-layout", content: '{"imageLayoutVersion":"1.0.0"}' },
      { path: "index.json", content: JSON.stringify(index) },
      blob(config),
      blob(layer),
      blob(manifest),
    ],
  };
}

export async function writeOciLayout(dir: string, image: BuiltImage): Promise<void> {
  for (const f of image.layoutFiles) {
    await mkdir(join(dir, f.path, ".."), { recursive: true });
    await writeFile(join(dir, f.path), f.content);
  }
}

export function ociArchiveOf(image: BuiltImage): Buffer {
  return tarOf(image.layoutFiles);
}

/** `docker save` format: manifest.json + config + an uncompressed layer.tar. */
export function dockerArchiveOf(image: BuiltImage, repoTag = "app:latest"): Buffer {
  const configName = `${sha(image.config).slice(7)}.json`;
  return tarOf([
    {
      path: "manifest.json",
      content: JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: ["l1/layer.tar"] }]),
    },
    { path: configName, content: image.config },
    { path: "l1/layer.tar", content: image.layerTar },
  ]);
}
