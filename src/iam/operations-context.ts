// What every IAM operation is built with (store, runtime), and the rules they share: ARNs, tags and the
// condition keys they carry, policy validation on write, and lookups that fail with AWS's NoSuchEntity text.
import type { AuthzCheck, OperationInput, RequestContext, TwinRuntime } from "../core/service.ts";
import { validationError } from "../http/aws-error.ts";
import type { Store } from "../store/sqlite.ts";
import {
  DeleteConflict,
  InvalidInput,
  LimitExceeded,
  NoSuchEntity,
  policyProblemError,
  ValidationError,
} from "./errors.ts";
import type { IamGroup, IamRole, IamUser, Tag } from "./model.ts";
import { type PolicyKind, policySize, type ValidateOptions, validatePolicy } from "./policy.ts";
import type { IamStore, PolicyRecord, PrincipalKind } from "./store.ts";
import { requestTagContext, resourceTagContext } from "./tag-keys.ts";

export interface IamDeps {
  store: Store;
  iam: IamStore;
  rt: TwinRuntime;
}

export function userArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:user${path}${name}`;
}

export function roleArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

export function groupArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:group${path}${name}`;
}

export function policyArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:policy${path}${name}`;
}

export function requireUser(iam: IamStore, name: string): IamUser {
  const user = iam.getUser(name);
  if (!user) throw new NoSuchEntity(`The user with name ${name} cannot be found.`);
  return user;
}

export function requireRole(iam: IamStore, name: string): IamRole {
  const role = iam.getRole(name);
  if (!role) throw new NoSuchEntity(`The role with name ${name} cannot be found.`);
  return role;
}

export function requireGroup(iam: IamStore, name: string): IamGroup {
  const group = iam.getGroup(name);
  if (!group) throw new NoSuchEntity(`The group with name ${name} cannot be found.`);
  return group;
}

/**
 * Authorizes `action` on the user, role or group a request names: on its ARN with its aws:ResourceTag keys, or on
 * the path-less ARN when it does not exist (the operation answers NoSuchEntity after that).
 */
export function authorizeEntity(
  d: IamDeps,
  ctx: RequestContext,
  kind: PrincipalKind,
  name: string,
  action: string,
  extra: Record<string, string | string[]> = {},
): void {
  if (kind === "group") {
    // Groups carry no tags (IAM does not tag groups), so no aws:ResourceTag keys.
    const g = d.iam.getGroup(name);
    ctx.authorize({ action, resource: g?.Arn ?? groupArn(d.rt.accountId, "/", name), context: extra });
    return;
  }
  const e = kind === "user" ? d.iam.getUser(name) : d.iam.getRole(name);
  ctx.authorize({
    action,
    resource: e?.Arn ?? (kind === "user" ? userArn : roleArn)(d.rt.accountId, "/", name),
    context: { ...resourceTagContext(e?.Tags), ...extra },
  });
}

/**
 * A user, role or group is deleted only once no managed policy is attached and no inline policy is left
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html, id_roles_manage_delete.html,
 * id_groups_manage_delete.html).
 */
export function checkNoPolicies(iam: IamStore, kind: PrincipalKind, name: string): void {
  if (iam.attachedPolicies(kind, name).length > 0)
    throw new DeleteConflict("Cannot delete entity, must detach all policies first.");
  if (iam.inlinePoliciesOf(kind, name).length > 0)
    throw new DeleteConflict("Cannot delete entity, must delete policies first.");
}

/** A policy ARN must at least look like one before IAM looks it up. */
export function checkPolicyArn(arn: string): void {
  if (!/^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/.+/.test(arn))
    throw new InvalidInput(`ARN ${arn} is not valid.`);
}

export function requirePolicy(iam: IamStore, arn: string): PolicyRecord {
  checkPolicyArn(arn);
  const p = iam.getPolicy(arn);
  if (!p) throw new NoSuchEntity(`Policy ${arn} was not found.`);
  return p;
}

/** Attach and boundary operations word a missing policy this way. */
export function requireAttachable(iam: IamStore, arn: string): PolicyRecord {
  checkPolicyArn(arn);
  const p = iam.getPolicy(arn);
  if (!p) throw new NoSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  return p;
}

/** Validates a document with the engine's validator and throws the first problem as IAM does. */
export function checkPolicy(text: string, kind: PolicyKind, options?: ValidateOptions): void {
  const problems = validatePolicy(text, kind, options);
  if (problems.length > 0) throw policyProblemError(problems[0]!);
}

/**
 * Inline policies share one size quota per user (2,048), role (10,240) or group (5,120), whitespace not
 * counted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
export function checkInlineAggregate(
  iam: IamStore,
  kind: PrincipalKind,
  owner: string,
  policyName: string,
  text: string,
): void {
  const limit = INLINE_SIZE_QUOTA[kind];
  let total = policySize(text);
  for (const p of iam.inlinePoliciesOf(kind, owner))
    if (p.name !== policyName) total += policySize(p.document);
  if (total > limit)
    throw new LimitExceeded(`Maximum policy size of ${limit} bytes exceeded for ${kind} ${owner}`);
}

const INLINE_SIZE_QUOTA: Record<PrincipalKind, number> = { user: 2048, role: 10240, group: 5120 };

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Tags from the wire, checked against the model (tagKeyType, tagValueType) and for duplicate keys. */
export function tagsOf(value: unknown): Tag[] {
  const list =
    value === undefined || value === null || value === "" ? [] : Array.isArray(value) ? value : [value];
  const tags = list.map((t: { Key?: unknown; Value?: unknown }) => ({
    Key: String(t?.Key ?? ""),
    Value: t?.Value === undefined ? "" : String(t.Value),
  }));
  const problems: string[] = [];
  // Tag requires both Key and Value (data/iam/2010-05-08/service-2.json, shape Tag); `Value=` is "".
  list.forEach((t: { Value?: unknown } | undefined, i) => {
    if (t?.Value === undefined)
      problems.push(
        `Value null at 'tags.${i + 1}.member.value' failed to satisfy constraint: Member must not be null`,
      );
  });
  if (tags.length > 50)
    problems.push(
      `Value '${tags.length}' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50`,
    );
  tags.forEach((t, i) => {
    const at = `'tags.${i + 1}.member.key'`;
    if (t.Key.length < 1 || t.Key.length > 128)
      problems.push(
        `Value '${t.Key}' at ${at} failed to satisfy constraint: Member must have length ${t.Key.length < 1 ? "greater than or equal to 1" : "less than or equal to 128"}`,
      );
    else if (!TAG_KEY.test(t.Key))
      problems.push(
        `Value '${t.Key}' at ${at} failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+`,
      );
    const vat = `'tags.${i + 1}.member.value'`;
    if (t.Value.length > 256)
      problems.push(
        `Value '${t.Value}' at ${vat} failed to satisfy constraint: Member must have length less than or equal to 256`,
      );
    else if (!TAG_VALUE.test(t.Value))
      problems.push(
        `Value '${t.Value}' at ${vat} failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`,
      );
  });
  if (problems.length > 0) throw new ValidationError(problems);
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.Key.toLowerCase();
    if (seen.has(k))
      throw new InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(k);
  }
  return tags;
}

/** A resource may carry at most 50 tags after a Tag* call. */
export function checkTagCount(existing: readonly Tag[], added: readonly Tag[]): void {
  const keys = new Set(existing.map((t) => t.Key.toLowerCase()));
  for (const t of added) keys.add(t.Key.toLowerCase());
  if (keys.size > 50) throw new LimitExceeded("The number of tags has reached the maximum limit.");
}

/**
 * The checks of a create call: its own action, and when it carries tags the resource's Tag action too,
 * with the same request tags (tag on create: IAM answers "not authorized to perform: iam:TagRole" to a
 * CreateRole with tags by a caller granted iam:CreateRole alone).
 */
export function createChecks(
  action: string,
  tagAction: string,
  resource: string,
  tags: readonly Tag[],
  extra: Record<string, string | string[]> = {},
): AuthzCheck[] {
  const tagContext = requestTagContext(tags);
  const checks: AuthzCheck[] = [{ action, resource, context: { ...tagContext, ...extra } }];
  if (tags.length > 0) checks.push({ action: tagAction, resource, context: tagContext });
  return checks;
}

/**
 * Reads the members CreateUser and CreateRole share and authorizes the call on the new entity's ARN, with
 * the request's tags (aws:RequestTag/<k>, aws:TagKeys) and the boundary it sets (iam:PermissionsBoundary).
 */
export function authorizeCreateEntity(
  d: IamDeps,
  ctx: RequestContext,
  kind: "user" | "role",
  input: OperationInput,
): { name: string; path: string; tags: Tag[]; boundaryArn: string | undefined } {
  const name = (kind === "user" ? input.UserName : input.RoleName) as string;
  const path = (input.Path as string | undefined) ?? "/";
  const tags = tagsOf(input.Tags);
  const boundaryArn = input.PermissionsBoundary as string | undefined;
  ctx.authorize(
    createChecks(
      kind === "user" ? "iam:CreateUser" : "iam:CreateRole",
      kind === "user" ? "iam:TagUser" : "iam:TagRole",
      (kind === "user" ? userArn : roleArn)(d.rt.accountId, path, name),
      tags,
      boundaryArn ? { "iam:PermissionsBoundary": boundaryArn } : {},
    ),
  );
  return { name, path, tags, boundaryArn };
}

/** The caller as an IAM user, for operations whose UserName defaults to the caller (GetUser, CreateAccessKey). */
export function callerUserName(input: OperationInput, ctx: RequestContext): string {
  if (typeof input.UserName === "string" && input.UserName !== "") return input.UserName;
  const p = ctx.principal;
  if (p?.type !== "User")
    throw validationError("Must specify userName when calling with non-User credentials");
  return p.name;
}
