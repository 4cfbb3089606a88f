// What `keyship audit` and `keyship preflight` reason about: roles with their trust policy and
// permission policies, wherever they came from (a JSON file, Terraform, the IAM API), and findings.

export type Severity = "low" | "medium" | "high" | "critical";
export const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Where a policy or role was written: a file and a 1-based line (and column when known). */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export interface PermissionPolicy {
  /** managed policy ARN, or `inline:<role>/<name>` */
  id: string;
  name: string;
  /** JSON text */
  document: string;
  location?: SourceLocation;
}

export interface RoleModel {
  name: string;
  arn: string;
  /** JSON text; undefined for roles only known by name (an attachment names a role defined elsewhere) */
  trustPolicy?: string;
  /** identity policies attached to the role (managed and inline) */
  policies: PermissionPolicy[];
  permissionsBoundary?: PermissionPolicy;
  maxSessionDuration?: number;
  location?: SourceLocation;
  /** notes from loading (e.g. an attachment that names the role by ARN) */
  notes?: string[];
}

/** Every role and every policy a target defines, including policies attached to nothing. */
export interface RoleInventory {
  accountId: string;
  roles: RoleModel[];
  /** managed policies by ARN, attached or not (preflight looks for the one that would have allowed) */
  policies: Map<string, PermissionPolicy>;
  /** managed policy ARN → role names it is attached to */
  attachments: Map<string, string[]>;
  /** problems found while loading that are findings in their own right */
  loadFindings: Finding[];
}

export interface Finding {
  role: string;
  severity: Severity;
  rule: string;
  message: string;
  /** what the engine decided on minted claims or probe requests, one fact per line */
  evidence: string;
  /** a suggested fixed policy (trust or permission), or null when there is nothing to rewrite */
  fix: unknown;
  location?: SourceLocation;
}

export type Decision = "allowed" | "explicitDeny" | "implicitDeny";

export interface MatrixRow {
  role: string;
  context: string;
  label: string;
  /** the token's sub in the classic format, and whether the role's trust policy allows it */
  sub: string;
  classic: Decision;
  /** the same job in a repository with immutable subjects */
  immutableSub: string;
  immutable: Decision;
  /** the failing condition when the classic token is denied */
  why?: string;
}

export interface AuditReport {
  findings: Finding[];
  matrix: MatrixRow[];
}
