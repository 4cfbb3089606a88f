// `keyship apply`: load → evaluate (graph) → plan each resource against live state read through the
// AWS APIs → apply what differs. Idempotent: a second run finds nothing to change.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ecrRepository, ecsCluster, ecsService, ecsTaskDefinition } from "./container-resources.ts";
import { type DataSourceContext, dataSources } from "./data-sources.ts";
import { type EvalHooks, Evaluator, type InstanceKey } from "./evaluate.ts";
import { parseExpression } from "./hcl-expression.ts";
import {
  group,
  groupMembership,
  groupPolicy,
  groupPolicyAttachment,
  user,
  userGroupMembership,
} from "./iam-group-resources.ts";
import { oidcProvider, policy, role, roleName, rolePolicy, rolePolicyAttachment } from "./iam-resources.ts";
import { type Config, ConfigError, loadConfig, parseHcl, type ResourceBlock } from "./load.ts";
import { completePendingAttachments, PENDING_TAG, type PendingAttachment } from "./pending-attachments.ts";
import { type AwsClients, type ResourcePlan, type ResourceType, str } from "./resource-type.ts";
import { Unknown, type Value } from "./value.ts";

export const resourceTypes: Record<string, ResourceType> = {
  aws_iam_openid_connect_provider: oidcProvider,
  aws_iam_role: role,
  aws_iam_policy: policy,
  aws_iam_role_policy: rolePolicy,
  aws_iam_role_policy_attachment: rolePolicyAttachment,
  aws_iam_user: user,
  aws_iam_group: group,
  aws_iam_group_policy: groupPolicy,
  aws_iam_group_policy_attachment: groupPolicyAttachment,
  aws_iam_user_group_membership: userGroupMembership,
  aws_iam_group_membership: groupMembership,
  aws_ecr_repository: ecrRepository,
  aws_ecs_cluster: ecsCluster,
  aws_ecs_task_definition: ecsTaskDefinition,
  aws_ecs_service: ecsService,
};

export interface ApplyOptions {
  dir: string;
  clients: AwsClients;
  accountId?: string;
  region: string;
  /** --var k=v, in order */
  vars?: [string, string][];
  varFiles?: string[];
  /** only plan: read and compare, change nothing */
  planOnly?: boolean;
  /** the twin's URL when applying against the twin (tls_certificate answers with its issuer) */
  twinUrl?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface ResourceOutcome {
  address: string;
  file: string;
  line: number;
  action: ResourcePlan["action"] | "unsupported";
  changes: string[];
  reason?: string;
}

export interface ApplyReport {
  resources: ResourceOutcome[];
  /**
   * Attachments recorded as pending by earlier applies (of any configuration) that this one found: attached
   * now that the role exists, would be attached (--plan), or still waiting for their role.
   */
  pendingAttachments: PendingAttachment[];
  outputs: Record<string, Value>;
  /** true when something could not be applied yet (deferred); pending attachments are not incomplete */
  incomplete: boolean;
}

const label = (b: ResourceBlock, key: InstanceKey) =>
  `${b.mode === "data" ? "data." : ""}${b.type}.${b.name}${key === undefined ? "" : `[${JSON.stringify(key)}]`}`;

export async function applyConfiguration(opts: ApplyOptions): Promise<ApplyReport> {
  const log = opts.log ?? (() => {});
  const config = await loadConfig(opts.dir);
  const region = providerRegion(config) ?? opts.region;
  const inputs = await variableInputs(config, opts);
  const resources: ResourceOutcome[] = [];
  /** "policyArn role" of the attachments this run found pending */
  const pendingHere = new Set<string>();
  for (const u of config.unsupported) {
    resources.push({
      address: `${u.kind} ${u.name}`,
      file: u.file,
      line: u.line,
      action: "unsupported",
      changes: [],
      reason: `${u.kind} blocks are not supported by keyship apply`,
    });
  }
  let accountId = opts.accountId;
  const ctx: DataSourceContext = {
    clients: opts.clients,
    accountId: accountId ?? "",
    region,
    partition: "aws",
    pendingCreates: new Set(),
    twinUrl: opts.twinUrl,
  };
  if (!accountId) {
    accountId = String((await dataSources.aws_caller_identity!({}, ctx)).account_id);
    ctx.accountId = accountId;
  }

  const hooks: EvalHooks = {
    async data(block, _key, args) {
      const ds = dataSources[block.type];
      if (!ds) {
        resources.push({
          address: label(block, _key),
          file: block.file,
          line: block.line,
          action: "unsupported",
          changes: [],
          reason: `data source ${block.type} is not supported`,
        });
        return new Unknown(`unsupported data source ${block.type}`);
      }
      return ds(args, ctx);
    },
    async resource(block, key, args, meta) {
      const type = resourceTypes[block.type];
      const address = label(block, key);
      if (!type) {
        resources.push({
          address,
          file: block.file,
          line: block.line,
          action: "unsupported",
          changes: [],
          reason: `resource type ${block.type} is not supported; not applied`,
        });
        log(`? ${address}: unsupported resource type, not applied (${block.file}:${block.line})`);
        return new Unknown(`unsupported resource ${block.type}`);
      }
      const plan = await type.plan(args, ctx, meta.ignoreChanges);
      resources.push({
        address,
        file: block.file,
        line: block.line,
        action: plan.action,
        changes: plan.changes,
        reason: plan.reason,
      });
      if (plan.action === "create" && type.identity) ctx.pendingCreates.add(type.identity(args));
      if (plan.action === "pending")
        pendingHere.add(`${str(args, "policy_arn")} ${roleName(str(args, "role") ?? "")}`);
      if (opts.planOnly || plan.action === "no-op" || plan.action === "deferred") {
        log(formatOutcome(resources[resources.length - 1]!, opts.planOnly ?? false));
        return plan.attrs;
      }
      const attrs = await plan.apply();
      log(formatOutcome(resources[resources.length - 1]!, false));
      return attrs;
    },
  };
  const result = await new Evaluator(config, inputs, hooks).run();
  // Attachments earlier applies recorded as pending (this configuration's or another's): completed now when
  // their role exists. The ones this run just recorded are already reported with their resource.
  const plannedRoles = new Set(
    [...ctx.pendingCreates].filter((k) => k.startsWith("aws_iam_role:")).map((k) => k.slice(13)),
  );
  const pendingAttachments = (
    await completePendingAttachments({
      iam: opts.clients.iam,
      planOnly: opts.planOnly ?? false,
      plannedRoles,
    })
  ).filter((p) => !(p.state === "waiting" && pendingHere.has(`${p.policyArn} ${p.role}`)));
  for (const p of pendingAttachments) log(formatPending(p));
  return {
    resources,
    pendingAttachments,
    outputs: result.outputs,
    incomplete: resources.some((r) => r.action === "deferred"),
  };
}

export function formatPending(p: PendingAttachment): string {
  const policy = p.policyArn.replace(/^.*:policy\//, "");
  const what = `pending attachment of policy ${policy} to role ${p.role}`;
  switch (p.state) {
    case "attached":
      return `+ ${what}: attached (recorded by an earlier apply; role ${p.role} exists now)`;
    case "already-attached":
      return `= ${what}: already attached; the record (tag ${PENDING_TAG}) is removed`;
    case "will-attach":
      return `+ ${what}: will be attached (recorded by an earlier apply; role ${p.role} exists or will be created)`;
    case "waiting":
      return `* ${what}: will attach when role ${p.role} exists`;
  }
}

const symbols: Record<ResourceOutcome["action"], string> = {
  create: "+",
  update: "~",
  replace: "±",
  "no-op": "=",
  deferred: "!",
  pending: "*",
  unsupported: "?",
};

export function formatOutcome(r: ResourceOutcome, planOnly: boolean): string {
  const verb: Record<ResourceOutcome["action"], string> = planOnly
    ? {
        create: "will be created",
        update: "will be updated in place",
        replace: "will get a new revision",
        "no-op": "no changes",
        deferred: "deferred",
        pending: "pending",
        unsupported: "unsupported, not applied",
      }
    : {
        create: "created",
        update: "updated",
        replace: "new revision registered",
        "no-op": "no changes",
        deferred: "deferred",
        pending: "pending",
        unsupported: "unsupported, not applied",
      };
  const lines = [`${symbols[r.action]} ${r.address}: ${verb[r.action]}`];
  for (const c of r.changes) lines.push(`    ${c}`);
  if (r.reason) lines.push(`    ${r.reason} (${r.file}:${r.line})`);
  return lines.join("\n");
}

export function summary(report: ApplyReport, planOnly: boolean): string {
  const count = (...a: ResourceOutcome["action"][]) =>
    report.resources.filter((r) => a.includes(r.action)).length;
  const state = (s: PendingAttachment["state"]) =>
    report.pendingAttachments.filter((p) => p.state === s).length;
  const waiting = count("pending") + state("waiting");
  const completed = planOnly ? state("will-attach") : state("attached");
  const pending = [
    ...(completed ? [`${completed} pending attachment(s) ${planOnly ? "to complete" : "completed"}`] : []),
    ...(waiting ? [`${waiting} attachment(s) waiting for their role`] : []),
  ];
  const tail = `${count("no-op")} unchanged, ${count("deferred")} deferred, ${count("unsupported")} unsupported${pending.length ? `; ${pending.join(", ")}` : ""}.`;
  return planOnly
    ? `Plan: ${count("create")} to create, ${count("update", "replace")} to change, ${tail}`
    : `Apply complete: ${count("create")} created, ${count("update", "replace")} changed, ${tail}`;
}

/** The aws provider block's region, when written as a literal. */
function providerRegion(config: Config): string | undefined {
  const r = config.providers.get("aws")?.body.region;
  return typeof r === "string" && !r.includes("${") ? r : undefined;
}

/**
 * Variable values, lowest precedence first: defaults (in the evaluator), TF_VAR_ environment,
 * terraform.tfvars(.json), *.auto.tfvars(.json) in lexical order, --var-file, --var
 * (https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence).
 */
async function variableInputs(config: Config, opts: ApplyOptions): Promise<Record<string, Value>> {
  const out: Record<string, Value> = {};
  const declared = (name: string, where: string) => {
    if (!config.variables.has(name))
      throw new ConfigError(`Value for undeclared variable "${name}" (from ${where})`);
  };
  const fromString = (name: string, text: string): Value => {
    const type = String(config.variables.get(name)?.body.type ?? "string");
    if (/^\$\{\s*string\s*\}$|^string$/.test(type)) return text;
    const ev = new Evaluator(config, {}, { data: async () => ({}), resource: async () => ({}) });
    return ev.evalExpr(parseExpression(text), {});
  };
  for (const [k, v] of Object.entries(opts.env ?? process.env)) {
    if (k.startsWith("TF_VAR_") && v !== undefined && config.variables.has(k.slice(7)))
      out[k.slice(7)] = fromString(k.slice(7), v);
  }
  const files = (await readdir(config.dir)).sort();
  const auto = [
    ...files.filter((f) => f === "terraform.tfvars" || f === "terraform.tfvars.json"),
    ...files.filter((f) => /\.auto\.tfvars(\.json)?$/.test(f)),
  ].map((f) => join(config.dir, f));
  for (const file of [...auto, ...(opts.varFiles ?? [])]) {
    const text = await readFile(file, "utf8");
    const json = file.endsWith(".json")
      ? (JSON.parse(text) as Record<string, unknown>)
      : await parseHcl(file, text);
    const ev = new Evaluator(config, {}, { data: async () => ({}), resource: async () => ({}) });
    for (const [k, v] of Object.entries(json)) {
      declared(k, file);
      out[k] = ev.evalRawSync(v, {});
    }
  }
  for (const [k, v] of opts.vars ?? []) {
    declared(k, "--var");
    out[k] = fromString(k, v);
  }
  return out;
}
