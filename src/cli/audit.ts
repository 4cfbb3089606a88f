// `keyship audit`: who can assume each GitHub-trusting role (claims minted per context, decided by the
// IAM engine) and what is wrong with its trust and permission policies.

import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { IAMClient } from "@aws-sdk/client-iam";
import { auditInventory } from "../client/audit/audit.ts";
import { loadJsonTarget, TargetError } from "../client/audit/json-target.ts";
import { loadLiveTarget } from "../client/audit/live-roles.ts";
import { type RoleInventory, SEVERITIES, type Severity, severityRank } from "../client/audit/model.ts";
import { formatJson, formatSarif, formatTable } from "../client/audit/report-format.ts";
import { loadTerraformTarget } from "../client/audit/terraform-roles.ts";
import { misuse, parseCommand } from "./args.ts";

export const usage = `Usage: keyship audit TARGET [--format table|json|sarif] [--fail-on low|medium|high|critical]
       keyship audit --terraform DIR [--terraform DIR …] [options]
       keyship audit --live [--state DIR] [options]

TARGET is a trust-policy JSON file, a role bundle ({"roles": [{"name", "trustPolicy", "policies"}]}),
or a Terraform directory (a directory of directories, such as terraform/{common,app}, is read whole).
--live reads the roles through the IAM API: of the twin in --state DIR (started in-process), or of
the account your AWS credentials and AWS_ENDPOINT_URL point at.

For every role that trusts GitHub's OIDC provider, audit mints GitHub's claims for each context
(default branch, another branch, a tag, a pull request, each environment, another repository of the
owner, another owner, callers of a reusable workflow; classic and immutable subjects) and lets the
IAM engine decide, then reports findings with a rule id, the evidence and a suggested fixed policy.

Options:
  --format table|json|sarif   output (default table; sarif is SARIF 2.1.0 for GitHub code scanning)
  --fail-on SEVERITY          exit 1 when a finding is at least this severe (default high)
  --repo OWNER/REPO           the repository the roles are meant for (default: read from the policy)
  --environment NAME          an environment to probe (repeatable; default: from the policy, else production)
  --branch NAME               the default branch (default: from the policy, else main)
  --account ID                account for Terraform ARNs (default 123456789012)
  --region REGION             region for probe ARNs (default: from the policies)
  --output FILE               write the report to FILE instead of stdout

Exit codes: 0 no finding at --fail-on, 1 a finding at --fail-on (or the target could not be read), 2 usage error.
`;

export interface TargetArgs {
  target?: string;
  terraform?: string[];
  live?: boolean;
  state?: string;
  account?: string;
  region?: string;
}

/** Loads roles from whichever target was named; the twin (for --live --state) is closed afterwards. */
export async function loadInventory(a: TargetArgs): Promise<RoleInventory> {
  if (a.live) {
    if (a.state) {
      const { startTwin } = await import("../main.ts");
      const twin = await startTwin({ stateDir: resolve(a.state), port: 0, runtime: "simulated" });
      try {
        const iam = new IAMClient({
          endpoint: twin.url,
          region: a.region ?? "us-east-1",
          credentials: { accessKeyId: twin.admin.accessKeyId, secretAccessKey: twin.admin.secretAccessKey },
        });
        return await loadLiveTarget(iam);
      } finally {
        await twin.close();
      }
    }
    return loadLiveTarget(new IAMClient({ region: a.region ?? process.env.AWS_REGION ?? "us-east-1" }));
  }
  const tfOptions = {
    ...(a.account ? { accountId: a.account } : {}),
    ...(a.region ? { region: a.region } : {}),
  };
  if (a.terraform?.length) return loadTerraformTarget(a.terraform, tfOptions);
  if (!a.target) throw new TargetError("no target: name a file or directory, --terraform DIR or --live");
  if ((await stat(a.target)).isDirectory()) return loadTerraformTarget([a.target], tfOptions);
  return loadJsonTarget(a.target);
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      format: { type: "string", default: "table" },
      "fail-on": { type: "string", default: "high" },
      terraform: { type: "string", multiple: true },
      live: { type: "boolean", default: false },
      state: { type: "string" },
      repo: { type: "string" },
      environment: { type: "string", multiple: true },
      branch: { type: "string" },
      account: { type: "string" },
      region: { type: "string" },
      output: { type: "string" },
    },
    usage,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const problems: string[] = [];
  if (!["table", "json", "sarif"].includes(values.format))
    problems.push(`--format must be table, json or sarif`);
  if (!SEVERITIES.includes(values["fail-on"] as Severity))
    problems.push(`--fail-on must be one of ${SEVERITIES.join(", ")}`);
  if (positionals.length > 1) problems.push("name one TARGET");
  if (!positionals.length && !values.terraform?.length && !values.live) problems.push("missing TARGET");
  if (values.repo && !/^[^/\s]+\/[^/\s]+$/.test(values.repo)) problems.push("--repo must be OWNER/REPO");
  if (problems.length) return misuse(problems.join("\n"), usage);
  let inventory: RoleInventory;
  try {
    inventory = await loadInventory({
      ...(positionals[0] ? { target: positionals[0] } : {}),
      ...(values.terraform ? { terraform: values.terraform } : {}),
      live: values.live,
      ...(values.state ? { state: values.state } : {}),
      ...(values.account ? { account: values.account } : {}),
      ...(values.region ? { region: values.region } : {}),
    });
  } catch (err) {
    process.stderr.write(`keyship audit: ${(err as Error).message}\n`);
    return 1;
  }
  const [owner, repo] = values.repo?.split("/") ?? [];
  const report = auditInventory(inventory, {
    home: {
      ...(owner ? { owner } : {}),
      ...(repo ? { repo } : {}),
      ...(values.environment ? { environments: values.environment } : {}),
      ...(values.branch ? { defaultBranch: values.branch } : {}),
    },
    ...(values.region ? { region: values.region } : {}),
  });
  let text: string;
  if (values.format === "json") text = formatJson(report);
  else if (values.format === "sarif") {
    const { VERSION } = await import("../main.ts");
    text = formatSarif(report, VERSION);
  } else text = formatTable(report);
  if (values.output) {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(values.output, text);
  } else process.stdout.write(text);
  const threshold = severityRank(values["fail-on"] as Severity);
  return report.findings.some((f) => severityRank(f.severity) >= threshold) ? 1 : 0;
}
