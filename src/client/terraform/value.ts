// Terraform values as plain JS data, plus the "known after apply" marker and Go's JSON encoding.

/** A value Terraform only learns when a resource is applied (e.g. a new task definition's revision). */
export class Unknown {
  readonly reason: string;
  constructor(reason = "known after apply") {
    this.reason = reason;
  }
  toString(): string {
    return `(${this.reason})`;
  }
}

export type Value = string | number | boolean | null | Unknown | Value[] | { [key: string]: Value };

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(v: Value): boolean {
  if (v instanceof Unknown) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

export function isObject(v: Value | undefined): v is { [key: string]: Value } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Unknown);
}

/** The JSON text Go's encoding/json produces (Terraform's jsonencode and the AWS provider both use it):
 * object keys sorted, and `<`, `>`, `&`, U+2028, U+2029 escaped as \u003c etc.
 * https://pkg.go.dev/encoding/json#Marshal ("HTMLEscape") */
export function goJson(value: unknown, indent = ""): string {
  const text = JSON.stringify(sortKeys(value), null, indent || undefined);
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Terraform's string conversion of a primitive (numbers without trailing zeros, bools as words). */
export function toStringValue(v: Value): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null) throw new TypeError("Invalid template interpolation value: The expression result is null.");
  throw new TypeError(`Cannot include a ${Array.isArray(v) ? "list" : "object"} value in a string template.`);
}
