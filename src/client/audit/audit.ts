// `keyship audit` as a function: for every role that trusts a web-identity provider, the who-can-assume
// matrix and the findings of the trust and permission rules, sorted most severe first.
import { validatePolicy } from "../../iam/policy.ts";
import type { AuditReport, Finding, MatrixRow, RoleInventory, RoleModel } from "./model.ts";
import { severityRank } from "./model.ts";
import { permissionFindings, writeActionsAllowed } from "./permission-rules.ts";
import { matrixFor, type TrustTarget } from "./trust-matrix.ts";
import {
  GITHUB_ISSUER_KEY,
  type Home,
  inferHome,
  parseTrust,
  webIdentityStatements,
} from "./trust-policy.ts";
import { trustFindings } from "./trust-rules.ts";

export interface AuditOptions {
  /** what the policy is meant for, when it cannot be read from the policy (`--repo`, `--environment`) */
  home?: Partial<Home>;
  region?: string;
}

const DEPLOY_NAME = /deploy|release|publish|push|prod|admin/i;

/** The region the role's policies are about (first ECR/ECS ARN), else the option, else us-east-1. */
export function regionOf(roles: RoleModel[], fallback?: string): string {
  if (fallback) return fallback;
  for (const r of roles) {
    for (const p of r.policies) {
      const m = /arn:aws[a-z-]*:(?:ecr|ecs):([a-z0-9-]+):\d{12}:/.exec(p.document);
      if (m) return m[1]!;
    }
  }
  return "us-east-1";
}

export function auditRole(
  role: RoleModel,
  accountId: string,
  options: AuditOptions & { region: string },
): AuditReport {
  const findings: Finding[] = [];
  if (!role.trustPolicy) return { findings, matrix: [] };
  const where = role.location ? { location: role.location } : {};
  for (const problem of validatePolicy(role.trustPolicy, "trust", { principalExists: () => true })) {
    findings.push({
      role: role.name,
      severity: "high",
      rule: "KS-POLICY-001",
      message: `IAM rejects this trust policy: ${problem.message}`,
      evidence: `${problem.code}: ${problem.message}`,
      fix: null,
      ...where,
    });
  }
  const doc = parseTrust(role.trustPolicy);
  if (!doc) return { findings, matrix: [] };
  const statements = webIdentityStatements(doc);
  if (statements.length === 0) return { findings, matrix: [] };
  const home = inferHome(statements, options.home);
  const providerStatement = statements.find((s) => s.providerKey?.startsWith(GITHUB_ISSUER_KEY));
  const providerArn =
    providerStatement?.federated.find((f) => f.includes(`oidc-provider/${providerStatement.providerKey}`)) ??
    `arn:aws:iam::${accountId}:oidc-provider/${GITHUB_ISSUER_KEY}`;
  // Only GitHub (or "trust anyone") statements are about GitHub workflows.
  if (!providerStatement && !statements.some((s) => s.anyPrincipal)) return { findings, matrix: [] };
  const target: TrustTarget = {
    roleName: role.name,
    roleArn: role.arn,
    accountId,
    trustPolicy: role.trustPolicy,
    providerArn,
  };
  const matrix: MatrixRow[] = matrixFor(target, home);
  const ctx = { accountId, region: options.region };
  const writes = role.policies.length ? writeActionsAllowed(role, ctx) : [];
  const deployRole = role.policies.length ? writes.length > 0 : true;
  const deployReason = role.policies.length
    ? writes.length
      ? `its policies allow ${writes.slice(0, 3).join(", ")}${writes.length > 3 ? ", …" : ""}`
      : ""
    : DEPLOY_NAME.test(role.name)
      ? `its name says '${role.name}'`
      : "its permissions are not known, so it is treated as one";
  findings.push(...trustFindings({ role, target, home, statements, matrix, deployRole, deployReason }));
  findings.push(...permissionFindings(role, ctx));
  return { findings, matrix };
}

export function auditInventory(inv: RoleInventory, options: AuditOptions = {}): AuditReport {
  const region = regionOf(inv.roles, options.region);
  const findings: Finding[] = [...inv.loadFindings];
  const matrix: MatrixRow[] = [];
  for (const role of inv.roles) {
    const r = auditRole(role, inv.accountId, { ...options, region });
    findings.push(...r.findings);
    matrix.push(...r.matrix);
  }
  findings.sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      a.role.localeCompare(b.role) ||
      a.rule.localeCompare(b.rule),
  );
  return { findings, matrix };
}
