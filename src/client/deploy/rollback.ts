// Rollback: point the service at the revision before the one it runs, then watch like a deploy.
import { type ECSClient, ListTaskDefinitionsCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { EXIT } from "./deploy.ts";
import { type DeployIo, errorText, isAccessDenied } from "./io.ts";
import { describeService, type WatchResult, watchRollout } from "./watch.ts";

export interface RollbackOptions {
  cluster: string;
  service: string;
  /** A revision number, `family:rev` or an ARN; default the previous ACTIVE revision. */
  to?: string;
  waitMinutes: number;
  dryRun?: boolean;
  pace?: { minMs: number; maxMs: number };
}

function splitArn(arn: string): { family: string; revision: number } {
  const m = /task-definition\/([^:]+):(\d+)$/.exec(arn);
  if (!m) throw new Error(`not a task definition ARN: ${arn}`);
  return { family: m[1]!, revision: Number(m[2]) };
}

/**
 * The previous ACTIVE revision from ListTaskDefinitions (as ecspresso does); without that permission the
 * candidates are simply revision−1, −2, … which UpdateService accepts or rejects as inactive.
 */
async function candidates(ecs: ECSClient, current: string, io: DeployIo): Promise<string[]> {
  const { family, revision } = splitArn(current);
  try {
    const out = await ecs.send(
      new ListTaskDefinitionsCommand({
        familyPrefix: family,
        status: "ACTIVE",
        sort: "DESC",
        maxResults: 100,
      }),
    );
    return (out.taskDefinitionArns ?? []).filter((a) => {
      const s = splitArn(a);
      return s.family === family && s.revision < revision;
    });
  } catch (e) {
    if (!isAccessDenied(e)) throw e;
    io.note(
      "ecs:ListTaskDefinitions is not allowed for this role; trying the lower revision numbers in turn.",
    );
    return Array.from({ length: Math.min(5, revision - 1) }, (_, i) => `${family}:${revision - 1 - i}`);
  }
}

export async function rollback(
  ecs: ECSClient,
  io: DeployIo,
  o: RollbackOptions,
): Promise<{ exitCode: number; taskDefinition?: string; watch?: WatchResult }> {
  const svc = await describeService(ecs, o.cluster, o.service);
  const current = svc.taskDefinition;
  if (!current) return { exitCode: EXIT.error };
  const { family } = splitArn(current);
  const list = o.to ? [/^\d+$/.test(o.to) ? `${family}:${o.to}` : o.to] : await candidates(ecs, current, io);
  if (list.length === 0) {
    io.log(
      `${o.service} runs ${current.split("/").pop()}, and there is no earlier ACTIVE revision to go back to.`,
    );
    return { exitCode: EXIT.error };
  }
  for (const target of list) {
    if (o.dryRun) {
      io.log(`Would roll ${o.service} back from ${current.split("/").pop()} to ${target.split("/").pop()}.`);
      return { exitCode: EXIT.ok, taskDefinition: target };
    }
    try {
      const before = svc.deployments?.find((d) => d.status === "PRIMARY")?.id;
      const out = await ecs.send(
        new UpdateServiceCommand({ cluster: o.cluster, service: o.service, taskDefinition: target }),
      );
      const arn = out.service?.taskDefinition ?? target;
      const deploymentId = out.service?.deployments?.find((d) => d.status === "PRIMARY")?.id;
      io.log(
        `Rolling ${o.service} back from ${current.split("/").pop()} to ${arn.split("/").pop()} (deployment ${deploymentId}).`,
      );
      if (o.waitMinutes <= 0) return { exitCode: EXIT.ok, taskDefinition: arn };
      const watch = await watchRollout(ecs, io, {
        cluster: o.cluster,
        service: o.service,
        target: { ...(deploymentId && deploymentId !== before && { deploymentId }), taskDefinitionArn: arn },
        timeoutMs: o.waitMinutes * 60_000,
        ...(o.pace && { pace: o.pace }),
      });
      const exitCode =
        watch.outcome === "stable" ? EXIT.ok : watch.outcome === "timeout" ? EXIT.timeout : EXIT.failed;
      return { exitCode, taskDefinition: arn, watch };
    } catch (e) {
      if ((e as Error).name === "ClientException" && /inactive|not found/i.test((e as Error).message)) {
        io.log(`${target} cannot be used (${(e as Error).message}); trying an earlier one.`);
        continue;
      }
      io.log(`UpdateService failed: ${errorText(e)}`);
      return { exitCode: EXIT.error };
    }
  }
  io.log("No earlier revision could be deployed.");
  return { exitCode: EXIT.error };
}
