// AWS's AccessDenied sentence for a denied request (iam-policy.md §10), derived from the decision and
// the first blocking policy type. https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html

import type { EvalRequest, EvalResult, PolicyType } from "./evaluate.ts";

const EXPLICIT: Record<PolicyType, string> = {
  scp: "a service control policy",
  rcp: "a resource control policy",
  resource: "a resource-based policy",
  identity: "an identity-based policy",
  boundary: "a permissions boundary",
  session: "a session policy",
  vpce: "a VPC endpoint policy",
};

const IMPLICIT: Record<PolicyType, string> = {
  scp: "service control policy",
  rcp: "resource control policy",
  resource: "resource-based policy",
  identity: "identity-based policy",
  boundary: "permissions boundary",
  session: "session policy",
  vpce: "VPC endpoint policy",
};

// The order AWS names a type in when several deny (decision 17 of §13).
const EXPLICIT_ORDER: PolicyType[] = ["scp", "rcp", "resource", "identity", "boundary", "session", "vpce"];

export interface AccessDeniedOptions {
  /** append `: <policy ARN>` to explicit denies from managed policies (AWS since January 2026); default true */
  includePolicyArn?: boolean;
}

/** IAM words some of its own resources its own way (`policy <name>`, `policy arn:…`) [O]. */
function resourceWords(action: string, resource: string): string {
  const a = action.toLowerCase();
  if (a === "iam:createpolicy") {
    const name = resource.slice(resource.lastIndexOf("/") + 1);
    return `policy ${name}`;
  }
  if (a === "iam:createpolicyversion") return `policy ${resource}`;
  return resource;
}

/**
 * The sentence a client receives: "User: ARN is not authorized to perform: ACTION on resource: RES because
 * no identity-based policy allows the ACTION action", "... with an explicit deny in a(n) TYPE policy", or the
 * STS wordings for AssumeRole*.
 */
export function accessDeniedMessage(
  request: EvalRequest,
  result: EvalResult,
  options: AccessDeniedOptions = {},
): string {
  if (result.decision === "allowed") throw new TypeError("accessDeniedMessage called for an allowed request");
  const action = request.action;
  const a = action.toLowerCase();
  // STS's own wordings (sts.md; iam-policy.md §10).
  if (a === "sts:assumerolewithwebidentity" || a === "sts:assumerolewithsaml")
    return `Not authorized to perform ${action}`;
  const who = typeof request.principal === "string" ? request.principal : "anonymous";
  const head = `User: ${who} is not authorized to perform: ${action} on resource: ${resourceWords(action, request.resource)}`;
  // STS words every check of an AssumeRole call without a reason: sts:AssumeRole [O], sts:TagSession [O:
  // aws-actions/configure-aws-credentials users' reports], sts:SetSourceIdentity by analogy [I].
  if (a === "sts:assumerole" || a === "sts:tagsession" || a === "sts:setsourceidentity") return head;
  if (result.decision === "explicitDeny") {
    const type = EXPLICIT_ORDER.find((t) => result.blockedBy.includes(t)) ?? "identity";
    let suffix = "";
    if (options.includePolicyArn !== false && type !== "resource" && type !== "vpce") {
      const m = result.matchedStatements.find((s) => s.effect === "Deny" && s.policyType === type);
      // Only managed policies have an ARN; inline policies get no suffix (decision 18 of §13).
      if (m?.sourcePolicyId.startsWith("arn:")) suffix = `: ${m.sourcePolicyId}`;
    }
    return `${head} with an explicit deny in ${EXPLICIT[type]}${suffix}`;
  }
  const type = result.blockedBy[0] ?? "identity";
  // An SCP or RCP miss is worded as an explicit deny [D].
  if (type === "scp" || type === "rcp") return `${head} with an explicit deny in ${EXPLICIT[type]}`;
  const noun = IMPLICIT[type];
  return `${head} because no ${noun} allows the ${action} action`;
}
