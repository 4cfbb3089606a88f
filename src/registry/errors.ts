// OCI Distribution error codes (distribution-spec "Error Codes"; CNCF distribution
// registry/api/errcode/register.go) with ECR's wording where ECR differs (ecr-registry.md §6.9),
// and the mapping from ECR's API errors to them.
import type { AwsError } from "../http/aws-error.ts";

export class RegistryError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: unknown;
  constructor(status: number, code: string, message: string, detail?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export const registryErrors = {
  blobUnknown: (digest?: string) =>
    new RegistryError(404, "BLOB_UNKNOWN", "blob unknown to registry", digest),
  blobUploadUnknown: () => new RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry"),
  blobUploadInvalid: (detail?: string) =>
    new RegistryError(400, "BLOB_UPLOAD_INVALID", "blob upload invalid", detail),
  digestInvalid: (detail?: string) =>
    new RegistryError(400, "DIGEST_INVALID", "provided digest did not match uploaded content", detail),
  manifestBlobUnknown: (digest: string) =>
    new RegistryError(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", { digest }),
  manifestInvalid: (detail?: string, status = 400) =>
    new RegistryError(status, "MANIFEST_INVALID", "manifest invalid", detail),
  // ECR's text for MANIFEST_UNKNOWN ([ug] common-errors-docker.md).
  manifestUnknown: (reference?: string) =>
    new RegistryError(
      404,
      "MANIFEST_UNKNOWN",
      "Requested image not found",
      reference ? { reference } : undefined,
    ),
  nameInvalid: (name: string) => new RegistryError(400, "NAME_INVALID", "invalid repository name", { name }),
  nameUnknown: (message: string) => new RegistryError(404, "NAME_UNKNOWN", message),
  sizeInvalid: () => new RegistryError(400, "SIZE_INVALID", "provided length did not match content length"),
  tagInvalid: (message: string) => new RegistryError(400, "TAG_INVALID", message),
  denied: (message: string) => new RegistryError(403, "DENIED", message),
  unsupported: () => new RegistryError(405, "UNSUPPORTED", "The operation is unsupported."),
};

/** ECR API errors raised by the shared image store, in the registry's words. */
export function fromEcrError(err: AwsError): RegistryError {
  switch (err.code) {
    case "RepositoryNotFoundException":
      return registryErrors.nameUnknown(err.message);
    case "ImageTagAlreadyExistsException":
      return registryErrors.tagInvalid(err.message);
    case "LayersNotFoundException":
    case "ReferencedImagesNotFoundException": {
      const digest = /(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})/.exec(err.message)?.[1] ?? "";
      return registryErrors.manifestBlobUnknown(digest);
    }
    case "ImageDigestDoesNotMatchException":
      return registryErrors.digestInvalid(err.message);
    case "InvalidParameterException":
      return registryErrors.manifestInvalid(err.message);
    case "AccessDenied":
    case "AccessDeniedException":
      return registryErrors.denied(err.message);
    default:
      return new RegistryError(err.status >= 500 ? 500 : 400, "UNKNOWN", err.message);
  }
}
