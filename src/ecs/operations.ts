// The ECS API (awsJson1_1): clusters, task definitions, services, tasks, tags. Member names are ECS's
// wire names; every call is authorized with the action and resource ARN AWS uses
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html).
// Shapes, messages and semantics: specs/ecs.md.
import { isDeepStrictEqual } from "node:util";
import type { Operation, RequestContext } from "../core/service.ts";
import { AwsError } from "../http/aws-error.ts";
import { reuseJson } from "../http/aws-json.ts";
import { requestTagContext, resourceTagContext } from "../iam/tag-keys.ts";
import { CLIENT_TOKEN_TTL_MS, checkClientToken, requestFingerprint, tokenConflict } from "./client-token.ts";
import type { DeploymentConfiguration, Json, ServiceRecord, TaskRecord } from "./model.ts";
import { newTask } from "./new-task.ts";
import { newDeployment } from "./reconcile.ts";
import { renderService, renderTask, renderTaskDefinition } from "./render.ts";
import type { EcsStore, TaskDefinitionRow } from "./store.ts";
import { buildTaskDefinition } from "./task-definition.ts";
import { roleArnOf, validateTaskDefinition } from "./validate.ts";

export interface EcsOperationsDeps {
  ecs: EcsStore;
  ids: { uuid(): string; taskId(): string; deploymentId(): string };
  /** asks the scheduler for a tick soon after a change */
  kick(): void;
}

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const err = (code: string, message: string) => new AwsError(code, message, 400);
const clusterNotFound = () => err("ClusterNotFoundException", "Cluster not found.");

interface ParsedArn {
  region: string;
  account: string;
  type: string;
  path: string[];
}

function parseEcsArn(arn: string): ParsedArn | undefined {
  const m = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, account: m[2]!, type: m[3]!, path: m[4]!.split("/") };
}

function page<T>(
  items: T[],
  maxResults: unknown,
  nextToken: unknown,
  size: number,
): { items: T[]; next?: string } {
  if (maxResults !== undefined && (typeof maxResults !== "number" || maxResults < 1 || maxResults > 100)) {
    throw err("InvalidParameterException", "maxResults must be between 1 and 100.");
  }
  const n = typeof maxResults === "number" ? maxResults : size;
  let start = 0;
  if (typeof nextToken === "string" && nextToken.length > 0) {
    start = Number(Buffer.from(nextToken, "base64url").toString("utf8"));
    if (!Number.isInteger(start) || start < 0) throw err("InvalidParameterException", "Invalid nextToken.");
  }
  const slice = items.slice(start, start + n);
  const out: { items: T[]; next?: string } = { items: slice };
  if (start + n < items.length) out.next = Buffer.from(String(start + n)).toString("base64url");
  return out;
}

function checkTags(tags: unknown): { key: string; value: string }[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) throw err("InvalidParameterException", "Tags must be a list.");
  if (tags.length > 50) throw err("InvalidParameterException", "Tags exceed the maximum of 50 per resource.");
  for (const t of tags as Json[]) {
    if (typeof t.key !== "string" || t.key.length < 1 || t.key.length > 128) {
      throw err("InvalidParameterException", "Tag key must be between 1 and 128 characters.");
    }
    if (t.key.toLowerCase().startsWith("aws:")) {
      throw err("InvalidParameterException", "Tag keys with the aws: prefix are reserved for AWS use.");
    }
    if (t.value !== undefined && (typeof t.value !== "string" || t.value.length > 256)) {
      throw err("InvalidParameterException", "Tag value must be no more than 256 characters.");
    }
  }
  return (tags as Json[]).map((t) => ({ key: t.key, value: t.value ?? "" }));
}

const DEFAULT_DEPLOYMENT_CONFIGURATION: DeploymentConfiguration = {
  deploymentCircuitBreaker: { enable: false, rollback: false },
  maximumPercent: 200,
  minimumHealthyPercent: 100,
};

function mergeDeploymentConfiguration(
  base: DeploymentConfiguration,
  given: Json | undefined,
): DeploymentConfiguration {
  if (given === undefined) return base;
  const out: DeploymentConfiguration = { ...base, ...given } as DeploymentConfiguration;
  const cb = given.deploymentCircuitBreaker;
  if (cb !== undefined) {
    if (typeof cb.enable !== "boolean" || typeof cb.rollback !== "boolean") {
      throw err("InvalidParameterException", "deploymentCircuitBreaker requires both enable and rollback.");
    }
    out.deploymentCircuitBreaker = { enable: cb.enable, rollback: cb.rollback };
  }
  if (out.maximumPercent < 1 || out.minimumHealthyPercent < 0 || out.minimumHealthyPercent > 100) {
    throw err("InvalidParameterException", "Invalid deployment configuration.");
  }
  if (given.strategy !== undefined && given.strategy !== "ROLLING") {
    throw err("UnsupportedFeatureException", `Deployment strategy ${given.strategy} is not supported.`);
  }
  return out;
}

export function createEcsOperations(deps: EcsOperationsDeps): Record<string, Operation> {
  const { ecs } = deps;

  const clusterArnOf = (ctx: RequestContext, ref: unknown): string => {
    const s = typeof ref === "string" && ref.length > 0 ? ref : "default";
    if (s.startsWith("arn:")) return s;
    return `arn:aws:ecs:${ctx.region}:${ctx.accountId}:cluster/${s}`;
  };
  /** The cluster a request names, as AWS authorizes it: built from the request, whether or not it exists. */
  const namedCluster = (ctx: RequestContext, ref: unknown): { arn: string; name: string } => {
    const arn = clusterArnOf(ctx, ref);
    const p = parseEcsArn(arn);
    return { arn, name: p?.type === "cluster" ? p.path.join("/") : arn };
  };
  const requireCluster = (ctx: RequestContext, ref: unknown) => {
    const arn = clusterArnOf(ctx, ref);
    const c = ecs.getCluster(arn);
    if (c?.status !== "ACTIVE") throw clusterNotFound();
    return c;
  };
  const serviceArnOf = (ctx: RequestContext, cluster: string, ref: string): string =>
    ref.startsWith("arn:") ? ref : `arn:aws:ecs:${ctx.region}:${ctx.accountId}:service/${cluster}/${ref}`;
  const taskArnOf = (ctx: RequestContext, cluster: string, ref: string): string | undefined => {
    if (ref.startsWith("arn:")) return parseEcsArn(ref)?.type === "task" ? ref : undefined;
    if (!/^[a-zA-Z0-9-]{1,64}$/.test(ref)) return undefined;
    return `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task/${cluster}/${ref}`;
  };
  /** The task ARN a DescribeTasks reference names, also when it is not one the twin could hold. */
  const namedTaskArn = (ctx: RequestContext, cluster: string, ref: string): string =>
    taskArnOf(ctx, cluster, ref) ??
    (ref.startsWith("arn:") ? ref : `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task/${cluster}/${ref}`);
  /**
   * The task-definition ARN a reference names, whether or not it exists: an ARN as given (another region's
   * or account's stays theirs), a family or family:revision in the caller's region and account.
   */
  const namedTaskDefinitionArn = (ctx: RequestContext, ref: unknown): string => {
    const s = String(ref ?? "");
    return s.startsWith("arn:") ? s : `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task-definition/${s}`;
  };
  const principalArn = (ctx: RequestContext) => ctx.principal?.arn ?? `arn:aws:iam::${ctx.accountId}:root`;

  /** family | family:revision | ARN → the stored definition (family alone: latest ACTIVE). */
  const resolveTaskDefinition = (ctx: RequestContext, ref: unknown): TaskDefinitionRow | undefined => {
    if (typeof ref !== "string" || ref.length === 0) return undefined;
    let text = ref;
    if (ref.startsWith("arn:")) {
      const p = parseEcsArn(ref);
      if (p?.type !== "task-definition" || p.account !== ctx.accountId || p.region !== ctx.region) {
        return undefined;
      }
      text = p.path.join("/");
    }
    const i = text.lastIndexOf(":");
    if (i < 0) return ecs.getTaskDefinition(text);
    const revision = Number(text.slice(i + 1));
    if (!Number.isInteger(revision)) return undefined;
    return ecs.getTaskDefinition(text.slice(0, i), revision);
  };

  const passRoleChecks = (ctx: RequestContext, roles: unknown[], service = "ecs-tasks.amazonaws.com") =>
    roles
      .filter((r): r is string => typeof r === "string" && r.length > 0)
      .map((r) => ({
        action: "iam:PassRole",
        resource: roleArnOf(r, ctx.accountId) ?? r,
        context: { "iam:PassedToService": service },
      }));

  // ECS's tag condition keys: aws:ResourceTag/* and ecs:ResourceTag/* (the Service Authorization Reference
  // lists both) for an existing cluster, service, task or task definition, aws:RequestTag/* and aws:TagKeys
  // for the tags a call creates or removes
  // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
  const resourceTags = (arn: string): Record<string, string> => resourceTagContext(ecs.tags(arn), "ecs");
  /**
   * Tag-on-create: a create call that carries tags also needs ecs:TagResource on the resource it creates, with
   * ecs:CreateAction naming the operation (supported-iam-actions-tagging.html). Without tags, no check.
   */
  const tagOnCreate = (createAction: string, resources: string[], tags: { key: string; value: string }[]) =>
    tags.length === 0
      ? []
      : resources.map((resource) => ({
          action: "ecs:TagResource",
          resource,
          context: { "ecs:CreateAction": createAction, ...requestTagContext(tags) },
        }));
  /** ecs:enable-execute-command, when the request sets enableExecuteCommand. */
  const executeCommandKey = (input: Json): Record<string, string> =>
    typeof input.enableExecuteCommand === "boolean"
      ? { "ecs:enable-execute-command": String(input.enableExecuteCommand) }
      : {};

  const checkLaunch = (td: Json, launchType: string | undefined, networkConfiguration: Json | undefined) => {
    if (
      launchType !== undefined &&
      !["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"].includes(launchType)
    ) {
      throw err("InvalidParameterException", `launchType ${launchType} is not valid.`);
    }
    if (launchType !== undefined && !(td.compatibilities as string[]).includes(launchType)) {
      throw err("InvalidParameterException", `Task definition does not support launch_type ${launchType}.`);
    }
    const awsvpc = td.networkMode === "awsvpc";
    if (awsvpc && !networkConfiguration?.awsvpcConfiguration) {
      throw err(
        "InvalidParameterException",
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      );
    }
    if (!awsvpc && networkConfiguration !== undefined) {
      throw err(
        "InvalidParameterException",
        "Network Configuration is not valid for the given networkMode of this task definition.",
      );
    }
    if (awsvpc) {
      const subnets = networkConfiguration?.awsvpcConfiguration?.subnets;
      if (!Array.isArray(subnets) || subnets.length === 0)
        throw err("InvalidParameterException", "subnets can not be empty.");
    }
  };

  // Pollers and waiters describe the same service over and over: its rendering (and the JSON text the
  // protocol writes for it) is kept with the stored record the store's cache hands out, which is a new
  // object after any write (store.ts), so nothing outlives the record it was rendered from.
  const renderedServices = new WeakMap<ServiceRecord, Json>();
  const describedService = (svc: ServiceRecord, tags: { key: string; value: string }[] | undefined) => {
    // a record read inside a transaction is not the cache's: it may still change
    if (tags !== undefined || !Object.isFrozen(svc)) return renderService(svc, tags);
    let out = renderedServices.get(svc);
    if (!out) {
      out = reuseJson(renderService(svc));
      renderedServices.set(svc, out);
    }
    return out;
  };

  const clusterView = (row: { arn: string; name: string; status: string; doc: Json }, include: string[]) => {
    const counts = ecs.countTasks(row.arn);
    const services = ecs.listServices(row.arn, ["ACTIVE"]).length;
    const out: Json = {
      clusterArn: row.arn,
      clusterName: row.name,
      status: row.status,
      registeredContainerInstancesCount: 0,
      runningTasksCount: counts.running,
      pendingTasksCount: counts.pending,
      activeServicesCount: services,
      statistics: [],
      tags: [],
      settings: row.doc.settings ?? [{ name: "containerInsights", value: "disabled" }],
      capacityProviders: row.doc.capacityProviders ?? [],
      defaultCapacityProviderStrategy: row.doc.defaultCapacityProviderStrategy ?? [],
    };
    if (include.includes("TAGS")) out.tags = ecs.tags(row.arn);
    return out;
  };

  /**
   * A RunTask sent again with a token the cluster knows: the first call's tasks as they are now, or a
   * ConflictException when the parameters differ. A token is forgotten after its 24 hours, and also once
   * every task it started has been purged (stoppedTaskRetentionSeconds after stopping): the Idempotency page
   * makes 24 hours the longest a token lives (its other bound could not be confirmed here), and a call whose
   * tasks are gone has nothing left to answer with.
   */
  const replayRunTask = (cluster: string, token: string, fingerprint: string, now: number) => {
    const first = ecs.runToken(cluster, token, now - CLIENT_TOKEN_TTL_MS);
    if (!first) return undefined;
    const tasks = first.taskArns.map((arn) => ecs.getTask(arn)).filter((t) => t !== undefined);
    if (tasks.length === 0) return undefined;
    if (first.fingerprint !== fingerprint) throw tokenConflict(first.taskArns);
    return { tasks: tasks.map((t) => renderTask(t)), failures: [] };
  };

  const ops: Record<string, Operation> = {
    // ---- clusters
    CreateCluster(input, ctx) {
      const name = input.clusterName ?? "default";
      if (typeof name !== "string" || !NAME.test(name)) {
        throw err(
          "InvalidParameterException",
          "Cluster name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, hyphens, and underscores.",
        );
      }
      const tags = checkTags(input.tags);
      const arn = clusterArnOf(ctx, name);
      ctx.authorize([
        { action: "ecs:CreateCluster", resource: "*", context: requestTagContext(tags) },
        ...tagOnCreate("CreateCluster", [arn], tags),
      ]);
      return ecs.tx(() => {
        const existing = ecs.getCluster(arn);
        if (existing?.status === "ACTIVE") return { cluster: clusterView(existing, []) };
        const row = {
          arn,
          name,
          status: "ACTIVE",
          created: ctx.now.getTime(),
          doc: {
            settings: input.settings ?? [{ name: "containerInsights", value: "disabled" }],
            capacityProviders: input.capacityProviders ?? [],
            defaultCapacityProviderStrategy: input.defaultCapacityProviderStrategy ?? [],
          },
        };
        ecs.putCluster(row);
        ecs.dropTags(arn);
        ecs.tag(arn, tags);
        const view = clusterView(row, []);
        view.tags = tags;
        return { cluster: view };
      });
    },
    DescribeClusters(input, ctx) {
      const refs: string[] = input.clusters ?? ["default"];
      const include: string[] = input.include ?? [];
      const clusters: Json[] = [];
      const failures: Json[] = [];
      for (const ref of refs) {
        const arn = clusterArnOf(ctx, ref);
        ctx.authorize({ action: "ecs:DescribeClusters", resource: arn, context: resourceTags(arn) });
        const row = ecs.getCluster(arn);
        if (row) clusters.push(clusterView(row, include));
        else failures.push({ arn, reason: "MISSING" });
      }
      return { clusters, failures };
    },
    ListClusters(input, ctx) {
      ctx.authorize({ action: "ecs:ListClusters", resource: "*" });
      const p = page(
        ecs.listClusters().map((c) => c.arn),
        input.maxResults,
        input.nextToken,
        100,
      );
      return { clusterArns: p.items, ...(p.next ? { nextToken: p.next } : {}) };
    },
    DeleteCluster(input, ctx) {
      const arn = clusterArnOf(ctx, input.cluster);
      ctx.authorize({ action: "ecs:DeleteCluster", resource: arn, context: resourceTags(arn) });
      return ecs.tx(() => {
        const row = ecs.getCluster(arn);
        if (row?.status !== "ACTIVE") throw clusterNotFound();
        if (ecs.listServices(arn, ["ACTIVE", "DRAINING"]).length > 0) {
          throw err(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
          );
        }
        if (ecs.countTasks(arn).live > 0) {
          throw err("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.");
        }
        row.status = "INACTIVE";
        ecs.putCluster(row);
        ecs.dropTags(arn);
        return { cluster: clusterView(row, []) };
      });
    },

    // ---- task definitions
    RegisterTaskDefinition(input, ctx) {
      const requested = checkTags(input.tags);
      // the revision this registration will most likely get (registrations of one family racing in the same
      // group commit may take it first): the ARN tag-on-create is authorized on
      const family = String(input.family ?? "");
      const nextArn = `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task-definition/${family}:${requested.length > 0 ? ecs.peekRevision(family) : 0}`;
      ctx.authorize([
        { action: "ecs:RegisterTaskDefinition", resource: "*", context: requestTagContext(requested) },
        ...tagOnCreate("RegisterTaskDefinition", [nextArn], requested),
      ]);
      for (const key of [
        "taskDefinitionArn",
        "revision",
        "status",
        "registeredAt",
        "registeredBy",
        "compatibilities",
      ]) {
        if (key in input) throw err("SerializationException", `Unexpected field: ${key}`);
      }
      const problem = validateTaskDefinition(input, ctx.accountId)[0];
      if (problem) throw err(problem.code, problem.message);
      ctx.authorize(passRoleChecks(ctx, [input.taskRoleArn, input.executionRoleArn]));
      const tags = checkTags(input.tags);
      // registrations come in bursts (CI pipelines, IaC applies): they share commits
      return ecs.txGrouped(() => {
        const revision = ecs.nextRevision(input.family);
        const arn = `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task-definition/${input.family}:${revision}`;
        const doc = buildTaskDefinition(input, {
          arn,
          revision,
          registeredAt: ctx.now.getTime(),
          registeredBy: principalArn(ctx),
        });
        ecs.putTaskDefinition({ arn, family: input.family, revision, status: "ACTIVE", doc });
        ecs.tag(arn, tags);
        return { taskDefinition: renderTaskDefinition(doc), tags };
      });
    },
    DescribeTaskDefinition(input, ctx) {
      ctx.authorize({ action: "ecs:DescribeTaskDefinition", resource: "*" });
      const row = resolveTaskDefinition(ctx, input.taskDefinition);
      if (!row) throw err("ClientException", "Unable to describe task definition.");
      const out: Json = { taskDefinition: renderTaskDefinition(row.doc) };
      if ((input.include ?? []).includes("TAGS")) out.tags = ecs.tags(row.arn);
      return out;
    },
    DeregisterTaskDefinition(input, ctx) {
      ctx.authorize({ action: "ecs:DeregisterTaskDefinition", resource: "*" });
      const ref = String(input.taskDefinition ?? "");
      const tail = ref.startsWith("arn:") ? ref.slice(ref.lastIndexOf("/") + 1) : ref;
      if (!tail.includes(":")) throw err("ClientException", "Revision is missing.");
      return ecs.tx(() => {
        const row = resolveTaskDefinition(ctx, ref);
        if (!row) throw err("ClientException", "Unable to describe task definition.");
        if (row.status === "ACTIVE") {
          row.status = "INACTIVE";
          row.doc.status = "INACTIVE";
          row.doc.deregisteredAt = ctx.now.getTime();
          ecs.putTaskDefinition(row);
        }
        return { taskDefinition: renderTaskDefinition(row.doc) };
      });
    },
    DeleteTaskDefinitions(input, ctx) {
      const refs: unknown[] = input.taskDefinitions ?? [];
      if (!Array.isArray(refs) || refs.length < 1 || refs.length > 10) {
        throw err("InvalidParameterException", "taskDefinitions must contain between 1 and 10 items.");
      }
      const taskDefinitions: Json[] = [];
      const failures: Json[] = [];
      ecs.tx(() => {
        for (const ref of refs) {
          const row = resolveTaskDefinition(ctx, ref);
          const arn = row?.arn ?? String(ref);
          ctx.authorize({
            action: "ecs:DeleteTaskDefinitions",
            resource: row?.arn ?? namedTaskDefinitionArn(ctx, ref),
          });
          if (!row || !String(ref).includes(":")) {
            failures.push({ arn, reason: "The specified task definition does not exist." });
          } else if (row.status === "ACTIVE") {
            failures.push({
              arn,
              reason:
                "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
            });
          } else {
            row.status = "DELETE_IN_PROGRESS";
            row.doc.status = "DELETE_IN_PROGRESS";
            row.doc.deleteRequestedAt ??= ctx.now.getTime();
            ecs.putTaskDefinition(row);
            taskDefinitions.push(renderTaskDefinition(row.doc));
          }
        }
      });
      return { taskDefinitions, failures };
    },
    ListTaskDefinitions(input, ctx) {
      ctx.authorize({ action: "ecs:ListTaskDefinitions", resource: "*" });
      const status = input.status ?? "ACTIVE";
      const all = ecs.listTaskDefinitions(status, input.familyPrefix, input.sort === "DESC");
      const p = page(
        all.map((r) => r.arn),
        input.maxResults,
        input.nextToken,
        100,
      );
      return { taskDefinitionArns: p.items, ...(p.next ? { nextToken: p.next } : {}) };
    },
    ListTaskDefinitionFamilies(input, ctx) {
      ctx.authorize({ action: "ecs:ListTaskDefinitionFamilies", resource: "*" });
      const status = input.status ?? "ALL";
      const prefix: string = input.familyPrefix ?? "";
      const families = ecs
        .families()
        .filter((f) => f.family.startsWith(prefix))
        .filter((f) => (status === "ACTIVE" ? f.active > 0 : status === "INACTIVE" ? f.active === 0 : true))
        .map((f) => f.family);
      const p = page(families, input.maxResults, input.nextToken, 100);
      return { families: p.items, ...(p.next ? { nextToken: p.next } : {}) };
    },

    // ---- services
    CreateService(input, ctx) {
      const name = input.serviceName;
      if (typeof name !== "string" || !NAME.test(name)) {
        throw err(
          "InvalidParameterException",
          "Service name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, hyphens, and underscores.",
        );
      }
      const named = namedCluster(ctx, input.cluster);
      const arn = serviceArnOf(ctx, named.name, name);
      const requested = checkTags(input.tags);
      const td = resolveTaskDefinition(ctx, input.taskDefinition);
      ctx.authorize([
        {
          action: "ecs:CreateService",
          resource: arn,
          context: {
            "ecs:cluster": named.arn,
            ...(input.taskDefinition !== undefined
              ? { "ecs:task-definition": td?.arn ?? namedTaskDefinitionArn(ctx, input.taskDefinition) }
              : {}),
            ...executeCommandKey(input),
            ...requestTagContext(requested),
          },
        },
        ...tagOnCreate("CreateService", [arn], requested),
      ]);
      const cluster = requireCluster(ctx, input.cluster);
      if (typeof input.taskDefinition === "string" && !input.taskDefinition.startsWith("arn:")) {
        const family = input.taskDefinition.split(":")[0]!;
        if (!NAME.test(family)) throw err("ClientException", "Family contains invalid characters.");
      }
      if (!td) throw err("ClientException", "TaskDefinition not found.");
      if (td.status !== "ACTIVE") throw err("ClientException", "TaskDefinition is inactive");
      if ((input.schedulingStrategy ?? "REPLICA") === "REPLICA" && typeof input.desiredCount !== "number") {
        throw err(
          "InvalidParameterException",
          "desiredCount is required for the REPLICA scheduling strategy.",
        );
      }
      if (input.launchType !== undefined && input.capacityProviderStrategy !== undefined) {
        throw err(
          "InvalidParameterException",
          "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        );
      }
      const launchType: string | undefined =
        input.launchType ?? (input.capacityProviderStrategy === undefined ? "EC2" : undefined);
      const effectiveLaunch =
        launchType ??
        (String(input.capacityProviderStrategy?.[0]?.capacityProvider ?? "").startsWith("FARGATE")
          ? "FARGATE"
          : "EC2");
      checkLaunch(td.doc, effectiveLaunch, input.networkConfiguration);
      const roles = [td.doc.taskRoleArn, td.doc.executionRoleArn];
      const checks = passRoleChecks(ctx, roles);
      if (input.role) checks.push(...passRoleChecks(ctx, [input.role], "ecs.amazonaws.com"));
      if (checks.length > 0) ctx.authorize(checks);
      const tags = checkTags(input.tags);
      const deploymentConfiguration = mergeDeploymentConfiguration(
        DEFAULT_DEPLOYMENT_CONFIGURATION,
        input.deploymentConfiguration,
      );
      const now = ctx.now.getTime();
      const result = ecs.tx(() => {
        const existing = ecs.getService(arn);
        if (existing && existing.status !== "INACTIVE") {
          if (input.clientToken !== undefined && existing.clientToken === input.clientToken) {
            return { service: renderService(existing) };
          }
          throw err("InvalidParameterException", "Creation of service was not idempotent.");
        }
        const platformVersion =
          effectiveLaunch === "FARGATE" ? (input.platformVersion ?? "LATEST") : input.platformVersion;
        const extra: Json = {};
        for (const key of [
          "loadBalancers",
          "serviceRegistries",
          "capacityProviderStrategy",
          "networkConfiguration",
          "placementConstraints",
          "placementStrategy",
          "schedulingStrategy",
          "deploymentController",
          "enableECSManagedTags",
          "propagateTags",
          "enableExecuteCommand",
          "availabilityZoneRebalancing",
        ]) {
          if (input[key] !== undefined) extra[key] = input[key];
        }
        if (launchType !== undefined) extra.launchType = launchType;
        if (platformVersion !== undefined) extra.platformVersion = platformVersion;
        if (input.role) extra.roleArn = roleArnOf(input.role, ctx.accountId) ?? input.role;
        const deployment = newDeployment(
          {
            taskDefinition: td.arn,
            launchType: effectiveLaunch,
            platformVersion,
            networkConfiguration: input.networkConfiguration,
          },
          { desiredCount: input.desiredCount ?? 0 },
          now,
          deps.ids.deploymentId(),
        );
        const svc: ServiceRecord = {
          serviceArn: arn,
          serviceName: name,
          clusterArn: cluster.arn,
          status: "ACTIVE",
          desiredCount: input.desiredCount ?? 0,
          runningCount: 0,
          pendingCount: 0,
          taskDefinition: td.arn,
          deploymentConfiguration,
          deployments: [deployment],
          events: [],
          createdAt: now,
          createdBy: principalArn(ctx),
          healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds ?? 0,
          steadySince: 0,
          dedup: {},
          extra,
        };
        if (input.clientToken !== undefined) svc.clientToken = input.clientToken;
        ecs.putService(svc);
        ecs.dropTags(arn);
        ecs.tag(arn, tags);
        return { service: renderService(svc) };
      });
      deps.kick();
      return result;
    },
    UpdateService(input, ctx) {
      const named = namedCluster(ctx, input.cluster);
      if (typeof input.service !== "string") throw err("InvalidParameterException", "service is required.");
      const arn = serviceArnOf(ctx, named.name, input.service);
      const givenTd =
        input.taskDefinition === undefined
          ? undefined
          : (resolveTaskDefinition(ctx, input.taskDefinition)?.arn ??
            namedTaskDefinitionArn(ctx, input.taskDefinition));
      ctx.authorize({
        action: "ecs:UpdateService",
        resource: arn,
        context: {
          "ecs:cluster": named.arn,
          ...(givenTd !== undefined ? { "ecs:task-definition": givenTd } : {}),
          ...executeCommandKey(input),
          ...resourceTags(arn),
        },
      });
      const cluster = requireCluster(ctx, input.cluster);
      const now = ctx.now.getTime();
      const result = ecs.tx(() => {
        const svc = ecs.getService(arn);
        if (!svc || svc.clusterArn !== cluster.arn)
          throw err("ServiceNotFoundException", "Service not found.");
        if (svc.status !== "ACTIVE") throw err("ServiceNotActiveException", "Service was not ACTIVE.");
        const P = svc.deployments.find((d) => d.status === "PRIMARY")!;
        let redeploy = input.forceNewDeployment === true;
        let tdArn = svc.taskDefinition;
        if (input.taskDefinition !== undefined) {
          const td = resolveTaskDefinition(ctx, input.taskDefinition);
          if (!td) throw err("ClientException", "TaskDefinition not found.");
          if (td.status !== "ACTIVE") throw err("ClientException", "TaskDefinition is inactive");
          if (td.arn !== svc.taskDefinition) redeploy = true;
          tdArn = td.arn;
        }
        const tdDoc = ecs.getTaskDefinitionByArn(tdArn)!.doc;
        let network = svc.extra.networkConfiguration as Json | undefined;
        if (
          input.networkConfiguration !== undefined &&
          !isDeepStrictEqual(input.networkConfiguration, network)
        ) {
          network = input.networkConfiguration;
          redeploy = true;
        }
        let platformVersion = svc.extra.platformVersion as string | undefined;
        if (input.platformVersion !== undefined && input.platformVersion !== platformVersion) {
          platformVersion = input.platformVersion;
          redeploy = true;
        }
        // the deploy action always sends volumeConfigurations: [] — not a change for a service without volumes
        if (Array.isArray(input.volumeConfigurations) && input.volumeConfigurations.length > 0) {
          if (!isDeepStrictEqual(input.volumeConfigurations, svc.extra.volumeConfigurations)) redeploy = true;
          svc.extra.volumeConfigurations = input.volumeConfigurations;
        }
        for (const key of ["loadBalancers", "serviceRegistries"]) {
          if (input[key] !== undefined && !isDeepStrictEqual(input[key], svc.extra[key] ?? [])) {
            svc.extra[key] = input[key];
            redeploy = true;
          }
        }
        if (redeploy) {
          checkLaunch(tdDoc, P.launchType, network);
          const checks = passRoleChecks(ctx, [tdDoc.taskRoleArn, tdDoc.executionRoleArn]);
          if (checks.length > 0) ctx.authorize(checks);
        }
        if (input.desiredCount !== undefined) {
          if (typeof input.desiredCount !== "number" || input.desiredCount < 0) {
            throw err("InvalidParameterException", "desiredCount must be a non-negative integer.");
          }
          svc.desiredCount = input.desiredCount;
        }
        svc.deploymentConfiguration = mergeDeploymentConfiguration(
          svc.deploymentConfiguration,
          input.deploymentConfiguration,
        );
        if (input.healthCheckGracePeriodSeconds !== undefined) {
          svc.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
        }
        for (const key of [
          "capacityProviderStrategy",
          "placementConstraints",
          "placementStrategy",
          "enableExecuteCommand",
          "enableECSManagedTags",
          "propagateTags",
          "availabilityZoneRebalancing",
        ]) {
          if (input[key] !== undefined) svc.extra[key] = input[key];
        }
        if (network !== undefined) svc.extra.networkConfiguration = network;
        if (platformVersion !== undefined) svc.extra.platformVersion = platformVersion;
        if (redeploy) {
          for (const d of svc.deployments) d.status = "ACTIVE";
          const d = newDeployment(
            {
              taskDefinition: tdArn,
              launchType: P.launchType,
              platformVersion,
              networkConfiguration: network,
            },
            svc,
            now,
            deps.ids.deploymentId(),
          );
          svc.deployments.unshift(d);
          svc.taskDefinition = tdArn;
          svc.steadySince = 0;
        } else {
          P.desiredCount = svc.desiredCount;
        }
        ecs.putService(svc);
        return { service: renderService(svc) };
      });
      deps.kick();
      return result;
    },
    DeleteService(input, ctx) {
      const named = namedCluster(ctx, input.cluster);
      const arn = serviceArnOf(ctx, named.name, String(input.service ?? ""));
      ctx.authorize({
        action: "ecs:DeleteService",
        resource: arn,
        context: { "ecs:cluster": named.arn, ...resourceTags(arn) },
      });
      const cluster = requireCluster(ctx, input.cluster);
      const result = ecs.tx(() => {
        const svc = ecs.getService(arn);
        if (!svc || svc.clusterArn !== cluster.arn)
          throw err("ServiceNotFoundException", "Service not found.");
        if (svc.status !== "ACTIVE") return { service: renderService(svc) };
        if (svc.desiredCount > 0 && input.force !== true) {
          throw err("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.");
        }
        svc.desiredCount = 0;
        svc.status = "DRAINING";
        ecs.putService(svc);
        return { service: renderService(svc) };
      });
      deps.kick();
      return result;
    },
    DescribeServices(input, ctx) {
      const refs = input.services;
      if (!Array.isArray(refs) || refs.length < 1 || refs.length > 10) {
        throw err("InvalidParameterException", "services must contain between 1 and 10 items.");
      }
      const named = namedCluster(ctx, input.cluster);
      const arns = (refs as unknown[]).map((ref) => serviceArnOf(ctx, named.name, String(ref)));
      for (const arn of arns) {
        ctx.authorize({
          action: "ecs:DescribeServices",
          resource: arn,
          context: { "ecs:cluster": named.arn, ...resourceTags(arn) },
        });
      }
      const cluster = requireCluster(ctx, input.cluster);
      const withTags = (input.include ?? []).includes("TAGS");
      const services: Json[] = [];
      const failures: Json[] = [];
      for (const arn of arns) {
        const svc = ecs.getService(arn);
        if (svc && svc.clusterArn === cluster.arn)
          services.push(describedService(svc, withTags ? ecs.tags(arn) : undefined));
        else failures.push({ arn, reason: "MISSING" });
      }
      return { services, failures };
    },
    ListServices(input, ctx) {
      ctx.authorize({
        action: "ecs:ListServices",
        resource: "*",
        context: { "ecs:cluster": namedCluster(ctx, input.cluster).arn },
      });
      const cluster = requireCluster(ctx, input.cluster);
      const arns = ecs
        .listServices(cluster.arn, ["ACTIVE"])
        .filter((s) => input.launchType === undefined || s.extra.launchType === input.launchType)
        .filter(
          (s) =>
            input.schedulingStrategy === undefined ||
            (s.extra.schedulingStrategy ?? "REPLICA") === input.schedulingStrategy,
        )
        .map((s) => s.serviceArn);
      const p = page(arns, input.maxResults, input.nextToken, 10);
      return { serviceArns: p.items, ...(p.next ? { nextToken: p.next } : {}) };
    },

    // ---- tasks
    RunTask(input, ctx) {
      const named = namedCluster(ctx, input.cluster);
      const td = resolveTaskDefinition(ctx, input.taskDefinition);
      const requested = checkTags(input.tags);
      // with tags, the tasks' ids are chosen now: tag-on-create is authorized on the ARNs of the tasks it creates
      const taskIds: string[] = [];
      if (requested.length > 0) {
        const n = typeof input.count === "number" && input.count >= 1 && input.count <= 10 ? input.count : 1;
        for (let i = 0; i < n; i++) taskIds.push(deps.ids.taskId());
      }
      ctx.authorize([
        {
          action: "ecs:RunTask",
          resource: td?.arn ?? namedTaskDefinitionArn(ctx, input.taskDefinition),
          context: {
            "ecs:cluster": named.arn,
            ...executeCommandKey(input),
            ...(td ? resourceTags(td.arn) : {}),
            ...requestTagContext(requested),
          },
        },
        ...tagOnCreate(
          "RunTask",
          taskIds.map((id) => `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task/${named.name}/${id}`),
          requested,
        ),
      ]);
      const cluster = requireCluster(ctx, input.cluster);
      const clientToken = checkClientToken(input.clientToken);
      const now = ctx.now.getTime();
      const fingerprint = clientToken === undefined ? "" : requestFingerprint(input);
      if (clientToken !== undefined) {
        const replay = replayRunTask(cluster.arn, clientToken, fingerprint, now);
        if (replay) return replay;
      }
      if (!td) throw err("ClientException", "TaskDefinition not found.");
      if (td.status !== "ACTIVE") throw err("InvalidParameterException", "TaskDefinition is inactive");
      const count = input.count ?? 1;
      if (typeof count !== "number" || count < 1 || count > 10) {
        throw err("InvalidParameterException", "count must be between 1 and 10.");
      }
      if (input.propagateTags === "SERVICE") {
        throw err(
          "InvalidParameterException",
          "The task must be launched by a service to propagate tags from the service.",
        );
      }
      const launchType: string =
        input.launchType ??
        (String(input.capacityProviderStrategy?.[0]?.capacityProvider ?? "").startsWith("FARGATE")
          ? "FARGATE"
          : "EC2");
      checkLaunch(td.doc, launchType, input.networkConfiguration);
      if (input.startedBy !== undefined && !/^[A-Za-z0-9_/-]{1,128}$/.test(input.startedBy)) {
        throw err(
          "InvalidParameterException",
          "startedBy must be up to 128 letters, numbers, hyphens, underscores and slashes.",
        );
      }
      const overrides: Json = input.overrides ?? {};
      const checks = passRoleChecks(ctx, [
        overrides.taskRoleArn ?? td.doc.taskRoleArn,
        overrides.executionRoleArn ?? td.doc.executionRoleArn,
      ]);
      if (checks.length > 0) ctx.authorize(checks);
      let tags = checkTags(input.tags);
      if (input.propagateTags === "TASK_DEFINITION") tags = [...ecs.tags(td.arn), ...tags];
      const tasks = ecs.tx(() => {
        const out: Json[] = [];
        for (let i = 0; i < count; i++) {
          const t = newTask({
            taskId: taskIds[i] ?? deps.ids.taskId(),
            clusterArn: cluster.arn,
            taskDefinition: td.doc,
            now,
            launchType,
            startedBy: input.startedBy,
            group: input.group ?? `family:${td.family}`,
            networkConfiguration: input.networkConfiguration,
            overrides: input.overrides,
            tags,
            platformVersion: input.platformVersion,
            uuid: deps.ids.uuid,
          });
          ecs.putTask(t);
          ecs.tag(t.taskArn, tags);
          out.push(renderTask(t));
        }
        if (clientToken !== undefined) {
          const taskArns = out.map((t) => t.taskArn as string);
          ecs.putRunToken(
            cluster.arn,
            clientToken,
            { fingerprint, taskArns, created: now },
            now - CLIENT_TOKEN_TTL_MS,
          );
        }
        return out;
      });
      deps.kick();
      return { tasks, failures: [] };
    },
    StopTask(input, ctx) {
      const named = namedCluster(ctx, input.cluster);
      const arn = taskArnOf(ctx, named.name, String(input.task ?? ""));
      if (!arn) throw err("InvalidParameterException", "Task Identifier is invalid");
      ctx.authorize({
        action: "ecs:StopTask",
        resource: arn,
        context: { "ecs:cluster": named.arn, ...resourceTags(arn) },
      });
      const cluster = requireCluster(ctx, input.cluster);
      const result = ecs.tx(() => {
        const t = ecs.getTask(arn);
        if (!t || t.clusterArn !== cluster.arn)
          throw err("InvalidParameterException", "The referenced task was not found");
        if (t.desiredStatus === "STOPPED") return { task: renderTask(t) };
        t.desiredStatus = "STOPPED";
        t.stopCode = "UserInitiated";
        t.stoppedReason =
          typeof input.reason === "string" && input.reason.length > 0 ? input.reason : "Task stopped by user";
        t.stoppingAt = ctx.now.getTime();
        t.version += 1;
        ecs.putTask(t);
        return { task: renderTask(t) };
      });
      deps.kick();
      return result;
    },
    DescribeTasks(input, ctx) {
      const refs = input.tasks;
      if (!Array.isArray(refs) || refs.length === 0 || refs.length > 100) {
        requireCluster(ctx, input.cluster); // no task to authorize on: answered as before
        throw err(
          "InvalidParameterException",
          Array.isArray(refs) && refs.length > 100
            ? "Tasks cannot contain more than 100 items."
            : "Tasks cannot be empty.",
        );
      }
      const named = namedCluster(ctx, input.cluster);
      for (const ref of refs as unknown[]) {
        const arn = namedTaskArn(ctx, named.name, String(ref));
        ctx.authorize({
          action: "ecs:DescribeTasks",
          resource: arn,
          context: { "ecs:cluster": named.arn, ...resourceTags(arn) },
        });
      }
      const cluster = requireCluster(ctx, input.cluster);
      const withTags = (input.include ?? []).includes("TAGS");
      const tasks: Json[] = [];
      const failures: Json[] = [];
      for (const ref of refs as string[]) {
        const arn = taskArnOf(ctx, cluster.name, String(ref)) ?? String(ref);
        const t = ecs.getTask(arn);
        if (t && t.clusterArn === cluster.arn)
          tasks.push(renderTask(t, withTags ? ecs.tags(arn) : undefined));
        else failures.push({ arn, reason: "MISSING" });
      }
      return { tasks, failures };
    },
    ListTasks(input, ctx) {
      ctx.authorize({
        action: "ecs:ListTasks",
        resource: "*",
        context: { "ecs:cluster": namedCluster(ctx, input.cluster).arn },
      });
      const cluster = requireCluster(ctx, input.cluster);
      if (input.family !== undefined && !/^[a-zA-Z0-9\-_]+$/.test(input.family)) {
        throw err("InvalidParameterException", "family must match ^[a-zA-Z0-9\\-_]+$");
      }
      let serviceName: string | undefined;
      if (input.serviceName !== undefined) {
        const s = ecs.getService(serviceArnOf(ctx, cluster.name, input.serviceName));
        if (!s || s.clusterArn !== cluster.arn) throw err("ServiceNotFoundException", "Service not found.");
        serviceName = s.serviceName;
      }
      const desiredStatus = input.desiredStatus ?? "RUNNING";
      const tasks: TaskRecord[] =
        desiredStatus === "PENDING"
          ? []
          : ecs.listTasks(cluster.arn, {
              desiredStatus,
              service: serviceName,
              family: input.family,
              startedBy: input.startedBy,
            });
      const filtered = tasks.filter(
        (t) => input.launchType === undefined || t.launchType === input.launchType,
      );
      const p = page(
        filtered.map((t) => t.taskArn),
        input.maxResults,
        input.nextToken,
        100,
      );
      return { taskArns: p.items, ...(p.next ? { nextToken: p.next } : {}) };
    },

    // ---- tags
    TagResource(input, ctx) {
      const arn = taggableArn(input.resourceArn);
      const tags = checkTags(input.tags);
      ctx.authorize({
        action: "ecs:TagResource",
        resource: arn,
        context: { ...resourceTags(arn), ...requestTagContext(tags) },
      });
      requireTaggable(arn);
      ecs.tx(() => {
        if (new Set([...ecs.tags(arn).map((t) => t.key), ...tags.map((t) => t.key)]).size > 50) {
          throw err("LimitExceededException", "The number of tags exceeds the limit of 50 per resource.");
        }
        ecs.tag(arn, tags);
      });
      return {};
    },
    UntagResource(input, ctx) {
      const arn = taggableArn(input.resourceArn);
      const keys: string[] = Array.isArray(input.tagKeys) ? input.tagKeys : [];
      ctx.authorize({
        action: "ecs:UntagResource",
        resource: arn,
        context: { ...resourceTags(arn), "aws:TagKeys": keys },
      });
      requireTaggable(arn);
      ecs.tx(() => ecs.untag(arn, input.tagKeys ?? []));
      return {};
    },
    ListTagsForResource(input, ctx) {
      const arn = taggableArn(input.resourceArn);
      ctx.authorize({ action: "ecs:ListTagsForResource", resource: arn, context: resourceTags(arn) });
      requireTaggable(arn);
      return { tags: ecs.tags(arn) };
    },
  };

  /** The ARN of a taggable ECS resource (checked before authorizing: a request without one names nothing). */
  function taggableArn(ref: unknown): string {
    const arn = String(ref ?? "");
    const p = parseEcsArn(arn);
    if (!p || !["cluster", "service", "task", "task-definition"].includes(p.type)) {
      throw err("InvalidParameterException", "The ARN provided is invalid.");
    }
    if (p.type === "service" && p.path.length !== 2) {
      throw err("InvalidParameterException", "The ARN provided is invalid.");
    }
    return arn;
  }

  /** That the resource exists (checked after authorizing), or the error ECS gives. */
  function requireTaggable(arn: string): void {
    const p = parseEcsArn(arn)!;
    const exists = (() => {
      switch (p.type) {
        case "cluster":
          return ecs.getCluster(arn)?.status === "ACTIVE";
        case "service": {
          if (p.path.length !== 2) throw err("InvalidParameterException", "The ARN provided is invalid.");
          const c = ecs.getCluster(`arn:aws:ecs:${p.region}:${p.account}:cluster/${p.path[0]}`);
          if (c?.status !== "ACTIVE") throw clusterNotFound();
          const s = ecs.getService(arn);
          return s !== undefined && s.status !== "INACTIVE";
        }
        case "task":
          return ecs.getTask(arn) !== undefined;
        case "task-definition":
          return ecs.getTaskDefinitionByArn(arn) !== undefined;
        default:
          throw err("InvalidParameterException", "The ARN provided is invalid.");
      }
    })();
    if (!exists) throw err("ResourceNotFoundException", "The specified resource could not be found.");
  }

  return ops;
}
