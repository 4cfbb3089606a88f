// aws-actions/amazon-ecs-deploy-task-definition v1/v2, built in (official-actions.md §4): register, update
// the service, wait for stability and check the deployment was not rolled back (v2.6.2's check).
import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import {
  DescribeServicesCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { parse as parseYaml } from "yaml";
import { DESCRIBE_ONLY_ATTRIBUTES } from "../../deploy/strip.ts";
import { ActionFailure, type BuiltinAction, booleanInput } from "./action-context.ts";
import { ecsClient } from "./aws-clients.ts";

const isEmpty = (v: unknown): boolean =>
  v === null ||
  v === undefined ||
  v === "" ||
  (Array.isArray(v) && v.every(isEmpty)) ||
  (typeof v === "object" && !Array.isArray(v) && Object.values(v as object).every(isEmpty));

/** cleanNullKeys: drops null, '', all-empty arrays and objects; false and 0 stay. */
function cleanNullKeys(v: unknown, keep: Set<string>): unknown {
  if (Array.isArray(v)) return v.filter((x) => !isEmpty(x)).map((x) => cleanNullKeys(x, new Set()));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (isEmpty(x) && !keep.has(k)) continue;
      out[k] = cleanNullKeys(x, new Set());
    }
    return out;
  }
  return v;
}

export const amazonEcsDeployTaskDefinition: BuiltinAction = {
  name: "aws-actions/amazon-ecs-deploy-task-definition",
  defaults: {
    cluster: "default",
    "wait-for-service-stability": "false",
    "wait-for-minutes": "30",
    "force-new-deployment": "false",
  },
  async run(ctx) {
    const file = ctx.inputs["task-definition"];
    if (!file) throw new ActionFailure("Input required and not supplied: task-definition");
    const path = isAbsolute(file) ? file : join(ctx.workspace, file);
    let raw: unknown;
    try {
      raw = parseYaml(await readFile(path, "utf8"));
    } catch (err) {
      throw new ActionFailure(`Failed to register task definition in ECS: ${(err as Error).message}`);
    }
    const keep = new Set(
      (ctx.inputs["keep-null-value-keys"] ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    );
    const td = cleanNullKeys(raw, keep) as Record<string, unknown>;
    for (const a of DESCRIBE_ONLY_ATTRIBUTES) {
      if (a in td) {
        ctx.log(
          `Ignoring property '${a}' in the task definition file. This property is returned by the Amazon ECS DescribeTaskDefinition API and may be shown in the ECS console, but it is not a valid field when registering a new task definition. This field can be safely removed from your task definition file.`,
        );
        delete td[a];
      }
    }
    for (const c of (td.containerDefinitions ?? []) as {
      environment?: { name?: string; value?: string }[];
    }[]) {
      for (const e of c.environment ?? []) e.value ??= "";
    }
    const ecs = ecsClient(ctx.env, "amazon-ecs-deploy-task-definition-for-github-actions");
    let arn: string;
    try {
      const out = await ecs.send(
        new RegisterTaskDefinitionCommand(td as unknown as RegisterTaskDefinitionCommandInput),
      );
      arn = out.taskDefinition?.taskDefinitionArn ?? "";
    } catch (err) {
      throw new ActionFailure(`Failed to register task definition in ECS: ${(err as Error).message}`);
    }
    ctx.setOutput("task-definition-arn", arn);
    ctx.event("register", arn);
    const service = ctx.inputs.service;
    if (!service) return;
    const cluster = ctx.inputs.cluster || "default";
    const described = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const failure = described.failures?.[0];
    if (failure) throw new ActionFailure(`${failure.arn} is ${failure.reason}`);
    const svc = described.services?.[0];
    if (svc?.status !== "ACTIVE") throw new ActionFailure(`Service is ${svc?.status}`);
    const controller = svc.deploymentController?.type;
    if (controller && controller !== "ECS")
      throw new ActionFailure(
        `Unsupported deployment controller: ${controller} (keyship runs the rolling path only)`,
      );
    const before = svc.deployments?.find((d) => d.status === "PRIMARY")?.id;
    const desired = Number.parseInt(ctx.inputs["desired-count"] ?? "", 10);
    const updated = await ecs.send(
      new UpdateServiceCommand({
        cluster,
        service,
        taskDefinition: arn,
        forceNewDeployment: booleanInput(ctx, "force-new-deployment"),
        ...(Number.isNaN(desired) ? {} : { desiredCount: desired }),
      }),
    );
    const after = updated.service?.deployments?.find((d) => d.status === "PRIMARY")?.id;
    const region = ctx.env.AWS_REGION || ctx.env.AWS_DEFAULT_REGION;
    ctx.log(
      `Deployment started. Watch this deployment's progress in the Amazon ECS console: https://${region}.console.aws.amazon.com/ecs/v2/clusters/${cluster}/services/${service}/deployments?region=${region}`,
    );
    ctx.event("roll", after ?? "");
    if ((ctx.inputs["wait-for-service-stability"] ?? "").toLowerCase() !== "true") return;
    const minutes = Math.min(Number.parseInt(ctx.inputs["wait-for-minutes"] ?? "30", 10) || 30, 360);
    await waitStable(ecs, cluster, service, minutes, ctx.log);
    ctx.event("stable", service);
    if (after && after !== before) {
      const s = (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
      const d = s?.deployments?.find((x) => x.id === after);
      if (!d)
        throw new ActionFailure(
          `Deployment ${after} not found after stabilization. The deployment was likely rolled back by the deployment circuit breaker.`,
        );
      if (d.rolloutState === "FAILED")
        throw new ActionFailure(`Deployment ${after} FAILED: ${d.rolloutStateReason ?? "unknown reason"}`);
      ctx.log(`Deployment ${after} verified: rolloutState=${d.rolloutState ?? "N/A"}`);
    }
  },
};

/**
 * The SDK's servicesStable waiter condition (one deployment, running == desired), polled every second
 * rather than the waiter's 15 s minimum: the twin converges in seconds.
 */
async function waitStable(
  ecs: ECSClient,
  cluster: string,
  service: string,
  minutes: number,
  log: (l: string) => void,
): Promise<void> {
  const deadline = Date.now() + minutes * 60_000;
  let last = "";
  for (;;) {
    const s = (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
    const state = `deployments=${s?.deployments?.length ?? 0} running=${s?.runningCount ?? 0}/${s?.desiredCount ?? 0}`;
    if (state !== last) log(`  ${service}: ${state}`);
    last = state;
    if (s?.status === "INACTIVE" || s?.status === "DRAINING")
      throw new ActionFailure(`Service is ${s.status}`);
    if (s && (s.deployments?.length ?? 0) === 1 && s.runningCount === s.desiredCount) return;
    if (Date.now() > deadline) {
      throw new ActionFailure(
        `Waiter has timed out: service ${service} was not stable after ${minutes} minute(s) (last seen: ${state})`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
