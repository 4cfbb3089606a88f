// STS input validation against the service model's constraints, with AWS's ValidationError wording.
// Format: sts.md §1.5; constraints: botocore data/sts/2011-06-15/service-2.json (sts.md §2.2, §4.1).
import { validationError } from "../http/aws-error.ts";

/** One member's constraints, in the model's terms. */
export interface MemberRule {
  /** the AWS wire name (input member) */
  name: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  /** the pattern as the model writes it, for the message */
  patternText?: string;
  min?: number;
  max?: number;
  /** integer members arrive as text in awsQuery */
  integer?: boolean;
  /** never echo the value (WebIdentityToken, SecretAccessKey) */
  sensitive?: boolean;
  /**
   * list members: item rules apply to `<name>.N.member`; `itemField` names the one field checked (and
   * shown) of structure items, `fields` several, each at `<name>.N.member.<field>`
   */
  list?: {
    maxItems?: number;
    item?: Omit<MemberRule, "name">;
    itemField?: string;
    fields?: Record<string, Omit<MemberRule, "name">>;
    /** the model's shape of structure items, as messages name it */
    shape?: string;
  };
}

const SESSION_NAME = { pattern: /^[\w+=,.@-]*$/, patternText: "[\\w+=,.@-]*" };
// The model's patterns name tab, LF and CR: they are exactly the control characters allowed.
const ARN_TYPE = {
  minLength: 20,
  maxLength: 2048,
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the model's pattern
  pattern: /^[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]+$/u,
  patternText:
    "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+",
};
const POLICY = {
  minLength: 1,
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the model's pattern
  pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/,
  patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
};

export const ASSUME_ROLE_WITH_WEB_IDENTITY_RULES: MemberRule[] = [
  { name: "RoleArn", required: true, ...ARN_TYPE },
  { name: "RoleSessionName", required: true, minLength: 2, maxLength: 64, ...SESSION_NAME },
  { name: "WebIdentityToken", required: true, minLength: 4, maxLength: 20000, sensitive: true },
  { name: "ProviderId", minLength: 4, maxLength: 2048 },
  {
    name: "PolicyArns",
    list: { maxItems: 10, shape: "PolicyDescriptorType", itemField: "arn", item: ARN_TYPE },
  },
  { name: "Policy", ...POLICY, maxLength: 2048 },
  { name: "DurationSeconds", integer: true, min: 900, max: 43200 },
];

export const TAG_KEY = {
  minLength: 1,
  maxLength: 128,
  pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u,
  patternText: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
};
export const TAG_VALUE = {
  maxLength: 256,
  pattern: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
  patternText: "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
};
/** sourceIdentityType: 2–64 characters of the session-name alphabet; `aws:` is refused separately */
export const SOURCE_IDENTITY = { minLength: 2, maxLength: 64, ...SESSION_NAME };

export const ASSUME_ROLE_RULES: MemberRule[] = [
  { name: "RoleArn", required: true, ...ARN_TYPE },
  { name: "RoleSessionName", required: true, minLength: 2, maxLength: 64, ...SESSION_NAME },
  {
    name: "PolicyArns",
    list: { maxItems: 10, shape: "PolicyDescriptorType", itemField: "arn", item: ARN_TYPE },
  },
  { name: "Policy", ...POLICY },
  { name: "DurationSeconds", integer: true, min: 900, max: 43200 },
  {
    name: "Tags",
    list: {
      maxItems: 50,
      shape: "Tag",
      fields: { Key: { required: true, ...TAG_KEY }, Value: { required: true, ...TAG_VALUE } },
    },
  },
  { name: "TransitiveTagKeys", list: { maxItems: 50, item: TAG_KEY } },
  {
    name: "ExternalId",
    minLength: 2,
    maxLength: 1224,
    pattern: /^[\w+=,.@:/-]*$/,
    patternText: "[\\w+=,.@:\\/-]*",
  },
  {
    name: "SerialNumber",
    minLength: 9,
    maxLength: 256,
    pattern: /^[\w+=/:,.@-]*$/,
    patternText: "[\\w+=/:,.@-]*",
  },
  { name: "TokenCode", minLength: 6, maxLength: 6, pattern: /^[\d]*$/, patternText: "[\\d]*" },
  { name: "SourceIdentity", ...SOURCE_IDENTITY },
];

/** Throws ValidationError listing every violated constraint, or returns when the input is valid. */
export function validateInput(input: Record<string, unknown>, rules: MemberRule[]): void {
  const problems: string[] = [];
  for (const rule of rules) checkMember(rule, input[rule.name], rule.name, problems);
  if (problems.length === 0) return;
  const head =
    problems.length === 1 ? "1 validation error detected" : `${problems.length} validation errors detected`;
  throw validationError(`${head}: ${problems.join("; ")}`);
}

function checkMember(rule: Omit<MemberRule, "name">, value: unknown, at: string, problems: string[]): void {
  if (value === undefined || value === null) {
    if (rule.required) fail(problems, at, "null", "not be null");
    return;
  }
  if (rule.list) {
    // An empty list arrives as "" (`Name=`): treat as no items.
    const items = Array.isArray(value) ? value : value === "" ? [] : [value];
    if (rule.list.maxItems !== undefined && items.length > rule.list.maxItems) {
      fail(
        problems,
        at,
        `'[${items.map((i) => describeItem(i, rule.list!)).join(", ")}]'`,
        `have length less than or equal to ${rule.list.maxItems}`,
      );
    }
    items.forEach((item, i) => {
      const field = rule.list?.itemField;
      const v = field ? (item as Record<string, unknown>)?.[field] : item;
      if (rule.list?.item)
        checkMember(rule.list.item, v, `${at}.${i + 1}.member${field ? `.${field}` : ""}`, problems);
      for (const [name, fieldRule] of Object.entries(rule.list?.fields ?? {}))
        checkMember(
          fieldRule,
          (item as Record<string, unknown>)?.[name],
          `${at}.${i + 1}.member.${name}`,
          problems,
        );
    });
    return;
  }
  const text = String(value);
  const shown = rule.sensitive ? "'*** Sensitive Data Redacted ***'" : `'${text}'`; // a rope: free until read
  if (rule.integer) {
    if (!/^-?\d+$/.test(text)) {
      fail(problems, at, shown, "be an integer");
      return;
    }
    const n = Number(text);
    if (rule.min !== undefined && n < rule.min)
      fail(problems, at, shown, `have value greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && n > rule.max)
      fail(problems, at, shown, `have value less than or equal to ${rule.max}`);
    return;
  }
  // lengths count code points, as the model's do; only surrogate pairs make them differ from .length
  const length = /[\uD800-\uDFFF]/.test(text) ? [...text].length : text.length;
  if (rule.minLength !== undefined && length < rule.minLength) {
    fail(problems, at, shown, `have length greater than or equal to ${rule.minLength}`);
  }
  if (rule.maxLength !== undefined && length > rule.maxLength) {
    fail(problems, at, shown, `have length less than or equal to ${rule.maxLength}`);
  }
  if (rule.pattern && length > 0 && !rule.pattern.test(text)) {
    fail(problems, at, shown, `satisfy regular expression pattern: ${rule.patternText}`);
  }
}

function fail(problems: string[], member: string, shown: string, constraint: string): void {
  const at = lowerCamel(member);
  problems.push(`Value ${shown} at '${at}' failed to satisfy constraint: Member must ${constraint}`);
}

/** A list item as the service prints it in a message: structures as `Shape(field=value, …)` (Java's toString). */
function describeItem(item: unknown, list: NonNullable<MemberRule["list"]>): string {
  if (typeof item !== "object" || item === null) return String(item);
  const fields = list.itemField ? [list.itemField] : Object.keys(list.fields ?? {});
  const record = item as Record<string, unknown>;
  return `${list.shape}(${fields.map((f) => `${lowerCamel(f)}=${String(record[f])}`).join(", ")})`;
}

/** `Tags.1.member.Key` → `tags.1.member.key`: each part of a member's path, lowerCamelCase. */
function lowerCamel(path: string): string {
  return path
    .split(".")
    .map((part) => part.charAt(0).toLowerCase() + part.slice(1))
    .join(".");
}

/** `arn:<partition>:iam::<12 digits>:role/<path><name>` (sts.md §2.2); the account and name, or undefined. */
export function parseRoleArn(
  arn: string,
): { partition: string; account: string; path: string; name: string } | undefined {
  const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role(\/(?:[\x21-\x7E]*\/)?)([\w+=,.@-]+)$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1]!, account: m[2]!, path: m[3]!, name: m[4]! };
}
