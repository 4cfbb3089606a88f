// Managed policies and their versions: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy,
// Create/Get/List/Delete PolicyVersion, SetDefaultPolicyVersion, ListEntitiesForPolicy, policy tags.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html
import type { Operation, RequestContext } from "../core/service.ts";
import { DeleteConflict, EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity } from "./errors.ts";
import {
  checkPolicy,
  createChecks,
  type IamDeps,
  policyArn,
  requirePolicy,
  tagsOf,
} from "./operations-context.ts";
import { boolOf, checkInput, encodeDocument, paginate, required, shapes } from "./operations-input.ts";
import { tagOperations } from "./operations-tags.ts";
import type { PolicyRecord, PrincipalKind } from "./store.ts";
import { resourceTagContext } from "./tag-keys.ts";

/** "A managed policy can have up to five versions" (access_policies_managed-versioning.html). */
const VERSIONS_PER_POLICY = 5;

export function policyOperations(d: IamDeps): Record<string, Operation> {
  const { iam, store, rt } = d;

  const wire = (p: PolicyRecord, full: boolean): Record<string, unknown> => {
    const tags = iam.getTags("policy", p.Arn);
    return {
      PolicyName: p.PolicyName,
      PolicyId: p.PolicyId,
      Arn: p.Arn,
      Path: p.Path,
      DefaultVersionId: p.DefaultVersionId,
      AttachmentCount: iam.attachmentCount(p.Arn),
      PermissionsBoundaryUsageCount: iam.boundaryUsageCount(p.Arn),
      IsAttachable: true,
      Description: full ? p.Description : undefined,
      CreateDate: p.CreateDate,
      UpdateDate: p.UpdateDate,
      Tags: full && tags.length > 0 ? tags : undefined,
    };
  };
  const authorize = (
    ctx: RequestContext,
    action: string,
    arn: string,
    extra: Record<string, string | string[]> = {},
  ) => {
    const tags = iam.getPolicy(arn) ? iam.getTags("policy", arn) : [];
    ctx.authorize({ action, resource: arn, context: { ...resourceTagContext(tags), ...extra } });
  };
  const customerPolicy = (arn: string): PolicyRecord => {
    const p = requirePolicy(iam, arn);
    // AWS managed policies belong to AWS: no caller may change them [I: wording].
    if (p.awsManaged)
      throw new InvalidInput(`Policy ${arn} is an AWS managed policy and cannot be modified.`);
    return p;
  };
  const noVersion = (arn: string, versionId: string) =>
    new NoSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);

  return {
    CreatePolicy: (input, ctx) => {
      checkInput(input, {
        PolicyName: required(shapes.policyName),
        Path: shapes.policyPath,
        PolicyDocument: required(shapes.policyDocument),
        Description: shapes.policyDescription,
        Tags: shapes.tagList,
      });
      const name = input.PolicyName as string;
      const path = (input.Path as string | undefined) ?? "/";
      const tags = tagsOf(input.Tags);
      const arn = policyArn(rt.accountId, path, name);
      ctx.authorize(createChecks("iam:CreatePolicy", "iam:TagPolicy", arn, tags));
      return store.tx(() => {
        const lower = name.toLowerCase();
        if (iam.listPolicies().some((p) => !p.awsManaged && p.PolicyName.toLowerCase() === lower))
          throw new EntityAlreadyExists(
            `A policy called ${name} already exists. Duplicate names are not allowed.`,
          );
        const text = input.PolicyDocument as string;
        checkPolicy(text, "identity", { attachment: "managed" });
        const now = rt.clock.now();
        iam.insertPolicy(
          {
            Arn: arn,
            PolicyName: name,
            PolicyId: rt.ids.uniqueId("ANPA", rt.accountId),
            Path: path,
            Description: input.Description as string | undefined,
            DefaultVersionId: "v1",
            CreateDate: now,
            UpdateDate: now,
          },
          text,
        );
        iam.putTags("policy", arn, tags);
        const out = wire(iam.getPolicy(arn)!, true);
        delete out.Description;
        return { Policy: out };
      });
    },

    GetPolicy: (input, ctx) => {
      checkInput(input, { PolicyArn: required(shapes.arn) });
      authorize(ctx, "iam:GetPolicy", input.PolicyArn);
      return { Policy: wire(requirePolicy(iam, input.PolicyArn), true) };
    },

    ListPolicies: (input, ctx) => {
      checkInput(input, {
        Scope: { enum: ["All", "AWS", "Local"] },
        OnlyAttached: shapes.boolean,
        PathPrefix: shapes.policyPath,
        PolicyUsageFilter: { enum: ["PermissionsPolicy", "PermissionsBoundary"] },
        Marker: shapes.marker,
        MaxItems: shapes.maxItems,
      });
      ctx.authorize({ action: "iam:ListPolicies", resource: "*" });
      const scope = (input.Scope as string | undefined) ?? "All";
      const onlyAttached = boolOf(input.OnlyAttached) ?? false;
      const prefix = (input.PathPrefix as string | undefined) ?? "/";
      const usage = input.PolicyUsageFilter as string | undefined;
      const policies = iam.listPolicies().filter((p) => {
        if (scope === "AWS" && !p.awsManaged) return false;
        if (scope === "Local" && p.awsManaged) return false;
        if (!p.Path.startsWith(prefix)) return false;
        const attached = iam.attachmentCount(p.Arn) > 0;
        const boundary = iam.boundaryUsageCount(p.Arn) > 0;
        if (onlyAttached) {
          if (usage === "PermissionsPolicy") return attached;
          if (usage === "PermissionsBoundary") return boundary;
          return attached || boundary;
        }
        return true;
      });
      const { page, ...rest } = paginate(policies, input);
      return { Policies: page.map((p) => wire(p, false)), ...rest };
    },

    DeletePolicy: (input, ctx) => {
      checkInput(input, { PolicyArn: required(shapes.arn) });
      authorize(ctx, "iam:DeletePolicy", input.PolicyArn);
      return store.tx(() => {
        const p = customerPolicy(input.PolicyArn);
        if (iam.attachmentCount(p.Arn) > 0 || iam.boundaryUsageCount(p.Arn) > 0)
          throw new DeleteConflict("Cannot delete a policy attached to entities.");
        if (iam.policyVersions(p.Arn).length > 1)
          throw new DeleteConflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
          );
        iam.deletePolicy(p.Arn);
        return undefined;
      });
    },

    CreatePolicyVersion: (input, ctx) => {
      checkInput(input, {
        PolicyArn: required(shapes.arn),
        PolicyDocument: required(shapes.policyDocument),
        SetAsDefault: shapes.boolean,
      });
      authorize(ctx, "iam:CreatePolicyVersion", input.PolicyArn);
      return store.tx(() => {
        const p = customerPolicy(input.PolicyArn);
        if (iam.policyVersions(p.Arn).length >= VERSIONS_PER_POLICY)
          throw new LimitExceeded(
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
          );
        checkPolicy(input.PolicyDocument, "identity", { attachment: "managed" });
        const now = rt.clock.now();
        const setAsDefault = boolOf(input.SetAsDefault) ?? false;
        const id = iam.addPolicyVersion(p.Arn, input.PolicyDocument, now, setAsDefault);
        return { PolicyVersion: { VersionId: id, IsDefaultVersion: setAsDefault, CreateDate: now } };
      });
    },

    GetPolicyVersion: (input, ctx) => {
      checkInput(input, { PolicyArn: required(shapes.arn), VersionId: required(shapes.policyVersionId) });
      authorize(ctx, "iam:GetPolicyVersion", input.PolicyArn);
      requirePolicy(iam, input.PolicyArn);
      const v = iam.getPolicyVersion(input.PolicyArn, input.VersionId);
      if (!v) throw noVersion(input.PolicyArn, input.VersionId);
      return {
        PolicyVersion: {
          Document: encodeDocument(v.Document),
          VersionId: v.VersionId,
          IsDefaultVersion: v.IsDefaultVersion,
          CreateDate: v.CreateDate,
        },
      };
    },

    ListPolicyVersions: (input, ctx) => {
      checkInput(input, {
        PolicyArn: required(shapes.arn),
        Marker: shapes.marker,
        MaxItems: shapes.maxItems,
      });
      authorize(ctx, "iam:ListPolicyVersions", input.PolicyArn);
      requirePolicy(iam, input.PolicyArn);
      const { page, ...rest } = paginate(iam.policyVersions(input.PolicyArn), input);
      return {
        Versions: page.map((v) => ({
          VersionId: v.VersionId,
          IsDefaultVersion: v.IsDefaultVersion,
          CreateDate: v.CreateDate,
        })),
        ...rest,
      };
    },

    SetDefaultPolicyVersion: (input, ctx) => {
      checkInput(input, { PolicyArn: required(shapes.arn), VersionId: required(shapes.policyVersionId) });
      authorize(ctx, "iam:SetDefaultPolicyVersion", input.PolicyArn);
      return store.tx(() => {
        const p = customerPolicy(input.PolicyArn);
        if (!iam.getPolicyVersion(p.Arn, input.VersionId)) throw noVersion(p.Arn, input.VersionId);
        iam.setDefaultPolicyVersion(p.Arn, input.VersionId, rt.clock.now());
        return undefined;
      });
    },

    DeletePolicyVersion: (input, ctx) => {
      checkInput(input, { PolicyArn: required(shapes.arn), VersionId: required(shapes.policyVersionId) });
      authorize(ctx, "iam:DeletePolicyVersion", input.PolicyArn);
      return store.tx(() => {
        const p = customerPolicy(input.PolicyArn);
        const v = iam.getPolicyVersion(p.Arn, input.VersionId);
        if (!v) throw noVersion(p.Arn, input.VersionId);
        if (v.IsDefaultVersion) throw new DeleteConflict("Cannot delete the default version of a policy.");
        iam.deletePolicyVersion(p.Arn, input.VersionId);
        return undefined;
      });
    },

    ListEntitiesForPolicy: (input, ctx) => {
      checkInput(input, {
        PolicyArn: required(shapes.arn),
        EntityFilter: { enum: ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] },
        PathPrefix: shapes.path,
        PolicyUsageFilter: { enum: ["PermissionsPolicy", "PermissionsBoundary"] },
        Marker: shapes.marker,
        MaxItems: shapes.maxItems,
      });
      authorize(ctx, "iam:ListEntitiesForPolicy", input.PolicyArn);
      const p = requirePolicy(iam, input.PolicyArn);
      const filter = input.EntityFilter as string | undefined;
      const usage = input.PolicyUsageFilter as string | undefined;
      const prefix = (input.PathPrefix as string | undefined) ?? "/";
      type Row = { kind: PrincipalKind; name: string; id: string; path: string };
      const rows: Row[] = [];
      const seen = new Set<string>();
      const add = (kind: PrincipalKind, name: string) => {
        const e =
          kind === "user" ? iam.getUser(name) : kind === "role" ? iam.getRole(name) : iam.getGroup(name);
        if (!e || seen.has(`${kind}/${e.Arn}`)) return;
        seen.add(`${kind}/${e.Arn}`);
        const id = "UserId" in e ? e.UserId : "RoleId" in e ? e.RoleId : e.GroupId;
        rows.push({ kind, name, id, path: e.Path });
      };
      if (usage !== "PermissionsBoundary")
        for (const a of iam.attachmentsOfPolicy(p.Arn)) add(a.kind, a.owner);
      if (usage !== "PermissionsPolicy") {
        for (const u of iam.listUsers())
          if (u.PermissionsBoundary?.PermissionsBoundaryArn === p.Arn) add("user", u.UserName);
        for (const r of iam.listRoles())
          if (r.PermissionsBoundary?.PermissionsBoundaryArn === p.Arn) add("role", r.RoleName);
      }
      const kept = rows.filter(
        (r) => r.path.startsWith(prefix) && (!filter || filter.toLowerCase() === r.kind),
      );
      const { page, ...rest } = paginate(kept, input);
      return {
        PolicyGroups: page
          .filter((r) => r.kind === "group")
          .map((r) => ({ GroupName: r.name, GroupId: r.id })),
        PolicyUsers: page.filter((r) => r.kind === "user").map((r) => ({ UserName: r.name, UserId: r.id })),
        PolicyRoles: page.filter((r) => r.kind === "role").map((r) => ({ RoleName: r.name, RoleId: r.id })),
        ...rest,
      };
    },

    ...tagOperations(d, {
      noun: "Policy",
      member: "PolicyArn",
      shape: shapes.arn,
      authorize,
      writable: (arn) => {
        const p = customerPolicy(arn);
        return { kind: "policy", owner: p.Arn, tags: iam.getTags("policy", p.Arn) };
      },
      listed: (arn) => iam.getTags("policy", requirePolicy(iam, arn).Arn),
    }),
  };
}
