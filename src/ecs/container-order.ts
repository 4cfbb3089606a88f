// Container dependencies (`dependsOn`) at task start (pure): whether a container may start now, must wait, or
// can never start. The rules are the ECS agent's (aws/amazon-ecs-agent, agent/engine/dependencygraph/graph.go,
// and https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html):
// - START: the dependency has started (and a dependency that started and already stopped still counts,
//   amazon-ecs-agent#3927);
// - COMPLETE: the dependency has exited, with any code; SUCCESS: it has exited with code 0, and an exit with
//   another code can never satisfy it;
// - HEALTHY: the dependency's health check (the task definition's) reports HEALTHY; checked only at start;
// - the dependency's `startTimeout` (ContainerDefinition.startTimeout): once it has been running that long
//   without satisfying a COMPLETE, SUCCESS or HEALTHY condition, the dependent gives up.
// A dependent that can never start is stopped by the agent without running, with exit code 143 and a
// `CannotStartContainerError: dependency graph: …` reason (amazon-ecs-agent#3218, whose example gives the
// wording); the runtimes report the same (DEPENDENCY_FAILED_EXIT_CODE, the reasons below).
import type { HealthStatus, Json } from "./model.ts";

/** What a runtime knows of one container at an instant. */
export interface ContainerProgress {
  /** PENDING: not started (yet) */
  status: "PENDING" | "RUNNING" | "STOPPED";
  /** when it started (epoch ms); undefined if it never did */
  startedAt?: number;
  exitCode?: number;
  healthStatus: HealthStatus;
}

export type Readiness = { kind: "start" } | { kind: "wait" } | { kind: "fail"; reason: string };

/** The exit code the agent gives a container it stopped because its dependencies failed (amazon-ecs-agent#3218). */
export const DEPENDENCY_FAILED_EXIT_CODE = 143;

const WAITS_FOR_EXIT_OR_HEALTH = new Set(["COMPLETE", "SUCCESS", "HEALTHY"]);

/**
 * Whether the container `def` may start at `now`, given what is known of the task's containers. The agent's
 * order: a timed-out dependency fails first, then a SUCCESS dependency that exited otherwise, then each
 * condition is checked.
 */
export function readiness(
  def: Json,
  defs: readonly Json[],
  progressOf: (name: string) => ContainerProgress | undefined,
  now: number,
): Readiness {
  let waiting = false;
  for (const d of (def.dependsOn ?? []) as Json[]) {
    const dep: string = d.containerName;
    const condition: string = d.condition;
    const depDef = defs.find((c) => c.name === dep);
    const p = progressOf(dep);
    const failed = (why: string): Readiness => ({
      kind: "fail",
      reason: dependencyFailure(dep, def.name, why),
    });
    if (!p || !depDef) return failed("as the dependency does not exist.");
    const timeout = depDef.startTimeout as number | undefined;
    if (
      WAITS_FOR_EXIT_OR_HEALTH.has(condition) &&
      p.status !== "STOPPED" &&
      p.startedAt !== undefined &&
      timeout !== undefined &&
      timeout > 0 &&
      now > p.startedAt + timeout * 1000
    ) {
      return { kind: "fail", reason: dependencyTimedOut(dep, def.name) };
    }
    switch (condition) {
      case "START":
        if (p.status === "RUNNING" || (p.status === "STOPPED" && p.startedAt !== undefined)) continue;
        // the twin's wording: a dependency stopped without ever starting (its own dependencies failed)
        if (p.status === "STOPPED") return failed("as the dependency never started.");
        break;
      case "COMPLETE":
        if (p.status === "STOPPED") continue;
        break;
      case "SUCCESS":
        if (p.status === "STOPPED") {
          if (p.exitCode === 0) continue;
          return failed("as dependency did not exit successfully.");
        }
        break;
      case "HEALTHY":
        // the twin's wording: without a health check the condition can never hold (the agent never resolves it)
        if (!depDef.healthCheck) return failed("as the dependency has no health check.");
        if (p.status === "RUNNING" && p.healthStatus === "HEALTHY") continue;
        // the twin's wording: a dependency that stopped can no longer become healthy
        if (p.status === "STOPPED") return failed("as the dependency stopped before it was healthy.");
        break;
      default:
        return failed(`as the condition ${condition} is not known.`);
    }
    waiting = true;
  }
  return waiting ? { kind: "wait" } : { kind: "start" };
}

function dependencyFailure(dep: string, target: string, why: string): string {
  return `CannotStartContainerError: dependency graph: failed to resolve container ordering dependency [${dep}] for target [${target}] ${why}`;
}

function dependencyTimedOut(dep: string, target: string): string {
  return `CannotStartContainerError: dependency graph: container ordering dependency [${dep}] for target [${target}] has timed out.`;
}

/**
 * The definitions in an order that starts every dependency before its dependents (definition order where
 * dependencies allow); containers stop in the reverse order ("for container shutdown it is reversed").
 */
export function dependencyOrder(defs: readonly Json[]): Json[] {
  const out: Json[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const byName = new Map(defs.map((d) => [d.name as string, d]));
  // depth first, dependencies before dependents; iterative, so a long chain cannot exhaust the stack
  for (const root of defs) {
    if (placed.has(root.name)) continue;
    const stack: { d: Json; i: number }[] = [{ d: root, i: 0 }];
    visiting.add(root.name);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = (top.d.dependsOn ?? []) as Json[];
      if (top.i < deps.length) {
        const x = byName.get(deps[top.i++]!.containerName);
        if (x && !placed.has(x.name) && !visiting.has(x.name)) {
          visiting.add(x.name);
          stack.push({ d: x, i: 0 });
        }
      } else {
        stack.pop();
        visiting.delete(top.d.name);
        placed.add(top.d.name);
        out.push(top.d);
      }
    }
  }
  return out;
}
