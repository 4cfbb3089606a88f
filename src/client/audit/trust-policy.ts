// Reading a role's trust policy the way the audit rules need it: the statements that let a web
// identity assume the role, their OIDC condition entries, and the home repository they point at.
// Grammar: iam-policy.md §2; GitHub keys and subject formats: github-oidc.md §6, sts.md §2.5.
import { compileGlobText, globMatch } from "../../iam/arn.ts";

export const GITHUB_ISSUER_KEY = "token.actions.githubusercontent.com";
const ASSUME_WEB = "sts:assumerolewithwebidentity";

export interface ConditionEntry {
  /** as written, e.g. `ForAllValues:StringLike` */
  operator: string;
  /** base operator without set qualifier or IfExists, e.g. `StringLike` */
  base: string;
  set: "ForAllValues" | "ForAnyValue" | null;
  ifExists: boolean;
  /** as written */
  key: string;
  /** the claim part after `<issuer>:` in lower case (`sub`, `aud`, …), or null for other keys */
  claim: string | null;
  values: string[];
}

export interface WebIdentityStatement {
  index: number;
  sid: string | null;
  effect: string;
  /** Federated values (or `*` for a `"*"` principal) */
  federated: string[];
  /** the statement trusts every principal (`"*"`, `{"AWS":"*"}` or `{"Federated":"*"}`) */
  anyPrincipal: boolean;
  /** the GitHub provider key it trusts, e.g. `token.actions.githubusercontent.com` */
  providerKey: string | null;
  conditions: ConditionEntry[];
  raw: Record<string, unknown>;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const strings = (v: unknown): string[] => list(v).map((x) => (typeof x === "string" ? x : JSON.stringify(x)));

export function parseTrust(text: string): Record<string, unknown> | undefined {
  try {
    const doc = JSON.parse(text) as unknown;
    return doc && typeof doc === "object" && !Array.isArray(doc)
      ? (doc as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function providerKeyOf(federated: string): string | null {
  const m = /:oidc-provider\/(.+)$/.exec(federated);
  if (m) return m[1]!;
  return null;
}

/** Statements whose Action covers sts:AssumeRoleWithWebIdentity. */
export function webIdentityStatements(doc: Record<string, unknown>): WebIdentityStatement[] {
  const out: WebIdentityStatement[] = [];
  list(doc.Statement).forEach((s, index) => {
    if (!s || typeof s !== "object") return;
    const st = s as Record<string, unknown>;
    const actions = strings(st.Action);
    if (!actions.some((a) => globMatch(compileGlobText(a.toLowerCase()), ASSUME_WEB))) return;
    const p = st.Principal;
    const federated: string[] = [];
    let anyPrincipal = false;
    if (p === "*") anyPrincipal = true;
    else if (p && typeof p === "object") {
      const po = p as Record<string, unknown>;
      federated.push(...strings(po.Federated));
      if (federated.includes("*") || strings(po.AWS).includes("*")) anyPrincipal = true;
    }
    const keys = federated.map(providerKeyOf).filter((k): k is string => k !== null);
    const providerKey =
      keys.find((k) => k === GITHUB_ISSUER_KEY || k.startsWith(`${GITHUB_ISSUER_KEY}/`)) ?? keys[0] ?? null;
    out.push({
      index,
      sid: typeof st.Sid === "string" ? st.Sid : null,
      effect: String(st.Effect ?? ""),
      federated: anyPrincipal && federated.length === 0 ? ["*"] : federated,
      anyPrincipal,
      providerKey,
      conditions: conditionEntries(st.Condition, providerKey ?? GITHUB_ISSUER_KEY),
      raw: st,
    });
  });
  return out;
}

export function conditionEntries(condition: unknown, providerKey: string): ConditionEntry[] {
  if (!condition || typeof condition !== "object") return [];
  const out: ConditionEntry[] = [];
  const prefix = `${providerKey.toLowerCase()}:`;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (!block || typeof block !== "object") continue;
    const m = /^(?:(ForAllValues|ForAnyValue):)?(.+?)(IfExists)?$/i.exec(operator)!;
    const setRaw = m[1]?.toLowerCase();
    for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
      const lower = key.toLowerCase();
      out.push({
        operator,
        base: m[2]!,
        set: setRaw === "forallvalues" ? "ForAllValues" : setRaw === "foranyvalue" ? "ForAnyValue" : null,
        ifExists: m[3] !== undefined,
        key,
        claim: lower.startsWith(prefix) ? lower.slice(prefix.length) : null,
        values: strings(value),
      });
    }
  }
  return out;
}

/** True for StringEquals / StringLike / StringEqualsIgnoreCase (the positive string operators). */
export function isPositiveString(base: string): boolean {
  return ["stringequals", "stringlike", "stringequalsignorecase"].includes(base.toLowerCase());
}

export function isLike(base: string): boolean {
  return base.toLowerCase() === "stringlike";
}

/** What the policy says about the repository it is meant for (github-oidc.md §6.1–§6.2). */
export interface Home {
  owner: string;
  repo: string;
  ownerId?: string;
  repoId?: string;
  defaultBranch: string;
  environments: string[];
  /** a reusable workflow the policy pins with job_workflow_ref (wildcards replaced) */
  reusableWorkflowRef?: string;
}

const SUB_RE = /^repo:([^/:@*?]+)(?:@(\d+))?\/([^/:@*?]+)(?:@(\d+))?(?::(.*))?$/;

/** Infers the home repository, branch and environments from the sub / job_workflow_ref values. */
export function inferHome(statements: WebIdentityStatement[], given: Partial<Home> = {}): Home {
  let owner: string | undefined;
  let repo: string | undefined;
  let ownerId: string | undefined;
  let repoId: string | undefined;
  let branch: string | undefined;
  const environments = new Set<string>();
  let reusable: string | undefined;
  for (const s of statements) {
    for (const c of s.conditions) {
      if (c.claim === "sub") {
        for (const v of c.values) {
          const ownerOnly = /^repo:([^/:@*?]+)(?:@(\d+))?\//.exec(v);
          if (ownerOnly && !owner) {
            owner = ownerOnly[1];
            ownerId ??= ownerOnly[2];
          }
          const m = SUB_RE.exec(v);
          if (!m) continue;
          if (!repo) {
            owner = m[1];
            repo = m[3];
          }
          ownerId ??= m[2];
          repoId ??= m[4];
          const ctx = m[5] ?? "";
          const b = /^ref:refs\/heads\/([^*?]+)$/.exec(ctx);
          if (b && !branch) branch = b[1];
          const e = /^environment:([^*?]+)$/.exec(ctx);
          if (e) environments.add(e[1]!.replaceAll("%3A", ":"));
        }
      }
      if (c.claim === "environment") for (const v of c.values) if (!/[*?]/.test(v)) environments.add(v);
      if (c.claim === "job_workflow_ref" && !reusable) {
        const v = c.values.find((x) => x !== "*");
        if (v) reusable = v.replaceAll("*", "x").replaceAll("?", "x");
      }
      if (c.claim === "repository" && !repo) {
        const m = /^([^/*?]+)\/([^/*?]+)$/.exec(c.values[0] ?? "");
        if (m) {
          owner = m[1];
          repo = m[2];
        }
      }
      if (c.claim === "repository_id") repoId ??= c.values.find((v) => /^\d+$/.test(v));
    }
  }
  const home: Home = {
    owner: given.owner ?? owner ?? "your-org",
    repo: given.repo ?? repo ?? "your-repo",
    defaultBranch: given.defaultBranch ?? branch ?? "main",
    environments: given.environments?.length ? given.environments : [...environments],
  };
  if (home.environments.length === 0) home.environments = ["production"];
  const oid = given.ownerId ?? ownerId;
  const rid = given.repoId ?? repoId;
  if (oid) home.ownerId = oid;
  if (rid) home.repoId = rid;
  if (given.reusableWorkflowRef ?? reusable) home.reusableWorkflowRef = given.reusableWorkflowRef ?? reusable;
  return home;
}
