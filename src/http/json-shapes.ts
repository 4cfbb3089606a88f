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
  if (shape) check(model, shape, input);
}

function check(model: ShapeModel, name: string, value: unknown): void {
  // null stands for an absent member in AWS's JSON protocols.
  if (value === null || value === undefined) return;
  const shape = model.shapes[name];
  if (!shape) return;
  switch (shape.type) {
    case "structure": {
      if (typeof value !== "object" || Array.isArray(value)) throw mismatch(value, "Structure");
      for (const [member, memberShape] of Object.entries(shape.members ?? {})) {
        if (Object.hasOwn(value, member))
          check(model, memberShape, (value as Record<string, unknown>)[member]);
      }
      return;
    }
    case "list":
      if (!Array.isArray(value)) throw mismatch(value, "List");
      for (const item of value) check(model, shape.member!, item);
      return;
    case "map":
      if (typeof value !== "object" || Array.isArray(value)) throw mismatch(value, "Map");
      for (const item of Object.values(value)) check(model, shape.value!, item);
      return;
    case "string":
    case "blob":
      if (typeof value !== "string") throw mismatch(value, "String");
      return;
    case "boolean":
      if (typeof value !== "boolean") throw mismatch(value, "Boolean");
      return;
    case "integer":
    case "long":
      if (typeof value !== "number" || !Number.isInteger(value))
        throw mismatch(value, shape.type === "long" ? "Long" : "Integer");
      return;
    case "float":
    case "double":
      if (typeof value !== "number") throw mismatch(value, "Double");
      return;
    case "timestamp":
      if (typeof value !== "number" && typeof value !== "string") throw mismatch(value, "Date");
      return;
  }
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
