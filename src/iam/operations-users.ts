// IAM users and their access keys: CreateUser, GetUser, ListUsers, DeleteUser, CreateAccessKey,
// ListAccessKeys, DeleteAccessKey, UpdateAccessKey.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
import type { Operation, RequestContext } from "../core/service.ts";
import { DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity } from "./errors.ts";
import type { AccessKeyRecord, IamUser } from "./model.ts";
import {
  authorizeCreateEntity,
  authorizeEntity,
  callerUserName,
  checkNoPolicies,
  type IamDeps,
  requireUser,
  userArn,
} from "./operations-context.ts";
import { checkInput, paginate, required, shapes } from "./operations-input.ts";
import { requireBoundary } from "./operations-principal-policies.ts";

/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: two keys per user. */
const ACCESS_KEYS_PER_USER = 2;

export function userWire(u: IamUser, withTags = true): Record<string, unknown> {
  return {
    Path: u.Path,
    UserName: u.UserName,
    UserId: u.UserId,
    Arn: u.Arn,
    CreateDate: u.CreateDate,
    PermissionsBoundary: u.PermissionsBoundary,
    Tags: withTags && u.Tags.length > 0 ? u.Tags : undefined,
  };
}

function keyMetadata(k: AccessKeyRecord): Record<string, unknown> {
  return { UserName: k.UserName, AccessKeyId: k.AccessKeyId, Status: k.Status, CreateDate: k.CreateDate };
}

/** Creates an access key for an existing user (also used for the bootstrap admin). */
export function newAccessKey(d: IamDeps, userName: string): AccessKeyRecord {
  const key: AccessKeyRecord = {
    AccessKeyId: d.rt.ids.uniqueId("AKIA", d.rt.accountId),
    SecretAccessKey: d.rt.ids.secret(),
    UserName: userName,
    Status: "Active",
    CreateDate: d.rt.clock.now(),
  };
  d.iam.insertAccessKey(key);
  return key;
}

export function createUserRecord(d: IamDeps, name: string, path: string, boundaryArn?: string): IamUser {
  const user = {
    UserName: name,
    UserId: d.rt.ids.uniqueId("AIDA", d.rt.accountId),
    Arn: userArn(d.rt.accountId, path, name),
    Path: path,
    CreateDate: d.rt.clock.now(),
    boundaryArn,
  };
  d.iam.insertUser(user);
  return d.iam.getUser(name)!;
}

export function userOperations(d: IamDeps): Record<string, Operation> {
  const { iam, store, rt } = d;
  const authorize = (ctx: RequestContext, action: string, name: string) =>
    authorizeEntity(d, ctx, "user", name, action);
  const findKey = (userName: string, id: string): AccessKeyRecord => {
    const key = iam.getAccessKey(id);
    if (!key || key.UserName.toLowerCase() !== userName.toLowerCase())
      throw new NoSuchEntity(`The Access Key with id ${id} cannot be found.`);
    return key;
  };

  return {
    CreateUser: (input, ctx) => {
      checkInput(input, {
        Path: shapes.path,
        UserName: required(shapes.userName),
        PermissionsBoundary: shapes.arn,
        Tags: shapes.tagList,
      });
      const { name, path, tags, boundaryArn } = authorizeCreateEntity(d, ctx, "user", input);
      return store.tx(() => {
        if (iam.getUser(name)) throw new EntityAlreadyExists(`User with name ${name} already exists.`);
        if (boundaryArn) requireBoundary(d, boundaryArn);
        createUserRecord(d, name, path, boundaryArn);
        iam.putTags("user", name, tags);
        return { User: userWire(iam.getUser(name)!) };
      });
    },

    GetUser: (input, ctx) => {
      checkInput(input, { UserName: shapes.existingUserName });
      const name = callerUserName(input, ctx);
      authorize(ctx, "iam:GetUser", name);
      return { User: userWire(requireUser(iam, name)) };
    },

    ListUsers: (input, ctx) => {
      checkInput(input, { PathPrefix: shapes.pathPrefix, Marker: shapes.marker, MaxItems: shapes.maxItems });
      const prefix = (input.PathPrefix as string | undefined) ?? "/";
      ctx.authorize({ action: "iam:ListUsers", resource: `arn:aws:iam::${rt.accountId}:user${prefix}` });
      const users = iam.listUsers().filter((u) => u.Path.startsWith(prefix));
      const { page, ...rest } = paginate(users, input);
      return { Users: page.map((u) => userWire(u, false)), ...rest };
    },

    DeleteUser: (input, ctx) => {
      checkInput(input, { UserName: required(shapes.existingUserName) });
      const name = input.UserName as string;
      authorize(ctx, "iam:DeleteUser", name);
      return store.tx(() => {
        const user = requireUser(iam, name);
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html: what must go first.
        checkNoPolicies(iam, "user", user.UserName);
        if (iam.accessKeysOf(user.UserName).length > 0)
          throw new DeleteConflict("Cannot delete entity, must delete access keys first.");
        // AWS words this as DeleteGroup does (seen in the wild: mozilla-services/userplex#17).
        if (iam.groupsOfUser(user.UserName).length > 0)
          throw new DeleteConflict("Cannot delete entity, must remove users from group first.");
        iam.deleteUser(user.UserName);
        return undefined;
      });
    },

    CreateAccessKey: (input, ctx) => {
      checkInput(input, { UserName: shapes.existingUserName });
      const name = callerUserName(input, ctx);
      authorize(ctx, "iam:CreateAccessKey", name);
      return store.tx(() => {
        const user = requireUser(iam, name);
        if (iam.accessKeysOf(user.UserName).length >= ACCESS_KEYS_PER_USER)
          throw new LimitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
        const key = newAccessKey(d, user.UserName);
        return {
          AccessKey: {
            UserName: key.UserName,
            AccessKeyId: key.AccessKeyId,
            Status: key.Status,
            SecretAccessKey: key.SecretAccessKey,
            CreateDate: key.CreateDate,
          },
        };
      });
    },

    ListAccessKeys: (input, ctx) => {
      checkInput(input, {
        UserName: shapes.existingUserName,
        Marker: shapes.marker,
        MaxItems: shapes.maxItems,
      });
      const name = callerUserName(input, ctx);
      authorize(ctx, "iam:ListAccessKeys", name);
      const user = requireUser(iam, name);
      const { page, ...rest } = paginate(iam.accessKeysOf(user.UserName), input);
      return { AccessKeyMetadata: page.map(keyMetadata), ...rest };
    },

    DeleteAccessKey: (input, ctx) => {
      checkInput(input, { UserName: shapes.existingUserName, AccessKeyId: required(shapes.accessKeyId) });
      const name = callerUserName(input, ctx);
      authorize(ctx, "iam:DeleteAccessKey", name);
      return store.tx(() => {
        const user = requireUser(iam, name);
        iam.deleteAccessKey(findKey(user.UserName, input.AccessKeyId).AccessKeyId);
        return undefined;
      });
    },

    UpdateAccessKey: (input, ctx) => {
      checkInput(input, {
        UserName: shapes.existingUserName,
        AccessKeyId: required(shapes.accessKeyId),
        Status: required(shapes.accessKeyStatus),
      });
      const name = callerUserName(input, ctx);
      authorize(ctx, "iam:UpdateAccessKey", name);
      return store.tx(() => {
        const user = requireUser(iam, name);
        const key = findKey(user.UserName, input.AccessKeyId);
        // "Expired" is a state AWS sets, not one a caller may choose.
        const status = input.Status === "Active" ? "Active" : "Inactive";
        iam.setAccessKeyStatus(key.AccessKeyId, status);
        return undefined;
      });
    },
  };
}
