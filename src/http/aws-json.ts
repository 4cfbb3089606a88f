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
  const value = result ?? {};
  // A replacer function runs for every member and keeps V8 off its fast serializer, which doubled the
  // cost of a DescribeServices answer; so Dates are swapped for numbers first, in a copy of only the
  // branches that hold one. Anything but plain objects, arrays and Dates takes the general path.
  const plain = withEpochSeconds(value);
  if (plain !== NOT_PLAIN) return JSON.stringify(plain);
  // The replacer's `this` is the holder, so the raw Date is visible before Date#toJSON ran.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
}

const NOT_PLAIN = Symbol("not plain data");

/**
 * `value` with every Date replaced by its epoch seconds, sharing what holds no Date; NOT_PLAIN when it
 * holds an object JSON.stringify would treat specially (a class instance, a toJSON method).
 */
function withEpochSeconds(value: object): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== "object" || item === null) continue;
      const next = withEpochSeconds(item);
      if (next === NOT_PLAIN) return NOT_PLAIN;
      if (next === item) continue;
      copy ??= value.slice();
      copy[i] = next;
    }
    return copy ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || "toJSON" in value) return NOT_PLAIN;
  let copy: Record<string, unknown> | undefined;
  // for-in over a plain object visits its own enumerable keys, in JSON.stringify's order
  for (const key in value) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (typeof item !== "object" || item === null) continue;
    const next = withEpochSeconds(item);
    if (next === NOT_PLAIN) return NOT_PLAIN;
    if (next === item) continue;
    copy ??= { ...value };
    copy[key] = next;
  }
  return copy ?? value;
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
