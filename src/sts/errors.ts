// STS errors by AWS code, status and message (sts.md §2.11, §4.3).
import { AccessDenied, AwsError, validationError } from "../http/aws-error.ts";

export function invalidIdentityToken(message: string): AwsError {
  return new AwsError("InvalidIdentityToken", message, 400);
}

/** Note the code's suffix: expired *web identity tokens*; expired session credentials are ExpiredToken. */
export function expiredTokenException(message: string): AwsError {
  return new AwsError("ExpiredTokenException", message, 400);
}

export function idpRejectedClaim(message: string): AwsError {
  return new AwsError("IDPRejectedClaim", message, 403);
}

export function malformedPolicyDocument(message: string): AwsError {
  return new AwsError("MalformedPolicyDocument", message, 400);
}

export function packedPolicyTooLarge(message: string): AwsError {
  return new AwsError("PackedPolicyTooLarge", message, 400);
}

export const messages = {
  notJwt: "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
  noProvider: (iss: string) => `No OpenIDConnect provider found in your account for ${iss}`,
  missingClaim: (claim: string) => `Missing a required claim: ${claim}`,
  incorrectAudience: "Incorrect token audience",
  // Two spaces after the comma, as AWS writes it (sts.md §2.4 step 5).
  noKey:
    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
  badSignature: "The signature of the ID Token is invalid",
  notYetValid: "The ID Token is not yet valid (nbf is in the future)",
  issuedInFuture: "The ID Token was issued in the future (iat)",
  badTimestamp: "The ID Token's timestamps must be integers",
  expired: (now: number, exp: number) =>
    `Token expired: current date/time ${now} must be before the expiration date/time ${exp}`,
  tooOld: (age: number) => `Token too old: ${age}`,
  providerId: "ProviderId must not be set for an OpenID Connect identity provider",
  webIdentityDenied: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
  durationOverMax: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
  chainingOverHour:
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
  invalidArn: "Request ARN is invalid",
};

export function webIdentityDenied(): AccessDenied {
  return new AccessDenied(messages.webIdentityDenied);
}

export { validationError };
