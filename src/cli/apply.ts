// `keyship apply`: the IAM, ECR and ECS subset of a Terraform configuration, applied through the AWS APIs.
import { resolve } from "node:path";
import { applyConfiguration, formatOutcome, summary } from "../client/terraform/apply.ts";
import { openTarget } from "../client/workflow/aws-target.ts";
import { misuse, parseCommand } from "./args.ts";

export const usage = `Usage: keyship apply DIR [--state DIR] [--var k=v ...] [--var-file F] [--plan] [--region R]

Reads the Terraform configuration in DIR (.tf files, terraform.tfvars, *.auto.tfvars) and applies
its IAM, ECR and ECS resources through the AWS APIs, creating or updating only what differs from
live state. AWS calls go to AWS_ENDPOINT_URL with the SDK's credentials; without an endpoint,
--state DIR starts an in-process twin on that state dir.

Supported: aws_iam_openid_connect_provider, aws_iam_role (inline_policy, managed_policy_arns),
aws_iam_policy, aws_iam_role_policy, aws_iam_role_policy_attachment, aws_iam_user, aws_iam_group,
aws_iam_group_policy, aws_iam_group_policy_attachment, aws_iam_user_group_membership,
aws_iam_group_membership, aws_ecr_repository, aws_ecs_cluster, aws_ecs_task_definition,
aws_ecs_service; data sources aws_iam_policy_document, aws_caller_identity, aws_region,
aws_partition, tls_certificate. Anything else is listed as unsupported and not applied.

  --plan         print what would change; change nothing
  --var k=v      set a variable (repeatable; highest precedence)
  --var-file F   read variables from a .tfvars file (repeatable)
  --state DIR    run an in-process twin on DIR when AWS_ENDPOINT_URL is not set
  --region R     region when the configuration's provider block names none

An attachment of this account's managed policy to a role that does not exist yet (AWS would answer
NoSuchEntity) is pending: recorded on the policy itself as the tag keyship:pending-attachment and
reported ("will attach when role R exists"). Every later apply, of any configuration, attaches it
once the role exists and removes the tag, so configurations sharing a role apply in either order.
Anything else that needs something missing is reported as deferred with the reason; applying
again once the dependency exists completes it.

Exit codes: 0 applied (or nothing to do; pending attachments included), 1 error, 2 usage error,
3 applied with deferred resources.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      state: { type: "string" },
      var: { type: "string", multiple: true },
      "var-file": { type: "string", multiple: true },
      plan: { type: "boolean" },
      region: { type: "string" },
    },
    usage,
    { name: "keyship apply" },
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return misuse("keyship apply: name one DIR", usage);
  const vars: [string, string][] = [];
  for (const v of values.var ?? []) {
    const i = v.indexOf("=");
    if (i <= 0) return misuse(`keyship apply: --var needs NAME=VALUE, got ${JSON.stringify(v)}`, usage);
    vars.push([v.slice(0, i), v.slice(i + 1)]);
  }
  const target = await openTarget({
    stateDir: values.state ? resolve(values.state) : undefined,
    region: values.region,
  });
  try {
    const planOnly = values.plan ?? false;
    const report = await applyConfiguration({
      dir: resolve(positionals[0]!),
      clients: target.clients(),
      region: target.region,
      vars,
      varFiles: values["var-file"]?.map((f) => resolve(f)),
      planOnly,
      twinUrl: target.endpoint,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    for (const r of report.resources.filter((r) => r.action === "unsupported" && !r.address.includes("."))) {
      process.stdout.write(`${formatOutcome(r, planOnly)}\n`);
    }
    if (Object.keys(report.outputs).length) {
      process.stdout.write("\nOutputs:\n");
      for (const [k, v] of Object.entries(report.outputs))
        process.stdout.write(`  ${k} = ${JSON.stringify(v)}\n`);
    }
    process.stdout.write(`\n${summary(report, planOnly)}\n`);
    return report.incomplete ? 3 : 0;
  } catch (err) {
    process.stderr.write(`keyship apply: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await target.close();
  }
}
