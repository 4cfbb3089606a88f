// Turns a task definition file (plain, or `aws ecs describe-task-definition` output) into RegisterTaskDefinition input.
import type { RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";

/**
 * Attributes DescribeTaskDefinition returns that RegisterTaskDefinition rejects. The official deploy action
 * deletes exactly these with a warning (amazon-ecs-deploy-task-definition index.js `IGNORED_TASK_DEFINITION_ATTRIBUTES`,
 * official-actions.md §4.2); the render action removes the same list.
 */
export const DESCRIBE_ONLY_ATTRIBUTES = [
  "compatibilities",
  "taskDefinitionArn",
  "requiresAttributes",
  "revision",
  "status",
  "registeredAt",
  "deregisteredAt",
  "registeredBy",
] as const;

export type TaskDefinitionInput = RegisterTaskDefinitionCommandInput;

export interface Stripped {
  input: TaskDefinitionInput;
  /** Names of the describe-only attributes that were removed (reported once, not as errors). */
  removed: string[];
  problems: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Drops `null` members recursively. Unlike the official action's cleanNullKeys, empty strings, empty arrays and
 * `false`/`0` are kept: an explicit `""` environment value is intended (deploy action #780).
 */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(dropNulls);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = dropNulls(v);
    return out;
  }
  return value;
}

/** Accepts a plain definition or `{taskDefinition: {...}, tags: [...]}` (describe-task-definition output). */
export function stripTaskDefinition(file: unknown): Stripped {
  const problems: string[] = [];
  if (!isObject(file))
    return {
      input: { family: "", containerDefinitions: [] },
      removed: [],
      problems: ["the task definition must be a JSON/YAML object"],
    };
  let body: Record<string, unknown> = file;
  let tags: unknown;
  if (isObject(file.taskDefinition) && !("containerDefinitions" in file)) {
    body = file.taskDefinition;
    tags = file.tags;
  }
  const clean = dropNulls(body) as Record<string, unknown>;
  const removed: string[] = [];
  for (const attr of DESCRIBE_ONLY_ATTRIBUTES) {
    if (attr in clean) {
      removed.push(attr);
      delete clean[attr];
    }
  }
  if (Array.isArray(tags) && tags.length > 0 && !("tags" in clean)) clean.tags = tags;
  if (typeof clean.family !== "string" || clean.family === "")
    problems.push("the task definition has no family");
  if (!Array.isArray(clean.containerDefinitions) || clean.containerDefinitions.length === 0) {
    problems.push("the task definition has no containerDefinitions");
  }
  // RegisterTaskDefinition requires `value` on environment entries; the deploy action adds "" (maintainValidObjects).
  for (const c of Array.isArray(clean.containerDefinitions) ? clean.containerDefinitions : []) {
    if (isObject(c) && Array.isArray(c.environment)) {
      for (const e of c.environment) if (isObject(e) && !("value" in e)) e.value = "";
    }
  }
  return { input: clean as unknown as TaskDefinitionInput, removed, problems };
}
