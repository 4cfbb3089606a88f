// Watches a rollout: adaptive DescribeServices polling, a deployment table and events as they come, and on failure
// the rollout reason, the last events and the stopped tasks' reasons.
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type Service,
  type ServiceEvent,
} from "@aws-sdk/client-ecs";
import { type DeployIo, errorText, isAccessDenied } from "./io.ts";
import {
  DEPLOYMENT_HEADER,
  deploymentRows,
  fingerprint,
  formatTable,
  judge,
  newEvents,
  nextDelay,
  type Target,
  type Verdict,
} from "./wait-state.ts";

export interface WatchResult {
  outcome: "stable" | "failed" | "timeout" | "gone";
  verdict: Verdict;
  service?: Service;
  /** Lines explaining a failure or timeout (already logged). */
  diagnosis: string[];
  polls: number;
  /** When the service was first seen stable (for the benchmark). */
  stableSeenAt?: Date;
}

export async function describeService(ecs: ECSClient, cluster: string, service: string): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const failure = out.failures?.[0];
  if (failure)
    throw new Error(
      `${failure.arn ?? service} is ${failure.reason ?? "missing"}${failure.detail ? `: ${failure.detail}` : ""}`,
    );
  const svc = out.services?.[0];
  if (!svc) throw new Error(`DescribeServices returned nothing for ${service}`);
  return svc;
}

function eventLine(e: ServiceEvent): string {
  return `  ${e.createdAt ? e.createdAt.toISOString().slice(11, 19) : "--:--:--"} ${e.message ?? ""}`;
}

/** Stopped tasks of a deployment with stop codes and container exit codes (needs ecs:ListTasks and ecs:DescribeTasks). */
export async function stoppedTaskReasons(
  ecs: ECSClient,
  cluster: string,
  deploymentId: string | undefined,
  io: DeployIo,
): Promise<string[]> {
  if (!deploymentId) return [];
  try {
    const list = await ecs.send(
      new ListTasksCommand({ cluster, startedBy: deploymentId, desiredStatus: "STOPPED", maxResults: 10 }),
    );
    const arns = list.taskArns ?? [];
    if (arns.length === 0) return [];
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
    return (out.tasks ?? []).flatMap((t) => [
      `  task ${t.taskArn?.split("/").pop()}: ${t.stopCode ?? "stopped"}: ${t.stoppedReason ?? "(no reason)"}`,
      ...(t.containers ?? []).map(
        (c) =>
          `    container ${c.name}: exit code ${c.exitCode ?? "none"}${c.reason ? ` (${c.reason})` : ""}`,
      ),
    ]);
  } catch (e) {
    if (isAccessDenied(e)) {
      io.note(
        "ecs:ListTasks/ecs:DescribeTasks are not allowed for this role, so the stopped tasks' reasons cannot be shown (grant them for better failure reports).",
      );
      return [];
    }
    return [`  (could not list stopped tasks: ${errorText(e)})`];
  }
}

export interface WatchOptions {
  cluster: string;
  service: string;
  target: Target;
  timeoutMs: number;
  /** Credentials end before the deadline: say so once (the provider refreshes them when it can). */
  credentialsExpireAt?: Date;
  credentialsRefresh?: boolean;
  pace?: { minMs: number; maxMs: number };
}

export async function watchRollout(ecs: ECSClient, io: DeployIo, o: WatchOptions): Promise<WatchResult> {
  const start = io.clock.now().getTime();
  const deadline = start + o.timeoutMs;
  if (o.credentialsExpireAt && o.credentialsExpireAt.getTime() < deadline) {
    io.log(
      o.credentialsRefresh
        ? `The wait may outlive the credentials (they expire ${o.credentialsExpireAt.toISOString()}); keyship will get new ones before then.`
        : `Warning: the credentials expire at ${o.credentialsExpireAt.toISOString()}, before the wait's deadline; the wait will fail then.`,
    );
  }
  const seen = new Set<string>();
  let first = true;
  let lastPrint = "";
  let delay = o.pace?.minMs ?? 1000;
  let polls = 0;
  const recentEvents: ServiceEvent[] = [];
  for (;;) {
    let svc: Service;
    try {
      svc = await describeService(ecs, o.cluster, o.service);
    } catch (e) {
      // The SDK already retried throttling and 5xx; a missing service or a denial ends the wait with its reason.
      const v: Verdict = { kind: "gone", reason: errorText(e) };
      return { outcome: "gone", verdict: v, diagnosis: [v.reason], polls };
    }
    polls++;
    const fresh = newEvents(svc.events, seen);
    if (first) {
      // Events from before this deploy are history: show only the newest few for context.
      recentEvents.push(...fresh.slice(-1));
      first = false;
    } else {
      for (const e of fresh) io.log(eventLine(e));
      recentEvents.push(...fresh);
    }
    const print = fingerprint(svc);
    const changed = print !== lastPrint;
    if (changed) {
      for (const line of formatTable(DEPLOYMENT_HEADER, deploymentRows(svc.deployments))) io.log(`  ${line}`);
      lastPrint = print;
    }
    const verdict = judge(svc, o.target);
    if (verdict.kind === "stable")
      return { outcome: "stable", verdict, service: svc, diagnosis: [], polls, stableSeenAt: io.clock.now() };
    if (verdict.kind === "failed" || verdict.kind === "gone") {
      const diagnosis = [
        verdict.kind === "failed" && verdict.rolledBack
          ? `Deployment failed and was rolled back by the deployment circuit breaker: ${verdict.reason}`
          : `Deployment failed: ${verdict.reason}`,
        ...lastEventsLines(recentEvents),
        ...(await withHeader(
          "Stopped tasks:",
          await stoppedTaskReasons(ecs, o.cluster, o.target.deploymentId, io),
        )),
      ];
      for (const l of diagnosis) io.log(l);
      return { outcome: verdict.kind, verdict, service: svc, diagnosis, polls };
    }
    const now = io.clock.now().getTime();
    if (now >= deadline) {
      const ours = svc.deployments?.find((d) => d.id === o.target.deploymentId) ?? svc.deployments?.[0];
      const diagnosis = [
        `Timed out after ${Math.round(o.timeoutMs / 60000)} minute(s) waiting for ${o.service} to become stable (use --wait-minutes to wait longer).`,
        `Last seen: ${svc.deployments?.length ?? 0} deployment(s); ours ${ours?.id ?? "?"} ${ours?.rolloutState ?? ""} running ${ours?.runningCount ?? 0}/${ours?.desiredCount ?? 0}, pending ${ours?.pendingCount ?? 0}, failed tasks ${ours?.failedTasks ?? 0}${ours?.rolloutStateReason ? ` (${ours.rolloutStateReason})` : ""}.`,
        ...lastEventsLines(recentEvents),
        ...(await withHeader(
          "Stopped tasks:",
          await stoppedTaskReasons(ecs, o.cluster, o.target.deploymentId, io),
        )),
      ];
      for (const l of diagnosis) io.log(l);
      return { outcome: "timeout", verdict, service: svc, diagnosis, polls };
    }
    delay = nextDelay(svc, o.target, { delayMs: delay, changed: changed || fresh.length > 0 }, o.pace);
    await io.sleep(Math.min(delay, Math.max(0, deadline - now)));
  }
}

function lastEventsLines(events: ServiceEvent[]): string[] {
  const tail = events.slice(-5);
  return tail.length ? ["Last service events:", ...tail.map(eventLine)] : [];
}

async function withHeader(header: string, lines: string[]): Promise<string[]> {
  return lines.length ? [header, ...lines] : [];
}
