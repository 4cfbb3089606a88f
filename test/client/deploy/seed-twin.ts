// Test fixture: the seed scenario on an in-process twin, built through the public APIs with the admin's keys:
// the article's OIDC provider, deploy role and its two policies, the task roles, repository, cluster and service.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { jobEnv } from "../../../src/cli/job-env.ts";
import { pushContainerImage } from "../../../src/client/deploy/push-images.ts";
import { systemClock } from "../../../src/core/clock.ts";
import { startTwin, type Twin } from "../../../src/main.ts";
import { buildImage, writeOciLayout } from "../image/build-image.ts";

export const ACCOUNT = "123456789012";
export const REGION = "ap-northeast-1";
export const REPO_URI = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sample-app`;
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/github-actions-deploy`;
export const CLUSTER = "sample_ecs_cluster";
export const SERVICE = "sample_ecs_service";

const trust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringLike: { "token.actions.githubusercontent.com:sub": "repo:example-org/sample-app:*" },
      },
    },
  ],
};
/** terraform/common: the shared deploy permissions. */
const commonPolicy = {
  Version: "2012-10-17",
  Statement: [
    { Sid: "GetAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    { Sid: "RegisterTaskDefinition", Effect: "Allow", Action: "ecs:RegisterTaskDefinition", Resource: "*" },
    {
      Sid: "PassRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
      Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
  ],
};
/** terraform/app: push to one repository, update one service, pass one task role. */
const appPolicy = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "PushImageOnly",
      Effect: "Allow",
      Action: [
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
      ],
      Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/sample-app`,
    },
    {
      Sid: "UpdateService",
      Effect: "Allow",
      Action: ["ecs:UpdateServicePrimaryTaskSet", "ecs:DescribeServices", "ecs:UpdateService"],
      Resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${SERVICE}`,
    },
    {
      Sid: "PassRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: `arn:aws:iam::${ACCOUNT}:role/sample-app-task-role`,
    },
  ],
};
const ecsTasksTrust = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
};

export function seedTaskDefinition(image: string) {
  return {
    family: "sample-app",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
    taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/sample-app-task-role`,
    containerDefinitions: [
      { name: "web", image, essential: true, portMappings: [{ containerPort: 8080, protocol: "tcp" }] },
    ],
  };
}

export interface SeedTwin {
  twin: Twin;
  dir: string;
  /** Digests the simulated runtime treats as crashing images. */
  broken: Set<string>;
  adminCredentials: { accessKeyId: string; secretAccessKey: string };
  /** The environment of a GitHub job of `repository` (with `id-token: write` unless idToken false). */
  jobEnvFor(repository: string, idToken?: boolean): Promise<NodeJS.ProcessEnv>;
  close(): Promise<void>;
}

const quiet = {
  log: () => {},
  note: () => {},
  clock: systemClock,
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
};

export async function startSeedTwin(): Promise<SeedTwin> {
  const dir = await mkdtemp(join(tmpdir(), "keyship-deploy-e2e-"));
  const broken = new Set<string>();
  const twin = await startTwin({
    stateDir: join(dir, "state"),
    port: 0,
    region: REGION,
    runtime: "simulated",
    log: () => {},
    ecs: {
      tickMs: 100,
      reconcile: { noHealthCheckSettleSeconds: 0.5 },
      defaultStopTimeoutSeconds: 0,
      simulated: {
        pullMs: 50,
        startMs: 50,
        stopMs: 50,
        healthyMs: 100,
        crashAfterMs: 100,
        behaviour: (image) => ([...broken].some((d) => image.includes(d)) ? "crash" : "ok"),
      },
    },
  });
  const credentials = { accessKeyId: twin.admin.accessKeyId, secretAccessKey: twin.admin.secretAccessKey };
  const cfg = { region: REGION, endpoint: twin.url, credentials };
  const iam = new IAMClient(cfg);
  await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: "https://token.actions.githubusercontent.com",
      ClientIDList: ["sts.amazonaws.com"],
      ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"],
    }),
  );
  await iam.send(
    new CreateRoleCommand({
      RoleName: "github-actions-deploy",
      AssumeRolePolicyDocument: JSON.stringify(trust),
    }),
  );
  for (const [name, doc] of [
    ["github-actions-deploy", commonPolicy],
    ["github-actions-deploy-policy", appPolicy],
  ] as const) {
    const p = await iam.send(
      new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(doc) }),
    );
    await iam.send(
      new AttachRolePolicyCommand({ RoleName: "github-actions-deploy", PolicyArn: p.Policy!.Arn! }),
    );
  }
  for (const role of ["ecsTaskExecutionRole", "sample-app-task-role"]) {
    await iam.send(
      new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify(ecsTasksTrust) }),
    );
  }
  // ECS pulls the task's images as the execution role: it needs ECR read (the console's ecsTaskExecutionRole)
  await iam.send(
    new AttachRolePolicyCommand({
      RoleName: "ecsTaskExecutionRole",
      PolicyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    }),
  );
  const ecr = new ECRClient(cfg);
  await ecr.send(new CreateRepositoryCommand({ repositoryName: "sample-app" }));
  // The first image and service, as the infrastructure team would have set them up.
  const layout = join(dir, "v0");
  await writeOciLayout(
    layout,
    buildImage([{ path: "www/index.html", content: "v0\n" }], ["/bin/busybox", "httpd", "-f"], "v0"),
  );
  const first = await pushContainerImage(ecr, "web", `oci:${layout}`, `${REPO_URI}:v0`, quiet);
  const ecs = new ECSClient(cfg);
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  const td = await ecs.send(new RegisterTaskDefinitionCommand(seedTaskDefinition(first.image) as never));
  await ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: SERVICE,
      taskDefinition: td.taskDefinition!.taskDefinitionArn!,
      desiredCount: 1,
      launchType: "FARGATE",
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ["subnet-12345678"], assignPublicIp: "DISABLED" },
      },
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        minimumHealthyPercent: 100,
        maximumPercent: 200,
      },
    }),
  );
  return {
    twin,
    dir,
    broken,
    adminCredentials: credentials,
    async jobEnvFor(repository, idToken = true) {
      const env = await jobEnv({ stateDir: join(dir, "state"), job: { repository }, url: twin.url, idToken });
      return {
        GITHUB_ACTIONS: "true",
        ...env,
        AWS_ENDPOINT_URL: twin.url,
        AWS_REGION: REGION,
        PATH: process.env.PATH,
      };
    },
    async close() {
      await twin.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
