// IAM resource types: OIDC provider, role (inline_policy, managed_policy_arns), policy, role policy,
// role policy attachment. Arguments and attributes as in the AWS provider's docs
// (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role etc.).
import {
  AddClientIDToOpenIDConnectProviderCommand,
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import {
  isLocalPolicy,
  PENDING_TAG,
  recordedRoles,
  recordPending,
  roleExists,
} from "./pending-attachments.ts";
import {
  assertKnown,
  blocks,
  createPlan,
  decodePolicy,
  inlinePolicyPlan,
  noChange,
  num,
  type ResourceContext,
  type ResourcePlan,
  type ResourceType,
  readLive,
  required,
  samePolicy,
  show,
  str,
  strings,
  tagsOf,
} from "./resource-type.ts";
import { Unknown, type Value } from "./value.ts";

const iamArn = (ctx: ResourceContext, kind: string, path: string, name: string) =>
  `arn:${ctx.partition}:iam::${ctx.accountId}:${kind}${path}${name}`;

/** The role name from a name or an ARN (the seed article's own text passes an ARN to `role`). */
export function roleName(ref: string): string {
  const m = /^arn:[^:]+:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(ref);
  return m ? m[1]! : ref;
}

const sorted = (xs: string[]) => [...xs].sort();
const sameSet = (a: string[], b: string[]) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

export const oidcProvider: ResourceType = {
  async plan(args, ctx) {
    const url = required(args, "url");
    const host = url.replace(/^https:\/\//, "");
    const arn = iamArn(ctx, "oidc-provider/", "", host);
    const clientIds = strings(args, "client_id_list");
    const thumbprints = strings(args, "thumbprint_list");
    const attrs = { ...args, arn, id: arn };
    const live = await readLive(
      () => ctx.clients.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })),
      "NoSuchEntity",
    );
    if (!live) {
      return createPlan(
        args,
        [
          `+ url = ${show(url)}`,
          `+ client_id_list = ${show(clientIds)}`,
          `+ thumbprint_list = ${show(thumbprints)}`,
        ],
        attrs,
        async () => {
          const out = await ctx.clients.iam.send(
            new CreateOpenIDConnectProviderCommand({
              Url: url,
              ClientIDList: clientIds,
              ThumbprintList: thumbprints,
              Tags: tagsOf(args),
            }),
          );
          return {
            ...attrs,
            arn: out.OpenIDConnectProviderArn ?? arn,
            id: out.OpenIDConnectProviderArn ?? arn,
          };
        },
      );
    }
    const changes: string[] = [];
    const liveIds = live.ClientIDList ?? [];
    const liveThumbs = live.ThumbprintList ?? [];
    if (!sameSet(liveIds, clientIds)) changes.push(`~ client_id_list: ${show(liveIds)} → ${show(clientIds)}`);
    if (!sameSet(liveThumbs, thumbprints))
      changes.push(`~ thumbprint_list: ${show(liveThumbs)} → ${show(thumbprints)}`);
    if (!changes.length) return noChange(attrs);
    return {
      action: "update",
      changes,
      attrs,
      apply: async () => {
        for (const id of clientIds.filter((c) => !liveIds.includes(c))) {
          await ctx.clients.iam.send(
            new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: id }),
          );
        }
        for (const id of liveIds.filter((c) => !clientIds.includes(c))) {
          await ctx.clients.iam.send(
            new RemoveClientIDFromOpenIDConnectProviderCommand({
              OpenIDConnectProviderArn: arn,
              ClientID: id,
            }),
          );
        }
        if (!sameSet(liveThumbs, thumbprints)) {
          await ctx.clients.iam.send(
            new UpdateOpenIDConnectProviderThumbprintCommand({
              OpenIDConnectProviderArn: arn,
              ThumbprintList: thumbprints,
            }),
          );
        }
        return attrs;
      },
    };
  },
};

export const role: ResourceType = {
  identity: (args) => `aws_iam_role:${str(args, "name")}`,
  async plan(args, ctx, ignore) {
    const name = required(args, "name");
    const path = str(args, "path") ?? "/";
    const arn = iamArn(ctx, "role", path, name);
    const trust = required(args, "assume_role_policy");
    const description = str(args, "description") ?? "";
    const maxSession = num(args, "max_session_duration") ?? 3600;
    const inline = blocks(args, "inline_policy").filter((b) => b.name);
    const managed =
      args.managed_policy_arns === undefined || args.managed_policy_arns === null
        ? undefined
        : strings(args, "managed_policy_arns");
    const attrs: Record<string, Value> = {
      ...args,
      arn,
      id: name,
      name,
      path,
      unique_id: new Unknown(),
      create_date: new Unknown(),
    };
    const live = (
      await readLive(() => ctx.clients.iam.send(new GetRoleCommand({ RoleName: name })), "NoSuchEntity")
    )?.Role;
    const putInline = async () => {
      for (const p of inline) {
        await ctx.clients.iam.send(
          new PutRolePolicyCommand({
            RoleName: name,
            PolicyName: String(p.name),
            PolicyDocument: String(p.policy),
          }),
        );
      }
    };
    if (!live) {
      const changes = [`+ name = ${show(name)}`, `+ assume_role_policy = ${show(trust)}`];
      if (description) changes.push(`+ description = ${show(description)}`);
      for (const p of inline) changes.push(`+ inline_policy ${show(p.name)}`);
      for (const m of managed ?? []) changes.push(`+ managed policy ${show(m)}`);
      return createPlan(args, changes, attrs, async () => {
        const out = await ctx.clients.iam.send(
          new CreateRoleCommand({
            RoleName: name,
            Path: path,
            AssumeRolePolicyDocument: trust,
            Description: description || undefined,
            MaxSessionDuration: maxSession,
            PermissionsBoundary: str(args, "permissions_boundary"),
            Tags: tagsOf(args),
          }),
        );
        await putInline();
        for (const m of managed ?? [])
          await ctx.clients.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: m }));
        return {
          ...attrs,
          arn: out.Role?.Arn ?? arn,
          unique_id: out.Role?.RoleId ?? "",
          create_date: out.Role?.CreateDate?.toISOString() ?? "",
        };
      });
    }
    const known = {
      ...attrs,
      unique_id: live.RoleId ?? "",
      create_date: live.CreateDate?.toISOString() ?? "",
    };
    const changes: string[] = [];
    const ops: (() => Promise<unknown>)[] = [];
    const watch = (attr: string) => !ignore.includes(attr) && !ignore.includes("all");
    if (watch("assume_role_policy") && !samePolicy(live.AssumeRolePolicyDocument, trust)) {
      changes.push(
        `~ assume_role_policy: ${show(decodePolicy(live.AssumeRolePolicyDocument))} → ${show(trust)}`,
      );
      ops.push(() =>
        ctx.clients.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trust })),
      );
    }
    if (
      (watch("description") && (live.Description ?? "") !== description) ||
      (watch("max_session_duration") && (live.MaxSessionDuration ?? 3600) !== maxSession)
    ) {
      if ((live.Description ?? "") !== description)
        changes.push(`~ description: ${show(live.Description ?? "")} → ${show(description)}`);
      if ((live.MaxSessionDuration ?? 3600) !== maxSession)
        changes.push(`~ max_session_duration: ${live.MaxSessionDuration} → ${maxSession}`);
      ops.push(() =>
        ctx.clients.iam.send(
          new UpdateRoleCommand({ RoleName: name, Description: description, MaxSessionDuration: maxSession }),
        ),
      );
    }
    // inline_policy blocks, when given, are exclusive (the provider's documented behaviour)
    if (args.inline_policy !== undefined && watch("inline_policy")) {
      const names =
        (await ctx.clients.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [];
      for (const p of inline) {
        const pn = String(p.name);
        if (!names.includes(pn)) changes.push(`+ inline_policy ${show(pn)}`);
        else {
          const doc = (
            await ctx.clients.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: pn }))
          ).PolicyDocument;
          if (samePolicy(doc, String(p.policy))) continue;
          changes.push(`~ inline_policy ${show(pn)}`);
        }
        ops.push(() =>
          ctx.clients.iam.send(
            new PutRolePolicyCommand({ RoleName: name, PolicyName: pn, PolicyDocument: String(p.policy) }),
          ),
        );
      }
      for (const n of names.filter((n) => !inline.some((p) => p.name === n))) {
        changes.push(`- inline_policy ${show(n)}`);
        ops.push(() => ctx.clients.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: n })));
      }
    }
    if (managed && watch("managed_policy_arns")) {
      const attached = (
        (await ctx.clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })))
          .AttachedPolicies ?? []
      ).map((p) => p.PolicyArn ?? "");
      for (const m of managed.filter((m) => !attached.includes(m))) {
        changes.push(`+ managed policy ${show(m)}`);
        ops.push(() => ctx.clients.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: m })));
      }
      for (const m of attached.filter((m) => !managed.includes(m))) {
        changes.push(`- managed policy ${show(m)}`);
        ops.push(() => ctx.clients.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: m })));
      }
    }
    if (!changes.length) return noChange(known);
    return {
      action: "update",
      changes,
      attrs: known,
      apply: async () => {
        assertKnown(args);
        for (const op of ops) await op();
        return known;
      },
    };
  },
};

export const policy: ResourceType = {
  async plan(args, ctx) {
    const name = required(args, "name");
    const path = str(args, "path") ?? "/";
    const arn = iamArn(ctx, "policy", path, name);
    const document = required(args, "policy");
    const attrs: Record<string, Value> = { ...args, arn, id: arn, name, path, policy_id: new Unknown() };
    const live = (
      await readLive(() => ctx.clients.iam.send(new GetPolicyCommand({ PolicyArn: arn })), "NoSuchEntity")
    )?.Policy;
    if (!live) {
      return createPlan(args, [`+ name = ${show(name)}`, `+ policy = ${show(document)}`], attrs, async () => {
        const out = await ctx.clients.iam.send(
          new CreatePolicyCommand({
            PolicyName: name,
            Path: path,
            PolicyDocument: document,
            Description: str(args, "description"),
            Tags: tagsOf(args),
          }),
        );
        return {
          ...attrs,
          arn: out.Policy?.Arn ?? arn,
          id: out.Policy?.Arn ?? arn,
          policy_id: out.Policy?.PolicyId ?? "",
        };
      });
    }
    const known = { ...attrs, policy_id: live.PolicyId ?? "" };
    const version = await ctx.clients.iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: live.DefaultVersionId ?? "v1" }),
    );
    const current = version.PolicyVersion?.Document;
    if (samePolicy(current, document)) return noChange(known);
    return {
      action: "update",
      changes: [`~ policy: ${show(decodePolicy(current))} → ${show(document)}`],
      attrs: known,
      apply: async () => {
        assertKnown(args);
        // A managed policy keeps at most five versions: drop the oldest non-default one first.
        const versions =
          (await ctx.clients.iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
        if (versions.length >= 5) {
          const oldest = versions
            .filter((v) => !v.IsDefaultVersion)
            .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
          if (oldest?.VersionId)
            await ctx.clients.iam.send(
              new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.VersionId }),
            );
        }
        await ctx.clients.iam.send(
          new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: document, SetAsDefault: true }),
        );
        return known;
      },
    };
  },
};

export const rolePolicy: ResourceType = {
  async plan(args, ctx) {
    const role = roleName(required(args, "role"));
    const name = required(args, "name");
    const document = required(args, "policy");
    const attrs: Record<string, Value> = { ...args, id: `${role}:${name}` };
    const found = await readLive(
      () => ctx.clients.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name })),
      "NoSuchEntity",
    );
    const current = found?.PolicyDocument;
    if (
      !found &&
      !ctx.pendingCreates.has(`aws_iam_role:${role}`) &&
      !(await roleExists(ctx.clients.iam, role))
    )
      return deferredForRole(role, attrs);
    return inlinePolicyPlan({
      args,
      attrs,
      owner: `role ${show(role)}`,
      name,
      document,
      current,
      put: () =>
        ctx.clients.iam.send(
          new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: document }),
        ),
    });
  },
};

export const rolePolicyAttachment: ResourceType = {
  async plan(args, ctx) {
    const role = roleName(required(args, "role"));
    const policyArn = required(args, "policy_arn");
    const attrs: Record<string, Value> = { ...args, id: new Unknown() };
    const attached = (
      await readLive(
        () => ctx.clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role })),
        "NoSuchEntity",
      )
    )?.AttachedPolicies?.map((p) => p.PolicyArn ?? "");
    if (!attached && !ctx.pendingCreates.has(`aws_iam_role:${role}`)) {
      return isLocalPolicy(policyArn, ctx.accountId)
        ? pendingForRole(ctx, role, policyArn, attrs)
        : deferredForRole(role, attrs);
    }
    if (attached?.includes(policyArn)) return noChange({ ...attrs, id: `${role}-${policyArn}` });
    return createPlan(args, [`+ attach ${show(policyArn)} to role ${show(role)}`], attrs, async () => {
      await ctx.clients.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn }));
      return { ...attrs, id: `${role}-${policyArn}` };
    });
  },
};

/**
 * An attachment of this account's managed policy to a role that neither exists nor is created by this
 * configuration: recorded as a tag on the policy (pending-attachments.ts), so that the configuration applies
 * cleanly and any later apply attaches it once the role exists. With --plan, or when already recorded,
 * nothing is written.
 */
async function pendingForRole(
  ctx: ResourceContext,
  role: string,
  policyArn: string,
  attrs: Record<string, Value>,
): Promise<ResourcePlan> {
  const recorded = (await recordedRoles(ctx.clients.iam, policyArn))?.includes(role) ?? false;
  return {
    action: "pending",
    changes: recorded ? [] : [`+ tag ${PENDING_TAG} = ${show(role)} on ${show(policyArn)}`],
    attrs,
    reason: `will attach when role ${role} exists (it does not yet: AWS would answer NoSuchEntity). The attachment is kept on the policy as tag ${PENDING_TAG}; the next keyship apply of any configuration attaches it once the role exists.`,
    apply: async () => {
      if (!recorded) await recordPending(ctx.clients.iam, policyArn, role);
      return attrs;
    },
  };
}

/**
 * A role named by a plain string that neither exists nor is created by this configuration. AWS would
 * answer NoSuchEntity; keyship applies everything else and reports this one as deferred, so that two
 * configurations sharing a role (the seed's terraform/common and terraform/app) can be applied in
 * either order: applying the other one and then this one again completes it.
 */
function deferredForRole(role: string, attrs: Record<string, Value>): ResourcePlan {
  return {
    action: "deferred",
    changes: [],
    attrs,
    reason: `role "${role}" does not exist (AWS would answer NoSuchEntity: The role with name ${role} cannot be found). Create it first (e.g. apply the configuration that defines it), then apply this one again.`,
    apply: async () => attrs,
  };
}
