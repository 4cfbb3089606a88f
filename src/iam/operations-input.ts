// Input checks for the IAM API from botocore's iam model (member lengths, patterns, ranges), answered
// with AWS's ValidationError wording (sts.md §1.5), plus the Marker/MaxItems pagination IAM lists share.
import type { OperationInput } from "../core/service.ts";
import { AwsError } from "../http/aws-error.ts";
import { ValidationError } from "./errors.ts";

export interface Constraint {
  type?: "string" | "integer" | "list" | "boolean";
  required?: boolean;
  min?: number;
  max?: number;
  /** the model's pattern text, shown as is in the message */
  pattern?: string;
  enum?: readonly string[];
}

// Shapes of data/iam/2010-05-08/service-2.json used by the operations.
const NAME = "[\\w+=,.@-]+";
export const shapes = {
  userName: { min: 1, max: 64, pattern: NAME },
  existingUserName: { min: 1, max: 128, pattern: NAME },
  roleName: { min: 1, max: 64, pattern: NAME },
  groupName: { min: 1, max: 128, pattern: NAME },
  policyName: { min: 1, max: 128, pattern: NAME },
  path: { min: 1, max: 512, pattern: "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)" },
  pathPrefix: { min: 1, max: 512, pattern: "\\u002F[\\u0021-\\u007F]*" },
  policyPath: { min: 1, max: 512, pattern: "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/" },
  policyDocument: { min: 1, max: 131072, pattern: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+" },
  roleDescription: { max: 1000, pattern: "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*" },
  policyDescription: { max: 1000 },
  maxSessionDuration: { type: "integer", min: 3600, max: 43200 },
  arn: { min: 20, max: 2048 },
  accessKeyId: { min: 16, max: 128, pattern: "[\\w]+" },
  accessKeyStatus: { enum: ["Active", "Inactive", "Expired"] },
  policyVersionId: { pattern: "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?" },
  marker: { min: 1, max: 320, pattern: "[\\u0020-\\u00FF]+" },
  maxItems: { type: "integer", min: 1, max: 1000 },
  tagList: { type: "list", max: 50 },
  tagKeyList: { type: "list", max: 50 },
  oidcUrl: { min: 1, max: 255 },
  clientId: { min: 1, max: 255 },
  boolean: { type: "boolean" },
} satisfies Record<string, Constraint>;

const compiled = new Map<string, RegExp>();
function fullMatch(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "u");
    compiled.set(pattern, re);
  }
  return re;
}

function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function problemsFor(member: string, value: unknown, c: Constraint): string[] {
  const at = () => `at '${lowerCamel(member)}'`;
  if (value === undefined || value === null) {
    return c.required ? [`Value null ${at()} failed to satisfy constraint: Member must not be null`] : [];
  }
  const out: string[] = [];
  const shown = (v: unknown) => (Array.isArray(v) ? `[${v.join(", ")}]` : String(v));
  const fail = (what: string) =>
    out.push(`Value '${shown(value)}' ${at()} failed to satisfy constraint: ${what}`);
  const type = c.type ?? "string";
  if (type === "integer") {
    const n = Number(value);
    if (!Number.isInteger(n)) fail("Member must be an integer");
    else {
      if (c.min !== undefined && n < c.min) fail(`Member must have value greater than or equal to ${c.min}`);
      if (c.max !== undefined && n > c.max) fail(`Member must have value less than or equal to ${c.max}`);
    }
    return out;
  }
  if (type === "boolean") return out;
  if (type === "list") {
    const length = Array.isArray(value) ? value.length : 1;
    if (c.min !== undefined && length < c.min)
      fail(`Member must have length greater than or equal to ${c.min}`);
    if (c.max !== undefined && length > c.max) fail(`Member must have length less than or equal to ${c.max}`);
    return out;
  }
  const s = String(value);
  if (c.enum && !c.enum.includes(s)) fail(`Member must satisfy enum value set: [${c.enum.join(", ")}]`);
  if (c.min !== undefined && s.length < c.min)
    fail(`Member must have length greater than or equal to ${c.min}`);
  if (c.max !== undefined && s.length > c.max) fail(`Member must have length less than or equal to ${c.max}`);
  if (c.pattern !== undefined && s !== "" && !fullMatch(c.pattern).test(s))
    fail(`Member must satisfy regular expression pattern: ${c.pattern}`);
  return out;
}

/** Checks the members named in `spec`, in the model's member order; all problems in one ValidationError. */
export function checkInput(
  input: OperationInput,
  spec: Record<string, Constraint & { required?: boolean }>,
): void {
  const problems: string[] = [];
  for (const member in spec) {
    const found = problemsFor(member, input[member], spec[member]!);
    if (found.length > 0) problems.push(...found);
  }
  if (problems.length > 0) throw new ValidationError(problems);
}

// Input members whose shape is a list or structure, across every IAM operation
// (data/iam/2010-05-08/service-2.json), and what their elements are; every other member is a
// scalar. No name is both.
const AGGREGATE_MEMBERS = new Map<string, "strings" | "structures" | "structure">([
  ["ActionNames", "strings"],
  ["ClientIDList", "strings"],
  ["ContextEntries", "structures"],
  ["Filter", "strings"],
  ["OrderedOrganizationPolicyInputList", "structures"],
  ["Permissions", "structure"],
  ["PermissionsBoundaryPolicyInputList", "strings"],
  ["PolicyInputList", "strings"],
  ["ResourceArns", "strings"],
  ["ServiceNamespaces", "strings"],
  ["TagKeys", "strings"],
  ["Tags", "structures"],
  ["ThumbprintList", "strings"],
]);

/**
 * Keeps only the members in the form their shape serialises to. awsQuery reads a scalar from `Name=v`
 * and a list from `Name.member.N=v`; any other key is an unknown parameter, which AWS ignores. So
 * `RoleName.member.1=a` leaves RoleName absent (a ValidationError), not an array where a string goes.
 */
export function wellShapedInput(input: OperationInput): OperationInput {
  const out: OperationInput = {};
  for (const [member, value] of Object.entries(input)) {
    const shape = AGGREGATE_MEMBERS.get(member);
    const isObject = typeof value === "object" && value !== null;
    if (!shape) {
      if (!isObject) out[member] = value;
    } else if (value === "") {
      // `Tags=` is how awsQuery sends an empty list (smithy aws-query-protocol "Lists").
      out[member] = value;
    } else if (shape === "structure") {
      if (isObject && !Array.isArray(value)) out[member] = value;
    } else if (Array.isArray(value)) {
      // `ActionNames.member.1.x=1` names no element: that element is absent, like any unknown key.
      out[member] = value.filter((e) =>
        shape === "strings"
          ? typeof e === "string"
          : typeof e === "object" && e !== null && !Array.isArray(e),
      );
    }
  }
  return out;
}

/** `required(shapes.roleName)` */
export function required(c: Constraint): Constraint {
  let r = requiredForms.get(c);
  if (r === undefined) {
    r = { ...c, required: true };
    requiredForms.set(c, r);
  }
  return r;
}
const requiredForms = new WeakMap<Constraint, Constraint>();

/** A query-protocol list member: absent → [], a lone value → [value]. */
export function listOf<T = string>(value: unknown): T[] {
  if (value === undefined || value === null || value === "") return [];
  return Array.isArray(value) ? (value as T[]) : [value as T];
}

export function boolOf(value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return value === true || String(value).toLowerCase() === "true";
}

export function intOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return Number(value);
}

/**
 * One page of a list, as IAM pages: `MaxItems` (default 100), an opaque `Marker` to continue,
 * `IsTruncated`. The marker encodes the position; one this twin did not issue is a ValidationError.
 */
export function paginate<T>(
  items: readonly T[],
  input: OperationInput,
): { page: T[]; IsTruncated: boolean; Marker?: string } {
  const max = intOf(input.MaxItems) ?? 100;
  let start = 0;
  if (typeof input.Marker === "string" && input.Marker !== "") {
    const text = Buffer.from(input.Marker, "base64url").toString("utf8");
    // base64url decoding skips what it cannot read: only the marker's exact encoding is one
    const decoded =
      text.startsWith("keyship:") && Buffer.from(text).toString("base64url") === input.Marker
        ? Number(text.slice(8))
        : Number.NaN;
    // A marker the twin never gave must not quietly restart at the first page (a client echoing it
    // would loop); AWS's text for this is unpublished: "Invalid Marker." [I]
    if (!Number.isInteger(decoded) || decoded < 0)
      throw new AwsError("ValidationError", "Invalid Marker.", 400);
    start = decoded;
  }
  const page = items.slice(start, start + max);
  const next = start + page.length;
  if (next < items.length) {
    return { page, IsTruncated: true, Marker: Buffer.from(`keyship:${next}`).toString("base64url") };
  }
  return { page, IsTruncated: false };
}

/** IAM returns policy documents percent-encoded (RFC 3986), e.g. GetRole's AssumeRolePolicyDocument. */
export function encodeDocument(text: string): string {
  return encodeURIComponent(text);
}
