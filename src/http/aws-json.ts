// awsJson1_1: X-Amz-Target + JSON body in, JSON out (ECR, ECS).
// https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
import { AuthError, AwsError } from "./aws-error.ts";

export function parseJsonBody(bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new AwsError("SerializationException", "Start of structure or map found where not expected.", 400);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new AwsError("SerializationException", "Start of structure or map found where not expected.", 400);
  }
  return parsed as Record<string, unknown>;
}

/** Timestamps are epoch seconds (with fractions) in awsJson; everything else is plain JSON. */
export function jsonResponse(result: Record<string, unknown> | undefined): string {
  // The replacer's `this` is the holder, so the raw Date is visible before Date#toJSON ran.
  return JSON.stringify(result ?? {}, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
}

export function jsonError(err: AwsError): { status: number; code: string; body: string } {
  const code = err.jsonCode ?? err.code;
  const message = err instanceof AuthError ? err.jsonMessage : err.message;
  return {
    status: err.jsonStatus ?? err.status,
    code,
    body: JSON.stringify({ ...err.fields, __type: code, message }),
  };
}
