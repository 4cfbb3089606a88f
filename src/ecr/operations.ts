// The ECR API (awsJson1_1, AmazonEC2ContainerRegistry_V20150921.*): operations over the shared image
// store, each authorized as `ecr:<Operation>` on the repository ARN with the repository policy as the
// resource policy (ecr-registry.md §4, §8).
import type { OperationInput, RequestContext, Service } from "../core/service.ts";
import ecrShapes from "../http/shapes/ecr.json" with { type: "json" };
import { requestTagContext } from "../iam/tag-keys.ts";
import { DigestMismatch, isDigest } from "../store/blobs.ts";
import { issueToken } from "./auth-token.ts";
import { ecrErrors } from "./errors.ts";
import { validateLifecyclePolicy } from "./lifecycle.ts";
import { MAX_MANIFEST_BYTES } from "./manifest.ts";
import { repositoryCheck } from "./repository-check.ts";
import type { EcrState, ExclusionFilter, Image, Repository, TagMutability } from "./state.ts";
import { isRepositoryName, repositoryArn } from "./state.ts";

export interface EcrApiOptions {
  state: EcrState;
  tokenSecret: string;
  /** how registry URLs are spelled (ecr-registry.md §1.2) */
  registryHost: RegistryHostStrategy;
  /** token lifetime; AWS: 12 h */
  tokenLifetimeMs?: number;
  /** signs GetDownloadUrlForLayer URLs */
  signLayerUrl: (baseUrl: string, repo: Repository, digest: string, now: Date) => string;
}

export type RegistryHostStrategy = "port-only" | "subdomain";

const MUTABILITIES: ReadonlySet<string> = new Set([
  "MUTABLE",
  "IMMUTABLE",
  "IMMUTABLE_WITH_EXCLUSION",
  "MUTABLE_WITH_EXCLUSION",
]);
const MIN_PART = 5 * 1024 * 1024;
const MAX_PART = 20 * 1024 * 1024;
export const PART_SIZE = 10 * 1024 * 1024;

/** The registry's address as clients should use it: scheme + host[:port], no trailing slash. */
export function registryEndpoint(
  baseUrl: string,
  strategy: RegistryHostStrategy,
  accountId: string,
  region: string,
): string {
  if (strategy === "port-only") return baseUrl;
  const u = new URL(baseUrl);
  return `${u.protocol}//${accountId}.dkr.ecr.${region}.localhost${u.port ? `:${u.port}` : ""}`;
}

export function createEcrService(options: EcrApiOptions): Service {
  const { state } = options;
  const lifetime = options.tokenLifetimeMs ?? 12 * 3600_000;

  const account = (input: OperationInput, ctx: RequestContext): string =>
    typeof input.registryId === "string" && input.registryId ? input.registryId : ctx.accountId;

  const requireName = (input: OperationInput): string => {
    const name = input.repositoryName;
    if (typeof name !== "string" || !name) {
      throw ecrErrors.invalidParameter(
        "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'",
      );
    }
    return name;
  };

  /** Authorize ecr:<op> on the repository (policy as the resource policy), then require that it exists. */
  const repoFor = (input: OperationInput, ctx: RequestContext, op = ctx.operation): Repository => {
    const acct = account(input, ctx);
    const name = requireName(input);
    const repo = state.findRepository(acct, ctx.region, name);
    authorizeRepo(ctx, op, acct, name, repo);
    if (!repo) throw ecrErrors.repositoryNotFound(name, acct);
    return repo;
  };

  const uriOf = (repo: Repository, ctx: RequestContext): string =>
    `${new URL(registryEndpoint(ctx.baseUrl, options.registryHost, repo.accountId, repo.region)).host}/${repo.name}`;

  const repoOut = (repo: Repository, ctx: RequestContext) => ({
    repositoryArn: repo.arn,
    registryId: repo.accountId,
    repositoryName: repo.name,
    repositoryUri: uriOf(repo, ctx),
    createdAt: repo.createdAt,
    imageTagMutability: repo.imageTagMutability,
    ...(repo.imageTagMutabilityExclusionFilters.length
      ? { imageTagMutabilityExclusionFilters: repo.imageTagMutabilityExclusionFilters }
      : {}),
    imageScanningConfiguration: repo.imageScanningConfiguration,
    encryptionConfiguration: repo.encryptionConfiguration,
  });

  const page = <T>(items: T[], input: OperationInput, key: (t: T) => string) => {
    const max = input.maxResults === undefined ? 100 : Number(input.maxResults);
    if (!Number.isInteger(max) || max < 1 || max > 1000) {
      throw ecrErrors.invalidParameter(
        "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'",
      );
    }
    let start = 0;
    if (typeof input.nextToken === "string" && input.nextToken) {
      const after = Buffer.from(input.nextToken, "base64url").toString("utf8");
      const at = items.findIndex((i) => key(i) === after);
      if (at < 0)
        throw ecrErrors.invalidParameter("Invalid parameter at 'nextToken': the token is not valid");
      start = at + 1;
    }
    const slice = items.slice(start, start + max);
    const more = start + max < items.length && slice.length > 0;
    return {
      slice,
      nextToken: more ? Buffer.from(key(slice[slice.length - 1]!)).toString("base64url") : undefined,
    };
  };

  const mutabilityInput = (input: OperationInput): { m: TagMutability; filters: ExclusionFilter[] } => {
    const m = (input.imageTagMutability ?? "MUTABLE") as string;
    if (!MUTABILITIES.has(m)) {
      throw ecrErrors.invalidParameter(
        `Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'`,
      );
    }
    const filters = (input.imageTagMutabilityExclusionFilters ?? []) as ExclusionFilter[];
    const withExclusion = m.endsWith("_WITH_EXCLUSION");
    if (withExclusion !== filters.length > 0) {
      throw ecrErrors.invalidParameter(
        withExclusion
          ? "imageTagMutabilityExclusionFilters must be specified when imageTagMutability is " + m
          : "imageTagMutabilityExclusionFilters can only be specified when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION",
      );
    }
    if (filters.length > 5)
      throw ecrErrors.invalidParameter("At most 5 imageTagMutabilityExclusionFilters are allowed");
    for (const f of filters) {
      if (
        f?.filterType !== "WILDCARD" ||
        typeof f.filter !== "string" ||
        !/^[0-9a-zA-Z._*-]{1,128}$/.test(f.filter)
      ) {
        throw ecrErrors.invalidParameter("Invalid parameter at 'imageTagMutabilityExclusionFilters'");
      }
    }
    return { m: m as TagMutability, filters };
  };

  const validateTags = (tags: unknown): { Key: string; Value: string }[] => {
    if (tags === undefined) return [];
    if (!Array.isArray(tags)) throw ecrErrors.invalidTagParameter("tags must be a list");
    for (const t of tags) {
      if (typeof t?.Key !== "string" || !t.Key || t.Key.length > 128 || t.Key.startsWith("aws:")) {
        throw ecrErrors.invalidTagParameter(`Invalid tag key: ${t?.Key}`);
      }
      if (typeof t.Value !== "string" || t.Value.length > 256)
        throw ecrErrors.invalidTagParameter("Invalid tag value");
    }
    return tags as { Key: string; Value: string }[];
  };

  const imageIdOut = (i: Image, tag?: string) => ({
    imageDigest: i.digest,
    ...(tag ? { imageTag: tag } : {}),
  });

  /** Resolves one imageId for BatchGetImage/BatchDeleteImage: an image or a failure entry. */
  const lookupId = (repo: Repository, id: { imageDigest?: string; imageTag?: string }) => {
    if (!id || (!id.imageDigest && !id.imageTag)) {
      return {
        failure: {
          imageId: id ?? {},
          failureCode: "MissingDigestAndTag",
          failureReason: "Missing image digest and tag",
        },
      };
    }
    if (id.imageDigest && !isDigest(id.imageDigest)) {
      return {
        failure: { imageId: id, failureCode: "InvalidImageDigest", failureReason: "Invalid image digest" },
      };
    }
    if (id.imageTag && !/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,299}$/.test(id.imageTag)) {
      return { failure: { imageId: id, failureCode: "InvalidImageTag", failureReason: "Invalid image tag" } };
    }
    const byTag = id.imageTag ? state.digestOfTag(repo, id.imageTag) : undefined;
    if (id.imageTag && id.imageDigest && byTag && byTag !== id.imageDigest) {
      return {
        failure: {
          imageId: id,
          failureCode: "ImageTagDoesNotMatchDigest",
          failureReason: "Invalid tag for image digest",
        },
      };
    }
    const digest = id.imageDigest ?? byTag;
    const image = digest ? state.imageByDigest(repo, digest) : undefined;
    if (!image)
      return {
        failure: { imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" },
      };
    return { image };
  };

  const ops: Service["operations"] = {
    GetAuthorizationToken(input, ctx) {
      ctx.authorize({ action: "ecr:GetAuthorizationToken", resource: "*" });
      const p = ctx.principal!;
      const ids = (input.registryIds as string[] | undefined) ?? [ctx.accountId];
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 10) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'registryIds' failed to satisfy constraint: 'Member must have length between 1 and 10'",
        );
      }
      const expiresAt = new Date(ctx.now.getTime() + lifetime);
      return {
        authorizationData: ids.map((id) => ({
          authorizationToken: Buffer.from(
            `AWS:${issueToken(options.tokenSecret, {
              accessKeyId: p.accessKeyId,
              accountId: id,
              region: ctx.region,
              expiresAt: expiresAt.getTime(),
              ...(p.sessionToken !== undefined ? { sessionToken: p.sessionToken } : {}),
            })}`,
          ).toString("base64"),
          expiresAt,
          proxyEndpoint: registryEndpoint(ctx.baseUrl, options.registryHost, id, ctx.region),
        })),
      };
    },

    CreateRepository(input, ctx) {
      const acct = account(input, ctx);
      const name = requireName(input);
      const tags = validateTags(input.tags);
      // The name is input validation, answered before authorization (its ARN is built from it).
      if (!isRepositoryName(name)) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''",
        );
      }
      const resource = repositoryArn(acct, ctx.region, name);
      const context = requestTagContext(tags);
      // Tags on create need ecr:TagResource too (ecr-supported-iam-actions-tagging.html)
      ctx.authorize([
        { action: "ecr:CreateRepository", resource, context },
        ...(tags.length > 0 ? [{ action: "ecr:TagResource", resource, context }] : []),
      ]);
      if (tags.length > 50) throw ecrErrors.tooManyTags();
      const { m, filters } = mutabilityInput(input);
      const enc = input.encryptionConfiguration ?? { encryptionType: "AES256" };
      if (!["AES256", "KMS", "KMS_DSSE"].includes(enc.encryptionType)) {
        throw ecrErrors.invalidParameter("Invalid parameter at 'encryptionConfiguration.encryptionType'");
      }
      const repo = state.createRepository(acct, ctx.region, {
        name,
        imageTagMutability: m,
        imageTagMutabilityExclusionFilters: filters,
        imageScanningConfiguration: { scanOnPush: Boolean(input.imageScanningConfiguration?.scanOnPush) },
        encryptionConfiguration: {
          encryptionType: enc.encryptionType,
          ...(enc.encryptionType !== "AES256"
            ? { kmsKey: enc.kmsKey ?? `arn:aws:kms:${ctx.region}:${acct}:alias/aws/ecr` }
            : {}),
        },
        tags,
      });
      return { repository: repoOut(repo, ctx) };
    },

    DescribeRepositories(input, ctx) {
      const acct = account(input, ctx);
      const names = input.repositoryNames as string[] | undefined;
      if (names !== undefined) {
        if (input.maxResults !== undefined || input.nextToken !== undefined) {
          throw ecrErrors.invalidParameter(
            "Cannot specify maxResults or nextToken when repositoryNames is specified",
          );
        }
        const out = names.map((n) => {
          const repo = state.findRepository(acct, ctx.region, n);
          authorizeRepo(ctx, "DescribeRepositories", acct, n, repo);
          if (!repo) throw ecrErrors.repositoryNotFound(n, acct);
          return repoOut(repo, ctx);
        });
        return { repositories: out };
      }
      // A listing is authorized once, on every repository of the registry (AWS's AccessDenied names
      // `…:repository/*`), whether or not any exists; a grant on some repositories does not list them.
      authorizeRepo(ctx, "DescribeRepositories", acct, "*", undefined);
      const all = state.listRepositories(acct, ctx.region);
      const { slice, nextToken } = page(all, input, (r) => r.name);
      return { repositories: slice.map((r) => repoOut(r, ctx)), ...(nextToken ? { nextToken } : {}) };
    },

    DeleteRepository(input, ctx) {
      const repo = repoFor(input, ctx);
      state.deleteRepository(repo, Boolean(input.force));
      return { repository: repoOut(repo, ctx) };
    },

    PutImageTagMutability(input, ctx) {
      const repo = repoFor(input, ctx);
      const { m, filters } = mutabilityInput(input);
      state.updateRepository(repo, { mutability: m, exclusion_filters: JSON.stringify(filters) });
      return {
        registryId: repo.accountId,
        repositoryName: repo.name,
        imageTagMutability: m,
        ...(filters.length ? { imageTagMutabilityExclusionFilters: filters } : {}),
      };
    },

    PutImageScanningConfiguration(input, ctx) {
      const repo = repoFor(input, ctx);
      const scanning = { scanOnPush: Boolean(input.imageScanningConfiguration?.scanOnPush) };
      state.updateRepository(repo, { scanning: JSON.stringify(scanning) });
      return { registryId: repo.accountId, repositoryName: repo.name, imageScanningConfiguration: scanning };
    },

    BatchCheckLayerAvailability: async (input, ctx) => {
      const repo = repoFor(input, ctx);
      const digests = input.layerDigests as string[] | undefined;
      if (!Array.isArray(digests) || digests.length < 1 || digests.length > 100) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'layerDigests' failed to satisfy constraint: 'Member must have length between 1 and 100'",
        );
      }
      const layers: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const d of digests) {
        if (!d)
          failures.push({
            layerDigest: d,
            failureCode: "MissingLayerDigest",
            failureReason: "Missing layer digest",
          });
        else if (!isDigest(d))
          failures.push({
            layerDigest: d,
            failureCode: "InvalidLayerDigest",
            failureReason: "Invalid layer digest",
          });
        else {
          const size = await state.layerSize(repo, d);
          const mediaType = state.layerMediaType(repo, d);
          layers.push({
            layerDigest: d,
            layerAvailability: size === undefined ? "UNAVAILABLE" : "AVAILABLE",
            ...(size !== undefined ? { layerSize: size } : {}),
            ...(mediaType ? { mediaType } : {}),
          });
        }
      }
      return { layers, failures };
    },

    InitiateLayerUpload: async (input, ctx) => {
      const repo = repoFor(input, ctx);
      const upload = await state.createUpload(repo, ctx.principal?.arn);
      return { uploadId: upload.id, partSize: PART_SIZE };
    },

    UploadLayerPart: async (input, ctx) => {
      const repo = repoFor(input, ctx);
      const upload = typeof input.uploadId === "string" ? state.getUpload(repo, input.uploadId) : undefined;
      if (!upload) throw ecrErrors.uploadNotFound(String(input.uploadId), repo.name, repo.accountId);
      const blob = Buffer.from(String(input.layerPartBlob ?? ""), "base64");
      const size = (await state.uploadSize(upload)) ?? 0;
      const first = Number(input.partFirstByte);
      const last = Number(input.partLastByte);
      const lastValid = Math.max(size - 1, 0);
      const r = {
        registryId: repo.accountId,
        repositoryName: repo.name,
        uploadId: upload.id,
        lastValidByteReceived: lastValid,
      };
      if (blob.length > MAX_PART)
        throw ecrErrors.limitExceeded("The layer part size exceeds the maximum of 20971520 bytes");
      if (first !== size) {
        throw ecrErrors.invalidLayerPart(
          `The part first byte ${first} does not follow the last byte received ${size - 1}`,
          r,
        );
      }
      if (last - first + 1 !== blob.length) {
        throw ecrErrors.invalidLayerPart(
          `The part size ${blob.length} does not match partFirstByte and partLastByte`,
          r,
        );
      }
      const total = await state.appendUpload(upload, blob, first, true);
      return {
        registryId: repo.accountId,
        repositoryName: repo.name,
        uploadId: upload.id,
        lastByteReceived: total - 1,
      };
    },

    CompleteLayerUpload: async (input, ctx) => {
      const repo = repoFor(input, ctx);
      const upload = typeof input.uploadId === "string" ? state.getUpload(repo, input.uploadId) : undefined;
      if (!upload) throw ecrErrors.uploadNotFound(String(input.uploadId), repo.name, repo.accountId);
      const digests = input.layerDigests as string[] | undefined;
      const digest = Array.isArray(digests) ? digests[0] : undefined;
      if (!digest || !isDigest(digest)) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'layerDigests' failed to satisfy constraint: 'Invalid layer digest'",
        );
      }
      const size = (await state.uploadSize(upload)) ?? 0;
      if (size === 0) throw ecrErrors.emptyUpload(upload.id);
      if (upload.parts.slice(0, -1).some((p) => p < MIN_PART)) throw ecrErrors.layerPartTooSmall();
      const already = await state.layerSize(repo, digest);
      try {
        await state.completeUpload(repo, upload, digest);
      } catch (err) {
        if (err instanceof DigestMismatch) throw ecrErrors.invalidLayer(digest, err.actual);
        throw err;
      }
      if (already !== undefined) throw ecrErrors.layerAlreadyExists(digest, repo.name, repo.accountId);
      return {
        registryId: repo.accountId,
        repositoryName: repo.name,
        uploadId: upload.id,
        layerDigest: digest,
      };
    },

    PutImage: async (input, ctx) => {
      const repo = repoFor(input, ctx);
      const text = input.imageManifest;
      if (typeof text !== "string" || text.length < 1 || text.length > MAX_MANIFEST_BYTES) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must have length between 1 and 4194304'",
        );
      }
      const tag = typeof input.imageTag === "string" ? input.imageTag : undefined;
      const { image } = await state.putImage(repo, Buffer.from(text, "utf8"), {
        via: "api",
        ...(input.imageManifestMediaType ? { mediaType: String(input.imageManifestMediaType) } : {}),
        ...(tag !== undefined ? { tag } : {}),
        ...(input.imageDigest ? { digest: String(input.imageDigest) } : {}),
      });
      return {
        image: {
          registryId: repo.accountId,
          repositoryName: repo.name,
          imageId: imageIdOut(image, tag),
          imageManifest: text,
          imageManifestMediaType: image.mediaType,
        },
      };
    },

    BatchGetImage: async (input, ctx) => {
      const repo = repoFor(input, ctx);
      const ids = input.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined;
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'",
        );
      }
      const accepted = input.acceptedMediaTypes as string[] | undefined;
      const images: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const id of ids) {
        const found = lookupId(repo, id);
        if (found.failure) {
          failures.push(found.failure);
          continue;
        }
        const image = found.image;
        if (
          accepted?.length &&
          !accepted.includes(image.mediaType) &&
          !accepted.includes("application/json")
        ) {
          failures.push({
            imageId: id,
            failureCode: "ImageNotFound",
            failureReason: "Requested image not found",
          });
          continue;
        }
        const bytes = await state.manifestBytes(image.digest);
        state.recordPull(repo, image.digest);
        images.push({
          registryId: repo.accountId,
          repositoryName: repo.name,
          imageId: imageIdOut(image, id.imageTag),
          imageManifest: bytes.toString("utf8"),
          imageManifestMediaType: image.mediaType,
        });
      }
      return { images, failures };
    },

    BatchDeleteImage(input, ctx) {
      const repo = repoFor(input, ctx);
      const ids = input.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined;
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'",
        );
      }
      const deleted: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const id of ids) {
        const found = lookupId(repo, id);
        if (found.failure) {
          failures.push(found.failure);
          continue;
        }
        const image = found.image;
        if (id.imageTag && !id.imageDigest && image.tags.length > 1) {
          // Removing one of several tags only untags (ecr-registry.md §4 BatchDeleteImage).
          state.untag(repo, id.imageTag);
          deleted.push({ imageDigest: image.digest, imageTag: id.imageTag });
          continue;
        }
        const outcome = state.deleteImage(repo, image.digest);
        if (outcome === "referenced") {
          failures.push({
            imageId: id,
            failureCode: "ImageReferencedByManifestList",
            failureReason: "Requested image is referenced by an image index",
          });
        } else if (outcome === "deleted") {
          if (id.imageTag || image.tags.length === 0) deleted.push(imageIdOut(image, id.imageTag));
          else for (const t of image.tags) deleted.push(imageIdOut(image, t));
        } else
          failures.push({
            imageId: id,
            failureCode: "ImageNotFound",
            failureReason: "Requested image not found",
          });
      }
      return { imageIds: deleted, failures };
    },

    DescribeImages(input, ctx) {
      const repo = repoFor(input, ctx);
      const detail = (i: Image) => ({
        registryId: repo.accountId,
        repositoryName: repo.name,
        imageDigest: i.digest,
        ...(i.tags.length ? { imageTags: i.tags } : {}),
        imageSizeInBytes: i.imageSize,
        imagePushedAt: i.pushedAt,
        imageManifestMediaType: i.mediaType,
        ...(i.artifactType || i.configMediaType
          ? { artifactMediaType: i.artifactType ?? i.configMediaType }
          : {}),
        ...(i.lastPull ? { lastRecordedPullTime: i.lastPull } : {}),
        ...(i.subject ? { subjectManifestDigest: i.subject } : {}),
        imageStatus: "ACTIVE",
      });
      const ids = input.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined;
      if (ids !== undefined) {
        return {
          imageDetails: ids.map((id) => {
            const found = lookupId(repo, id);
            if (found.failure) {
              if (found.failure.failureCode === "ImageNotFound")
                throw ecrErrors.imageNotFound(id, repo.name, repo.accountId);
              throw ecrErrors.invalidParameter(found.failure.failureReason);
            }
            return detail(found.image);
          }),
        };
      }
      const images = filterByStatus(state.listImages(repo), input.filter?.tagStatus);
      const { slice, nextToken } = page(images, input, (i) => i.digest);
      return { imageDetails: slice.map(detail), ...(nextToken ? { nextToken } : {}) };
    },

    ListImages(input, ctx) {
      const repo = repoFor(input, ctx);
      const entries: { imageDigest: string; imageTag?: string }[] = [];
      for (const i of filterByStatus(state.listImages(repo), input.filter?.tagStatus)) {
        if (i.tags.length === 0) entries.push({ imageDigest: i.digest });
        else for (const t of i.tags) entries.push({ imageDigest: i.digest, imageTag: t });
      }
      const { slice, nextToken } = page(entries, input, (e) => `${e.imageDigest}:${e.imageTag ?? ""}`);
      return { imageIds: slice, ...(nextToken ? { nextToken } : {}) };
    },

    GetDownloadUrlForLayer: async (input, ctx) => {
      const repo = repoFor(input, ctx);
      const digest = input.layerDigest;
      if (typeof digest !== "string" || !isDigest(digest)) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'layerDigest' failed to satisfy constraint: 'Invalid layer digest'",
        );
      }
      if ((await state.layerSize(repo, digest)) === undefined)
        throw ecrErrors.layersNotFound(digest, repo.name, repo.accountId);
      if (!state.layerReferenced(repo, digest))
        throw ecrErrors.layerInaccessible(digest, repo.name, repo.accountId);
      return { downloadUrl: options.signLayerUrl(ctx.baseUrl, repo, digest, ctx.now), layerDigest: digest };
    },

    SetRepositoryPolicy(input, ctx) {
      const repo = repoFor(input, ctx);
      const text = input.policyText;
      if (typeof text !== "string" || !validRepositoryPolicy(text)) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
        );
      }
      state.updateRepository(repo, { policy: text });
      return { registryId: repo.accountId, repositoryName: repo.name, policyText: text };
    },

    GetRepositoryPolicy(input, ctx) {
      const repo = repoFor(input, ctx);
      if (!repo.policy) throw ecrErrors.repositoryPolicyNotFound(repo.name, repo.accountId);
      return { registryId: repo.accountId, repositoryName: repo.name, policyText: repo.policy };
    },

    DeleteRepositoryPolicy(input, ctx) {
      const repo = repoFor(input, ctx);
      if (!repo.policy) throw ecrErrors.repositoryPolicyNotFound(repo.name, repo.accountId);
      state.updateRepository(repo, { policy: null });
      return { registryId: repo.accountId, repositoryName: repo.name, policyText: repo.policy };
    },

    PutLifecyclePolicy(input, ctx) {
      const repo = repoFor(input, ctx);
      const text = input.lifecyclePolicyText;
      if (typeof text !== "string" || text.length < 100 || text.length > 30720) {
        throw ecrErrors.invalidParameter(
          "Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: 'Member must have length between 100 and 30720'",
        );
      }
      const v = validateLifecyclePolicy(text);
      if ("problem" in v)
        throw ecrErrors.invalidParameter(
          `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '${v.problem}'`,
        );
      state.updateRepository(repo, { lifecycle: text });
      return { registryId: repo.accountId, repositoryName: repo.name, lifecyclePolicyText: text };
    },

    GetLifecyclePolicy(input, ctx) {
      const repo = repoFor(input, ctx);
      if (!repo.lifecycle) throw ecrErrors.lifecyclePolicyNotFound(repo.name, repo.accountId);
      return {
        registryId: repo.accountId,
        repositoryName: repo.name,
        lifecyclePolicyText: repo.lifecycle,
        ...(repo.lifecycleEvaluatedAt ? { lastEvaluatedAt: repo.lifecycleEvaluatedAt } : {}),
      };
    },

    DeleteLifecyclePolicy(input, ctx) {
      const repo = repoFor(input, ctx);
      if (!repo.lifecycle) throw ecrErrors.lifecyclePolicyNotFound(repo.name, repo.accountId);
      state.updateRepository(repo, { lifecycle: null, lifecycle_evaluated_at: null });
      return {
        registryId: repo.accountId,
        repositoryName: repo.name,
        lifecyclePolicyText: repo.lifecycle,
        ...(repo.lifecycleEvaluatedAt ? { lastEvaluatedAt: repo.lifecycleEvaluatedAt } : {}),
      };
    },

    TagResource(input, ctx) {
      // ecr:TagResource takes aws:RequestTag/* and aws:TagKeys besides the repository's own tags
      // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html).
      const tags = validateTags(input.tags);
      const repo = repoByArn(input.resourceArn, ctx, "TagResource", requestTagContext(tags));
      const merged = new Map(repo.tags.map((t) => [t.Key, t.Value]));
      for (const t of tags) merged.set(t.Key, t.Value);
      if (merged.size > 50) throw ecrErrors.tooManyTags();
      state.updateRepository(repo, {
        tags: JSON.stringify([...merged].map(([Key, Value]) => ({ Key, Value }))),
      });
      return {};
    },

    UntagResource(input, ctx) {
      const keys = new Set((input.tagKeys ?? []) as string[]);
      const repo = repoByArn(input.resourceArn, ctx, "UntagResource", { "aws:TagKeys": [...keys] });
      state.updateRepository(repo, { tags: JSON.stringify(repo.tags.filter((t) => !keys.has(t.Key))) });
      return {};
    },

    ListTagsForResource(input, ctx) {
      const repo = repoByArn(input.resourceArn, ctx, "ListTagsForResource");
      return { tags: repo.tags };
    },

    PutAccountSetting(input, ctx) {
      ctx.authorize({ action: "ecr:PutAccountSetting", resource: "*" });
      const name = String(input.name ?? "");
      const value = String(input.value ?? "");
      if (name !== "BLOB_MOUNTING" || !["ENABLED", "DISABLED"].includes(value)) {
        throw ecrErrors.validation(`Invalid account setting ${name}=${value}`);
      }
      state.putAccountSetting(ctx.accountId, ctx.region, name, value);
      return { name, value };
    },

    GetAccountSetting(input, ctx) {
      ctx.authorize({ action: "ecr:GetAccountSetting", resource: "*" });
      const name = String(input.name ?? "");
      if (name !== "BLOB_MOUNTING") throw ecrErrors.validation(`Invalid account setting ${name}`);
      return { name, value: state.accountSetting(ctx.accountId, ctx.region, name) ?? "DISABLED" };
    },
  };

  const repoByArn = (
    arn: unknown,
    ctx: RequestContext,
    op: string,
    context: Record<string, string | string[]> = {},
  ): Repository => {
    const m = typeof arn === "string" ? /^arn:aws:ecr:([^:]+):(\d{12}):repository\/(.+)$/.exec(arn) : null;
    if (!m)
      throw ecrErrors.invalidParameter(
        `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`,
      );
    const [, region, acct, name] = m as unknown as [string, string, string, string];
    const repo = state.findRepository(acct, region, name);
    authorizeRepo(ctx, op, acct, name, repo, region, context);
    if (!repo) throw ecrErrors.repositoryNotFound(name, acct);
    return repo;
  };

  return {
    name: "ecr",
    protocol: "json",
    targetPrefix: "AmazonEC2ContainerRegistry_V20150921",
    inputShapes: ecrShapes,
    operations: ops,
  };
}

function authorizeRepo(
  ctx: RequestContext,
  op: string,
  accountId: string,
  name: string,
  repo: Repository | undefined,
  region = ctx.region,
  requestContext: Record<string, string | string[]> = {},
): void {
  ctx.authorize(repositoryCheck(op, accountId, region, name, repo, requestContext));
}

function filterByStatus(images: Image[], status: unknown): Image[] {
  if (status === "TAGGED") return images.filter((i) => i.tags.length > 0);
  if (status === "UNTAGGED") return images.filter((i) => i.tags.length === 0);
  return images;
}

/** A repository policy is a resource policy: JSON with Statement entries that each name a Principal. */
function validRepositoryPolicy(text: string): boolean {
  if (text.length > 10240) return false;
  try {
    const doc = JSON.parse(text) as { Statement?: unknown };
    const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    if (statements.length === 0) return false;
    return statements.every(
      (s: Record<string, unknown>) =>
        (s.Effect === "Allow" || s.Effect === "Deny") &&
        (s.Principal !== undefined || s.NotPrincipal !== undefined) &&
        (s.Action || s.NotAction),
    );
  } catch {
    return false;
  }
}
