// Attachments of a customer managed policy to a role that does not exist yet, recorded in the account itself:
// a tag on the policy (`keyship:pending-attachment` = the role names, space-separated). Any later
// `keyship apply`, of any configuration, attaches them once the role exists and removes the tag, so that two
// configurations sharing a role (the seed's terraform/common and terraform/app) apply cleanly in either order.
// Tags are the IAM-native place for such a note: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html
import {
  AttachRolePolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  type Policy,
  type Tag,
  TagPolicyCommand,
  UntagPolicyCommand,
} from "@aws-sdk/client-iam";
import { readLive } from "./resource-type.ts";

export const PENDING_TAG = "keyship:pending-attachment";

/** The role names a policy's tags record as waiting for an attachment. */
export function pendingRoles(tags: readonly Tag[] | undefined): string[] {
  const value = tags?.find((t) => t.Key === PENDING_TAG)?.Value ?? "";
  return value.split(/\s+/).filter(Boolean);
}

/** Tag value for a set of role names (role names have no spaces; IAM tag values allow them). */
function tagValue(roles: string[]): string {
  return [...new Set(roles)].sort().join(" ");
}

/** Whether an ARN names a customer managed policy of this account (AWS managed policies cannot be tagged). */
export function isLocalPolicy(policyArn: string, accountId: string): boolean {
  return new RegExp(`^arn:[^:]+:iam::${accountId}:policy/`).test(policyArn);
}

/** The policy's recorded roles; undefined when the policy does not exist (yet). */
export async function recordedRoles(iam: IAMClient, policyArn: string): Promise<string[] | undefined> {
  const out = await readLive(() => iam.send(new GetPolicyCommand({ PolicyArn: policyArn })), "NoSuchEntity");
  return out && pendingRoles(out.Policy?.Tags);
}

/** Adds `role` to the policy's pending tag. */
export async function recordPending(iam: IAMClient, policyArn: string, role: string): Promise<void> {
  const roles = (await recordedRoles(iam, policyArn)) ?? [];
  if (roles.includes(role)) return;
  await iam.send(
    new TagPolicyCommand({
      PolicyArn: policyArn,
      Tags: [{ Key: PENDING_TAG, Value: tagValue([...roles, role]) }],
    }),
  );
}

/** Removes `role` from the policy's pending tag (the tag goes when no role is left). */
async function clearPending(iam: IAMClient, policyArn: string, roles: string[], role: string): Promise<void> {
  const rest = roles.filter((r) => r !== role);
  if (rest.length)
    await iam.send(
      new TagPolicyCommand({ PolicyArn: policyArn, Tags: [{ Key: PENDING_TAG, Value: tagValue(rest) }] }),
    );
  else await iam.send(new UntagPolicyCommand({ PolicyArn: policyArn, TagKeys: [PENDING_TAG] }));
}

export interface PendingAttachment {
  policyArn: string;
  role: string;
  /**
   * attached: done by this apply; already-attached: the attachment was in place (made by a resource of this run),
   * only the record was removed; will-attach: --plan, the role exists or this run creates it; waiting: the role
   * still does not exist
   */
  state: "attached" | "already-attached" | "will-attach" | "waiting";
}

export interface CompletePendingOptions {
  iam: IAMClient;
  planOnly: boolean;
  /** roles this run creates (or, with --plan, would create) */
  plannedRoles: ReadonlySet<string>;
}

export async function roleExists(iam: IAMClient, role: string): Promise<boolean> {
  return (
    (await readLive(() => iam.send(new GetRoleCommand({ RoleName: role })), "NoSuchEntity")) !== undefined
  );
}

/** The account's customer managed policies (ListPolicies with Scope Local, every page). */
async function localPolicies(iam: IAMClient): Promise<Policy[]> {
  const out: Policy[] = [];
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListPoliciesCommand({ Scope: "Local", ...(Marker && { Marker }) }));
    out.push(...(page.Policies ?? []));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return out;
}

/**
 * Finds every pending attachment recorded in the account and, unless planning, makes those whose role now exists
 * and removes them from the tag. ListPolicies does not return tags, so each policy is read with GetPolicy.
 */
export async function completePendingAttachments(o: CompletePendingOptions): Promise<PendingAttachment[]> {
  const out: PendingAttachment[] = [];
  for (const p of await localPolicies(o.iam)) {
    if (!p.Arn) continue;
    const roles = (await recordedRoles(o.iam, p.Arn)) ?? [];
    let remaining = roles;
    for (const role of roles) {
      const exists = await roleExists(o.iam, role);
      if (o.planOnly) {
        out.push({
          policyArn: p.Arn,
          role,
          state: exists || o.plannedRoles.has(role) ? "will-attach" : "waiting",
        });
        continue;
      }
      if (!exists) {
        out.push({ policyArn: p.Arn, role, state: "waiting" });
        continue;
      }
      const attached = (
        (await o.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies ?? []
      ).some((a) => a.PolicyArn === p.Arn);
      if (!attached) await o.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: p.Arn }));
      await clearPending(o.iam, p.Arn, remaining, role);
      remaining = remaining.filter((r) => r !== role);
      out.push({ policyArn: p.Arn, role, state: attached ? "already-attached" : "attached" });
    }
  }
  return out;
}
