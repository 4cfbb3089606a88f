// The three ways `keyship audit` prints its report: a table for people, JSON for scripts, and SARIF
// 2.1.0 for GitHub code scanning (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
import type { AuditReport, Finding, MatrixRow, Severity } from "./model.ts";

/** One line per rule: what GitHub shows as the rule's name and help. */
export const RULES: Record<string, { name: string; short: string; severity: Severity }> = {
  "KS-OIDC-001": {
    name: "NoSubjectCondition",
    short: "No sub or job_workflow_ref condition: any GitHub workflow can assume the role",
    severity: "critical",
  },
  "KS-OIDC-002": {
    name: "SubjectWildcard",
    short: "The sub condition matches other repositories or owners",
    severity: "critical",
  },
  "KS-OIDC-003": {
    name: "PoisonedValueList",
    short: "A multi-value sub list contains a catch-all value",
    severity: "critical",
  },
  "KS-OIDC-004": {
    name: "PullRequestOrAnyBranch",
    short: "Pull requests or any branch can assume a deploy role",
    severity: "high",
  },
  "KS-OIDC-005": {
    name: "BranchPrefixCollision",
    short: "A branch sharing the protected branch's prefix can assume the role",
    severity: "high",
  },
  "KS-OIDC-006": {
    name: "StringEqualsWildcard",
    short: "StringEquals with a wildcard never matches",
    severity: "medium",
  },
  "KS-OIDC-007": { name: "AudienceNotChecked", short: "Missing or wrong aud condition", severity: "medium" },
  "KS-OIDC-008": {
    name: "VacuousSetOperator",
    short: "ForAllValues or IfExists on an OIDC key in an Allow statement",
    severity: "high",
  },
  "KS-OIDC-009": {
    name: "SubjectNeverMatches",
    short: "A sub value in a format GitHub never emits",
    severity: "low",
  },
  "KS-OIDC-010": {
    name: "ImmutableSubjectNotReady",
    short: "Only classic subjects match: breaks on immutable subjects",
    severity: "medium",
  },
  "KS-OIDC-011": {
    name: "UntrustedPrincipal",
    short: "The statement trusts every principal or another account's provider",
    severity: "critical",
  },
  "KS-OIDC-012": {
    name: "NoEnvironment",
    short: "A deploy role that does not require a GitHub environment",
    severity: "medium",
  },
  "KS-OIDC-014": {
    name: "LongSessions",
    short: "MaxSessionDuration far above a job's length",
    severity: "low",
  },
  "KS-OIDC-015": {
    name: "GuardrailViolation",
    short: "IAM's 2025 GitHub trust guardrail would reject this policy",
    severity: "high",
  },
  "KS-PERM-001": {
    name: "AdministratorAccess",
    short: "Every action on every resource",
    severity: "critical",
  },
  "KS-PERM-002": {
    name: "ServiceWildcard",
    short: "Service-wide action wildcard (ecr:*, ecs:*, iam:*)",
    severity: "high",
  },
  "KS-PERM-003": {
    name: "WriteOnAnyResource",
    short: 'Push or deploy actions on Resource "*"',
    severity: "high",
  },
  "KS-PERM-004": { name: "PassAnyRole", short: "iam:PassRole on every role", severity: "high" },
  "KS-PERM-005": {
    name: "PassRoleAnyService",
    short: "iam:PassRole without iam:PassedToService",
    severity: "medium",
  },
  "KS-POLICY-001": { name: "InvalidPolicy", short: "IAM rejects the policy document", severity: "high" },
  "KS-TF-001": {
    name: "AttachmentRoleArn",
    short: "A policy attachment names the role by ARN",
    severity: "high",
  },
};

export function formatJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const MARK: Record<string, string> = { allowed: "ALLOW", implicitDeny: "deny", explicitDeny: "DENY!" };

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function matrixTable(rows: MatrixRow[]): string[] {
  const w = Math.max(7, ...rows.map((r) => r.label.length));
  const out = [`  ${pad("context", w)}  classic  immutable  sub (classic)`];
  for (const r of rows) {
    out.push(
      `  ${pad(r.label, w)}  ${pad(MARK[r.classic] ?? r.classic, 7)}  ${pad(MARK[r.immutable] ?? r.immutable, 9)}  ${r.sub}`,
    );
  }
  return out;
}

export function formatTable(report: AuditReport): string {
  const lines: string[] = [];
  const roles = [...new Set([...report.matrix.map((r) => r.role), ...report.findings.map((f) => f.role)])];
  for (const role of roles) {
    lines.push(`role ${role}`);
    const rows = report.matrix.filter((r) => r.role === role);
    if (rows.length) {
      lines.push("  who can assume it (claims minted per context, decided by the IAM engine):");
      lines.push(...matrixTable(rows));
    }
    const findings = report.findings.filter((f) => f.role === role);
    lines.push(findings.length ? `  findings (${findings.length}):` : "  no findings");
    for (const f of findings) {
      lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.rule}  ${f.message}`);
      if (f.location)
        lines.push(`           at ${f.location.file}${f.location.line ? `:${f.location.line}` : ""}`);
      for (const e of f.evidence.split("\n")) if (e) lines.push(`           · ${e}`);
      if (f.fix) lines.push(`           fix: ${JSON.stringify(f.fix)}`);
    }
    lines.push("");
  }
  const counts = (["critical", "high", "medium", "low"] as const).map(
    (s) => `${report.findings.filter((f) => f.severity === s).length} ${s}`,
  );
  lines.push(`${report.findings.length} finding(s): ${counts.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

/** A severity as a SARIF result level (audit and preflight alike). */
export const SARIF_LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
};
/** GitHub maps security-severity to critical (≥ 9.0), high (≥ 7.0), medium (≥ 4.0), low. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.0",
  low: "2.0",
};

export function toSarif(report: AuditReport, toolVersion: string): object {
  const used = [...new Set(report.findings.map((f) => f.rule))].sort();
  const rules = used.map((id) => {
    const r = RULES[id] ?? { name: id, short: id, severity: "medium" as Severity };
    return {
      id,
      name: r.name,
      shortDescription: { text: r.short },
      fullDescription: { text: r.short },
      defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
      properties: {
        tags: ["security", "iam", "github-oidc"],
        "security-severity": SECURITY_SEVERITY[r.severity],
      },
    };
  });
  const results = report.findings.map((f: Finding) => {
    const result: Record<string, unknown> = {
      ruleId: f.rule,
      ruleIndex: used.indexOf(f.rule),
      level: SARIF_LEVEL[f.severity],
      message: { text: `${f.role}: ${f.message}\n${f.evidence}` },
      properties: {
        role: f.role,
        severity: f.severity,
        "security-severity": SECURITY_SEVERITY[f.severity],
        fix: f.fix,
      },
    };
    const logical = [{ name: f.role, kind: "resource", fullyQualifiedName: `iam::role/${f.role}` }];
    if (f.location) {
      result.locations = [
        {
          physicalLocation: {
            artifactLocation: { uri: f.location.file.replaceAll("\\", "/") },
            region: {
              startLine: f.location.line ?? 1,
              ...(f.location.column ? { startColumn: f.location.column } : {}),
            },
          },
          logicalLocations: logical,
        },
      ];
    } else result.locations = [{ logicalLocations: logical }];
    result.partialFingerprints = { "keyship/v1": `${f.role}:${f.rule}:${f.message.length}` };
    return result;
  });
  return sarifLog("keyship audit", toolVersion, rules, results);
}

/** A SARIF 2.1.0 log of one run of one of keyship's tools (audit, preflight). */
export function sarifLog(tool: string, toolVersion: string, rules: unknown[], results: unknown[]): object {
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: tool,
            informationUri: "https://github.com/keyship/keyship",
            semanticVersion: toolVersion,
            version: toolVersion,
            rules,
          },
        },
        results,
      },
    ],
  };
}

export function formatSarif(report: AuditReport, toolVersion: string): string {
  return `${JSON.stringify(toSarif(report, toolVersion), null, 2)}\n`;
}
