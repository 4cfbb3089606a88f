// The AWS managed policies the twin seeds into every state, with AWS's documents
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html).
// AmazonECS_FullAccess is an approximation: the real document grants dozens of services the ECS
// console uses; only the parts the twin serves (ECS, ECR, PassRole to ECS) are kept.

export interface AwsManagedPolicy {
  name: string;
  path: string;
  description: string;
  /** the default version's id, as AWS reports it */
  versionId: string;
  createDate: string;
  updateDate: string;
  document: string;
}

const doc = (statements: unknown[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2);

const ecrRead = [
  "ecr:GetAuthorizationToken",
  "ecr:BatchCheckLayerAvailability",
  "ecr:GetDownloadUrlForLayer",
  "ecr:GetRepositoryPolicy",
  "ecr:DescribeRepositories",
  "ecr:ListImages",
  "ecr:DescribeImages",
  "ecr:BatchGetImage",
  "ecr:GetLifecyclePolicy",
  "ecr:GetLifecyclePolicyPreview",
  "ecr:ListTagsForResource",
  "ecr:DescribeImageScanFindings",
];

export const awsManagedPolicies: readonly AwsManagedPolicy[] = [
  {
    name: "AdministratorAccess",
    path: "/",
    description: "Provides full access to AWS services and resources.",
    versionId: "v1",
    createDate: "2015-02-06T18:39:46Z",
    updateDate: "2015-02-06T18:39:46Z",
    document: doc([{ Effect: "Allow", Action: "*", Resource: "*" }]),
  },
  {
    name: "IAMFullAccess",
    path: "/",
    description: "Provides full access to IAM via the AWS Management Console.",
    versionId: "v2",
    createDate: "2015-02-06T18:40:38Z",
    updateDate: "2019-06-21T19:40:00Z",
    document: doc([
      {
        Effect: "Allow",
        Action: ["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization"],
        Resource: "*",
      },
    ]),
  },
  {
    name: "AmazonEC2ContainerRegistryReadOnly",
    path: "/",
    description: "Provides read-only access to Amazon EC2 Container Registry repositories.",
    versionId: "v3",
    createDate: "2015-12-21T17:04:44Z",
    updateDate: "2019-12-10T20:56:32Z",
    document: doc([{ Effect: "Allow", Action: ecrRead, Resource: "*" }]),
  },
  {
    name: "AmazonEC2ContainerRegistryPowerUser",
    path: "/",
    description:
      "Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.",
    versionId: "v4",
    createDate: "2015-12-21T17:05:33Z",
    updateDate: "2019-12-10T20:56:32Z",
    document: doc([
      {
        Effect: "Allow",
        Action: [
          ...ecrRead,
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
        ],
        Resource: "*",
      },
    ]),
  },
  {
    name: "AmazonEC2ContainerRegistryFullAccess",
    path: "/",
    description: "Provides administrative access to Amazon ECR resources",
    versionId: "v2",
    createDate: "2015-12-21T17:06:48Z",
    updateDate: "2021-11-18T18:53:29Z",
    document: doc([
      { Effect: "Allow", Action: ["ecr:*", "cloudtrail:LookupEvents"], Resource: "*" },
      {
        Effect: "Allow",
        Action: ["iam:CreateServiceLinkedRole"],
        Resource: "*",
        Condition: { StringEquals: { "iam:AWSServiceName": ["replication.ecr.amazonaws.com"] } },
      },
    ]),
  },
  {
    name: "AmazonECSTaskExecutionRolePolicy",
    path: "/service-role/",
    description: "Provides access to other AWS service resources that are required to run Amazon ECS tasks",
    versionId: "v1",
    createDate: "2017-11-16T18:48:22Z",
    updateDate: "2017-11-16T18:48:22Z",
    document: doc([
      {
        Effect: "Allow",
        Action: [
          "ecr:GetAuthorizationToken",
          "ecr:BatchCheckLayerAvailability",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchGetImage",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ],
        Resource: "*",
      },
    ]),
  },
  {
    name: "AmazonECS_FullAccess",
    path: "/",
    description:
      "Provides administrative access to Amazon ECS resources and enables ECS features through access to other AWS service resources, including VPCs, Auto Scaling groups, and CloudFormation stacks.",
    versionId: "v30",
    createDate: "2017-11-07T21:36:54Z",
    updateDate: "2024-04-16T17:34:10Z",
    document: doc([
      {
        Sid: "ECSIntegrationsManagementPolicy",
        Effect: "Allow",
        Action: [
          "ecs:*",
          "ecr:*",
          "logs:CreateLogGroup",
          "logs:DescribeLogGroups",
          "logs:FilterLogEvents",
          "logs:GetLogEvents",
        ],
        Resource: "*",
      },
      {
        Sid: "PassRoleForECS",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: "*",
        Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
      {
        Sid: "ServiceLinkedRoleCreation",
        Effect: "Allow",
        Action: "iam:CreateServiceLinkedRole",
        Resource: "*",
        Condition: { StringLike: { "iam:AWSServiceName": "ecs.amazonaws.com" } },
      },
      {
        Sid: "IAMRead",
        Effect: "Allow",
        Action: ["iam:ListAttachedRolePolicies", "iam:ListInstanceProfiles", "iam:ListRoles"],
        Resource: "*",
      },
    ]),
  },
];

export function awsManagedPolicyArn(p: { path: string; name: string }): string {
  return `arn:aws:iam::aws:policy${p.path}${p.name}`;
}
