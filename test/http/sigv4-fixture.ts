// Test fixtures for the SigV4 verifier: request builders, a lookup table and an error matcher.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { AuthError } from "../../src/http/aws-error.ts";
import type { CredentialLookup, SigningCredential, SigV4Request } from "../../src/http/sigv4.ts";

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A request as the HTTP layer would hand it over: raw headers in order, duplicates kept. */
export function request(parts: {
  method?: string;
  path?: string;
  rawQuery?: string;
  headers: [string, string][];
  body?: string | Uint8Array;
}): SigV4Request {
  return {
    method: parts.method ?? "POST",
    path: parts.path ?? "/",
    rawQuery: parts.rawQuery ?? "",
    rawHeaders: parts.headers.flat(),
    bodySha256: sha256Hex(parts.body ?? ""),
  };
}

export function lookupFrom(table: Record<string, SigningCredential>): CredentialLookup {
  return (accessKeyId) => (Object.hasOwn(table, accessKeyId) ? table[accessKeyId] : undefined);
}

/** Asserts `fn` throws an AuthError with this awsQuery code (and optionally exact message). */
export function assertAuthError(fn: () => unknown, code: string, message?: string | RegExp): AuthError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AuthError, `expected AuthError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (typeof message === "string") assert.equal(caught.message, message);
  else if (message) assert.match(caught.message, message);
  return caught;
}

/** Replaces the value of every raw header with this (case-insensitive) name. */
export function withHeader(req: SigV4Request, name: string, value: string): SigV4Request {
  const raw = [...req.rawHeaders];
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]?.toLowerCase() === name.toLowerCase()) raw[i + 1] = value;
  return { ...req, rawHeaders: raw };
}

export function withoutHeader(req: SigV4Request, name: string): SigV4Request {
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() !== name.toLowerCase()) {
      raw.push(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
    }
  }
  return { ...req, rawHeaders: raw };
}

export function headerOf(req: SigV4Request, name: string): string | undefined {
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() === name.toLowerCase()) return req.rawHeaders[i + 1];
  }
  return undefined;
}
