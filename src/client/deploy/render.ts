// Renders a task definition for a deploy: an image per container and environment variables, several containers at once.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import type { TaskDefinitionInput } from "./strip.ts";

export interface ContainerOverride {
  /** Container name; `undefined` means "every container" (environment given before any --container). */
  name?: string;
  image?: string;
  environment?: Array<[string, string]>;
}

export interface Rendered {
  input: TaskDefinitionInput;
  problems: string[];
}

/** Upserts NAME=value pairs into a container's environment, keeping order and existing entries (render action semantics). */
function upsertEnvironment(container: ContainerDefinition, pairs: Array<[string, string]>): void {
  const env = [...(container.environment ?? [])];
  for (const [name, value] of pairs) {
    const existing = env.findIndex((e) => e.name === name);
    if (existing >= 0) env[existing] = { name, value };
    else env.push({ name, value });
  }
  container.environment = env;
}

/** Pure: returns a new definition; the input is not modified. Unknown container names are problems. */
export function renderTaskDefinition(input: TaskDefinitionInput, overrides: ContainerOverride[]): Rendered {
  const out = structuredClone(input);
  const problems: string[] = [];
  const containers = out.containerDefinitions ?? [];
  for (const o of overrides) {
    const targets = o.name === undefined ? containers : containers.filter((c) => c.name === o.name);
    if (targets.length === 0) {
      const names = containers.map((c) => c.name).join(", ");
      problems.push(`no container named "${o.name}" in the task definition (containers: ${names || "none"})`);
      continue;
    }
    for (const c of targets) {
      if (o.image !== undefined) c.image = o.image;
      if (o.environment && o.environment.length > 0) upsertEnvironment(c, o.environment);
    }
  }
  return { input: out, problems };
}

/** Parses `NAME=VALUE` (split at the first `=`, so values may contain `=`, unlike the render action's docker-labels). */
export function parseEnvPair(text: string): [string, string] | undefined {
  const eq = text.indexOf("=");
  if (eq <= 0) return undefined;
  return [text.slice(0, eq), text.slice(eq + 1)];
}
