// Audit targets written as JSON: a bare trust policy (one role, named after the file), or a bundle
// of roles with their trust and permission policies — the project's corpus format:
// {"accountId"?, "roles": [{"name", "arn"?, "trustPolicy", "policies"?: [{"name", "document"}], "maxSessionDuration"?}]}
import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { PermissionPolicy, RoleInventory, RoleModel } from "./model.ts";

export const DEFAULT_ACCOUNT = "123456789012";

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TargetError";
  }
}

const asText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

function lineOf(text: string, needle: string): number | undefined {
  const i = text.indexOf(needle);
  if (i < 0) return undefined;
  return text.slice(0, i).split("\n").length;
}

function accountIn(text: string): string | undefined {
  return /arn:aws[a-z-]*:iam::(\d{12}):/.exec(text)?.[1];
}

export async function loadJsonTarget(file: string, displayPath = file): Promise<RoleInventory> {
  const text = await readFile(file, "utf8");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TargetError(`${displayPath}: not JSON (${(err as Error).message})`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw new TargetError(`${displayPath}: expected a JSON object`);
  const o = doc as Record<string, unknown>;
  if (Array.isArray(o.roles)) return bundle(o, text, displayPath);
  if (o.Statement === undefined) {
    throw new TargetError(
      `${displayPath}: neither a policy document (no "Statement") nor a role bundle (no "roles")`,
    );
  }
  const accountId = accountIn(text) ?? DEFAULT_ACCOUNT;
  const name = basename(file, extname(file));
  // Point at the first statement's opening brace (what a reader and GitHub's annotation should show).
  const at = text.indexOf("{", Math.max(0, text.indexOf('"Statement"')) + 1);
  const line = at > 0 ? text.slice(0, at).split("\n").length : undefined;
  const column = at > 0 ? at - text.lastIndexOf("\n", at - 1) : undefined;
  const role: RoleModel = {
    name,
    arn: `arn:aws:iam::${accountId}:role/${name}`,
    trustPolicy: text,
    policies: [],
    location: { file: displayPath, ...(line ? { line } : {}), ...(column ? { column } : {}) },
  };
  return { accountId, roles: [role], policies: new Map(), attachments: new Map(), loadFindings: [] };
}

function bundle(o: Record<string, unknown>, text: string, file: string): RoleInventory {
  const accountId = typeof o.accountId === "string" ? o.accountId : (accountIn(text) ?? DEFAULT_ACCOUNT);
  const policies = new Map<string, PermissionPolicy>();
  const attachments = new Map<string, string[]>();
  const roles: RoleModel[] = [];
  for (const [i, r] of (o.roles as unknown[]).entries()) {
    if (!r || typeof r !== "object") throw new TargetError(`${file}: roles[${i}] is not an object`);
    const ro = r as Record<string, unknown>;
    const name = typeof ro.name === "string" ? ro.name : `role-${i + 1}`;
    const line = lineOf(text, `"${name}"`);
    const loc = { file, ...(line ? { line } : {}) };
    const rolePolicies: PermissionPolicy[] = [];
    for (const [j, p] of (Array.isArray(ro.policies) ? ro.policies : []).entries()) {
      const po = (p ?? {}) as Record<string, unknown>;
      const pname = typeof po.name === "string" ? po.name : `${name}-policy-${j + 1}`;
      const arn = typeof po.arn === "string" ? po.arn : `arn:aws:iam::${accountId}:policy/${pname}`;
      const pline = lineOf(text, `"${pname}"`);
      const policy: PermissionPolicy = {
        id: arn,
        name: pname,
        document: asText(po.document),
        location: { file, ...(pline ? { line: pline } : {}) },
      };
      rolePolicies.push(policy);
      policies.set(arn, policy);
      attachments.set(arn, [...(attachments.get(arn) ?? []), name]);
    }
    const role: RoleModel = {
      name,
      arn: typeof ro.arn === "string" ? ro.arn : `arn:aws:iam::${accountId}:role/${name}`,
      policies: rolePolicies,
      location: loc,
    };
    if (ro.trustPolicy !== undefined) role.trustPolicy = asText(ro.trustPolicy);
    if (typeof ro.maxSessionDuration === "number") role.maxSessionDuration = ro.maxSessionDuration;
    roles.push(role);
  }
  return { accountId, roles, policies, attachments, loadFindings: [] };
}
