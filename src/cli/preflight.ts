// `keyship preflight`: will this workflow's AWS calls be allowed? Checked step by step with the IAM
// engine against the roles in a Terraform configuration or in the twin, before any deploy.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { RoleInventory } from "../client/audit/model.ts";
import { inferHome, parseTrust, webIdentityStatements } from "../client/audit/trust-policy.ts";
import { type PreflightReport, preflight, workspaceOf } from "../client/preflight/preflight.ts";
import { formatPreflight } from "../client/preflight/report-format.ts";
import { formatPreflightSarif } from "../client/preflight/sarif.ts";
import { stepLines } from "../client/preflight/workflow.ts";
import { misuse, parseCommand } from "./args.ts";
import { loadInventory } from "./audit.ts";

export const usage = `Usage: keyship preflight WORKFLOW.yml [--terraform DIR …] [--state DIR] [--repo OWNER/REPO]
                        [--event EVENT] [--ref REF] [--job ID] [--workspace DIR] [--format table|json|sarif]

For each step of the workflow, the AWS calls it will make (configure-aws-credentials' AssumeRoleWithWebIdentity
with the job's OIDC claims, amazon-ecr-login, docker push to ECR, amazon-ecs-deploy-task-definition's
RegisterTaskDefinition, iam:PassRole for the task definition's roles, DescribeServices and UpdateService on
the service ARN) and whether the role the workflow assumes allows each one, with the engine's explanation.

Roles come from a Terraform configuration (--terraform, repeatable; a directory of directories is read
whole) without applying it, or from the twin in --state DIR (default .keyship when it exists).

Options:
  --repo OWNER/REPO   the repository the workflow runs in (default: $GITHUB_REPOSITORY, else the role's trust policy)
  --event EVENT       the triggering event (default: push or workflow_dispatch from the workflow's on:)
  --ref REF           the ref (default refs/heads/<first push branch, else main>)
  --job ID            check only this job
  --workspace DIR     the repository checkout (default: the directory above .github/workflows)
  --account ID        account for Terraform ARNs (default 123456789012)
  --format table|json|sarif
                      output (default table; sarif is SARIF 2.1.0 for GitHub code scanning: a result per
                      denied call or broken step at the step's line in the workflow, file paths relative
                      to the repository that holds the workflow; upload it with
                      github/codeql-action/upload-sarif in a step with if: always(), since a finding exits 1)

Exit codes (every format): 0 every call allowed, 1 a call would be denied (or a step cannot work), 2 usage error.
`;

/** The repository a role's trust policy is written for, when the user did not say. */
function repoFromRoles(inv: RoleInventory): string | undefined {
  for (const r of inv.roles) {
    const doc = r.trustPolicy ? parseTrust(r.trustPolicy) : undefined;
    if (!doc) continue;
    const home = inferHome(webIdentityStatements(doc));
    if (home.owner !== "your-org" && home.repo !== "your-repo") return `${home.owner}/${home.repo}`;
  }
  return undefined;
}

/**
 * The repository the workflow is in, which code scanning resolves URIs against: the nearest directory
 * above it holding .git, else (an export without git) the checkout preflight assumes.
 */
function repositoryRoot(workflowPath: string): string {
  for (let dir = dirname(resolve(workflowPath)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
  }
  return workspaceOf(workflowPath);
}

async function sarif(
  report: PreflightReport,
  workflowText: string,
  inventory: RoleInventory,
): Promise<string> {
  const { VERSION } = await import("../main.ts");
  return formatPreflightSarif(report, {
    toolVersion: VERSION,
    root: repositoryRoot(report.workflow),
    cwd: process.cwd(),
    stepLines: stepLines(workflowText),
    roles: inventory.roles,
    loadFindings: inventory.loadFindings,
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      terraform: { type: "string", multiple: true },
      state: { type: "string" },
      repo: { type: "string" },
      event: { type: "string" },
      ref: { type: "string" },
      job: { type: "string" },
      workspace: { type: "string" },
      account: { type: "string" },
      format: { type: "string", default: "table" },
    },
    usage,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const problems: string[] = [];
  if (positionals.length !== 1) problems.push("name one WORKFLOW.yml");
  if (!["table", "json", "sarif"].includes(values.format))
    problems.push("--format must be table, json or sarif");
  if (values.repo && !/^[^/\s]+\/[^/\s]+$/.test(values.repo)) problems.push("--repo must be OWNER/REPO");
  let state = values.state;
  if (!values.terraform?.length && !state) {
    if (existsSync(".keyship")) state = ".keyship";
    else problems.push("name where the roles are: --terraform DIR or --state DIR");
  }
  if (problems.length) return misuse(problems.join("\n"), usage);
  const workflowPath = positionals[0]!;
  try {
    const workflowText = await readFile(workflowPath, "utf8");
    const inventory = await loadInventory({
      ...(values.terraform?.length ? { terraform: values.terraform } : { live: true, state: state! }),
      ...(values.account ? { account: values.account } : {}),
    });
    const repo =
      values.repo ?? process.env.GITHUB_REPOSITORY ?? repoFromRoles(inventory) ?? "your-org/your-repo";
    const report = preflight({
      workflowText,
      workflowPath,
      inventory,
      repo,
      ...(values.event ? { event: values.event } : {}),
      ...(values.ref ? { ref: values.ref } : {}),
      ...(values.job ? { job: values.job } : {}),
      ...(values.workspace ? { workspace: values.workspace } : {}),
    });
    if (values.format === "sarif") {
      // The loading findings are results of the log: stdout stays one JSON document.
      process.stdout.write(await sarif(report, workflowText, inventory));
    } else {
      process.stdout.write(
        values.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatPreflight(report),
      );
      for (const f of inventory.loadFindings) process.stdout.write(`warning: ${f.message}\n`);
    }
    return report.denied > 0 || report.problems > 0 ? 1 : 0;
  } catch (err) {
    process.stderr.write(`keyship preflight: ${(err as Error).message}\n`);
    return 1;
  }
}
