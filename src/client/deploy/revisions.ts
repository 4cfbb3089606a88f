// Task definition revisions: reuse an identical one, register a new one, deregister old ones beyond --keep-revisions.
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import { type DeployIo, errorText, isAccessDenied } from "./io.ts";
import type { TaskDefinitionInput } from "./strip.ts";
import { differenceFromRevision } from "./unchanged.ts";

export interface Reuse {
  arn: string;
  revision: TaskDefinition;
}

/**
 * Looks for a registered revision equal to `wanted`: the service's current one, then the family's latest. Needs
 * ecs:DescribeTaskDefinition, which the article's policies do not grant: then it notes that once and returns
 * undefined, and the deploy registers as the official action always does.
 */
export async function findIdentical(
  ecs: ECSClient,
  wanted: TaskDefinitionInput,
  currentArn: string | undefined,
  io: DeployIo,
): Promise<{ reuse?: Reuse; current?: TaskDefinition; denied: boolean }> {
  let current: TaskDefinition | undefined;
  for (const ref of [currentArn, wanted.family].filter((x): x is string => Boolean(x))) {
    try {
      const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
      const td = out.taskDefinition;
      if (!td?.taskDefinitionArn) continue;
      if (ref === currentArn) current = td;
      if (td.status === "ACTIVE" && differenceFromRevision(wanted, td) === undefined) {
        return {
          reuse: { arn: td.taskDefinitionArn, revision: td },
          ...(current && { current }),
          denied: false,
        };
      }
      if (ref === currentArn && td.family !== wanted.family) break;
    } catch (e) {
      if (isAccessDenied(e)) {
        io.note(
          "ecs:DescribeTaskDefinition is not allowed for this role, so keyship cannot tell whether the task definition changed; registering a new revision (grant it to skip identical registrations).",
        );
        return { denied: true };
      }
      if ((e as Error).name === "ClientException") continue; // family without revisions yet
      throw e;
    }
  }
  return { ...(current && { current }), denied: false };
}

export async function register(ecs: ECSClient, input: TaskDefinitionInput): Promise<TaskDefinition> {
  const out = await ecs.send(new RegisterTaskDefinitionCommand(input));
  if (!out.taskDefinition?.taskDefinitionArn)
    throw new Error("RegisterTaskDefinition returned no task definition");
  return out.taskDefinition;
}

/**
 * Deregisters ACTIVE revisions of `family` beyond the newest `keep`, never one in `inUse`. Denied calls degrade
 * to one note (the article's policies grant neither ListTaskDefinitions nor DeregisterTaskDefinition).
 */
export async function pruneRevisions(
  ecs: ECSClient,
  family: string,
  keep: number,
  inUse: Set<string>,
  io: DeployIo,
): Promise<string[]> {
  const arns: string[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const out = await ecs.send(
        new ListTaskDefinitionsCommand({
          familyPrefix: family,
          status: "ACTIVE",
          sort: "DESC",
          ...(nextToken && { nextToken }),
        }),
      );
      // familyPrefix is a prefix: keep only this family's ARNs.
      arns.push(
        ...(out.taskDefinitionArns ?? []).filter((a) => a.split("/").pop()?.replace(/:\d+$/, "") === family),
      );
      nextToken = out.nextToken;
    } while (nextToken);
  } catch (e) {
    if (isAccessDenied(e)) {
      io.note(
        `ecs:ListTaskDefinitions is not allowed for this role, so old revisions of ${family} were kept (--keep-revisions needs ecs:ListTaskDefinitions and ecs:DeregisterTaskDefinition).`,
      );
      return [];
    }
    throw e;
  }
  const removed: string[] = [];
  for (const arn of arns.slice(keep)) {
    if (inUse.has(arn)) continue;
    try {
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
      removed.push(arn);
    } catch (e) {
      if (isAccessDenied(e)) {
        io.note(
          `ecs:DeregisterTaskDefinition is not allowed for this role, so old revisions of ${family} were kept.`,
        );
        break;
      }
      io.log(`Could not deregister ${arn}: ${errorText(e)}`);
    }
  }
  if (removed.length > 0)
    io.log(
      `Deregistered ${removed.length} old revision(s): ${removed.map((a) => a.split("/").pop()).join(", ")}`,
    );
  return removed;
}
