// The authorization check of one ECR action on a repository, made alike by the ECR API and the OCI
// registry: the repository's policy as the resource policy, its tags as condition keys.
import type { AuthzCheck } from "../core/service.ts";
import { type Repository, repositoryArn } from "./state.ts";

export function repositoryCheck(
  action: string,
  accountId: string,
  region: string,
  name: string,
  repo: Repository | undefined,
  requestContext: Record<string, string | string[]> = {},
): AuthzCheck {
  const arn = repositoryArn(accountId, region, name);
  const context = { ...repositoryTagContext(repo?.tags ?? []), ...requestContext };
  return {
    action: `ecr:${action}`,
    resource: arn,
    resourceAccount: accountId,
    ...(repo?.policy ? { resourcePolicy: { id: arn, document: repo.policy } } : {}),
    ...(Object.keys(context).length > 0 ? { context } : {}),
  };
}

/**
 * A repository's tags under both names policies use for them: `aws:ResourceTag/<key>` and
 * `ecr:ResourceTag/<key>` (the Service Authorization Reference lists both; ECR's own tag-based access
 * examples use the latter, ecr-supported-iam-actions-tagging.html).
 */
function repositoryTagContext(tags: { Key: string; Value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    out[`aws:ResourceTag/${t.Key}`] = t.Value;
    out[`ecr:ResourceTag/${t.Key}`] = t.Value;
  }
  return out;
}
