// Roles as an account has them, read through the public IAM API (works against the twin and against
// AWS alike): trust policy, attached managed policies (default version), inline policies, boundary.
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from "@aws-sdk/client-iam";
import { DEFAULT_ACCOUNT } from "./json-target.ts";
import type { PermissionPolicy, RoleInventory, RoleModel } from "./model.ts";

/** IAM returns policy documents URL-encoded (RFC 3986). */
function decode(text: string | undefined): string {
  if (!text) return "";
  try {
    return /^\s*\{/.test(text) ? text : decodeURIComponent(text);
  } catch {
    return text;
  }
}

export async function loadLiveTarget(iam: IAMClient): Promise<RoleInventory> {
  const policies = new Map<string, PermissionPolicy>();
  const attachments = new Map<string, string[]>();
  const policyDoc = async (arn: string, name: string): Promise<PermissionPolicy | undefined> => {
    const hit = policies.get(arn);
    if (hit) return hit;
    const p = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const versionId = p.Policy?.DefaultVersionId;
    if (!versionId) return undefined;
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
    const policy = { id: arn, name, document: decode(v.PolicyVersion?.Document) };
    policies.set(arn, policy);
    return policy;
  };
  const roles: RoleModel[] = [];
  let accountId: string | undefined;
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolesCommand({ ...(marker ? { Marker: marker } : {}) }));
    for (const listed of page.Roles ?? []) {
      const name = listed.RoleName!;
      const got = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role ?? listed;
      accountId ??= /:iam::(\d{12}):/.exec(got.Arn ?? "")?.[1];
      const role: RoleModel = {
        name,
        arn: got.Arn ?? "",
        trustPolicy: decode(got.AssumeRolePolicyDocument),
        policies: [],
        location: { file: `iam:role${got.Path ?? "/"}${name}` },
      };
      if (got.MaxSessionDuration !== undefined) role.maxSessionDuration = got.MaxSessionDuration;
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
      for (const a of attached.AttachedPolicies ?? []) {
        const p = await policyDoc(a.PolicyArn!, a.PolicyName ?? a.PolicyArn!);
        if (p) role.policies.push(p);
        attachments.set(a.PolicyArn!, [...(attachments.get(a.PolicyArn!) ?? []), name]);
      }
      const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: name }));
      for (const pn of inline.PolicyNames ?? []) {
        const p = await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: pn }));
        role.policies.push({ id: `inline:${name}/${pn}`, name: pn, document: decode(p.PolicyDocument) });
      }
      const boundary = got.PermissionsBoundary?.PermissionsBoundaryArn;
      if (boundary) {
        const p = await policyDoc(boundary, boundary.slice(boundary.lastIndexOf("/") + 1));
        if (p) role.permissionsBoundary = p;
      }
      roles.push(role);
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  // Customer-managed policies attached to nothing: preflight points at them ("defined but not attached").
  let pm: string | undefined;
  do {
    const page = await iam.send(new ListPoliciesCommand({ Scope: "Local", ...(pm ? { Marker: pm } : {}) }));
    for (const p of page.Policies ?? []) if (p.Arn && p.PolicyName) await policyDoc(p.Arn, p.PolicyName);
    pm = page.IsTruncated ? page.Marker : undefined;
  } while (pm);
  return { accountId: accountId ?? DEFAULT_ACCOUNT, roles, policies, attachments, loadFindings: [] };
}
