// The deploy: push images, render, reuse or register the task definition, update the service, watch the rollout,
// prune old revisions. Takes its clients as arguments (DESIGN.md §3.9); the CLI and the Action are thin around it.
import type { ECRClient } from "@aws-sdk/client-ecr";
import { type ECSClient, type TaskDefinition, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { canonicalJson, diffLines } from "./diff-lines.ts";
import { type DeployIo, errorText } from "./io.ts";
import { type PushedImage, pushContainerImage, type RegistryLogin } from "./push-images.ts";
import { type ContainerOverride, renderTaskDefinition } from "./render.ts";
import { findIdentical, pruneRevisions, register } from "./revisions.ts";
import { stripTaskDefinition } from "./strip.ts";
import { comparablePair } from "./unchanged.ts";
import { DEPLOYMENT_HEADER, deploymentRows, formatMarkdownTable } from "./wait-state.ts";
import { describeService, type WatchResult, watchRollout } from "./watch.ts";

export interface ContainerSpec extends ContainerOverride {
  /** `daemon:REF`, `oci:DIR`, `oci-archive:TAR`, `docker-archive:TAR`: pushed before rendering. */
  imageFrom?: string;
  /** Where to push (`host/repo[:tag]`); default: the container's image in the file, with `tag`. */
  pushTo?: string;
}

export interface DeployOptions {
  cluster: string;
  service: string;
  /** The parsed task definition file (plain or describe output). */
  taskDefinition: unknown;
  containers: ContainerSpec[];
  /** Tag for pushed images when the target names none (default: GITHUB_SHA, else "latest"). */
  tag?: string;
  mountFrom?: string;
  waitMinutes: number;
  keepRevisions?: number;
  dryRun?: boolean;
  forceNewDeployment?: boolean;
  credentialsExpireAt?: Date;
  credentialsRefresh?: boolean;
  pace?: { minMs: number; maxMs: number };
  env?: NodeJS.ProcessEnv;
  onRegistryLogin?: (login: RegistryLogin) => void;
}

/** Exit codes: distinct for a failed rollout and a timeout (official-actions.md §8, pain point 3). */
export const EXIT = { ok: 0, error: 1, usage: 2, failed: 3, timeout: 4 } as const;

export interface DeployResult {
  exitCode: number;
  outcome: "stable" | "failed" | "timeout" | "gone" | "dry-run" | "error";
  taskDefinitionArn?: string;
  registered: boolean;
  deploymentId?: string;
  images: PushedImage[];
  watch?: WatchResult;
  /** Markdown for a job summary. */
  summary: string;
  message?: string;
}

function containerImages(td: { containerDefinitions?: Array<{ name?: string; image?: string }> }): string {
  return (td.containerDefinitions ?? []).map((c) => `${c.name}=${c.image}`).join(", ");
}

export async function deploy(
  clients: { ecs: ECSClient; ecr?: ECRClient },
  io: DeployIo,
  o: DeployOptions,
): Promise<DeployResult> {
  const { ecs, ecr } = clients;
  const images: PushedImage[] = [];
  const stripped = stripTaskDefinition(o.taskDefinition);
  if (stripped.problems.length)
    return fail(EXIT.usage, `Invalid task definition: ${stripped.problems.join("; ")}`);
  if (stripped.removed.length) {
    io.note(
      `Ignoring describe-only member(s) ${stripped.removed.join(", ")} of the task definition file (returned by DescribeTaskDefinition, not accepted by RegisterTaskDefinition).`,
    );
  }

  // 1. Images.
  const overrides: ContainerOverride[] = [];
  const names = (stripped.input.containerDefinitions ?? []).map((d) => d.name);
  for (const given of o.containers) {
    // An image without --container is for the only container.
    const c =
      given.name === undefined && (given.image || given.imageFrom)
        ? { ...given, name: names.length === 1 ? names[0] : undefined }
        : given;
    if (c.name === undefined && (c.image || c.imageFrom))
      return fail(
        EXIT.usage,
        `the task definition has ${names.length} containers: name one with --container`,
      );
    let image = c.image;
    if (c.imageFrom) {
      const current = stripped.input.containerDefinitions?.find((d) => d.name === c.name)?.image;
      const target = c.pushTo ?? (current ? current.replace(/@.*$/, "").replace(/:[^/:]+$/, "") : undefined);
      if (!target)
        return fail(EXIT.usage, `container ${c.name}: no repository to push to (give --image host/repo:tag)`);
      const hasTag = /:[^/]+$/.test(target.replace(/^[^/]+\//, ""));
      const tag = hasTag ? undefined : (o.tag ?? o.env?.GITHUB_SHA ?? "latest");
      if (o.dryRun) {
        io.log(`Would push ${c.imageFrom} to ${target}${tag ? `:${tag}` : ""}`);
      } else {
        try {
          const pushed = await pushContainerImage(ecr, c.name ?? "?", c.imageFrom, target, io, {
            ...(tag && { tag }),
            ...(o.mountFrom && { mountFrom: o.mountFrom }),
            ...(o.env && { env: o.env }),
            ...(o.onRegistryLogin && { onLogin: o.onRegistryLogin }),
          });
          images.push(pushed);
          image = pushed.image;
        } catch (e) {
          return fail(EXIT.error, `Image push failed for container ${c.name}: ${errorText(e)}`);
        }
      }
    }
    overrides.push({
      ...(c.name !== undefined && { name: c.name }),
      ...(image !== undefined && { image }),
      ...(c.environment && { environment: c.environment }),
    });
  }

  // 2. Render.
  const rendered = renderTaskDefinition(stripped.input, overrides);
  if (rendered.problems.length)
    return fail(EXIT.usage, `Invalid task definition: ${rendered.problems.join("; ")}`);
  const wanted = rendered.input;

  // 3. The service as it is.
  let before: Awaited<ReturnType<typeof describeService>>;
  try {
    before = await describeService(ecs, o.cluster, o.service);
  } catch (e) {
    return fail(EXIT.error, `Cannot deploy to service ${o.service} in cluster ${o.cluster}: ${errorText(e)}`);
  }
  if (before.status !== "ACTIVE") return fail(EXIT.error, `Service is ${before.status}`);
  const previousDeploymentId = before.deployments?.find((d) => d.status === "PRIMARY")?.id;

  // 4. Reuse or register.
  let found: Awaited<ReturnType<typeof findIdentical>>;
  try {
    found = await findIdentical(ecs, wanted, before.taskDefinition, io);
  } catch (e) {
    return fail(EXIT.error, `Cannot read the current task definition: ${errorText(e)}`);
  }
  if (o.dryRun) {
    io.log(`Dry run: deploy ${containerImages(wanted)} to ${o.cluster}/${o.service}`);
    if (found.reuse) io.log(`The task definition equals ${found.reuse.arn}: nothing to register.`);
    else if (found.current) {
      io.log(`Changes against ${found.current.taskDefinitionArn}:`);
      const pair = comparablePair(wanted, found.current);
      for (const l of diffLines(canonicalJson(pair.revision), canonicalJson(pair.wanted))) io.log(l);
    } else io.log("A new revision would be registered.");
    return { exitCode: EXIT.ok, outcome: "dry-run", registered: false, images, summary: "" };
  }
  let taskDefinition: TaskDefinition;
  let registered = false;
  if (found.reuse) {
    taskDefinition = found.reuse.revision;
    io.log(`Task definition unchanged: using ${found.reuse.arn} (nothing registered).`);
  } else {
    try {
      taskDefinition = await register(ecs, wanted);
      registered = true;
      io.log(`Registered ${taskDefinition.taskDefinitionArn}`);
    } catch (e) {
      return fail(EXIT.error, `Failed to register task definition in ECS: ${errorText(e)}`);
    }
  }
  const arn = taskDefinition.taskDefinitionArn!;

  // 5. Update the service unless it already runs this revision.
  let deploymentId: string | undefined;
  if (before.taskDefinition !== arn || o.forceNewDeployment) {
    try {
      const out = await ecs.send(
        new UpdateServiceCommand({
          cluster: o.cluster,
          service: o.service,
          taskDefinition: arn,
          ...(o.forceNewDeployment && { forceNewDeployment: true }),
        }),
      );
      deploymentId = out.service?.deployments?.find((d) => d.status === "PRIMARY")?.id;
      if (deploymentId === previousDeploymentId) deploymentId = undefined;
      io.log(`Updated ${o.service}: deployment ${deploymentId ?? "(none started)"}`);
    } catch (e) {
      return fail(EXIT.error, `UpdateService failed: ${errorText(e)}`, arn, registered);
    }
  } else io.log(`${o.service} already runs ${arn.split("/").pop()}: no update needed.`);

  // 6. Watch.
  let watch: WatchResult | undefined;
  if (o.waitMinutes > 0) {
    io.log(`Waiting up to ${o.waitMinutes} minute(s) for ${o.service} to become stable...`);
    watch = await watchRollout(ecs, io, {
      cluster: o.cluster,
      service: o.service,
      target: {
        ...(deploymentId && { deploymentId }),
        ...(previousDeploymentId && { previousDeploymentId }),
        taskDefinitionArn: arn,
      },
      timeoutMs: o.waitMinutes * 60_000,
      ...(o.credentialsExpireAt && { credentialsExpireAt: o.credentialsExpireAt }),
      ...(o.credentialsRefresh !== undefined && { credentialsRefresh: o.credentialsRefresh }),
      ...(o.pace && { pace: o.pace }),
    });
    if (watch.outcome === "stable") io.log(`${o.service} is stable on ${arn.split("/").pop()}.`);
  }

  // 7. Prune old revisions after a good rollout.
  if ((!watch || watch.outcome === "stable") && o.keepRevisions !== undefined && o.keepRevisions > 0) {
    const inUse = new Set([arn, ...(watch?.service?.deployments ?? []).map((d) => d.taskDefinition ?? "")]);
    try {
      await pruneRevisions(ecs, wanted.family!, o.keepRevisions, inUse, io);
    } catch (e) {
      io.log(`Could not prune old revisions: ${errorText(e)}`);
    }
  }

  const outcome = watch?.outcome ?? "stable";
  const exitCode = outcome === "stable" ? EXIT.ok : outcome === "timeout" ? EXIT.timeout : EXIT.failed;
  return {
    exitCode,
    outcome,
    taskDefinitionArn: arn,
    registered,
    ...(deploymentId && { deploymentId }),
    images,
    ...(watch && { watch }),
    summary: summaryMarkdown(o, arn, registered, deploymentId, images, watch),
    ...(watch && watch.outcome !== "stable" && { message: watch.diagnosis[0] }),
  };

  function fail(exitCode: number, message: string, taskDefinitionArn?: string, reg = false): DeployResult {
    io.log(message);
    return {
      exitCode,
      outcome: "error",
      registered: reg,
      images,
      summary: `### keyship deploy failed\n\n${message}\n`,
      message,
      ...(taskDefinitionArn && { taskDefinitionArn }),
    };
  }
}

function summaryMarkdown(
  o: DeployOptions,
  arn: string,
  registered: boolean,
  deploymentId: string | undefined,
  images: PushedImage[],
  watch: WatchResult | undefined,
): string {
  const icon = !watch || watch.outcome === "stable" ? "✅" : "❌";
  const lines = [
    `### ${icon} keyship deploy: ${o.cluster}/${o.service}`,
    "",
    `| | |`,
    `| --- | --- |`,
    `| task definition | \`${arn}\`${registered ? " (new)" : " (unchanged, not registered)"} |`,
    `| deployment | \`${deploymentId ?? "none"}\` |`,
    `| outcome | ${watch?.outcome ?? "not waited"} |`,
    ...images.map((i) => `| image (${i.container}) | \`${i.image}\` |`),
    "",
  ];
  if (watch?.service) {
    lines.push(formatMarkdownTable(DEPLOYMENT_HEADER, deploymentRows(watch.service.deployments)), "");
  }
  if (watch && watch.outcome !== "stable") lines.push("```", ...watch.diagnosis, "```", "");
  return lines.join("\n");
}
