// The IAM policy simulator API: SimulateCustomPolicy and SimulatePrincipalPolicy (iam-policy.md §11),
// answered by the same engine that authorizes every twin request.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
import type { Operation, OperationInput } from "../core/service.ts";
import { XmlMap } from "../http/aws-query.ts";
import { contextKeysNamed } from "./context-keys.ts";
import { InvalidInput, NoSuchEntity } from "./errors.ts";
import {
  type Decision,
  type EvalResult,
  evaluate,
  type MatchedStatement,
  type NamedPolicy,
  type OrgLevel,
  type PolicySet,
} from "./evaluate.ts";
import type { IamDeps } from "./operations-context.ts";
import { checkInput, listOf, paginate, required, shapes } from "./operations-input.ts";
import { parsePolicy, validatePolicy } from "./policy.ts";

interface ContextEntry {
  ContextKeyName?: string;
  ContextKeyValues?: unknown;
  ContextKeyType?: string;
}

const CONTEXT_TYPES = new Set([
  "string",
  "stringList",
  "numeric",
  "numericList",
  "boolean",
  "booleanList",
  "ip",
  "ipList",
  "binary",
  "binaryList",
  "date",
  "dateList",
]);

/** ContextEntries → request context: `…List` types are multivalued keys, the others single values. */
export function contextFromEntries(entries: ContextEntry[]): Record<string, string | string[]> {
  const ctx: Record<string, string | string[]> = {};
  for (const e of entries) {
    const name = e.ContextKeyName ?? "";
    if (name.length < 5 || name.length > 256) throw new InvalidInput(`Invalid context key name: ${name}`);
    const type = e.ContextKeyType ?? "string";
    if (!CONTEXT_TYPES.has(type)) throw new InvalidInput(`Invalid context key type: ${type}`);
    const values = listOf(e.ContextKeyValues).map(String);
    if (type.endsWith("List")) ctx[name] = values;
    else if (values.length > 0) ctx[name] = values[0]!;
  }
  return ctx;
}

const RANK: Record<Decision, number> = { allowed: 0, implicitDeny: 1, explicitDeny: 2 };

function statementWire(m: MatchedStatement): Record<string, unknown> {
  return {
    SourcePolicyId: m.sourcePolicyId,
    SourcePolicyType: m.sourcePolicyType,
    StartPosition: m.start ? { Line: m.start.line, Column: m.start.column } : undefined,
    EndPosition: m.end ? { Line: m.end.line, Column: m.end.column } : undefined,
  };
}

interface Simulation {
  principal: string;
  policies: PolicySet;
  resourceAccount?: string;
}

/**
 * OrderedOrganizationPolicyInputList (SimulateCustomPolicy, since July 2026): the SCPs of each level of
 * the organization, from the root to the account, each level of which must allow (API_SimulateCustomPolicy).
 */
function organizationLevels(input: OperationInput): OrgLevel[] | undefined {
  const levels = listOf<{ ServiceControlPolicyInputList?: unknown }>(
    input.OrderedOrganizationPolicyInputList,
  );
  if (levels.length === 0) return undefined;
  return levels.map((level, li) => {
    const documents = listOf(level?.ServiceControlPolicyInputList).map(String);
    for (const text of documents) {
      const problem = validatePolicy(text, "scp", { limit: 131072 })[0];
      if (problem) throw new InvalidInput(problem.message);
    }
    return {
      orgIdentifier: li === 0 ? "root" : li === levels.length - 1 ? "account" : `ou-${li}`,
      policies: documents.map((document, i) => ({
        id: `OrderedOrganizationPolicyInputList.${li + 1}.ServiceControlPolicyInputList.${i + 1}`,
        document,
      })),
    };
  });
}

/** The account of an ARN (its fifth field); "" for ARNs without one (S3) and for `*`. */
const accountOf = (arn: string): string => arn.split(":", 5)[4] ?? "";

/**
 * EvalDecisionDetails of a cross-account simulation: each side's own decision, since AWS allows the
 * request only when both the caller's account (its identity policies, boundary) and the resource's
 * (its resource policy) allow it. The keys are the wire's SourcePolicyType labels (iam-policy.md §11.2).
 */
function crossAccountDetails(
  request: {
    principal: string;
    action: string;
    resource: string;
    context: Record<string, string | string[]>;
  },
  callerAccount: string,
  policies: PolicySet,
  both: EvalResult,
): XmlMap {
  const { resource: _resourcePolicy, ...callerSide } = policies;
  const identity = evaluate({ ...request, resourceAccount: callerAccount }, callerSide).decision;
  const resource =
    both.decision === "explicitDeny" && both.blockedBy.includes("resource")
      ? "explicitDeny"
      : both.resourceGrant !== null
        ? "allowed"
        : "implicitDeny";
  return new XmlMap({ "IAM Policy": identity, "Resource Policy": resource });
}

/** One EvaluationResult per action; with explicit resources, the most restrictive decision on top. */
function simulate(input: OperationInput, sim: Simulation): Record<string, unknown>[] {
  const actions = listOf(input.ActionNames).map(String);
  for (const a of actions) {
    // "The simulation does not support wildcards in action names" (API_SimulateCustomPolicy.html).
    if (a.includes("*") || a.includes("?") || !a.includes(":"))
      throw new InvalidInput(
        `Action name ${a} is not valid: actions must be service:Action without wildcards.`,
      );
  }
  const resources = listOf(input.ResourceArns).map(String);
  const context = contextFromEntries(listOf<ContextEntry>(input.ContextEntries));
  const explicit = resources.length > 0;
  const hasBoundary = (sim.policies.permissionsBoundary?.length ?? 0) > 0;
  const hasScps = (sim.policies.scp?.length ?? 0) > 0;

  const callerAccount = accountOf(sim.principal);
  return actions.map((action) => {
    const perResource = (explicit ? resources : ["*"]).map((resource) => {
      const request = { principal: sim.principal, action, resource, context };
      const r = evaluate({ ...request, resourceAccount: sim.resourceAccount }, sim.policies, {
        explain: true,
      });
      const matched = r.decision === "implicitDeny" ? [] : r.matchedStatements.map(statementWire);
      const boundaryAllows = !r.blockedBy.includes("boundary") || r.decision === "allowed";
      const organizationsAllow = !r.blockedBy.includes("scp");
      const owner = sim.resourceAccount ?? accountOf(resource);
      // "If an Organizations SCP included in the evaluation denies access, the simulation ends … this
      // parameter is not returned" (API_EvaluationResult.html, EvalDecisionDetails)
      const details =
        owner !== "" && owner !== callerAccount && organizationsAllow
          ? crossAccountDetails(request, callerAccount, sim.policies, r)
          : undefined;
      return { resource, r, matched, boundaryAllows, organizationsAllow, details };
    });
    const worst = perResource.reduce((a, b) => (RANK[b.r.decision] > RANK[a.r.decision] ? b : a));
    const boundaryDetail = (ok: boolean) => (hasBoundary ? { AllowedByPermissionsBoundary: ok } : undefined);
    const organizationsDetail = (ok: boolean) => (hasScps ? { AllowedByOrganizations: ok } : undefined);
    if (!explicit) {
      return {
        EvalActionName: action,
        EvalResourceName: "*",
        EvalDecision: worst.r.decision,
        MatchedStatements: worst.matched,
        MissingContextValues: worst.r.missingContextKeys,
        OrganizationsDecisionDetail: organizationsDetail(worst.organizationsAllow),
        // "If the simulation evaluates policies within the same account and specifies all resources (*),
        // then the parameter is not returned" (API_EvaluationResult.html)
        EvalDecisionDetails: worst.details,
        PermissionsBoundaryDecisionDetail: boundaryDetail(worst.boundaryAllows),
      };
    }
    return {
      EvalActionName: action,
      EvalResourceName: worst.resource,
      EvalDecision: worst.r.decision,
      MatchedStatements: worst.matched,
      MissingContextValues: [],
      OrganizationsDecisionDetail: organizationsDetail(worst.organizationsAllow),
      // present but empty within one account (API_EvaluationResult.html)
      EvalDecisionDetails: worst.details ?? (worst.organizationsAllow ? new XmlMap({}) : undefined),
      PermissionsBoundaryDecisionDetail: boundaryDetail(worst.boundaryAllows),
      ResourceSpecificResults: perResource.map((p) => ({
        EvalResourceName: p.resource,
        EvalResourceDecision: p.r.decision,
        MatchedStatements: p.matched,
        MissingContextValues: p.r.missingContextKeys,
        // "returned only for cross-account simulations" (API_ResourceSpecificResult.html)
        EvalDecisionDetails: p.details,
        PermissionsBoundaryDecisionDetail: boundaryDetail(p.boundaryAllows),
      })),
    };
  });
}

/** Policies given to the simulator must be valid identity policies (they are not written anywhere). */
function checkInputPolicies(list: string[], kind: "identity" | "boundary"): void {
  for (const text of list) {
    const problem = validatePolicy(text, kind, {
      attachment: kind === "identity" ? "role" : undefined,
      limit: 131072,
    })[0];
    if (problem) throw new InvalidInput(problem.message);
  }
}

function resourcePolicyOf(input: OperationInput): string | undefined {
  const text = input.ResourcePolicy as string | undefined;
  if (text === undefined) return undefined;
  const problem = validatePolicy(text, "resource", { limit: 131072 })[0];
  if (problem) throw new InvalidInput(problem.message);
  return text;
}

/** "You can specify only the ARN of an IAM user" (API_SimulateCustomPolicy.html, CallerArn). */
function callerArnOf(input: OperationInput): string | undefined {
  const caller = input.CallerArn as string | undefined;
  if (caller !== undefined && !/^arn:aws[\w-]*:iam::\d{12}:user\/(?:[^/]+\/)*[^/]+$/.test(caller))
    throw new InvalidInput(`Invalid CallerArn ${caller}: only the ARN of an IAM user can be the caller.`);
  return caller;
}

/**
 * GetContextKeysFor*Policy: the keys the documents reference, in conditions and as policy variables, spelled
 * as first written, each once (case-insensitively), in the order they appear.
 */
function contextKeyNames(documents: readonly (string | object)[]): string[] {
  const byLower = new Map<string, string>();
  for (const document of documents)
    for (const name of contextKeysNamed(parsePolicy(document)))
      if (!byLower.has(name.toLowerCase())) byLower.set(name.toLowerCase(), name);
  return [...byLower.values()];
}

function ownerAccount(input: OperationInput): string | undefined {
  const owner = input.ResourceOwner as string | undefined;
  if (!owner) return undefined;
  const m = /^arn:aws[\w-]*:iam::(\d{12}):root$/.exec(owner);
  if (!m) throw new InvalidInput(`ResourceOwner ${owner} is not valid: use arn:aws:iam::<account>:root.`);
  return m[1];
}

const simulationShape = {
  PolicyInputList: { type: "list" as const },
  PermissionsBoundaryPolicyInputList: { type: "list" as const },
  ActionNames: required({ type: "list" }),
  ResourceArns: { type: "list" as const },
  ResourcePolicy: shapes.policyDocument,
  ResourceOwner: { min: 1, max: 2048 },
  CallerArn: { min: 1, max: 2048 },
  ContextEntries: { type: "list" as const },
  ResourceHandlingOption: { min: 1, max: 64 },
  MaxItems: shapes.maxItems,
  Marker: shapes.marker,
};

export function simulatorOperations(d: IamDeps): Record<string, Operation> {
  const { iam, rt } = d;

  /** SourcePolicyId as SimulatePrincipalPolicy reports it: the managed policy's name, role_<R>_<P> inline. */
  const simulatorId = (doc: NamedPolicy): NamedPolicy => {
    const inline = /^inline:(user|role|group)\/([^/]+)\/(.+)$/.exec(doc.id);
    if (inline) return { id: `${inline[1]}_${inline[2]}_${inline[3]}`, document: doc.document };
    return { id: doc.id.slice(doc.id.lastIndexOf("/") + 1), document: doc.document };
  };

  /** The user, role or group a PolicySourceArn names, in this account; NoSuchEntity otherwise. */
  const policySource = (source: string) => {
    const m = /^arn:aws[\w-]*:iam::(\d{12}):(user|role|group)\/(?:.*\/)?([^/]+)$/.exec(source);
    if (!m) throw new InvalidInput(`Invalid ARN: ${source}`);
    const [, account, kind, name] = m as unknown as [string, string, "user" | "role" | "group", string];
    const entity =
      account !== rt.accountId
        ? undefined
        : kind === "user"
          ? iam.getUser(name)
          : kind === "role"
            ? iam.getRole(name)
            : iam.getGroup(name);
    if (!entity) throw new NoSuchEntity(`Entity ${source} does not exist.`);
    return { kind, name, entity };
  };

  return {
    GetContextKeysForCustomPolicy: (input, ctx) => {
      checkInput(input, { PolicyInputList: required({ type: "list" }) });
      ctx.authorize({ action: "iam:GetContextKeysForCustomPolicy", resource: "*" });
      const documents = listOf(input.PolicyInputList).map(String);
      checkInputPolicies(documents, "identity");
      return { ContextKeyNames: contextKeyNames(documents) };
    },

    GetContextKeysForPrincipalPolicy: (input, ctx) => {
      checkInput(input, { PolicySourceArn: required(shapes.arn), PolicyInputList: { type: "list" } });
      const source = input.PolicySourceArn as string;
      ctx.authorize({ action: "iam:GetContextKeysForPrincipalPolicy", resource: source });
      const { kind, name } = policySource(source);
      const extra = listOf(input.PolicyInputList).map(String);
      checkInputPolicies(extra, "identity");
      // a user's include those of its groups (store.identityPolicies), as in SimulatePrincipalPolicy
      const own = iam.identityPolicies(kind, name).map((p) => p.document);
      return { ContextKeyNames: contextKeyNames([...own, ...extra]) };
    },

    SimulateCustomPolicy: (input, ctx) => {
      checkInput(input, {
        ...simulationShape,
        PolicyInputList: required({ type: "list" }),
        OrderedOrganizationPolicyInputList: { type: "list" },
      });
      ctx.authorize({ action: "iam:SimulateCustomPolicy", resource: "*" });
      const identity = listOf(input.PolicyInputList).map(String);
      const boundary = listOf(input.PermissionsBoundaryPolicyInputList).map(String);
      checkInputPolicies(identity, "identity");
      checkInputPolicies(boundary, "boundary");
      const resource = resourcePolicyOf(input);
      const caller = callerArnOf(input);
      if (resource !== undefined && !caller)
        throw new InvalidInput("CallerArn must be specified when a ResourcePolicy is provided.");
      const scp = organizationLevels(input);
      const results = simulate(input, {
        principal: caller ?? ctx.principal?.arn ?? `arn:aws:iam::${rt.accountId}:root`,
        policies: {
          ...(scp ? { scp } : {}),
          identity,
          ...(boundary.length > 0 ? { permissionsBoundary: boundary } : {}),
          ...(resource !== undefined ? { resource: { id: "ResourcePolicy", document: resource } } : {}),
        },
        resourceAccount: ownerAccount(input),
      });
      const { page, ...rest } = paginate(results, input);
      return { EvaluationResults: page, ...rest };
    },

    SimulatePrincipalPolicy: (input, ctx) => {
      checkInput(input, { PolicySourceArn: required(shapes.arn), ...simulationShape });
      const source = input.PolicySourceArn as string;
      ctx.authorize({ action: "iam:SimulatePrincipalPolicy", resource: source });
      const { kind, name, entity } = policySource(source);
      if (kind === "role" && input.ResourcePolicy !== undefined)
        throw new InvalidInput("Resource policy simulation is not supported for roles.");
      const extra = listOf(input.PolicyInputList).map(String);
      checkInputPolicies(extra, "identity");
      const boundaryInputs = listOf(input.PermissionsBoundaryPolicyInputList).map(String);
      checkInputPolicies(boundaryInputs, "boundary");
      const identity = [
        // a user's include those of its groups (store.identityPolicies)
        ...iam.identityPolicies(kind, name).map(simulatorId),
        ...extra.map((document, i) => ({ id: `PolicyInputList.${i + 1}`, document })),
      ];
      const boundaryArn =
        "PermissionsBoundary" in entity ? entity.PermissionsBoundary?.PermissionsBoundaryArn : undefined;
      const boundaryDoc = boundaryArn ? iam.managedPolicyDocument(boundaryArn) : undefined;
      const boundary =
        boundaryInputs.length > 0
          ? boundaryInputs.map((document, i) => ({
              id: `PermissionsBoundaryPolicyInputList.${i + 1}`,
              document,
            }))
          : boundaryDoc
            ? [simulatorId(boundaryDoc)]
            : [];
      const resource = resourcePolicyOf(input);
      const results = simulate(input, {
        principal: callerArnOf(input) ?? entity.Arn,
        policies: {
          identity,
          ...(boundary.length > 0 ? { permissionsBoundary: boundary } : {}),
          ...(resource !== undefined ? { resource: { id: "ResourcePolicy", document: resource } } : {}),
        },
        resourceAccount: ownerAccount(input),
      });
      const { page, ...rest } = paginate(results, input);
      return { EvaluationResults: page, ...rest };
    },
  };
}
