// ECR's error codes and messages (ecr-registry.md §2.1; botocore ecr model). Every one is an
// AwsError with `__type` = the code and HTTP 400 (ServerException 500).
import { AwsError } from "../http/aws-error.ts";

export class EcrError extends AwsError {
  constructor(code: string, message: string, fields: Record<string, unknown> = {}, status = 400) {
    super(code, message, status, { fields });
  }
}

const inRegistry = (name: string, account: string) =>
  `the repository with name '${name}' in the registry with id '${account}'`;

export const ecrErrors = {
  repositoryNotFound: (name: string, account: string) =>
    new EcrError(
      "RepositoryNotFoundException",
      `The repository with name '${name}' does not exist in the registry with id '${account}'`,
    ),
  repositoryAlreadyExists: (name: string, account: string) =>
    new EcrError(
      "RepositoryAlreadyExistsException",
      `The repository with name '${name}' already exists in the registry with id '${account}'`,
    ),
  repositoryNotEmpty: (name: string, account: string) =>
    new EcrError(
      "RepositoryNotEmptyException",
      `The repository with name '${name}' in registry with id '${account}' cannot be deleted because it still contains images`,
    ),
  repositoryPolicyNotFound: (name: string, account: string) =>
    new EcrError(
      "RepositoryPolicyNotFoundException",
      `Repository policy does not exist for the repository with name '${name}' in the registry with id '${account}'`,
    ),
  lifecyclePolicyNotFound: (name: string, account: string) =>
    new EcrError(
      "LifecyclePolicyNotFoundException",
      `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${account}'`,
    ),
  imageNotFound: (id: { imageDigest?: string; imageTag?: string }, name: string, account: string) => {
    const parts: string[] = [];
    if (id.imageDigest) parts.push(`imageDigest:'${id.imageDigest}'`);
    if (id.imageTag) parts.push(`imageTag:'${id.imageTag}'`);
    return new EcrError(
      "ImageNotFoundException",
      `The image with imageId {${parts.join(", ")}} does not exist within ${inRegistry(name, account)}`,
    );
  },
  imageAlreadyExists: (digest: string, tag: string, name: string, account: string) =>
    new EcrError(
      "ImageAlreadyExistsException",
      `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name '${name}' in registry with id '${account}'`,
    ),
  // The registry's TAG_INVALID text, as docker/buildkit print it (moby/buildkit#3776).
  imageTagAlreadyExists: (tag: string, name: string) =>
    new EcrError(
      "ImageTagAlreadyExistsException",
      `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`,
    ),
  imageDigestDoesNotMatch: (given: string, actual: string) =>
    new EcrError(
      "ImageDigestDoesNotMatchException",
      `The provided image digest '${given}' does not match the calculated digest '${actual}' of the image manifest`,
    ),
  layersNotFound: (digest: string, name: string, account: string) =>
    new EcrError(
      "LayersNotFoundException",
      `The layer with digest ${digest} does not exist within ${inRegistry(name, account)}`,
    ),
  layerInaccessible: (digest: string, name: string, account: string) =>
    new EcrError(
      "LayerInaccessibleException",
      `The layer with digest ${digest} is not accessible within ${inRegistry(name, account)}`,
    ),
  referencedImagesNotFound: (digest: string, name: string, account: string) =>
    new EcrError(
      "ReferencedImagesNotFoundException",
      `The image with digest ${digest} referenced by the manifest list does not exist within ${inRegistry(name, account)}`,
    ),
  uploadNotFound: (uploadId: string, name: string, account: string) =>
    new EcrError(
      "UploadNotFoundException",
      `The upload with id '${uploadId}' does not exist within ${inRegistry(name, account)}`,
    ),
  invalidLayerPart: (
    message: string,
    r: { registryId: string; repositoryName: string; uploadId: string; lastValidByteReceived: number },
  ) => new EcrError("InvalidLayerPartException", message, r),
  layerPartTooSmall: () =>
    new EcrError("LayerPartTooSmallException", "Layer parts must be at least 5 MiB in size"),
  emptyUpload: (uploadId: string) =>
    new EcrError("EmptyUploadException", `The upload with id '${uploadId}' does not contain any layer parts`),
  invalidLayer: (given: string, actual: string) =>
    new EcrError(
      "InvalidLayerException",
      `The calculated digest '${actual}' of the uploaded layer does not match the provided digest '${given}'`,
    ),
  layerAlreadyExists: (digest: string, name: string, account: string) =>
    new EcrError(
      "LayerAlreadyExistsException",
      `The layer with digest ${digest} already exists within ${inRegistry(name, account)}`,
    ),
  invalidParameter: (message: string) => new EcrError("InvalidParameterException", message),
  validation: (message: string) => new EcrError("ValidationException", message),
  invalidTagParameter: (message: string) => new EcrError("InvalidTagParameterException", message),
  tooManyTags: () => new EcrError("TooManyTagsException", "A repository can have at most 50 tags"),
  limitExceeded: (message: string) => new EcrError("LimitExceededException", message),
};
