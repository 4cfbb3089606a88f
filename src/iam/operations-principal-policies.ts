// The operations users, roles and groups share, generated for each: inline policies
// (Put/Get/Delete/List*Policy) and managed policy attachments (Attach/Detach/ListAttached*Policies); for users
// and roles also tags (Tag/Untag/List*Tags, from operations-tags.ts) and the permissions boundary
// (Put/Delete*PermissionsBoundary), which IAM does not have for groups.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html
import type { Operation, RequestContext } from "../core/service.ts";
import { LimitExceeded, NoSuchEntity } from "./errors.ts";
import type { IamUser } from "./model.ts";
import {
  authorizeEntity,
  checkInlineAggregate,
  checkPolicy,
  type IamDeps,
  requireAttachable,
  requireGroup,
  requireRole,
  requireUser,
} from "./operations-context.ts";
import { checkInput, encodeDocument, paginate, required, shapes } from "./operations-input.ts";
import { tagOperations } from "./operations-tags.ts";

type Kind = "User" | "Role" | "Group";

interface Entity {
  name: string;
  arn: string;
  tags: IamUser["Tags"];
}

/** AWS's quota of managed policies attached to one user, role or group (default 10). */
const ATTACHED_POLICY_QUOTA = 10;

export function principalPolicyOperations(d: IamDeps, kind: Kind): Record<string, Operation> {
  const { iam, store } = d;
  const k = kind === "User" ? "user" : kind === "Role" ? "role" : "group";
  const nameMember = `${kind}Name`;
  const nameShape =
    kind === "User" ? shapes.existingUserName : kind === "Role" ? shapes.roleName : shapes.groupName;

  const entity = (name: string): Entity => {
    if (kind === "Group") {
      const g = requireGroup(iam, name);
      return { name: g.GroupName, arn: g.Arn, tags: [] };
    }
    const e = kind === "User" ? requireUser(iam, name) : requireRole(iam, name);
    return { name: "UserName" in e ? e.UserName : e.RoleName, arn: e.Arn, tags: e.Tags };
  };
  const authorize = (
    ctx: RequestContext,
    op: string,
    name: string,
    extra: Record<string, string | string[]> = {},
  ) => authorizeEntity(d, ctx, k, name, `iam:${op}`, extra);

  const ops: Record<string, Operation> = {
    [`Put${kind}Policy`]: (input, ctx) => {
      checkInput(input, {
        [nameMember]: required(nameShape),
        PolicyName: required(shapes.policyName),
        PolicyDocument: required(shapes.policyDocument),
      });
      const name = input[nameMember] as string;
      authorize(ctx, `Put${kind}Policy`, name);
      return store.tx(() => {
        const e = entity(name);
        const text = input.PolicyDocument as string;
        checkPolicy(text, "identity", { attachment: k, entityName: e.name });
        checkInlineAggregate(iam, k, e.name, input.PolicyName, text);
        iam.putInlinePolicy(k, e.name, input.PolicyName, text);
        return undefined;
      });
    },

    [`Get${kind}Policy`]: (input, ctx) => {
      checkInput(input, { [nameMember]: required(nameShape), PolicyName: required(shapes.policyName) });
      const name = input[nameMember] as string;
      authorize(ctx, `Get${kind}Policy`, name);
      const e = entity(name);
      const doc = iam.getInlinePolicy(k, e.name, input.PolicyName);
      if (doc === undefined)
        throw new NoSuchEntity(`The ${k} policy with name ${input.PolicyName} cannot be found.`);
      return { [nameMember]: e.name, PolicyName: input.PolicyName, PolicyDocument: encodeDocument(doc) };
    },

    [`Delete${kind}Policy`]: (input, ctx) => {
      checkInput(input, { [nameMember]: required(nameShape), PolicyName: required(shapes.policyName) });
      const name = input[nameMember] as string;
      authorize(ctx, `Delete${kind}Policy`, name);
      return store.tx(() => {
        const e = entity(name);
        if (iam.getInlinePolicy(k, e.name, input.PolicyName) === undefined)
          throw new NoSuchEntity(`The ${k} policy with name ${input.PolicyName} cannot be found.`);
        iam.deleteInlinePolicy(k, e.name, input.PolicyName);
        return undefined;
      });
    },

    [`List${kind}Policies`]: (input, ctx) => {
      checkInput(input, {
        [nameMember]: required(nameShape),
        Marker: shapes.marker,
        MaxItems: shapes.maxItems,
      });
      const name = input[nameMember] as string;
      authorize(ctx, `List${kind}Policies`, name);
      const e = entity(name);
      const { page, ...rest } = paginate(
        iam.inlinePoliciesOf(k, e.name).map((p) => p.name),
        input,
      );
      return { PolicyNames: page, ...rest };
    },

    [`Attach${kind}Policy`]: (input, ctx) => {
      checkInput(input, { [nameMember]: required(nameShape), PolicyArn: required(shapes.arn) });
      const name = input[nameMember] as string;
      authorize(ctx, `Attach${kind}Policy`, name, { "iam:PolicyARN": input.PolicyArn });
      return store.tx(() => {
        const e = entity(name);
        requireAttachable(iam, input.PolicyArn);
        if (iam.isAttached(k, e.name, input.PolicyArn)) return undefined;
        if (iam.attachedPolicies(k, e.name).length >= ATTACHED_POLICY_QUOTA)
          throw new LimitExceeded(`Cannot exceed quota for PoliciesPer${kind}: ${ATTACHED_POLICY_QUOTA}`);
        iam.attach(k, e.name, input.PolicyArn);
        return undefined;
      });
    },

    [`Detach${kind}Policy`]: (input, ctx) => {
      checkInput(input, { [nameMember]: required(nameShape), PolicyArn: required(shapes.arn) });
      const name = input[nameMember] as string;
      authorize(ctx, `Detach${kind}Policy`, name, { "iam:PolicyARN": input.PolicyArn });
      return store.tx(() => {
        const e = entity(name);
        if (!iam.isAttached(k, e.name, input.PolicyArn))
          throw new NoSuchEntity(`Policy ${input.PolicyArn} was not found.`);
        iam.detach(k, e.name, input.PolicyArn);
        return undefined;
      });
    },

    [`ListAttached${kind}Policies`]: (input, ctx) => {
      checkInput(input, {
        [nameMember]: required(nameShape),
        PathPrefix: shapes.policyPath,
        Marker: shapes.marker,
        MaxItems: shapes.maxItems,
      });
      const name = input[nameMember] as string;
      authorize(ctx, `ListAttached${kind}Policies`, name);
      const e = entity(name);
      const prefix = (input.PathPrefix as string | undefined) ?? "/";
      const all = iam
        .attachedPolicies(k, e.name)
        .filter((p) => p.Path.startsWith(prefix))
        .map((p) => ({ PolicyName: p.PolicyName, PolicyArn: p.PolicyArn }));
      const { page, ...rest } = paginate(all, input);
      return { AttachedPolicies: page, ...rest };
    },
  };
  if (kind === "Group") return ops;
  return {
    ...ops,
    ...tagOperations(d, {
      noun: kind,
      member: nameMember,
      shape: nameShape,
      authorize: (ctx, action, name, extra) => authorizeEntity(d, ctx, k, name, action, extra),
      writable: (name) => {
        const e = entity(name);
        return { kind: k as "user" | "role", owner: e.name, tags: e.tags };
      },
      listed: (name) => entity(name).tags,
    }),

    [`Put${kind}PermissionsBoundary`]: (input, ctx) => {
      checkInput(input, { [nameMember]: required(nameShape), PermissionsBoundary: required(shapes.arn) });
      const name = input[nameMember] as string;
      authorize(ctx, `Put${kind}PermissionsBoundary`, name, {
        "iam:PermissionsBoundary": input.PermissionsBoundary,
      });
      return store.tx(() => {
        const e = entity(name);
        requireBoundary(d, input.PermissionsBoundary);
        if (kind === "User") iam.setUserBoundary(e.name, input.PermissionsBoundary);
        else iam.setRoleBoundary(e.name, input.PermissionsBoundary);
        return undefined;
      });
    },

    [`Delete${kind}PermissionsBoundary`]: (input, ctx) => {
      checkInput(input, { [nameMember]: required(nameShape) });
      const name = input[nameMember] as string;
      const current = kind === "User" ? iam.getUser(name) : iam.getRole(name);
      const boundaryArn = current?.PermissionsBoundary?.PermissionsBoundaryArn;
      authorize(
        ctx,
        `Delete${kind}PermissionsBoundary`,
        name,
        boundaryArn ? { "iam:PermissionsBoundary": boundaryArn } : {},
      );
      return store.tx(() => {
        const e = entity(name);
        if (kind === "User") iam.setUserBoundary(e.name, null);
        else iam.setRoleBoundary(e.name, null);
        return undefined;
      });
    },
  };
}

/** A permissions boundary must be an existing managed policy (customer or AWS managed). */
export function requireBoundary(d: IamDeps, arn: string): void {
  if (!d.iam.getPolicy(arn)) throw new NoSuchEntity(`Scope ARN: ${arn} does not exist or is not attachable.`);
}
