// Errors as typed values: each AWS error code is a class or an instance of AwsError, thrown by
// domain code and rendered once at the edge (http/aws-query.ts, http/aws-json.ts).

export type Fault = "Sender" | "Receiver";

/**
 * An error AWS would return. `code` is the awsQuery code (IAM, STS) and the default awsJson1_1
 * `__type`; `jsonCode` overrides it where the JSON protocol spells the same failure differently
 * (InvalidClientTokenId → UnrecognizedClientException). `jsonStatus` likewise.
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: Fault;
  readonly jsonCode: string | undefined;
  readonly jsonStatus: number | undefined;
  /** members of the error shape beyond code and message (ECR's InvalidLayerPartException carries four) */
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    status = 400,
    options: { fault?: Fault; jsonCode?: string; jsonStatus?: number; fields?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.fault = options.fault ?? (status >= 500 ? "Receiver" : "Sender");
    this.jsonCode = options.jsonCode;
    this.jsonStatus = options.jsonStatus;
    this.fields = options.fields ?? {};
  }
}

/** Authentication failures (sigv4.md §9.3): one failure, two spellings. */
export const authErrors = {
  missingToken: (query = "Request is missing Authentication Token", json = "Missing Authentication Token") =>
    new AuthError("MissingAuthenticationToken", query, 403, "MissingAuthenticationTokenException", json),
  incomplete: (message: string) =>
    new AuthError("IncompleteSignature", message, 400, "IncompleteSignatureException", message),
  signatureMismatch: (message: string) =>
    new AuthError("SignatureDoesNotMatch", message, 403, "InvalidSignatureException", message),
  invalidClientTokenId: () =>
    new AuthError(
      "InvalidClientTokenId",
      "The security token included in the request is invalid",
      403,
      "UnrecognizedClientException",
      "The security token included in the request is invalid.",
    ),
  /** Malformed %-escapes in the query string: 404 in awsQuery ("Common Errors"), 400 in JSON [I]. */
  malformedQueryString: (message: string) =>
    new AuthError("MalformedQueryString", message, 404, "SerializationException", message),
  expiredToken: () =>
    new AuthError(
      "ExpiredToken",
      "The security token included in the request is expired",
      403,
      "ExpiredTokenException",
      "The security token included in the request is expired",
    ),
};

/** An authentication error: the JSON protocol answers these with 400 and its own code and text. */
export class AuthError extends AwsError {
  readonly jsonMessage: string;
  constructor(code: string, message: string, status: number, jsonCode: string, jsonMessage: string) {
    super(code, message, status, { jsonCode, jsonStatus: 400 });
    this.jsonMessage = jsonMessage;
  }
}

/** AccessDenied after authentication (iam-policy.md §10): 403 AccessDenied / 400 AccessDeniedException. */
export class AccessDenied extends AwsError {
  constructor(message: string) {
    super("AccessDenied", message, 403, { jsonCode: "AccessDeniedException", jsonStatus: 400 });
  }
}

/** The operation is not one this service knows. */
export function invalidAction(action: string): AwsError {
  return new AwsError("InvalidAction", `Could not find operation ${action} for version`, 400, {
    jsonCode: "UnknownOperationException",
  });
}

export function validationError(message: string): AwsError {
  return new AwsError("ValidationError", message, 400);
}

/** Anything not thrown as an AwsError: rendered as 500 InternalFailure and logged with its stack. */
export function internalFailure(): AwsError {
  return new AwsError(
    "InternalFailure",
    "The request processing has failed because of an unknown error.",
    500,
    {
      jsonCode: "InternalFailure",
    },
  );
}
