// What a built-in action gets from the runner: its inputs (action.yml defaults applied), the step's
// environment, the workspace, and the runner's command functions (outputs, env, path, masks).
import type { ActionMetadata } from "../action-metadata.ts";

export type TimelineEvent = "token" | "role" | "login" | "push" | "register" | "roll" | "stable";

export interface ActionContext {
  /** `with:` values, evaluated, plus the action's defaults for inputs not given */
  inputs: Record<string, string>;
  /** the inputs the step gave explicitly (the rest are defaults) */
  given: ReadonlySet<string>;
  /** the step's environment as a process would see it */
  env: Record<string, string>;
  workspace: string;
  runnerTemp: string;
  /** the repository directory a checkout copies from */
  repoDir: string;
  /** how to call a docker-compatible CLI, or undefined when neither Docker nor Podman answers */
  docker?: { command: string; env: Record<string, string> };
  log(line: string): void;
  mask(secret: string): void;
  setOutput(name: string, value: string): void;
  exportVariable(name: string, value: string): void;
  addPath(dir: string): void;
  /** markdown for the job summary (what an action appends to GITHUB_STEP_SUMMARY) */
  appendSummary(markdown: string): void;
  /** marks a moment for the run's timeline (token obtained, role assumed, image pushed, …) */
  event(name: TimelineEvent, detail?: string): void;
}

/** A step failure with the text the action would print (`::error::`). */
export class ActionFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ActionFailure";
  }
}

export interface BuiltinAction {
  /** owner/repo as written in `uses:` (lower case) */
  name: string;
  /** inputs' defaults from the action's action.yml */
  defaults: Record<string, string>;
  /** the action's own action.yml, when keyship has it: declared inputs (the runner warns on others) */
  metadata?: ActionMetadata;
  run(ctx: ActionContext): Promise<void>;
}

/** Boolean inputs as @actions/core getBooleanInput reads them (YAML 1.2 core schema). */
export function booleanInput(ctx: ActionContext, name: string): boolean {
  const v = (ctx.inputs[name] ?? "").trim();
  if (["true", "True", "TRUE"].includes(v)) return true;
  if (["false", "False", "FALSE", ""].includes(v)) return false;
  throw new ActionFailure(
    `Input does not meet YAML 1.2 "Core Schema" specification: ${name}\nSupport boolean input list: \`true | True | TRUE | false | False | FALSE\``,
  );
}
