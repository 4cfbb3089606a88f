// What the deploy orchestration needs from its surroundings: output, time, sleeping. The CLI and the Action differ here only.
import type { Clock } from "../../core/clock.ts";

export interface DeployIo {
  log(line: string): void;
  /** A one-time explanation of a degraded nicety (a denied optional call). */
  note(line: string): void;
  clock: Clock;
  sleep(ms: number): Promise<void>;
}

/** ECS/ECR/STS say AccessDeniedException (JSON protocols) or AccessDenied (query protocols). */
export function isAccessDenied(e: unknown): boolean {
  const name = (e as { name?: string })?.name;
  return name === "AccessDeniedException" || name === "AccessDenied";
}

export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name === "Error" ? "" : `${e.name}: `}${e.message}` : String(e);
}
