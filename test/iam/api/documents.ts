// Test support for the IAM API tests: the policy documents several of them write.

/** A role ECS tasks may assume: the trust policy of the seed scenario's task roles. */
export const ecsTrust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

/** The seed scenario's PassRole statement (iam-policy.md §11.4), compact as in the spec. */
export const passRole =
  '{"Version":"2012-10-17","Statement":[{"Sid":"PassRole","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/ecsTaskExecutionRole","Condition":{"StringLike":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}]}';
