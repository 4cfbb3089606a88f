// Roles and policies a Terraform configuration *would* create, without applying anything: `keyship
// apply`'s loader and evaluator (src/client/terraform) run with offline hooks that render policy
// documents exactly as the AWS provider does and give resources the ARNs AWS would give them.
import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { awsManagedPolicies, awsManagedPolicyArn } from "../../iam/managed-policies.ts";
import { type EvalHooks, Evaluator } from "../terraform/evaluate.ts";
import { type Config, ConfigError, loadConfig, type ResourceBlock } from "../terraform/load.ts";
import { renderPolicyDocument } from "../terraform/policy-document.ts";
import { isUnknown, type Value } from "../terraform/value.ts";
import { DEFAULT_ACCOUNT } from "./json-target.ts";
import type { Finding, PermissionPolicy, RoleInventory, RoleModel } from "./model.ts";

export interface TerraformOptions {
  accountId?: string;
  region?: string;
  /** shown in locations instead of absolute paths (usually the current directory) */
  baseDir?: string;
}

interface Where {
  file: string;
  line: number;
}

interface Collected {
  roles: { name: string; path: string; args: Record<string, Value>; block: ResourceBlock; where: Where }[];
  policies: PermissionPolicy[];
  attachments: { role: string; policyArn: string; block: ResourceBlock; where: Where }[];
  inline: { role: string; name: string; document: string; where: Where }[];
}

/** A directory with .tf files, or a directory of such directories (terraform/common + terraform/app). */
export async function terraformDirs(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  if (names.some((n) => n.endsWith(".tf"))) return [dir];
  const out: string[] = [];
  for (const n of names.sort()) {
    const sub = join(dir, n);
    if ((await stat(sub)).isDirectory() && (await readdir(sub)).some((x) => x.endsWith(".tf"))) out.push(sub);
  }
  if (out.length === 0) throw new Error(`No .tf files in ${dir} or its subdirectories`);
  return out;
}

const str = (v: Value | undefined): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;

function providerRegion(config: Config): string | undefined {
  const body = config.providers.get("aws")?.body as Record<string, unknown> | undefined;
  const r = Array.isArray(body) ? (body[0] as Record<string, unknown>)?.region : body?.region;
  return typeof r === "string" && !r.includes("${") ? r : undefined;
}

export async function loadTerraformTarget(
  dirsIn: string[],
  options: TerraformOptions = {},
): Promise<RoleInventory> {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT;
  const dirs: string[] = [];
  for (const d of dirsIn) dirs.push(...(await terraformDirs(d)));
  const c: Collected = { roles: [], policies: [], attachments: [], inline: [] };
  let region = options.region;
  for (const dir of dirs) {
    let config: Config;
    try {
      config = await loadConfig(dir);
    } catch (err) {
      // The loader names files by base name; say which directory they are in.
      if (err instanceof ConfigError)
        throw new ConfigError(`${relative(options.baseDir ?? process.cwd(), dir) || "."}/${err.message}`);
      throw err;
    }
    region ??= providerRegion(config);
    const where = (block: ResourceBlock) => ({
      file: relative(options.baseDir ?? process.cwd(), join(config.dir, block.file)) || block.file,
      line: block.line,
    });
    const hooks: EvalHooks = {
      async data(block, _key, args): Promise<Record<string, Value>> {
        switch (block.type) {
          case "aws_iam_policy_document":
            return { ...renderPolicyDocument(args) };
          case "aws_caller_identity":
            return {
              account_id: accountId,
              arn: `arn:aws:iam::${accountId}:root`,
              user_id: accountId,
              id: accountId,
            };
          case "aws_region":
            return { name: region ?? "us-east-1", id: region ?? "us-east-1", region: region ?? "us-east-1" };
          case "aws_partition":
            return { partition: "aws", dns_suffix: "amazonaws.com", id: "aws" };
          case "tls_certificate":
            return { certificates: [{ sha1_fingerprint: "0".repeat(40) }] };
          case "aws_iam_role": {
            const name = str(args.name) ?? block.name;
            return { ...args, name, arn: `arn:aws:iam::${accountId}:role/${name}` };
          }
          case "aws_iam_policy": {
            const arn = str(args.arn) ?? `arn:aws:iam::${accountId}:policy/${str(args.name) ?? block.name}`;
            const managed = awsManagedPolicies.find((p) => awsManagedPolicyArn(p) === arn);
            return { ...args, arn, ...(managed ? { policy: managed.document } : {}) };
          }
          default:
            return { ...args };
        }
      },
      async resource(block, _key, args): Promise<Record<string, Value>> {
        const name = str(args.name) ?? block.name;
        const path = str(args.path) ?? "/";
        switch (block.type) {
          case "aws_iam_role": {
            c.roles.push({ name, path, args, block, where: where(block) });
            return {
              ...args,
              name,
              id: name,
              arn: `arn:aws:iam::${accountId}:role${path}${name}`,
              unique_id: `AROA${name.toUpperCase().slice(0, 16)}`,
            };
          }
          case "aws_iam_policy": {
            const arn = `arn:aws:iam::${accountId}:policy${path}${name}`;
            const document = str(args.policy);
            if (document) c.policies.push({ id: arn, name, document, location: where(block) });
            return { ...args, name, id: arn, arn };
          }
          case "aws_iam_role_policy_attachment": {
            const role = str(args.role);
            const policyArn = str(args.policy_arn);
            if (role && policyArn) c.attachments.push({ role, policyArn, block, where: where(block) });
            return { ...args, id: `${role}-${block.name}` };
          }
          case "aws_iam_role_policy": {
            const role = str(args.role);
            const document = str(args.policy);
            if (role && document) c.inline.push({ role, name, document, where: where(block) });
            return { ...args, id: `${role}:${name}` };
          }
          case "aws_iam_openid_connect_provider": {
            const host = (str(args.url) ?? "").replace(/^https:\/\//, "");
            const arn = `arn:aws:iam::${accountId}:oidc-provider/${host}`;
            return { ...args, id: arn, arn };
          }
          case "aws_ecr_repository": {
            const r = region ?? "us-east-1";
            return {
              ...args,
              id: name,
              arn: `arn:aws:ecr:${r}:${accountId}:repository/${name}`,
              repository_url: `${accountId}.dkr.ecr.${r}.amazonaws.com/${name}`,
              registry_id: accountId,
            };
          }
          case "aws_ecs_cluster": {
            const arn = `arn:aws:ecs:${region ?? "us-east-1"}:${accountId}:cluster/${name}`;
            return { ...args, id: arn, arn };
          }
          default:
            return { ...args, id: `${block.type}.${block.name}` };
        }
      },
    };
    await new Evaluator(config, {}, hooks).run();
  }
  return assemble(c, accountId);
}

function assemble(c: Collected, accountId: string): RoleInventory {
  const policies = new Map<string, PermissionPolicy>();
  for (const p of c.policies) policies.set(p.id, p);
  for (const m of awsManagedPolicies) {
    const arn = awsManagedPolicyArn(m);
    if (c.attachments.some((a) => a.policyArn === arn))
      policies.set(arn, { id: arn, name: m.name, document: m.document });
  }
  const roles = new Map<string, RoleModel>();
  const roleFor = (name: string): RoleModel => {
    let r = roles.get(name);
    if (!r) {
      r = { name, arn: `arn:aws:iam::${accountId}:role/${name}`, policies: [] };
      roles.set(name, r);
    }
    return r;
  };
  for (const r of c.roles) {
    const role = roleFor(r.name);
    role.arn = `arn:aws:iam::${accountId}:role${r.path}${r.name}`;
    const trust = str(r.args.assume_role_policy);
    if (trust && !isUnknown(r.args.assume_role_policy)) role.trustPolicy = trust;
    const max = r.args.max_session_duration;
    if (typeof max === "number") role.maxSessionDuration = max;
    role.location = r.where;
    for (const arn of Array.isArray(r.args.managed_policy_arns) ? r.args.managed_policy_arns : []) {
      if (typeof arn === "string")
        c.attachments.push({ role: r.name, policyArn: arn, block: r.block, where: r.where });
    }
  }
  const loadFindings: Finding[] = [];
  const attachments = new Map<string, string[]>();
  for (const a of c.attachments) {
    let name = a.role;
    const where = a.where;
    if (a.role.startsWith("arn:")) {
      name = a.role.slice(a.role.lastIndexOf("/") + 1);
      loadFindings.push({
        role: name,
        severity: "high",
        rule: "KS-TF-001",
        message: `aws_iam_role_policy_attachment.${a.block.name} names the role by ARN (${a.role}); AttachRolePolicy takes a role name, so terraform apply fails with a ValidationError. keyship reads it as role '${name}'.`,
        evidence: `role = "${a.role}"`,
        fix: { role: name },
        location: where,
      });
    }
    const role = roleFor(name);
    const policy = policies.get(a.policyArn);
    if (policy && !role.policies.includes(policy)) role.policies.push(policy);
    if (!policy) {
      role.notes = [
        ...(role.notes ?? []),
        `attached policy ${a.policyArn} is not defined in the configuration`,
      ];
    }
    attachments.set(a.policyArn, [...(attachments.get(a.policyArn) ?? []), name]);
  }
  for (const i of c.inline) {
    const name = i.role.startsWith("arn:") ? i.role.slice(i.role.lastIndexOf("/") + 1) : i.role;
    roleFor(name).policies.push({
      id: `inline:${name}/${i.name}`,
      name: i.name,
      document: i.document,
      location: i.where,
    });
  }
  return { accountId, roles: [...roles.values()], policies, attachments, loadFindings };
}
