// An action's metadata file (action.yml) as the runner reads it: the declared inputs with their defaults,
// which the runner supplies for inputs a step does not give, and warns about inputs it does not declare
// (https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax#inputs).
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";

export interface ActionMetadata {
  file: string;
  name: string;
  /** declared inputs, in file order, with their default as a string when one is given */
  inputs: { name: string; default?: string; required: boolean }[];
  outputs: string[];
}

export function readActionMetadata(file: string): ActionMetadata {
  const doc = parseYaml(readFileSync(file, "utf8")) as {
    name?: unknown;
    inputs?: Record<string, { default?: unknown; required?: unknown } | null>;
    outputs?: Record<string, unknown>;
  } | null;
  if (!doc || typeof doc !== "object") throw new TypeError(`${file}: not an action metadata file`);
  return {
    file,
    name: String(doc.name ?? ""),
    inputs: Object.entries(doc.inputs ?? {}).map(([name, spec]) => ({
      name,
      // YAML scalars (`default: 30`, `default: false`) reach the action as strings
      ...(spec?.default !== undefined && spec.default !== null && { default: String(spec.default) }),
      required: spec?.required === true || spec?.required === "true",
    })),
    outputs: Object.keys(doc.outputs ?? {}),
  };
}

/** Defaults of the inputs that declare one. */
export function inputDefaults(meta: ActionMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of meta.inputs) if (i.default !== undefined) out[i.name] = i.default;
  return out;
}

/**
 * The runner's warning for inputs a step gives that the action does not declare (input names are
 * case-insensitive): "Unexpected input(s) 'x', valid inputs are ['a', 'b']".
 */
export function unexpectedInputsWarning(meta: ActionMetadata, given: Iterable<string>): string | undefined {
  const declared = new Set(meta.inputs.map((i) => i.name.toLowerCase()));
  const unexpected = [...given].filter((g) => !declared.has(g.toLowerCase()));
  if (!unexpected.length) return undefined;
  return `Unexpected input(s) ${unexpected.map((u) => `'${u}'`).join(", ")}, valid inputs are [${meta.inputs
    .map((i) => `'${i.name}'`)
    .join(", ")}]`;
}
