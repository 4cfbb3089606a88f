// ECR and ECS resource types: repository, cluster, task definition, service. Arguments as in the AWS
// provider's docs (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ecs_service etc.).
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  type ImageTagMutability,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
} from "@aws-sdk/client-ecr";
import {
  type ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateClusterCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from "@aws-sdk/client-ecs";
import {
  assertKnown,
  block,
  blocks,
  createPlan,
  noChange,
  num,
  type ResourceContext,
  type ResourceType,
  readLive,
  required,
  show,
  str,
  strings,
  tagsOf,
} from "./resource-type.ts";
import { Unknown, type Value } from "./value.ts";

const ecsTags = (args: Record<string, Value>) => tagsOf(args)?.map((t) => ({ key: t.Key, value: t.Value }));

export const ecrRepository: ResourceType = {
  async plan(args, ctx) {
    const name = required(args, "name");
    const mutability = (str(args, "image_tag_mutability") ?? "MUTABLE") as ImageTagMutability;
    const scanOnPush = block(args, "image_scanning_configuration")?.scan_on_push === true;
    const arn = `arn:${ctx.partition}:ecr:${ctx.region}:${ctx.accountId}:repository/${name}`;
    const attrs: Record<string, Value> = {
      ...args,
      arn,
      id: name,
      name,
      registry_id: ctx.accountId,
      repository_url: new Unknown(),
    };
    const live = (
      await readLive(
        () => ctx.clients.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })),
        "RepositoryNotFound",
      )
    )?.repositories?.[0];
    if (!live) {
      return createPlan(
        args,
        [`+ name = ${show(name)}`, `+ image_tag_mutability = ${show(mutability)}`],
        attrs,
        async () => {
          const enc = block(args, "encryption_configuration");
          const out = await ctx.clients.ecr.send(
            new CreateRepositoryCommand({
              repositoryName: name,
              imageTagMutability: mutability,
              imageScanningConfiguration: { scanOnPush },
              encryptionConfiguration: enc
                ? {
                    encryptionType: (str(enc, "encryption_type") ?? "AES256") as "AES256",
                    kmsKey: str(enc, "kms_key"),
                  }
                : undefined,
              tags: tagsOf(args),
            }),
          );
          return {
            ...attrs,
            arn: out.repository?.repositoryArn ?? arn,
            repository_url: out.repository?.repositoryUri ?? "",
          };
        },
      );
    }
    const known = { ...attrs, arn: live.repositoryArn ?? arn, repository_url: live.repositoryUri ?? "" };
    const changes: string[] = [];
    if (live.imageTagMutability !== mutability)
      changes.push(`~ image_tag_mutability: ${show(live.imageTagMutability)} → ${show(mutability)}`);
    if ((live.imageScanningConfiguration?.scanOnPush ?? false) !== scanOnPush)
      changes.push(`~ scan_on_push → ${scanOnPush}`);
    if (!changes.length) return noChange(known);
    return {
      action: "update",
      changes,
      attrs: known,
      apply: async () => {
        if (live.imageTagMutability !== mutability)
          await ctx.clients.ecr.send(
            new PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: mutability }),
          );
        if ((live.imageScanningConfiguration?.scanOnPush ?? false) !== scanOnPush) {
          await ctx.clients.ecr.send(
            new PutImageScanningConfigurationCommand({
              repositoryName: name,
              imageScanningConfiguration: { scanOnPush },
            }),
          );
        }
        return known;
      },
    };
  },
};

export const ecsCluster: ResourceType = {
  identity: (args) => `aws_ecs_cluster:${str(args, "name")}`,
  async plan(args, ctx) {
    const name = required(args, "name");
    const arn = `arn:${ctx.partition}:ecs:${ctx.region}:${ctx.accountId}:cluster/${name}`;
    const settings = blocks(args, "setting").map((s) => ({
      name: String(s.name) as "containerInsights",
      value: String(s.value),
    }));
    const attrs: Record<string, Value> = { ...args, arn, id: arn, name };
    const out = await ctx.clients.ecs.send(
      new DescribeClustersCommand({ clusters: [name], include: ["SETTINGS"] }),
    );
    const live = out.clusters?.find((c) => c.status === "ACTIVE");
    if (!live) {
      return createPlan(args, [`+ name = ${show(name)}`], attrs, async () => {
        const r = await ctx.clients.ecs.send(
          new CreateClusterCommand({
            clusterName: name,
            settings: settings.length ? settings : undefined,
            tags: ecsTags(args),
          }),
        );
        return { ...attrs, arn: r.cluster?.clusterArn ?? arn, id: r.cluster?.clusterArn ?? arn };
      });
    }
    const liveSettings = live.settings ?? [];
    const differs = settings.filter(
      (s) => !liveSettings.some((l) => l.name === s.name && l.value === s.value),
    );
    if (!differs.length) return noChange(attrs);
    return {
      action: "update",
      changes: differs.map((s) => `~ setting ${s.name} = ${show(s.value)}`),
      attrs,
      apply: async () => {
        await ctx.clients.ecs.send(new UpdateClusterCommand({ cluster: name, settings }));
        return attrs;
      },
    };
  },
};

/** Desired is contained in live: AWS fills in defaults (cpu 0, empty lists), so only what was asked is compared. */
function contained(desired: unknown, live: unknown): boolean {
  if (desired === null || desired === undefined) return true;
  if (Array.isArray(desired)) {
    if (!desired.length) return live === undefined || live === null || (Array.isArray(live) && !live.length);
    return (
      Array.isArray(live) && live.length === desired.length && desired.every((d, i) => contained(d, live[i]))
    );
  }
  if (typeof desired === "object") {
    if (!live || typeof live !== "object") return Object.keys(desired).length === 0;
    return Object.entries(desired).every(([k, v]) => contained(v, (live as Record<string, unknown>)[k]));
  }
  return String(desired) === String(live);
}

export const ecsTaskDefinition: ResourceType = {
  async plan(args, ctx) {
    const family = required(args, "family");
    let containers: ContainerDefinition[];
    try {
      containers = JSON.parse(required(args, "container_definitions")) as ContainerDefinition[];
    } catch (err) {
      throw new Error(`container_definitions is not valid JSON: ${(err as Error).message}`);
    }
    const runtime = block(args, "runtime_platform");
    const input: RegisterTaskDefinitionCommandInput = {
      family,
      containerDefinitions: containers,
      taskRoleArn: str(args, "task_role_arn"),
      executionRoleArn: str(args, "execution_role_arn"),
      networkMode: str(args, "network_mode") as RegisterTaskDefinitionCommandInput["networkMode"],
      requiresCompatibilities: strings(
        args,
        "requires_compatibilities",
      ) as RegisterTaskDefinitionCommandInput["requiresCompatibilities"],
      cpu: str(args, "cpu"),
      memory: str(args, "memory"),
      pidMode: str(args, "pid_mode") as RegisterTaskDefinitionCommandInput["pidMode"],
      ipcMode: str(args, "ipc_mode") as RegisterTaskDefinitionCommandInput["ipcMode"],
      runtimePlatform: runtime
        ? {
            operatingSystemFamily: str(runtime, "operating_system_family") as "LINUX",
            cpuArchitecture: str(runtime, "cpu_architecture") as "X86_64",
          }
        : undefined,
      volumes: blocks(args, "volume").map((v) => ({
        name: String(v.name),
        host: v.host_path ? { sourcePath: String(v.host_path) } : undefined,
      })),
      tags: ecsTags(args),
    };
    if (!input.requiresCompatibilities?.length) delete input.requiresCompatibilities;
    if (!input.volumes?.length) delete input.volumes;
    const base = `arn:${ctx.partition}:ecs:${ctx.region}:${ctx.accountId}:task-definition/${family}`;
    const attrs: Record<string, Value> = {
      ...args,
      id: family,
      arn_without_revision: base,
      arn: new Unknown(),
      revision: new Unknown(),
    };
    const live = (
      await readLive(
        () => ctx.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family })),
        "ClientException",
        "InvalidParameterException",
      )
    )?.taskDefinition;
    const register = async () => {
      assertKnown(args);
      const out = await ctx.clients.ecs.send(new RegisterTaskDefinitionCommand(input));
      const td = out.taskDefinition;
      return { ...attrs, arn: td?.taskDefinitionArn ?? "", revision: td?.revision ?? 0 };
    };
    if (live?.status !== "ACTIVE") {
      return {
        action: "create",
        changes: [`+ family = ${show(family)}`, `+ ${containers.length} container definition(s)`],
        attrs,
        apply: register,
      };
    }
    const { containerDefinitions: _c, tags: _t, ...scalars } = input;
    const same = contained(containers, live.containerDefinitions) && contained(scalars, live);
    const known = { ...attrs, arn: live.taskDefinitionArn ?? "", revision: live.revision ?? 0 };
    if (same) return noChange(known);
    return {
      action: "replace",
      changes: [`~ register a new revision of ${show(family)} (now ${live.revision})`],
      attrs,
      apply: register,
    };
  },
};

/** Whether a service's live task definition ARN satisfies `family`, `family:rev` or a full ARN. */
function taskDefinitionMatches(desired: string, liveArn: string | undefined): boolean {
  if (!liveArn) return false;
  if (desired.startsWith("arn:")) return desired === liveArn;
  const famRev = liveArn.replace(/^.*task-definition\//, "");
  return desired.includes(":") ? famRev === desired : famRev.split(":")[0] === desired;
}

export const ecsService: ResourceType = {
  async plan(args, ctx, ignore) {
    const name = required(args, "name");
    const cluster = str(args, "cluster") ?? "default";
    const clusterName = cluster.replace(/^arn:.*:cluster\//, "");
    const taskDefinition = str(args, "task_definition");
    const desiredCount = num(args, "desired_count") ?? 0;
    const arn = `arn:${ctx.partition}:ecs:${ctx.region}:${ctx.accountId}:service/${clusterName}/${name}`;
    const attrs: Record<string, Value> = { ...args, id: arn, arn, name, cluster };
    const net = block(args, "network_configuration");
    const breaker = block(args, "deployment_circuit_breaker");
    const deploymentConfiguration: UpdateServiceCommandInput["deploymentConfiguration"] = {
      maximumPercent: num(args, "deployment_maximum_percent"),
      minimumHealthyPercent: num(args, "deployment_minimum_healthy_percent"),
      deploymentCircuitBreaker: breaker
        ? { enable: breaker.enable === true, rollback: breaker.rollback === true }
        : undefined,
    };
    const networkConfiguration = net
      ? {
          awsvpcConfiguration: {
            subnets: strings(net, "subnets"),
            securityGroups: strings(net, "security_groups"),
            assignPublicIp: (net.assign_public_ip === true ? "ENABLED" : "DISABLED") as
              | "ENABLED"
              | "DISABLED",
          },
        }
      : undefined;
    const live = (
      await readLive(
        () => ctx.clients.ecs.send(new DescribeServicesCommand({ cluster, services: [name] })),
        "ClusterNotFound",
      )
    )?.services?.find((s) => s.status !== "INACTIVE");
    const waitStable = args.wait_for_steady_state === true;
    if (!live) {
      return createPlan(
        args,
        [
          `+ name = ${show(name)}`,
          `+ cluster = ${show(cluster)}`,
          `+ task_definition = ${show(taskDefinition)}`,
          `+ desired_count = ${desiredCount}`,
        ],
        attrs,
        async () => {
          const out = await ctx.clients.ecs.send(
            new CreateServiceCommand({
              serviceName: name,
              cluster,
              taskDefinition,
              desiredCount,
              launchType: str(args, "launch_type") as "FARGATE" | undefined,
              networkConfiguration,
              deploymentConfiguration,
              healthCheckGracePeriodSeconds: num(args, "health_check_grace_period_seconds"),
              enableExecuteCommand: args.enable_execute_command === true ? true : undefined,
              propagateTags: str(args, "propagate_tags") as "SERVICE" | undefined,
              platformVersion: str(args, "platform_version"),
              deploymentController: block(args, "deployment_controller")
                ? { type: str(block(args, "deployment_controller")!, "type") as "ECS" }
                : undefined,
              loadBalancers: blocks(args, "load_balancer").map((lb) => ({
                targetGroupArn: str(lb, "target_group_arn"),
                containerName: str(lb, "container_name"),
                containerPort: num(lb, "container_port"),
              })),
              tags: ecsTags(args),
            }),
          );
          if (waitStable) await waitForSteadyState(ctx, cluster, name);
          return { ...attrs, id: out.service?.serviceArn ?? arn, arn: out.service?.serviceArn ?? arn };
        },
      );
    }
    const watch = (a: string) => !ignore.includes(a) && !ignore.includes("all");
    const update: UpdateServiceCommandInput = { cluster, service: name };
    const changes: string[] = [];
    if (
      taskDefinition &&
      watch("task_definition") &&
      !taskDefinitionMatches(taskDefinition, live.taskDefinition)
    ) {
      changes.push(`~ task_definition: ${show(live.taskDefinition)} → ${show(taskDefinition)}`);
      update.taskDefinition = taskDefinition;
    }
    if (watch("desired_count") && (live.desiredCount ?? 0) !== desiredCount) {
      changes.push(`~ desired_count: ${live.desiredCount} → ${desiredCount}`);
      update.desiredCount = desiredCount;
    }
    if (args.force_new_deployment === true && changes.length) update.forceNewDeployment = true;
    const known = { ...attrs, id: live.serviceArn ?? arn, arn: live.serviceArn ?? arn };
    if (!changes.length) return noChange(known);
    return {
      action: "update",
      changes,
      attrs: known,
      apply: async () => {
        assertKnown(args);
        await ctx.clients.ecs.send(new UpdateServiceCommand(update));
        if (waitStable) await waitForSteadyState(ctx, cluster, name);
        return known;
      },
    };
  },
};

/** The provider's wait_for_steady_state: one deployment left and running == desired. */
async function waitForSteadyState(
  ctx: ResourceContext,
  cluster: string,
  service: string,
  timeoutMs = 600_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await ctx.clients.ecs.send(new DescribeServicesCommand({ cluster, services: [service] })))
      .services?.[0];
    if (s && (s.deployments?.length ?? 0) === 1 && s.runningCount === s.desiredCount) return;
    if (Date.now() > deadline)
      throw new Error(`service ${service} did not reach a steady state in ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
