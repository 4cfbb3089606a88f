// The authorization check of one ECR action on a repository, made alike by the ECR API and the OCI
// registry: the repository's policy as the resource policy, its tags as condition keys.
import type { AuthzCheck } from "../core/service.ts";
import { resourceTagContext } from "../iam/tag-keys.ts";
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
  // its tags under both names policies use (the Service Authorization Reference lists both; ECR's own
  // tag-based access examples use ecr:ResourceTag, ecr-supported-iam-actions-tagging.html)
  const context = { ...resourceTagContext(repo?.tags, "ecr"), ...requestContext };
  return {
    action: `ecr:${action}`,
    resource: arn,
    resourceAccount: accountId,
    ...(repo?.policy ? { resourcePolicy: { id: arn, document: repo.policy } } : {}),
    ...(Object.keys(context).length > 0 ? { context } : {}),
  };
}
