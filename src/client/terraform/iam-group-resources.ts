// IAM users, groups and memberships: aws_iam_user, aws_iam_group, aws_iam_group_policy,
// aws_iam_group_policy_attachment, aws_iam_user_group_membership (the user's listed groups, others left alone)
// and aws_iam_group_membership (exactly the listed users in the group). Arguments and attributes as in the AWS
// provider's docs (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_group etc.).
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateGroupCommand,
  CreateUserCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetUserCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListGroupsForUserCommand,
  PutGroupPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateGroupCommand,
  type User,
} from "@aws-sdk/client-iam";
import {
  assertKnown,
  createPlan,
  inlinePolicyPlan,
  noChange,
  type ResourceContext,
  type ResourcePlan,
  type ResourceType,
  readLive,
  required,
  show,
  str,
  strings,
  tagsOf,
} from "./resource-type.ts";
import { Unknown, type Value } from "./value.ts";

const iamArn = (ctx: ResourceContext, kind: string, path: string, name: string) =>
  `arn:${ctx.partition}:iam::${ctx.accountId}:${kind}${path}${name}`;

/** A group's live state and its members (GetGroup, every page); undefined when it does not exist. */
async function liveGroup(iam: IAMClient, name: string) {
  const first = await readLive(() => iam.send(new GetGroupCommand({ GroupName: name })), "NoSuchEntity");
  if (!first?.Group) return undefined;
  const users: User[] = [...(first.Users ?? [])];
  let marker = first.IsTruncated ? first.Marker : undefined;
  while (marker) {
    const page = await iam.send(new GetGroupCommand({ GroupName: name, Marker: marker }));
    users.push(...(page.Users ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  }
  return { group: first.Group, users: users.map((u) => u.UserName ?? "") };
}

/** The group exists, or this run creates it. */
async function groupAvailable(ctx: ResourceContext, name: string): Promise<boolean> {
  return (
    ctx.pendingCreates.has(`aws_iam_group:${name}`) || (await liveGroup(ctx.clients.iam, name)) !== undefined
  );
}

async function userAvailable(ctx: ResourceContext, name: string): Promise<boolean> {
  if (ctx.pendingCreates.has(`aws_iam_user:${name}`)) return true;
  const live = await readLive(
    () => ctx.clients.iam.send(new GetUserCommand({ UserName: name })),
    "NoSuchEntity",
  );
  return live !== undefined;
}

/**
 * Something the resource names (a group or a user) neither exists nor is created by this configuration: AWS
 * would answer NoSuchEntity; as for roles (iam-resources.ts), everything else is applied and this is reported
 * as deferred, so that applying the configuration that defines it and then this one again completes it.
 */
function deferredFor(kind: "group" | "user", name: string, attrs: Record<string, Value>): ResourcePlan {
  return {
    action: "deferred",
    changes: [],
    attrs,
    reason: `${kind} "${name}" does not exist (AWS would answer NoSuchEntity: The ${kind} with name ${name} cannot be found). Create it first (e.g. apply the configuration that defines it), then apply this one again.`,
    apply: async () => attrs,
  };
}

export const user: ResourceType = {
  identity: (args) => `aws_iam_user:${str(args, "name")}`,
  async plan(args, ctx) {
    const name = required(args, "name");
    const path = str(args, "path") ?? "/";
    const attrs: Record<string, Value> = {
      ...args,
      arn: iamArn(ctx, "user", path, name),
      id: name,
      name,
      path,
      unique_id: new Unknown(),
    };
    const live = (
      await readLive(() => ctx.clients.iam.send(new GetUserCommand({ UserName: name })), "NoSuchEntity")
    )?.User;
    if (live) return noChange({ ...attrs, arn: live.Arn ?? "", unique_id: live.UserId ?? "" });
    return createPlan(args, [`+ name = ${show(name)}`], attrs, async () => {
      const out = await ctx.clients.iam.send(
        new CreateUserCommand({
          UserName: name,
          Path: path,
          PermissionsBoundary: str(args, "permissions_boundary"),
          Tags: tagsOf(args),
        }),
      );
      return { ...attrs, arn: out.User?.Arn ?? "", unique_id: out.User?.UserId ?? "" };
    });
  },
};

export const group: ResourceType = {
  identity: (args) => `aws_iam_group:${str(args, "name")}`,
  async plan(args, ctx) {
    const name = required(args, "name");
    const path = str(args, "path") ?? "/";
    const attrs: Record<string, Value> = {
      ...args,
      arn: iamArn(ctx, "group", path, name),
      id: name,
      name,
      path,
      unique_id: new Unknown(),
    };
    const live = (await liveGroup(ctx.clients.iam, name))?.group;
    if (!live) {
      return createPlan(args, [`+ name = ${show(name)}`, `+ path = ${show(path)}`], attrs, async () => {
        const out = await ctx.clients.iam.send(new CreateGroupCommand({ GroupName: name, Path: path }));
        return { ...attrs, arn: out.Group?.Arn ?? "", unique_id: out.Group?.GroupId ?? "" };
      });
    }
    const known = { ...attrs, unique_id: live.GroupId ?? "" };
    if ((live.Path ?? "/") === path) return noChange({ ...known, arn: live.Arn ?? "" });
    return {
      action: "update",
      changes: [`~ path: ${show(live.Path)} → ${show(path)}`],
      attrs: known,
      apply: async () => {
        assertKnown(args);
        await ctx.clients.iam.send(new UpdateGroupCommand({ GroupName: name, NewPath: path }));
        return known;
      },
    };
  },
};

export const groupPolicy: ResourceType = {
  async plan(args, ctx) {
    const groupName = required(args, "group");
    const name = required(args, "name");
    const document = required(args, "policy");
    const attrs: Record<string, Value> = { ...args, id: `${groupName}:${name}` };
    const found = await readLive(
      () => ctx.clients.iam.send(new GetGroupPolicyCommand({ GroupName: groupName, PolicyName: name })),
      "NoSuchEntity",
    );
    const current = found?.PolicyDocument;
    if (!found && !(await groupAvailable(ctx, groupName))) return deferredFor("group", groupName, attrs);
    return inlinePolicyPlan({
      args,
      attrs,
      owner: `group ${show(groupName)}`,
      name,
      document,
      current,
      put: () =>
        ctx.clients.iam.send(
          new PutGroupPolicyCommand({ GroupName: groupName, PolicyName: name, PolicyDocument: document }),
        ),
    });
  },
};

export const groupPolicyAttachment: ResourceType = {
  async plan(args, ctx) {
    const groupName = required(args, "group");
    const policyArn = required(args, "policy_arn");
    const attrs: Record<string, Value> = { ...args, id: `${groupName}-${policyArn}` };
    const attached = (
      await readLive(
        () => ctx.clients.iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: groupName })),
        "NoSuchEntity",
      )
    )?.AttachedPolicies?.map((p) => p.PolicyArn ?? "");
    if (!attached && !ctx.pendingCreates.has(`aws_iam_group:${groupName}`))
      return deferredFor("group", groupName, attrs);
    if (attached?.includes(policyArn)) return noChange(attrs);
    return createPlan(args, [`+ attach ${show(policyArn)} to group ${show(groupName)}`], attrs, async () => {
      await ctx.clients.iam.send(
        new AttachGroupPolicyCommand({ GroupName: groupName, PolicyArn: policyArn }),
      );
      return attrs;
    });
  },
};

/** The user's listed groups; groups it is in that the list does not name are left alone, as the provider does. */
export const userGroupMembership: ResourceType = {
  async plan(args, ctx) {
    const userName = required(args, "user");
    const groups = strings(args, "groups");
    const attrs: Record<string, Value> = { ...args, id: `${userName}:${groups.join(",")}` };
    if (!(await userAvailable(ctx, userName))) return deferredFor("user", userName, attrs);
    for (const g of groups) if (!(await groupAvailable(ctx, g))) return deferredFor("group", g, attrs);
    const current = (
      (
        await readLive(
          () => ctx.clients.iam.send(new ListGroupsForUserCommand({ UserName: userName, MaxItems: 1000 })),
          "NoSuchEntity",
        )
      )?.Groups ?? []
    ).map((g) => (g.GroupName ?? "").toLowerCase());
    const missing = groups.filter((g) => !current.includes(g.toLowerCase()));
    if (!missing.length) return noChange(attrs);
    return {
      action: current.length === 0 ? "create" : "update",
      changes: missing.map((g) => `+ user ${show(userName)} in group ${show(g)}`),
      attrs,
      apply: async () => {
        assertKnown(args);
        for (const g of missing)
          await ctx.clients.iam.send(new AddUserToGroupCommand({ GroupName: g, UserName: userName }));
        return attrs;
      },
    };
  },
};

/** Exactly the listed users in the group: others are removed (the provider's documented behaviour). */
export const groupMembership: ResourceType = {
  async plan(args, ctx) {
    const groupName = required(args, "group");
    const users = strings(args, "users");
    const attrs: Record<string, Value> = { ...args, id: required(args, "name") };
    const live = await liveGroup(ctx.clients.iam, groupName);
    if (!live && !ctx.pendingCreates.has(`aws_iam_group:${groupName}`))
      return deferredFor("group", groupName, attrs);
    for (const u of users) if (!(await userAvailable(ctx, u))) return deferredFor("user", u, attrs);
    const current = live?.users ?? [];
    const lower = (xs: string[]) => xs.map((x) => x.toLowerCase());
    const add = users.filter((u) => !lower(current).includes(u.toLowerCase()));
    const remove = current.filter((u) => !lower(users).includes(u.toLowerCase()));
    if (!add.length && !remove.length) return noChange(attrs);
    return {
      action: current.length === 0 ? "create" : "update",
      changes: [
        ...add.map((u) => `+ user ${show(u)} in group ${show(groupName)}`),
        ...remove.map((u) => `- user ${show(u)} from group ${show(groupName)}`),
      ],
      attrs,
      apply: async () => {
        assertKnown(args);
        for (const u of add)
          await ctx.clients.iam.send(new AddUserToGroupCommand({ GroupName: groupName, UserName: u }));
        for (const u of remove)
          await ctx.clients.iam.send(new RemoveUserFromGroupCommand({ GroupName: groupName, UserName: u }));
        return attrs;
      },
    };
  },
};
