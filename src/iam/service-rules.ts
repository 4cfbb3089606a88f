// Fixed AWS behaviours that no policy expresses: actions that need no permission, resources whose own
// policy must grant, resources AWS protects. Each rule links the AWS page it comes from.

export interface ServiceRule {
  name: string;
  effect: "allowAlways" | "implicitDeny" | "resourcePolicyRequired";
}

const GET_CALLER_IDENTITY: ServiceRule = {
  // "No permissions are required to perform this operation. If an administrator attaches a policy to your
  // identity that explicitly denies access to the sts:GetCallerIdentity action, you can still perform this
  // operation." https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
  name: "sts:GetCallerIdentity needs no permission",
  effect: "allowAlways",
};

const KMS_KEY_POLICY: ServiceRule = {
  // "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key."
  // https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
  name: "a KMS key policy must grant access",
  effect: "resourcePolicyRequired",
};

const KMS_AWS_ALIAS: ServiceRule = {
  // Aliases beginning with alias/aws/ are reserved for AWS managed keys and cannot be created, changed or
  // deleted. https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html
  name: "alias/aws/ aliases are reserved for AWS managed keys",
  effect: "implicitDeny",
};

const SSO_RESERVED_ROLE: ServiceRule = {
  // Roles under /aws-reserved/sso.amazonaws.com/ are managed by IAM Identity Center and cannot be changed
  // in IAM. https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html
  name: "IAM Identity Center roles (aws-reserved/sso.amazonaws.com) cannot be modified",
  effect: "implicitDeny",
};

const AWS_MANAGED_POLICY: ServiceRule = {
  // AWS managed policies (arn:aws:iam::aws:policy/…) are maintained by AWS: "You cannot change the
  // permissions defined in AWS managed policies."
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies
  name: "AWS managed policies cannot be modified",
  effect: "implicitDeny",
};

// Read-only IAM actions: everything that only reads or reports.
const READ_ONLY_ROLE_ACTION = /^iam:(get|list|generate|simulate)/;

/** The fixed rule that applies to this request, if any. `action` as requested; resource an ARN or `*`. */
export function serviceRule(action: string, resource: string, _principal: unknown): ServiceRule | undefined {
  const a = action.toLowerCase();
  if (a === "sts:getcalleridentity") return GET_CALLER_IDENTITY;
  if (a.startsWith("kms:")) {
    if (/^arn:[^:]+:kms:[^:]*:[^:]*:key\//i.test(resource)) return KMS_KEY_POLICY;
    if (
      /^arn:[^:]+:kms:[^:]*:[^:]*:alias\/aws\//i.test(resource) &&
      /^kms:(create|delete|update)alias$/.test(a)
    ) {
      return KMS_AWS_ALIAS;
    }
  }
  if (
    a.startsWith("iam:") &&
    /^arn:[^:]+:iam::[^:]*:role\/aws-reserved\/sso\.amazonaws\.com\//i.test(resource)
  ) {
    if (!READ_ONLY_ROLE_ACTION.test(a)) return SSO_RESERVED_ROLE;
  }
  if (
    a.startsWith("iam:") &&
    /^arn:[^:]+:iam::aws:policy\//i.test(resource) &&
    !READ_ONLY_ROLE_ACTION.test(a)
  ) {
    return AWS_MANAGED_POLICY;
  }
  return undefined;
}
