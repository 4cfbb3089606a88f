// Test support: the trust policy of a role that an OIDC provider's tokens may assume under conditions.
type Conditions = Record<string, Record<string, string | string[]>>;

/** One statement allowing sts:AssumeRoleWithWebIdentity to the provider's tokens when `condition` holds. */
export function webIdentityTrust(provider: string, condition: Conditions, sid?: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        ...(sid ? { Sid: sid } : {}),
        Effect: "Allow",
        Principal: { Federated: provider },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: condition,
      },
    ],
  });
}
