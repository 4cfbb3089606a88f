// Image manifests: which media types ECR stores and what each one references (ecr-registry.md §3.2,
// OCI image-spec manifest.md / image-index.md, Docker "Image Manifest V2, Schema 2").
import { isDigest } from "../store/blobs.ts";

export const MEDIA = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerV1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerV1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set(Object.values(MEDIA));
const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA.dockerList, MEDIA.ociIndex]);

/** Largest manifest ECR takes: `imageManifest` max length 4194304 (botocore model). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** config + layers (blobs that must be in the repository) */
  blobs: { digest: string; size: number; mediaType?: string; kind: "config" | "layer"; foreign: boolean }[];
  /** manifests an index refers to */
  children: Descriptor[];
  subject?: string;
  artifactType?: string;
  configMediaType?: string;
  annotations?: Record<string, string>;
  /** config + layer sizes: ECR's imageSizeInBytes */
  imageSize: number;
}

/** A problem with a manifest, reported by the caller as MANIFEST_INVALID / InvalidParameterException. */
export class ManifestInvalid extends Error {}

/**
 * Parses manifest bytes. `declaredType` is the Content-Type (registry) or imageManifestMediaType
 * (API); when both it and the body's `mediaType` are present they must agree (OCI spec §pushing
 * manifests).
 */
export function parseManifest(bytes: Buffer, declaredType?: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(bytes.toString("utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error();
    doc = parsed as Record<string, unknown>;
  } catch {
    throw new ManifestInvalid(
      "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
    );
  }
  const declared = declaredType?.split(";")[0]?.trim() || undefined;
  const inner = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  if (declared && inner && declared !== inner && declared !== "application/json") {
    throw new ManifestInvalid(`manifest media type '${inner}' does not match '${declared}'`);
  }
  let mediaType = inner ?? (declared !== "application/json" ? declared : undefined);
  if (!mediaType) {
    // OCI manifests may omit mediaType: tell them apart by shape.
    if (doc.schemaVersion === 1) mediaType = doc.signatures ? MEDIA.dockerV1Signed : MEDIA.dockerV1;
    else if (Array.isArray(doc.manifests)) mediaType = MEDIA.ociIndex;
    else if (doc.config) mediaType = MEDIA.ociManifest;
  }
  if (!mediaType || !MANIFEST_MEDIA_TYPES.has(mediaType)) {
    throw new ManifestInvalid(
      `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Unsupported media type ${mediaType ?? "(none)"}'`,
    );
  }
  const out: ParsedManifest = {
    mediaType,
    isIndex: INDEX_TYPES.has(mediaType),
    blobs: [],
    children: [],
    imageSize: 0,
  };
  if (typeof doc.artifactType === "string") out.artifactType = doc.artifactType;
  if (doc.annotations && typeof doc.annotations === "object")
    out.annotations = doc.annotations as Record<string, string>;
  if (doc.subject !== undefined) out.subject = descriptor(doc.subject, "subject").digest;

  if (mediaType === MEDIA.dockerV1 || mediaType === MEDIA.dockerV1Signed) {
    // Schema 1: layers are listed as fsLayers[].blobSum; no sizes.
    const fsLayers = Array.isArray(doc.fsLayers) ? doc.fsLayers : [];
    for (const l of fsLayers) {
      const d = (l as { blobSum?: unknown }).blobSum;
      if (typeof d !== "string" || !isDigest(d)) throw new ManifestInvalid("invalid blobSum in fsLayers");
      if (!out.blobs.some((b) => b.digest === d))
        out.blobs.push({ digest: d, size: 0, kind: "layer", foreign: false });
    }
    return out;
  }
  if (out.isIndex) {
    if (!Array.isArray(doc.manifests)) throw new ManifestInvalid("an index needs a manifests array");
    for (const m of doc.manifests) out.children.push(descriptor(m, "manifests"));
    return out;
  }
  if (doc.schemaVersion !== 2) throw new ManifestInvalid("schemaVersion must be 2");
  const config = descriptor(doc.config, "config");
  out.configMediaType = config.mediaType;
  out.blobs.push({
    digest: config.digest,
    size: config.size,
    mediaType: config.mediaType,
    kind: "config",
    foreign: false,
  });
  out.imageSize += config.size;
  const layers = doc.layers === undefined ? [] : doc.layers;
  if (!Array.isArray(layers)) throw new ManifestInvalid("layers must be an array");
  for (const l of layers) {
    const d = descriptor(l, "layers");
    out.imageSize += d.size;
    out.blobs.push({
      digest: d.digest,
      size: d.size,
      mediaType: d.mediaType,
      kind: "layer",
      // Foreign (non-distributable) layers are fetched from their URLs, not the registry.
      foreign:
        Boolean(d.urls?.length) ||
        Boolean(d.mediaType?.includes("foreign") || d.mediaType?.includes("nondistributable")),
    });
  }
  return out;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== "object" || value === null) throw new ManifestInvalid(`${where}: descriptor expected`);
  const d = value as Record<string, unknown>;
  if (typeof d.digest !== "string" || !isDigest(d.digest))
    throw new ManifestInvalid(`${where}: invalid digest`);
  if (typeof d.size !== "number" || !Number.isInteger(d.size) || d.size < 0) {
    throw new ManifestInvalid(`${where}: invalid size`);
  }
  return d as unknown as Descriptor;
}
