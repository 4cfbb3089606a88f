// The aws_iam_policy_document data source, rendered byte for byte as the AWS provider does
// (internal/service/iam/policy_document_data_source.go and policy_model.go in
// hashicorp/terraform-provider-aws): sets of strings sorted in reverse, one-element lists as strings,
// principals and conditions as maps with sorted keys, Go's MarshalIndent with two spaces.
import { crc32 } from "node:zlib";
import { goJson, isObject, type Value } from "./value.ts";

type Strings = string | string[];

interface Principal {
  type: string;
  identifiers: Strings;
}

interface Condition {
  test: string;
  variable: string;
  values: Strings;
}

interface Statement {
  sid: string;
  effect: string;
  actions?: unknown;
  notActions?: unknown;
  resources?: unknown;
  notResources?: unknown;
  principals?: Principal[];
  notPrincipals?: Principal[];
  conditions?: Condition[];
}

interface PolicyDoc {
  version: string;
  id: string;
  statements: Statement[];
}

export class PolicyDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyDocumentError";
  }
}

/** policyDecodeConfigStrings: the single element as a string, else the list sorted in reverse. */
function decodeStrings(list: string[]): Strings {
  if (list.length === 1) return list[0]!;
  return [...list].sort().reverse();
}

/** `&{aws:username}` in HCL (where `${` would interpolate) becomes the IAM policy variable `${aws:username}`. */
function replaceVars(v: Strings, version: string): Strings {
  const one = (s: string) => {
    if (version === "2008-10-17" && s.includes("&{")) {
      throw new PolicyDocumentError(
        `found &{ sequence in (${s}), which is not supported in document version 2008-10-17`,
      );
    }
    return s.replaceAll("&{", "${");
  };
  return Array.isArray(v) ? v.map(one) : one(v);
}

function stringSet(v: Value | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new PolicyDocumentError("expected a list of strings");
  // a set: duplicates collapse
  return [...new Set(v.map((x) => String(x)))];
}

function blocks(v: Value | undefined): Record<string, Value>[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.filter(isObject);
}

function principalsFrom(v: Value | undefined, version: string): Principal[] | undefined {
  const list = blocks(v);
  if (!list.length) return undefined;
  return list.map((p) => ({
    type: String(p.type ?? ""),
    identifiers: replaceVars(decodeStrings(stringSet(p.identifiers)), version),
  }));
}

/** Builds the document from the data source's evaluated arguments. */
function docFromConfig(args: Record<string, Value>): PolicyDoc {
  const version = args.version === undefined || args.version === null ? "2012-10-17" : String(args.version);
  if (version !== "2008-10-17" && version !== "2012-10-17") {
    throw new PolicyDocumentError(
      `expected version to be one of ["2008-10-17" "2012-10-17"], got ${version}`,
    );
  }
  const doc: PolicyDoc = { version, id: args.policy_id ? String(args.policy_id) : "", statements: [] };
  const sids = new Set<string>();
  for (const s of blocks(args.statement)) {
    const effect = s.effect === undefined || s.effect === null ? "Allow" : String(s.effect);
    if (effect !== "Allow" && effect !== "Deny")
      throw new PolicyDocumentError(`expected effect to be one of ["Allow" "Deny"], got ${effect}`);
    const sid = s.sid === undefined || s.sid === null ? "" : String(s.sid);
    if (sid && !/^[a-zA-Z0-9]*$/.test(sid))
      throw new PolicyDocumentError(`invalid sid "${sid}": must only include alphanumeric characters`);
    if (sids.has(sid))
      throw new PolicyDocumentError(
        `writing IAM Policy Document: duplicate Sid (${sid}). Remove the Sid or ensure the Sid is unique.`,
      );
    if (sid) sids.add(sid);
    const stmt: Statement = { sid, effect };
    const actions = stringSet(s.actions);
    if (actions.length) stmt.actions = decodeStrings(actions);
    const notActions = stringSet(s.not_actions);
    if (notActions.length) stmt.notActions = decodeStrings(notActions);
    const resources = stringSet(s.resources);
    if (resources.length) stmt.resources = replaceVars(decodeStrings(resources), version);
    const notResources = stringSet(s.not_resources);
    if (notResources.length) stmt.notResources = replaceVars(decodeStrings(notResources), version);
    stmt.principals = principalsFrom(s.principals, version);
    stmt.notPrincipals = principalsFrom(s.not_principals, version);
    const conds = blocks(s.condition);
    if (conds.length) {
      stmt.conditions = conds.map((c) => {
        // condition values are a list (order kept, empties kept), not a set
        const values = Array.isArray(c.values) ? c.values.map((x) => String(x)) : [];
        const replaced = replaceVars(values, version) as string[];
        return {
          test: String(c.test ?? ""),
          variable: String(c.variable ?? ""),
          values: replaced.length === 1 ? replaced[0]! : replaced,
        };
      });
    }
    doc.statements.push(stmt);
  }
  return doc;
}

/** Reads a JSON policy as the provider's UnmarshalJSON does (for source/override documents). */
function docFromJson(text: string, what: string): PolicyDoc {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new PolicyDocumentError(`writing IAM Policy Document: merging ${what}: ${(err as Error).message}`);
  }
  const statements = Array.isArray(raw.Statement) ? (raw.Statement as Record<string, unknown>[]) : [];
  return {
    version: typeof raw.Version === "string" ? raw.Version : "",
    id: typeof raw.Id === "string" ? raw.Id : "",
    statements: statements.map((s) => ({
      sid: typeof s.Sid === "string" ? s.Sid : "",
      effect: typeof s.Effect === "string" ? s.Effect : "",
      actions: s.Action,
      notActions: s.NotAction,
      resources: s.Resource,
      notResources: s.NotResource,
      principals: principalsFromJson(s.Principal),
      notPrincipals: principalsFromJson(s.NotPrincipal),
      conditions: conditionsFromJson(s.Condition),
    })),
  };
}

function principalsFromJson(v: unknown): Principal[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return [{ type: "*", identifiers: ["*"] }];
  if (typeof v !== "object")
    throw new PolicyDocumentError("Unsupported data type for IAMPolicyStatementPrincipalSet");
  return Object.entries(v as Record<string, unknown>).map(([type, ids]) => ({
    type,
    identifiers: typeof ids === "string" ? ids : (ids as unknown[]).map(String).sort(),
  }));
}

function conditionsFromJson(v: unknown): Condition[] | undefined {
  if (!v || typeof v !== "object") return undefined;
  const out: Condition[] = [];
  for (const [test, vars] of Object.entries(v as Record<string, Record<string, unknown>>)) {
    for (const [variable, values] of Object.entries(vars)) {
      if (typeof values === "string") out.push({ test, variable, values: [values] });
      else if (typeof values === "boolean") out.push({ test, variable, values: String(values) });
      else if (Array.isArray(values)) out.push({ test, variable, values: values.map(String) });
    }
  }
  return out;
}

/** iamPolicyDoc.Merge: adopt Id, upgrade Version, replace statements with the same Sid, append the rest. */
function merge(into: PolicyDoc, doc: PolicyDoc): void {
  if (doc.id) into.id = doc.id;
  if (doc.version > into.version) into.version = doc.version;
  for (const s of doc.statements) {
    const i = s.sid ? into.statements.findIndex((x) => x.sid === s.sid) : -1;
    if (i >= 0) into.statements[i] = s;
    else into.statements.push(s);
  }
}

function principalsJson(ps: Principal[] | undefined): unknown {
  if (!ps?.length) return undefined;
  if (ps.length === 1) {
    const p = ps[0]!;
    const ids = p.identifiers;
    if (p.type === "*" && (ids === "*" || (Array.isArray(ids) && ids.length === 1 && ids[0] === "*")))
      return "*";
  }
  const raw: Record<string, string | string[]> = {};
  for (const p of ps) {
    const cur = raw[p.type];
    if (Array.isArray(p.identifiers)) {
      const sorted = [...p.identifiers].sort().reverse();
      raw[p.type] = cur === undefined ? sorted : [...(typeof cur === "string" ? [cur] : cur), ...sorted];
    } else {
      raw[p.type] =
        cur === undefined ? p.identifiers : [...(typeof cur === "string" ? [cur] : cur), p.identifiers];
    }
  }
  return raw;
}

function conditionsJson(cs: Condition[] | undefined): unknown {
  if (!cs?.length) return undefined;
  const raw: Record<string, Record<string, string[]>> = {};
  for (const c of cs) {
    raw[c.test] ??= {};
    const byVar = raw[c.test]!;
    byVar[c.variable] = [...(byVar[c.variable] ?? []), ...(Array.isArray(c.values) ? c.values : [c.values])];
  }
  const out: Record<string, Record<string, string | string[]>> = {};
  for (const [t, vars] of Object.entries(raw)) {
    out[t] = {};
    for (const [k, v] of Object.entries(vars)) out[t][k] = v.length === 1 ? v[0]! : v;
  }
  return out;
}

const nonEmpty = (v: unknown) =>
  v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);

/** The document as Go would marshal it: struct fields in declaration order, omitempty honoured. */
function toJsonShape(doc: PolicyDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (doc.version) out.Version = doc.version;
  if (doc.id) out.Id = doc.id;
  if (doc.statements.length) {
    out.Statement = doc.statements.map((s) => {
      const st: Record<string, unknown> = {};
      const put = (k: string, v: unknown) => {
        if (nonEmpty(v)) st[k] = v;
      };
      put("Sid", s.sid);
      put("Effect", s.effect);
      put("Action", s.actions);
      put("NotAction", s.notActions);
      put("Resource", s.resources);
      put("NotResource", s.notResources);
      put("Principal", principalsJson(s.principals));
      put("NotPrincipal", principalsJson(s.notPrincipals));
      put("Condition", conditionsJson(s.conditions));
      return st;
    });
  }
  return out;
}

/** Go's encoder keeps struct field order but sorts map keys; encode each level accordingly. */
function marshal(shape: Record<string, unknown>, indent: string): string {
  // Statement objects keep their field order; Principal/Condition maps get sorted keys via goJson.
  const text = JSON.stringify(
    shape,
    (key, value) => {
      if (
        (key === "Principal" || key === "NotPrincipal" || key === "Condition") &&
        value &&
        typeof value === "object"
      ) {
        return JSON.parse(goJson(value));
      }
      return value;
    },
    indent || undefined,
  );
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export interface PolicyDocumentResult {
  id: string;
  json: string;
  minified_json: string;
}

/** Evaluates an aws_iam_policy_document data source's arguments into its attributes. */
export function renderPolicyDocument(args: Record<string, Value>): PolicyDocumentResult {
  const merged: PolicyDoc = { version: "", id: "", statements: [] };
  const sources = Array.isArray(args.source_policy_documents) ? args.source_policy_documents : [];
  const seen = new Set<string>();
  sources.forEach((src, i) => {
    if (src === null) return;
    const doc = docFromJson(String(src), `source document ${i}`);
    doc.statements.forEach((s, j) => {
      if (!s.sid) return;
      if (seen.has(s.sid)) {
        throw new PolicyDocumentError(
          `writing IAM Policy Document: merging source document ${i}: duplicate Sid (${s.sid}) in source_policy_documents (statement ${j}). Remove the Sid or ensure Sids are unique.`,
        );
      }
      seen.add(s.sid);
    });
    merge(merged, doc);
  });
  merge(merged, docFromConfig(args));
  const overrides = Array.isArray(args.override_policy_documents) ? args.override_policy_documents : [];
  overrides.forEach((o, i) => {
    if (o !== null) merge(merged, docFromJson(String(o), `override document ${i}`));
  });
  const shape = toJsonShape(merged);
  const json = marshal(shape, "  ");
  return { id: String(crc32(json)), json, minified_json: marshal(shape, "") };
}
