// The stoppedReason texts of tasks that cannot get their images: the execution role cannot be assumed, or
// the pull is refused or finds nothing. Wording: specs/ecs.md §7.2 and the "Stopped tasks error codes" page
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).

/** A task that cannot start; `message` is the whole stoppedReason (no runtime prefix is added to it). */
export class TaskStartFailure extends Error {
  override name = "TaskStartFailure";
}

/**
 * The service event / stopped reason when ECS cannot assume the task's role (its trust policy does not
 * allow ecs-tasks.amazonaws.com, or the role does not exist), as AWS words it (e.g.
 * aws-samples/aws-modern-application-workshop#88, telia-oss/terraform-aws-ecs-fargate#58).
 */
export function unableToAssumeRole(roleArn: string): string {
  return `ECS was unable to assume the role '${roleArn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`;
}

/** `CannotPullContainerError: … failed to resolve ref IMAGE: DETAIL` (the container runtime's words). */
export function cannotPull(image: string, detail: string): string {
  return `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${image}: ${detail}`;
}

/** The registry refused the pull: the detail carries the AccessDenied text (ecs.md §7.2). */
export function pullAccessDenied(image: string, accessDenied: string): string {
  return cannotPull(image, `pull access denied: ${accessDenied}`);
}

export function imageNotFound(image: string): string {
  return cannotPull(image, "not found");
}

/** The agent's GetAuthorizationToken call as the execution role was denied. */
export function registryAuthDenied(accessDenied: string): string {
  return `CannotPullContainerError: unable to retrieve ecr registry auth: service call has been retried 3 time(s): AccessDeniedException: ${accessDenied}`;
}

/** A Fargate task has no execution role to pull a private ECR image with (registration normally refuses it). */
export function noRegistryCredentials(image: string): string {
  return cannotPull(image, "no basic auth credentials");
}
