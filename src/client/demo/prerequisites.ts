// What the seed article leaves out but its workflow needs: the ECR repository, the ECS cluster and
// service, and the two task roles. Created (idempotently) through the AWS APIs.
import { readFile } from "node:fs/promises";
import { CreateRepositoryCommand, DescribeRepositoriesCommand } from "@aws-sdk/client-ecr";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from "@aws-sdk/client-ecs";
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand } from "@aws-sdk/client-iam";
import type { AwsClients } from "../terraform/resource-type.ts";

export interface SeedNames {
  repository: string;
  cluster: string;
  service: string;
  /** the task execution role first (it gets AmazonECSTaskExecutionRolePolicy), then the task role */
  taskRoles: string[];
}

export const seedNames: SeedNames = {
  repository: "sample-app",
  cluster: "sample_ecs_cluster",
  service: "sample_ecs_service",
  taskRoles: ["ecsTaskExecutionRole", "sample-app-task-role"],
};

const ecsTasksTrust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

const TASK_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

const isNotFound = (err: unknown) => /NoSuchEntity|RepositoryNotFound/.test((err as Error).name ?? "");

/** Creates what is missing; returns lines saying what it did. `image` is the service's first image. */
export async function ensurePrerequisites(
  clients: AwsClients,
  taskDefinitionFile: string,
  image: string,
  names = seedNames,
): Promise<string[]> {
  const done: string[] = [];
  for (const role of names.taskRoles) {
    try {
      await clients.iam.send(new GetRoleCommand({ RoleName: role }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await clients.iam.send(
        new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: ecsTasksTrust }),
      );
      // ECS pulls the task's ECR images as the execution role, so it needs ECR read, as the console's
      // ecsTaskExecutionRole has (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html)
      if (role === names.taskRoles[0]) {
        await clients.iam.send(
          new AttachRolePolicyCommand({ RoleName: role, PolicyArn: TASK_EXECUTION_POLICY }),
        );
      }
      done.push(`role ${role}`);
    }
  }
  try {
    await clients.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [names.repository] }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await clients.ecr.send(new CreateRepositoryCommand({ repositoryName: names.repository }));
    done.push(`repository ${names.repository}`);
  }
  const clusters = await clients.ecs.send(new DescribeClustersCommand({ clusters: [names.cluster] }));
  if (!clusters.clusters?.some((c) => c.status === "ACTIVE")) {
    await clients.ecs.send(new CreateClusterCommand({ clusterName: names.cluster }));
    done.push(`cluster ${names.cluster}`);
  }
  const services = await clients.ecs.send(
    new DescribeServicesCommand({ cluster: names.cluster, services: [names.service] }),
  );
  if (!services.services?.some((s) => s.status === "ACTIVE")) {
    const td = JSON.parse(await readFile(taskDefinitionFile, "utf8")) as RegisterTaskDefinitionCommandInput;
    for (const c of td.containerDefinitions ?? []) c.image = image;
    const registered = await clients.ecs.send(new RegisterTaskDefinitionCommand(td));
    await clients.ecs.send(
      new CreateServiceCommand({
        cluster: names.cluster,
        serviceName: names.service,
        taskDefinition: registered.taskDefinition?.taskDefinitionArn,
        desiredCount: 1,
        launchType: "FARGATE",
        networkConfiguration: {
          awsvpcConfiguration: { subnets: ["subnet-00000000"], assignPublicIp: "DISABLED" },
        },
      }),
    );
    done.push(`service ${names.service} (first revision, image ${image})`);
  }
  return done;
}
