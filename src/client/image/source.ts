// What an image source gives the push client: one manifest and the blobs it references, each streamable.
import type { Readable } from "node:stream";

export const MEDIA = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export interface SourceBlob {
  digest: string;
  size: number;
  mediaType: string;
  open(): Readable;
}

export interface ImageSource {
  /** For messages: `oci:./build/layout`, `daemon:sample-app:latest`. */
  description: string;
  manifest: { bytes: Buffer; mediaType: string; digest: string };
  /** Config first, then layers, in manifest order. */
  blobs: SourceBlob[];
  /** Removes temporary files (daemon export, recompressed layers). */
  close(): Promise<void>;
}

/** A manifest's config and layer descriptors. */
export function descriptorsOf(manifest: unknown): Array<{ digest: string; size: number; mediaType: string }> {
  const m = manifest as { config?: Desc; layers?: Desc[] };
  interface Desc {
    digest: string;
    size: number;
    mediaType: string;
  }
  if (!m.config || !Array.isArray(m.layers))
    throw new Error("the manifest has no config or layers (an index cannot be pushed as one image)");
  return [m.config, ...m.layers].map((d) => ({ digest: d.digest, size: d.size, mediaType: d.mediaType }));
}

/** Docker/OCI platform names for this machine (`process.arch` → GOARCH). */
export function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = {
    x64: "amd64",
    arm64: "arm64",
    arm: "arm",
    ppc64: "ppc64le",
    s390x: "s390x",
  };
  return { os: "linux", architecture: arch[process.arch] ?? process.arch };
}
