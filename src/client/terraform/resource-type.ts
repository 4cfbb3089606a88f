// What a supported resource type provides to plan and apply: read live state through the AWS APIs,
// say what differs, and (when applying) make it so. Shared comparison rules live here too.
import type { ECRClient } from "@aws-sdk/client-ecr";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { STSClient } from "@aws-sdk/client-sts";
import { containsUnknown, type Value } from "./value.ts";

export interface AwsClients {
  iam: IAMClient;
  ecr: ECRClient;
  ecs: ECSClient;
  sts: STSClient;
}

export interface ResourceContext {
  clients: AwsClients;
  accountId: string;
  region: string;
  partition: string;
  /** resources already planned for creation in this run, by "type:identity" (e.g. "aws_iam_role:deploy") */
  pendingCreates: Set<string>;
}

export interface ResourcePlan {
  /**
   * create, update (in place), replace, no-op, deferred (cannot be applied yet, with the reason), or pending
   * (recorded in the account, completed by a later apply once what it needs exists; with the reason)
   */
  action: "create" | "update" | "replace" | "no-op" | "deferred" | "pending";
  /** human-readable lines: `+ name = "x"`, `~ description: "a" → "b"` */
  changes: string[];
  /** attributes as far as they are known before applying */
  attrs: Record<string, Value>;
  /** why a deferred resource could not be applied, or what a pending one waits for */
  reason?: string;
  /** performs the change; returns the attributes after apply */
  apply(): Promise<Record<string, Value>>;
}

export interface ResourceType {
  plan(args: Record<string, Value>, ctx: ResourceContext, ignoreChanges: string[]): Promise<ResourcePlan>;
  /** the "type:identity" key other resources can look up in pendingCreates */
  identity?(args: Record<string, Value>): string;
}

/** An AWS error by its code, whatever the SDK named the exception class. */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const e = err as { name?: string; Code?: string; __type?: string } | undefined;
  if (!e) return false;
  return codes.some((c) => e.name === c || e.name === `${c}Exception` || e.Code === c || e.__type === c);
}

/** IAM returns policy documents URL-encoded (RFC 3986), as in GetRole's AssumeRolePolicyDocument. */
export function decodePolicy(text: string | undefined): string {
  if (!text) return "";
  if (/^%7B/i.test(text.trim())) {
    try {
      return decodeURIComponent(text);
    } catch {}
  }
  return text;
}

/** Canonical form of a policy for comparison: keys sorted, one-element arrays as scalars. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 1 ? canonical(v[0]) : v.map(canonical);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Policies are equal when they mean the same JSON (whitespace and key order do not matter). */
export function samePolicy(a: string | undefined, b: string | undefined): boolean {
  try {
    return (
      JSON.stringify(canonical(JSON.parse(decodePolicy(a)))) ===
      JSON.stringify(canonical(JSON.parse(decodePolicy(b))))
    );
  } catch {
    return decodePolicy(a) === decodePolicy(b);
  }
}

export function str(args: Record<string, Value>, name: string): string | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : String(v);
}

export function strings(args: Record<string, Value>, name: string): string[] {
  const v = args[name];
  if (!Array.isArray(v)) return [];
  return v.map((x) => String(x));
}

export function num(args: Record<string, Value>, name: string): number | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  return Number(v);
}

/** First nested block of a kind (`image_scanning_configuration { ... }`). */
export function block(args: Record<string, Value>, name: string): Record<string, Value> | undefined {
  const v = args[name];
  const b = Array.isArray(v) ? v[0] : v;
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, Value>) : undefined;
}

export function blocks(args: Record<string, Value>, name: string): Record<string, Value>[] {
  const v = args[name];
  if (!Array.isArray(v)) return [];
  return v.filter((b): b is Record<string, Value> => !!b && typeof b === "object" && !Array.isArray(b));
}

export function required(args: Record<string, Value>, name: string): string {
  const v = str(args, name);
  if (v === undefined || v === "")
    throw new Error(`The argument "${name}" is required, but no definition was found.`);
  return v;
}

/** Refuses to send a value that is still unknown (it depends on something keyship could not apply). */
export function assertKnown(args: Record<string, Value>): void {
  for (const [k, v] of Object.entries(args)) {
    if (containsUnknown(v))
      throw new Error(
        `argument "${k}" depends on a value that is not known (an unsupported or deferred resource)`,
      );
  }
}

export function show(v: unknown): string {
  if (typeof v === "string")
    return v.length > 80 ? `${JSON.stringify(v.slice(0, 77))}...` : JSON.stringify(v);
  return JSON.stringify(v);
}

export function tagsOf(args: Record<string, Value>): { Key: string; Value: string }[] | undefined {
  const t = args.tags;
  if (!t || typeof t !== "object" || Array.isArray(t)) return undefined;
  const out = Object.entries(t).map(([Key, v]) => ({ Key, Value: String(v) }));
  return out.length ? out : undefined;
}

/** The plan for a resource that does not exist yet: `create` runs only once every argument is known. */
export function createPlan(
  args: Record<string, Value>,
  changes: string[],
  attrs: Record<string, Value>,
  create: () => Promise<Record<string, Value>>,
): ResourcePlan {
  return {
    action: "create",
    changes,
    attrs,
    apply: async () => {
      assertKnown(args);
      return create();
    },
  };
}

/** Live state through `read`, or undefined when AWS answers that it does not exist (one of `notFound`). */
export async function readLive<T>(read: () => Promise<T>, ...notFound: string[]): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isAwsError(err, ...notFound)) return undefined;
    throw err;
  }
}

export function noChange(attrs: Record<string, Value>): ResourcePlan {
  return { action: "no-op", changes: [], attrs, apply: async () => attrs };
}

/**
 * An inline policy (aws_iam_role_policy, aws_iam_group_policy) against the live one: nothing when they say
 * the same, otherwise a create or update that puts the document.
 */
export function inlinePolicyPlan(p: {
  args: Record<string, Value>;
  attrs: Record<string, Value>;
  /** "role" or "group", and its name, for the plan's wording */
  owner: string;
  name: string;
  document: string;
  /** the live document, undefined when there is none */
  current: string | undefined;
  put: () => Promise<unknown>;
}): ResourcePlan {
  const { args, attrs, current } = p;
  if (current !== undefined && samePolicy(current, p.document)) return noChange(attrs);
  return {
    action: current === undefined ? "create" : "update",
    changes: [
      current === undefined
        ? `+ policy ${show(p.name)} on ${p.owner}`
        : `~ policy: ${show(decodePolicy(current))} → ${show(p.document)}`,
    ],
    attrs,
    apply: async () => {
      assertKnown(args);
      await p.put();
      return attrs;
    },
  };
}
