// RunTask's clientToken (pure parts): its validation and the fingerprint of the request it was used with.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html: up to 64 ASCII characters
// in 33–126; scoped to the cluster; the same token with the same parameters returns the original call's
// tasks, with other parameters it is a ConflictException naming them (resourceIds); a token lives 24 hours.
import { createHash } from "node:crypto";
import { AwsError } from "../http/aws-error.ts";
import type { Json } from "./model.ts";

/** How long a token is remembered (the Idempotency page: "a time to live (TTL) of 24 hours"). */
export const CLIENT_TOKEN_TTL_MS = 24 * 3600 * 1000;

const TOKEN = /^[\x21-\x7e]{1,64}$/;

/**
 * A clientToken ECS accepts, or the InvalidParameterException it answers. The messages follow ECS's form for
 * overlong strings ("startedBy longer than 36.", "taskId longer than 36."); the one for bad characters is not
 * documented and is the twin's.
 */
export function checkClientToken(token: unknown): string | undefined {
  if (token === undefined) return undefined;
  if (typeof token !== "string" || token.length === 0) {
    throw new AwsError("InvalidParameterException", "clientToken can not be blank.", 400);
  }
  if (token.length > 64) throw new AwsError("InvalidParameterException", "clientToken longer than 64.", 400);
  if (!TOKEN.test(token)) {
    throw new AwsError(
      "InvalidParameterException",
      "clientToken must contain only ASCII characters in the range 33-126.",
      400,
    );
  }
  return token;
}

/**
 * The request's parameters without its token, as a SHA-256 of their canonical JSON (members sorted at every
 * level), so the same call sent again — whatever order a client writes members in — has the same fingerprint.
 */
export function requestFingerprint(input: Json): string {
  const { clientToken: _token, ...rest } = input;
  return createHash("sha256").update(canonical(rest)).digest("hex");
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The refusal of a token reused with other parameters: ConflictException with the first call's task ARNs
 * (RunTask's documentation and the model's ConflictException.resourceIds). AWS's message text is not
 * documented; this one says what the RunTask page says.
 */
export function tokenConflict(taskArns: string[]): AwsError {
  return new AwsError(
    "ConflictException",
    "The provided clientToken is already in use with a different RunTask request.",
    400,
    { fields: { resourceIds: taskArns } },
  );
}
