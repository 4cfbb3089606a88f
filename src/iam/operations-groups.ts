// IAM groups and their members: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AddUserToGroup,
// RemoveUserFromGroup, ListGroupsForUser. A group's inline and attached policies come from
// operations-principal-policies.ts; a member's identity policies include them (store.identityPolicies).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups.html
import type { Operation, RequestContext } from "../core/service.ts";
import { DeleteConflict, EntityAlreadyExists, LimitExceeded } from "./errors.ts";
import type { IamGroup } from "./model.ts";
import {
  authorizeEntity,
  checkNoPolicies,
  groupArn,
  type IamDeps,
  requireGroup,
  requireUser,
} from "./operations-context.ts";
import { checkInput, paginate, required, shapes } from "./operations-input.ts";
import { userWire } from "./operations-users.ts";

/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: a user is in at most 10 groups. */
export const GROUPS_PER_USER = 10;

export function groupWire(g: IamGroup): Record<string, unknown> {
  return { Path: g.Path, GroupName: g.GroupName, GroupId: g.GroupId, Arn: g.Arn, CreateDate: g.CreateDate };
}

export function groupOperations(d: IamDeps): Record<string, Operation> {
  const { iam, store, rt } = d;
  const authorize = (ctx: RequestContext, action: string, name: string) =>
    authorizeEntity(d, ctx, "group", name, action);

  return {
    CreateGroup: (input, ctx) => {
      checkInput(input, { Path: shapes.path, GroupName: required(shapes.groupName) });
      const name = input.GroupName as string;
      const path = (input.Path as string | undefined) ?? "/";
      ctx.authorize({ action: "iam:CreateGroup", resource: groupArn(rt.accountId, path, name) });
      return store.tx(() => {
        if (iam.getGroup(name)) throw new EntityAlreadyExists(`Group with name ${name} already exists.`);
        const group: IamGroup = {
          GroupName: name,
          GroupId: rt.ids.uniqueId("AGPA", rt.accountId),
          Arn: groupArn(rt.accountId, path, name),
          Path: path,
          CreateDate: rt.clock.now(),
        };
        iam.insertGroup(group);
        return { Group: groupWire(group) };
      });
    },

    GetGroup: (input, ctx) => {
      checkInput(input, {
        GroupName: required(shapes.groupName),
        Marker: shapes.marker,
        MaxItems: shapes.maxItems,
      });
      authorize(ctx, "iam:GetGroup", input.GroupName);
      const group = requireGroup(iam, input.GroupName);
      const users = iam.membersOf(group.GroupName).flatMap((n) => iam.getUser(n) ?? []);
      const { page, ...rest } = paginate(users, input);
      return {
        Group: groupWire(group),
        // GetGroup lists the members as ListUsers does: no tags, no boundary.
        Users: page.map((u) => ({ ...userWire(u, false), PermissionsBoundary: undefined })),
        ...rest,
      };
    },

    ListGroups: (input, ctx) => {
      checkInput(input, { PathPrefix: shapes.pathPrefix, Marker: shapes.marker, MaxItems: shapes.maxItems });
      const prefix = (input.PathPrefix as string | undefined) ?? "/";
      ctx.authorize({ action: "iam:ListGroups", resource: `arn:aws:iam::${rt.accountId}:group${prefix}` });
      const groups = iam.listGroups().filter((g) => g.Path.startsWith(prefix));
      const { page, ...rest } = paginate(groups, input);
      return { Groups: page.map(groupWire), ...rest };
    },

    UpdateGroup: (input, ctx) => {
      checkInput(input, {
        GroupName: required(shapes.groupName),
        NewPath: shapes.path,
        NewGroupName: shapes.groupName,
      });
      const name = input.GroupName as string;
      const current = iam.getGroup(name);
      const newName = (input.NewGroupName as string | undefined) ?? current?.GroupName ?? name;
      const newPath = (input.NewPath as string | undefined) ?? current?.Path ?? "/";
      // "The principal must have permission to change the group with the old name and the new name"
      // (API_UpdateGroup.html): the action is checked on both ARNs.
      authorize(ctx, "iam:UpdateGroup", name);
      ctx.authorize({ action: "iam:UpdateGroup", resource: groupArn(rt.accountId, newPath, newName) });
      return store.tx(() => {
        const group = requireGroup(iam, name);
        const clash = iam.getGroup(newName);
        if (clash && clash.GroupId !== group.GroupId)
          throw new EntityAlreadyExists(`Group with name ${newName} already exists.`);
        iam.renameGroup(group.GroupName, newName, newPath, groupArn(rt.accountId, newPath, newName));
        return undefined;
      });
    },

    DeleteGroup: (input, ctx) => {
      checkInput(input, { GroupName: required(shapes.groupName) });
      authorize(ctx, "iam:DeleteGroup", input.GroupName);
      return store.tx(() => {
        const group = requireGroup(iam, input.GroupName);
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups_manage_delete.html: members, then
        // inline and attached policies must go first.
        if (iam.membersOf(group.GroupName).length > 0)
          throw new DeleteConflict("Cannot delete entity, must remove users from group first.");
        checkNoPolicies(iam, "group", group.GroupName);
        iam.deleteGroup(group.GroupName);
        return undefined;
      });
    },

    AddUserToGroup: (input, ctx) => {
      checkInput(input, {
        GroupName: required(shapes.groupName),
        UserName: required(shapes.existingUserName),
      });
      authorize(ctx, "iam:AddUserToGroup", input.GroupName);
      return store.tx(() => {
        const group = requireGroup(iam, input.GroupName);
        const user = requireUser(iam, input.UserName);
        // Adding a member again changes nothing, as on AWS.
        if (iam.isMember(group.GroupName, user.UserName)) return undefined;
        if (iam.groupsOfUser(user.UserName).length >= GROUPS_PER_USER)
          throw new LimitExceeded(`Cannot exceed quota for GroupsPerUser: ${GROUPS_PER_USER}`);
        iam.addMember(group.GroupName, user.UserName);
        return undefined;
      });
    },

    RemoveUserFromGroup: (input, ctx) => {
      checkInput(input, {
        GroupName: required(shapes.groupName),
        UserName: required(shapes.existingUserName),
      });
      authorize(ctx, "iam:RemoveUserFromGroup", input.GroupName);
      return store.tx(() => {
        const group = requireGroup(iam, input.GroupName);
        const user = requireUser(iam, input.UserName);
        // Removing a user who is not a member answers success, as AWS does (reported against the live API
        // in cloud-custodian/cloud-custodian#4730); a missing user or group is NoSuchEntity.
        if (iam.isMember(group.GroupName, user.UserName)) iam.removeMember(group.GroupName, user.UserName);
        return undefined;
      });
    },

    ListGroupsForUser: (input, ctx) => {
      checkInput(input, {
        UserName: required(shapes.existingUserName),
        Marker: shapes.marker,
        MaxItems: shapes.maxItems,
      });
      authorizeEntity(d, ctx, "user", input.UserName, "iam:ListGroupsForUser");
      const user = requireUser(iam, input.UserName);
      const { page, ...rest } = paginate(iam.groupsOfUser(user.UserName), input);
      return { Groups: page.map(groupWire), ...rest };
    },
  };
}
