// IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy, DeleteRole.
// Trust policies are validated as IAM does on write (iam-policy.md §4, sts.md §7) including the GitHub
// guardrail (sts.md §8). https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
import type { Operation, RequestContext } from "../core/service.ts";
import { XmlText } from "../http/aws-query.ts";
import { EntityAlreadyExists, MalformedPolicyDocument } from "./errors.ts";
import type { IamRole } from "./model.ts";
import {
  authorizeCreateEntity,
  authorizeEntity,
  checkNoPolicies,
  checkPolicy,
  type IamDeps,
  requireRole,
  roleArn,
} from "./operations-context.ts";
import { checkInput, encodeDocument, intOf, paginate, required, shapes } from "./operations-input.ts";
import { requireBoundary } from "./operations-principal-policies.ts";
import { githubTrustGuardrail } from "./trust-guardrail.ts";
import { entityOfArn } from "./trust-principals.ts";

export function roleWire(r: IamRole, listing = false): Record<string, unknown> {
  return {
    Path: r.Path,
    RoleName: r.RoleName,
    RoleId: r.RoleId,
    Arn: r.Arn,
    CreateDate: r.CreateDate,
    AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument),
    Description: r.Description,
    MaxSessionDuration: r.MaxSessionDuration,
    // ListRoles leaves out the boundary and the tags (API_ListRoles.html).
    PermissionsBoundary: listing ? undefined : r.PermissionsBoundary,
    Tags: !listing && r.Tags.length > 0 ? r.Tags : undefined,
    RoleLastUsed: listing ? undefined : {},
  };
}

// A role object stands for one state of the role (the store makes a new one after any IAM write), so
// its GetRole rendering is written once.
const rendered = new WeakMap<IamRole, XmlText>();
function roleXml(r: IamRole): XmlText {
  let xml = rendered.get(r);
  if (xml === undefined) {
    xml = new XmlText(roleWire(r));
    rendered.set(r, xml);
  }
  return xml;
}

/** Trust-policy checks on CreateRole and UpdateAssumeRolePolicy. */
function checkTrustPolicy(d: IamDeps, text: string): void {
  checkPolicy(text, "trust", { principalExists: (arn) => principalExists(d, arn) });
  const guardrail = githubTrustGuardrail(text);
  if (guardrail) throw new MalformedPolicyDocument(guardrail);
}

/** IAM resolves user and role principals of its own account when the policy is written. */
function principalExists(d: IamDeps, arn: string): boolean {
  const entity = entityOfArn(arn, d.rt.accountId);
  if (!entity) return true;
  return entity.kind === "user"
    ? d.iam.getUser(entity.name) !== undefined
    : d.iam.getRole(entity.name) !== undefined;
}

export function roleOperations(d: IamDeps): Record<string, Operation> {
  const { iam, store, rt } = d;
  const authorize = (ctx: RequestContext, action: string, name: string) =>
    authorizeEntity(d, ctx, "role", name, action);

  return {
    CreateRole: (input, ctx) => {
      checkInput(input, {
        Path: shapes.path,
        RoleName: required(shapes.roleName),
        AssumeRolePolicyDocument: required(shapes.policyDocument),
        Description: shapes.roleDescription,
        MaxSessionDuration: shapes.maxSessionDuration,
        PermissionsBoundary: shapes.arn,
        Tags: shapes.tagList,
      });
      const { name, path, tags, boundaryArn } = authorizeCreateEntity(d, ctx, "role", input);
      return store.tx(() => {
        if (iam.getRole(name)) throw new EntityAlreadyExists(`Role with name ${name} already exists.`);
        const trust = input.AssumeRolePolicyDocument as string;
        checkTrustPolicy(d, trust);
        if (boundaryArn) requireBoundary(d, boundaryArn);
        iam.insertRole({
          RoleName: name,
          RoleId: rt.ids.uniqueId("AROA", rt.accountId),
          Arn: roleArn(rt.accountId, path, name),
          Path: path,
          CreateDate: rt.clock.now(),
          AssumeRolePolicyDocument: trust,
          Description: input.Description as string | undefined,
          MaxSessionDuration: intOf(input.MaxSessionDuration) ?? 3600,
          boundaryArn,
        });
        iam.putTags("role", name, tags);
        const role = roleWire(iam.getRole(name)!);
        delete role.RoleLastUsed;
        return { Role: role };
      });
    },

    GetRole: (input, ctx) => {
      checkInput(input, { RoleName: required(shapes.roleName) });
      authorize(ctx, "iam:GetRole", input.RoleName);
      return { Role: roleXml(requireRole(iam, input.RoleName)) };
    },

    ListRoles: (input, ctx) => {
      checkInput(input, { PathPrefix: shapes.pathPrefix, Marker: shapes.marker, MaxItems: shapes.maxItems });
      const prefix = (input.PathPrefix as string | undefined) ?? "/";
      ctx.authorize({ action: "iam:ListRoles", resource: `arn:aws:iam::${rt.accountId}:role${prefix}` });
      const roles = iam.listRoles().filter((r) => r.Path.startsWith(prefix));
      const { page, ...rest } = paginate(roles, input);
      return { Roles: page.map((r) => roleWire(r, true)), ...rest };
    },

    UpdateRole: (input, ctx) => {
      checkInput(input, {
        RoleName: required(shapes.roleName),
        Description: shapes.roleDescription,
        MaxSessionDuration: shapes.maxSessionDuration,
      });
      authorize(ctx, "iam:UpdateRole", input.RoleName);
      return store.tx(() => {
        const role = requireRole(iam, input.RoleName);
        iam.updateRole(role.RoleName, {
          description: input.Description as string | undefined,
          maxSession: intOf(input.MaxSessionDuration),
        });
        return {};
      });
    },

    UpdateAssumeRolePolicy: (input, ctx) => {
      checkInput(input, {
        RoleName: required(shapes.roleName),
        PolicyDocument: required(shapes.policyDocument),
      });
      authorize(ctx, "iam:UpdateAssumeRolePolicy", input.RoleName);
      return store.tx(() => {
        const role = requireRole(iam, input.RoleName);
        checkTrustPolicy(d, input.PolicyDocument);
        iam.updateRole(role.RoleName, { trust: input.PolicyDocument });
        return undefined;
      });
    },

    DeleteRole: (input, ctx) => {
      checkInput(input, { RoleName: required(shapes.roleName) });
      authorize(ctx, "iam:DeleteRole", input.RoleName);
      return store.tx(() => {
        const role = requireRole(iam, input.RoleName);
        checkNoPolicies(iam, "role", role.RoleName);
        iam.deleteRole(role.RoleName);
        return undefined;
      });
    },
  };
}
