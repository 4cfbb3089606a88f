// Image references the way task definitions write them — `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG`
// or `…/REPO@sha256:…` — resolved to the twin's repository and manifest, plus what a container
// engine needs to pull it from the twin (ecr-registry.md §1.2: the ECS runtime rewrites the host).
import type { TwinRuntime } from "../core/service.ts";
import { isDigest } from "../store/blobs.ts";
import { issueToken } from "./auth-token.ts";
import type { RegistryHostStrategy } from "./operations.ts";
import { registryEndpoint } from "./operations.ts";
import type { EcrState, Image, Repository } from "./state.ts";

export interface ImageReference {
  accountId: string;
  region: string;
  repositoryName: string;
  tag?: string;
  digest?: string;
}

export interface ResolvedImage {
  reference: ImageReference;
  repository: Repository;
  digest: string;
  mediaType: string;
  /** the manifest bytes as stored */
  manifest: Buffer;
  image: Image;
}

export interface PullAccess {
  /** host:port of the twin's registry, e.g. 127.0.0.1:4599 (plain HTTP: engines need tls-verify off) */
  registry: string;
  /** the image on the twin, pinned by digest: 127.0.0.1:4599/REPO@sha256:… */
  image: string;
  username: "AWS";
  password: string;
  expiresAt: Date;
}

export interface ImageSource {
  /** parses an ECR image reference; undefined for anything else (docker.io images, other hosts) */
  parse(ref: string): ImageReference | undefined;
  /** the twin's repository and manifest for an ECR reference, undefined when unknown */
  resolve(ref: string): Promise<ResolvedImage | undefined>;
  /**
   * How a container engine pulls `resolved` from the twin: registry address and a fresh registry
   * password that authenticates as the principal owning `accessKeyId` (e.g. the task execution
   * role's session), so IAM decides the pull like any other.
   */
  pullAccess(
    resolved: ResolvedImage,
    opts: { baseUrl: string; accessKeyId: string; sessionToken?: string },
  ): PullAccess;
}

// https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html
const ECR_REF =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|localhost(?::\d+)?)\/([^:@]+)(?::([^@]+))?(?:@(.+))?$/;

export function parseImageReference(ref: string): ImageReference | undefined {
  const m = ECR_REF.exec(ref.trim());
  if (!m) return undefined;
  const [, accountId, region, repositoryName, tag, digest] = m as unknown as [
    string,
    string,
    string,
    string,
    string?,
    string?,
  ];
  if (digest !== undefined && !isDigest(digest)) return undefined;
  return {
    accountId,
    region,
    repositoryName,
    ...(digest ? { digest } : {}),
    ...(tag ? { tag } : digest ? {} : { tag: "latest" }),
  };
}

export function createImageSource(deps: {
  state: EcrState;
  rt: TwinRuntime;
  tokenSecret: string;
  registryHost: RegistryHostStrategy;
}): ImageSource {
  const { state } = deps;
  return {
    parse: parseImageReference,
    async resolve(ref) {
      const reference = parseImageReference(ref);
      if (!reference) return undefined;
      const repository = state.findRepository(
        reference.accountId,
        reference.region,
        reference.repositoryName,
      );
      if (!repository) return undefined;
      const image = state.resolve(repository, reference.digest ?? reference.tag!);
      if (!image) return undefined;
      // A reference with both tag and digest names the digest (docker's rule); the tag must still fit.
      if (
        reference.digest &&
        reference.tag &&
        state.digestOfTag(repository, reference.tag) !== reference.digest
      ) {
        return undefined;
      }
      return {
        reference,
        repository,
        digest: image.digest,
        mediaType: image.mediaType,
        manifest: await state.manifestBytes(image.digest),
        image,
      };
    },
    pullAccess(resolved, opts) {
      const endpoint = registryEndpoint(
        opts.baseUrl,
        deps.registryHost,
        resolved.repository.accountId,
        resolved.repository.region,
      );
      const registry = new URL(endpoint).host;
      const expiresAt = new Date(deps.rt.clock.now().getTime() + 12 * 3600_000);
      return {
        registry,
        image: `${registry}/${resolved.repository.name}@${resolved.digest}`,
        username: "AWS",
        password: issueToken(deps.tokenSecret, {
          accessKeyId: opts.accessKeyId,
          ...(opts.sessionToken !== undefined ? { sessionToken: opts.sessionToken } : {}),
          accountId: resolved.repository.accountId,
          region: resolved.repository.region,
          expiresAt: expiresAt.getTime(),
        }),
        expiresAt,
      };
    },
  };
}
