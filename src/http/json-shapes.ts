// Type checking of awsJson1_1 input against the service's own model (botocore's input shapes in
// src/http/shapes/), at the protocol edge: a member of the wrong JSON type is a
// SerializationException, as AWS's JSON services answer it, before any operation sees it.
// Required members, lengths and patterns stay with the operations (they answer those in each
// service's own words).
import { AwsError } from "./aws-error.ts";

export interface Shape {
  type: string;
  members?: Record<string, string>;
  member?: string;
  key?: string;
  value?: string;
}

export interface ShapeModel {
  operations: Record<string, string>;
  shapes: Record<string, Shape>;
}

/** Throws SerializationException for the first member whose JSON type does not fit the model. */
export function checkJsonInput(model: ShapeModel, operation: string, input: Record<string, unknown>): void {
  const shape = model.operations[operation];
  // Nearly every input fits: a pass over the members it has is cheap (a structure in the model has up
  // to ~50 members, a request a handful). Only a misfit pays for the walk in model order, which picks
  // the member whose type AWS names when several are wrong.
  if (shape && !fits(model, shape, input)) check(model, shape, input);
}

/** Whether every member present fits its shape; visits the value's own keys, in any order. */
function fits(model: ShapeModel, name: string, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  const shape = model.shapes[name];
  if (!shape) return true;
  if (misfit(shape, value) !== undefined) return false;
  switch (shape.type) {
    case "structure": {
      const members = shape.members;
      if (!members) return true;
      // JSON.parse gives plain objects: for-in visits exactly their own keys
      for (const member in value as Record<string, unknown>) {
        if (!Object.hasOwn(members, member)) continue;
        if (!fits(model, members[member]!, (value as Record<string, unknown>)[member])) return false;
      }
      return true;
    }
    case "list":
      for (const item of value as unknown[]) if (!fits(model, shape.member!, item)) return false;
      return true;
    case "map":
      for (const key in value as Record<string, unknown>) {
        if (!fits(model, shape.value!, (value as Record<string, unknown>)[key])) return false;
      }
      return true;
  }
  return true;
}

function check(model: ShapeModel, name: string, value: unknown): void {
  // null stands for an absent member in AWS's JSON protocols.
  if (value === null || value === undefined) return;
  const shape = model.shapes[name];
  if (!shape) return;
  const expected = misfit(shape, value);
  if (expected !== undefined) throw mismatch(value, expected);
  switch (shape.type) {
    case "structure": {
      for (const [member, memberShape] of Object.entries(shape.members ?? {})) {
        if (Object.hasOwn(value, member))
          check(model, memberShape, (value as Record<string, unknown>)[member]);
      }
      return;
    }
    case "list":
      for (const item of value as unknown[]) check(model, shape.member!, item);
      return;
    case "map":
      for (const item of Object.values(value as object)) check(model, shape.value!, item);
      return;
  }
}

/** The type AWS names when `value` (not null) is the wrong kind of JSON for `shape`; undefined if it fits. */
function misfit(shape: Shape, value: unknown): string | undefined {
  switch (shape.type) {
    case "structure":
      return typeof value !== "object" || Array.isArray(value) ? "Structure" : undefined;
    case "list":
      return Array.isArray(value) ? undefined : "List";
    case "map":
      return typeof value !== "object" || Array.isArray(value) ? "Map" : undefined;
    case "string":
    case "blob":
      return typeof value === "string" ? undefined : "String";
    case "boolean":
      return typeof value === "boolean" ? undefined : "Boolean";
    case "integer":
    case "long":
      return typeof value === "number" && Number.isInteger(value)
        ? undefined
        : shape.type === "long"
          ? "Long"
          : "Integer";
    case "float":
    case "double":
      return typeof value === "number" ? undefined : "Double";
    case "timestamp":
      return typeof value === "number" || typeof value === "string" ? undefined : "Date";
  }
  return undefined;
}

/** Coral's wording for a JSON token of the wrong kind (keyship's reading of AWS's answers). */
function mismatch(value: unknown, expected: string): AwsError {
  let message: string;
  if (Array.isArray(value)) message = "Start of list found where not expected";
  else if (typeof value === "object") message = "Start of structure or map found where not expected.";
  else {
    const token =
      typeof value === "number"
        ? "NUMBER_VALUE"
        : typeof value === "boolean"
          ? value
            ? "TRUE_VALUE"
            : "FALSE_VALUE"
          : "STRING_VALUE";
    message = `${token} can not be converted to ${/^[AEIOU]/.test(expected) ? "an" : "a"} ${expected}`;
  }
  return new AwsError("SerializationException", message, 400);
}
