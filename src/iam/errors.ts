// The IAM API's error codes as classes, with the HTTP status botocore's iam model gives each
// (data/iam/2010-05-08/service-2.json, `error.httpStatusCode`).
import { AwsError } from "../http/aws-error.ts";

export class NoSuchEntity extends AwsError {
  constructor(message: string) {
    super("NoSuchEntity", message, 404);
  }
}

export class EntityAlreadyExists extends AwsError {
  constructor(message: string) {
    super("EntityAlreadyExists", message, 409);
  }
}

export class DeleteConflict extends AwsError {
  constructor(message: string) {
    super("DeleteConflict", message, 409);
  }
}

export class LimitExceeded extends AwsError {
  constructor(message: string) {
    super("LimitExceeded", message, 409);
  }
}

export class MalformedPolicyDocument extends AwsError {
  constructor(message: string) {
    super("MalformedPolicyDocument", message, 400);
  }
}

export class InvalidInput extends AwsError {
  constructor(message: string) {
    super("InvalidInput", message, 400);
  }
}

export class UnmodifiableEntity extends AwsError {
  constructor(message: string) {
    super("UnmodifiableEntity", message, 400);
  }
}

export class PolicyNotAttachable extends AwsError {
  constructor(message: string) {
    super("PolicyNotAttachable", message, 400);
  }
}

/** `N validation error(s) detected: …` (sts.md §1.5). */
export class ValidationError extends AwsError {
  constructor(problems: string[]) {
    const n = problems.length;
    super(
      "ValidationError",
      `${n} validation error${n === 1 ? "" : "s"} detected: ${problems.join("; ")}`,
      400,
    );
  }
}

/** The policy validator's first problem as the error IAM returns for it (iam-policy.md §4). */
export function policyProblemError(problem: {
  code: "MalformedPolicyDocument" | "LimitExceeded";
  message: string;
}): AwsError {
  return problem.code === "LimitExceeded"
    ? new LimitExceeded(problem.message)
    : new MalformedPolicyDocument(problem.message);
}
