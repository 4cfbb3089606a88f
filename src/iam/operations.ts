// The IAM API as the twin serves it (awsQuery, version 2010-05-08): every operation, by AWS name.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html
import type { Operation } from "../core/service.ts";
import { XmlMap } from "../http/aws-query.ts";
import type { IamDeps } from "./operations-context.ts";
import { groupOperations } from "./operations-groups.ts";
import { wellShapedInput } from "./operations-input.ts";
import { oidcOperations } from "./operations-oidc.ts";
import { policyOperations } from "./operations-policies.ts";
import { principalPolicyOperations } from "./operations-principal-policies.ts";
import { roleOperations } from "./operations-roles.ts";
import { userOperations } from "./operations-users.ts";
import { simulatorOperations } from "./simulate-api.ts";

export function iamOperations(d: IamDeps): Record<string, Operation> {
  const operations = allOperations(d);
  for (const [name, op] of Object.entries(operations)) {
    operations[name] = (input, ctx) => op(wellShapedInput(input), ctx);
  }
  return operations;
}

function allOperations(d: IamDeps): Record<string, Operation> {
  return {
    ...userOperations(d),
    ...principalPolicyOperations(d, "User"),
    ...roleOperations(d),
    ...principalPolicyOperations(d, "Role"),
    ...groupOperations(d),
    ...principalPolicyOperations(d, "Group"),
    ...policyOperations(d),
    ...oidcOperations(d),
    ...simulatorOperations(d),
    GetAccountSummary: (_input, ctx) => {
      ctx.authorize({ action: "iam:GetAccountSummary", resource: "*" });
      const counts = d.iam.summaryCounts();
      // Quotas from https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
      return {
        SummaryMap: new XmlMap({
          Users: counts.Users ?? 0,
          UsersQuota: 5000,
          Groups: counts.Groups ?? 0,
          GroupsQuota: 300,
          Roles: counts.Roles ?? 0,
          RolesQuota: 1000,
          Policies: counts.Policies ?? 0,
          PoliciesQuota: 1500,
          PolicyVersionsInUse: counts.PolicyVersionsInUse ?? 0,
          PolicyVersionsInUseQuota: 10000,
          VersionsPerPolicyQuota: 5,
          PolicySizeQuota: 6144,
          UserPolicySizeQuota: 2048,
          RolePolicySizeQuota: 10240,
          GroupPolicySizeQuota: 5120,
          AssumeRolePolicySizeQuota: 2048,
          AttachedPoliciesPerRoleQuota: 10,
          AttachedPoliciesPerUserQuota: 10,
          AttachedPoliciesPerGroupQuota: 10,
          AccessKeysPerUserQuota: 2,
          GroupsPerUserQuota: 10,
          Providers: counts.Providers ?? 0,
          AccountMFAEnabled: 0,
          AccountAccessKeysPresent: 0,
        }),
      };
    },
  };
}
