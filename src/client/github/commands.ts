// GitHub Actions workflow commands and environment files, written the way @actions/core writes them.
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
import { randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";

/** Escaping of command data (`%`, CR, LF), as @actions/core's `escapeData`. */
export function escapeData(value: string): string {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escaping of command properties (also `:` and `,`), as @actions/core's `escapeProperty`. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** `::name key=value,…::message`. */
export function command(name: string, message: string, properties: Record<string, string> = {}): string {
  const props = Object.entries(properties)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(",");
  return `::${name}${props ? ` ${props}` : ""}::${escapeData(message)}`;
}

/** `::add-mask::` for every line of a secret (the runner masks line by line). */
export function maskCommands(secret: string): string[] {
  return secret
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .map((line) => command("add-mask", line));
}

/**
 * An environment file entry (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE) in heredoc form with a random delimiter,
 * which is safe for any value (@actions/core `prepareKeyValueMessage`).
 */
export function fileEntry(name: string, value: string, delimiter = `ghadelimiter_${randomUUID()}`): string {
  if (name.includes(delimiter) || value.includes(delimiter))
    throw new Error("the value contains the delimiter");
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/** Where an Actions step writes: stdout for commands, files named by the environment for the rest. */
export interface ActionsIo {
  write(line: string): void;
  env: NodeJS.ProcessEnv;
}

export function addMask(io: ActionsIo, secret: string): void {
  for (const line of maskCommands(secret)) io.write(line);
}

/** Sets a step output: GITHUB_OUTPUT when present, else the deprecated `::set-output::` command. */
export function setOutput(io: ActionsIo, name: string, value: string): void {
  const file = io.env.GITHUB_OUTPUT;
  if (file) appendFileSync(file, fileEntry(name, value));
  else io.write(command("set-output", value, { name }));
}

export function exportVariable(io: ActionsIo, name: string, value: string): void {
  const file = io.env.GITHUB_ENV;
  if (file) appendFileSync(file, fileEntry(name, value));
  else io.write(command("set-env", value, { name }));
}

/** Appends markdown to the job summary; a no-op outside Actions. */
export function appendSummary(io: ActionsIo, markdown: string): void {
  const file = io.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
}

export function annotation(
  io: ActionsIo,
  level: "error" | "warning" | "notice",
  message: string,
  title?: string,
): void {
  io.write(command(level, message, title ? { title } : {}));
}

/** `core.getInput`: INPUT_<NAME> upper-cased with hyphens kept, trimmed. */
export function getInput(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

/** `core.getMultilineInput`: non-empty lines. */
export function getMultilineInput(env: NodeJS.ProcessEnv, name: string): string[] {
  return getInput(env, name)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

/** `core.getBooleanInput` (YAML 1.2 core schema; v5 configure-aws-credentials strictness). */
export function getBooleanInput(env: NodeJS.ProcessEnv, name: string, fallback = false): boolean {
  const v = getInput(env, name);
  if (v === "") return fallback;
  if (["true", "True", "TRUE"].includes(v)) return true;
  if (["false", "False", "FALSE"].includes(v)) return false;
  throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}`);
}
