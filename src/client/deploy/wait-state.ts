// Pure reading of a DescribeServices answer during a rollout: verdict, deployment table, new events, next poll delay.
import type { Deployment, Service, ServiceEvent } from "@aws-sdk/client-ecs";

export type Verdict =
  | { kind: "in-progress" }
  | { kind: "stable" }
  /** The circuit breaker rolled back, or the deployment failed; `reason` is rolloutStateReason or our inference. */
  | { kind: "failed"; reason: string; rolledBack: boolean }
  /** The service cannot be watched any more (MISSING, DRAINING, INACTIVE). */
  | { kind: "gone"; reason: string };

export interface Target {
  /** The deployment UpdateService started (from its response), or undefined when it started none. */
  deploymentId?: string;
  /** The deployment that was PRIMARY before UpdateService. */
  previousDeploymentId?: string;
  taskDefinitionArn: string;
}

/**
 * Decides the state of our rollout. Stable follows the ServicesStable waiter (one deployment, runningCount ==
 * desiredCount; ecs.md §9) plus what the official action added in v2.6.2 and what ecspresso checks (#732): our
 * deployment must still be there, not FAILED, and its task definition must be the one we registered.
 */
export function judge(service: Service, target: Target): Verdict {
  if (service.status && service.status !== "ACTIVE") {
    return { kind: "gone", reason: `the service is ${service.status}` };
  }
  const deployments = service.deployments ?? [];
  const ours = target.deploymentId ? deployments.find((d) => d.id === target.deploymentId) : undefined;
  if (target.deploymentId && !ours) {
    // The official action's wording for the same observation (PR #860).
    const now = deployments.find((d) => d.status === "PRIMARY");
    return {
      kind: "failed",
      rolledBack: true,
      reason: `deployment ${target.deploymentId} no longer exists${now?.rolloutStateReason ? ` (${now.rolloutStateReason})` : ""}`,
    };
  }
  if (ours?.rolloutState === "FAILED") {
    const primary = deployments.find((d) => d.status === "PRIMARY");
    const rolledBack = primary !== undefined && primary.id !== ours.id;
    return { kind: "failed", rolledBack, reason: ours.rolloutStateReason || "rolloutState is FAILED" };
  }
  const primary = deployments.find((d) => d.status === "PRIMARY");
  if (primary && primary.taskDefinition !== target.taskDefinitionArn && ours && primary.id !== ours.id) {
    return {
      kind: "failed",
      rolledBack: true,
      reason: `the service went back to ${primary.taskDefinition} (${primary.rolloutStateReason ?? "rolled back"})`,
    };
  }
  const steady =
    deployments.length === 1 &&
    (service.runningCount ?? 0) === (service.desiredCount ?? 0) &&
    (deployments[0]!.taskDefinition === target.taskDefinitionArn || !target.deploymentId);
  // With a circuit breaker, ECS marks the rollout COMPLETED; without one rolloutState may stay absent.
  if (steady && (primary?.rolloutState === undefined || primary.rolloutState === "COMPLETED"))
    return { kind: "stable" };
  return { kind: "in-progress" };
}

/** Events newer than those already shown, oldest first (DescribeServices lists newest first, at most 100). */
export function newEvents(events: ServiceEvent[] | undefined, seen: Set<string>): ServiceEvent[] {
  const fresh = (events ?? []).filter((e) => e.id !== undefined && !seen.has(e.id));
  for (const e of fresh) seen.add(e.id!);
  return fresh.reverse();
}

function shortTd(arn: string | undefined): string {
  return arn?.split("/").pop() ?? "-";
}

/** Rows of the live deployment table: id, status, task definition, desired, pending, running, failed, rollout. */
export function deploymentRows(deployments: Deployment[] | undefined): string[][] {
  return (deployments ?? []).map((d) => [
    d.id ?? "-",
    d.status ?? "-",
    shortTd(d.taskDefinition),
    String(d.desiredCount ?? 0),
    String(d.pendingCount ?? 0),
    String(d.runningCount ?? 0),
    String(d.failedTasks ?? 0),
    d.rolloutState ?? "-",
  ]);
}

export const DEPLOYMENT_HEADER = [
  "deployment",
  "status",
  "task definition",
  "desired",
  "pending",
  "running",
  "failed",
  "rollout",
];

/** Left-aligned text table. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Markdown table (job summary). Pipes in cells are escaped. */
export function formatMarkdownTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| ${header.map(esc).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

/** A fingerprint of what the table shows, to print it only when it changed. */
export function fingerprint(service: Service): string {
  return JSON.stringify([deploymentRows(service.deployments), service.runningCount, service.desiredCount]);
}

/**
 * Next poll delay. Stability is most often reached right after the new deployment has all its tasks running (the
 * old one then drains), so poll every second then; while tasks are still starting and nothing changes, back off
 * to `maxMs`. Any change resets to the fast pace. This notices stability within about a second without the
 * 15 s floor of the SDK waiter (ecs.md §9.2).
 */
export function nextDelay(
  service: Service,
  target: Target,
  previous: { delayMs: number; changed: boolean },
  limits = { minMs: 1000, maxMs: 5000 },
): number {
  const ours = (service.deployments ?? []).find(
    (d) => d.id === target.deploymentId || d.status === "PRIMARY",
  );
  const nearlyDone = ours !== undefined && (ours.runningCount ?? 0) >= (ours.desiredCount ?? 0);
  if (nearlyDone || previous.changed) return limits.minMs;
  return Math.min(limits.maxMs, Math.round(previous.delayMs * 1.5));
}
