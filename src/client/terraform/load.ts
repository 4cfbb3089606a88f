// Loads a Terraform configuration directory: every .tf file through @cdktf/hcl2json (HashiCorp's own
// HCL parser compiled to WASM), plus the source line of each block so errors can name file and line.
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { parse } from "@cdktf/hcl2json";

export interface Location {
  file: string;
  line: number;
}

/** An error in the user's configuration, always with a place. */
export class ConfigError extends Error {
  readonly location: Location | undefined;
  constructor(message: string, location?: Location) {
    super(location ? `${location.file}:${location.line}: ${message}` : message);
    this.name = "ConfigError";
    this.location = location;
  }
}

export type RawBody = Record<string, unknown>;

export interface Block extends Location {
  /** last line of the block, for locating attributes inside it */
  endLine: number;
}

export interface ResourceBlock extends Block {
  mode: "managed" | "data";
  type: string;
  name: string;
  body: RawBody;
}

export interface VariableBlock extends Block {
  name: string;
  body: RawBody;
}

export interface LocalValue extends Block {
  name: string;
  value: unknown;
}

export interface OutputBlock extends Block {
  name: string;
  body: RawBody;
}

export interface OtherBlock extends Block {
  kind: string;
  name: string;
  body: RawBody;
}

export interface Config {
  dir: string;
  /** file name → source text */
  sources: Map<string, string>;
  variables: Map<string, VariableBlock>;
  locals: Map<string, LocalValue>;
  outputs: Map<string, OutputBlock>;
  resources: ResourceBlock[];
  /** provider blocks by provider name (first one wins; aliases are not supported) */
  providers: Map<string, OtherBlock>;
  /** blocks keyship does not evaluate (module, import, moved, check): listed, never dropped */
  unsupported: OtherBlock[];
}

/** Parses one file's HCL, turning the parser's diagnostics into a ConfigError naming file and line. */
export async function parseHcl(file: string, text: string): Promise<Record<string, unknown>> {
  try {
    return (await parse(file, text)) as Record<string, unknown>;
  } catch (err) {
    const msg = String((err as Error).message ?? err);
    // hcl2json reports "parse config: [<file>:<line>,<col>-<col>: <summary>; <detail>]"
    const m = /\[?([^[\]]*?):(\d+),\d+(?:-\d+(?:,\d+)?)?: ([^\]]*)\]?/.exec(msg);
    if (m) throw new ConfigError(m[3]!.trim(), { file: basename(m[1]!), line: Number(m[2]) });
    throw new ConfigError(msg, { file: basename(file), line: 1 });
  }
}

export async function loadConfig(dir: string): Promise<Config> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".tf")).sort();
  if (!names.length) throw new ConfigError(`No .tf files in ${dir}`);
  const config: Config = {
    dir,
    sources: new Map(),
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    resources: [],
    providers: new Map(),
    unsupported: [],
  };
  for (const name of names) {
    const text = await readFile(join(dir, name), "utf8");
    config.sources.set(name, text);
    const json = await parseHcl(join(dir, name), text);
    collect(config, name, text, json);
  }
  return config;
}

function collect(config: Config, file: string, text: string, json: Record<string, unknown>): void {
  const lines = text.split("\n");
  const blockAt = (re: RegExp, from = 0): Block => {
    for (let i = from; i < lines.length; i++) {
      if (re.test(lines[i]!)) return { file, line: i + 1, endLine: blockEnd(lines, i) };
    }
    return { file, line: 1, endLine: lines.length };
  };
  const q = (s: string) => `"?${s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"?`;

  for (const mode of ["resource", "data"] as const) {
    const byType = (json[mode] ?? {}) as Record<string, Record<string, RawBody[]>>;
    for (const [type, byName] of Object.entries(byType)) {
      for (const [name, bodies] of Object.entries(byName)) {
        const loc = blockAt(new RegExp(`^\\s*${mode}\\s+${q(type)}\\s+${q(name)}\\s*\\{`));
        const dup = config.resources.find(
          (r) => r.mode === (mode === "resource" ? "managed" : "data") && r.type === type && r.name === name,
        );
        if (dup || bodies.length > 1) {
          throw new ConfigError(`Duplicate ${mode} "${type}" configuration named "${name}"`, loc);
        }
        config.resources.push({
          ...loc,
          mode: mode === "resource" ? "managed" : "data",
          type,
          name,
          body: bodies[0] ?? {},
        });
      }
    }
  }
  for (const [name, bodies] of Object.entries((json.variable ?? {}) as Record<string, RawBody[]>)) {
    const loc = blockAt(new RegExp(`^\\s*variable\\s+${q(name)}\\s*\\{`));
    if (config.variables.has(name)) throw new ConfigError(`Duplicate variable declaration "${name}"`, loc);
    config.variables.set(name, { ...loc, name, body: bodies[0] ?? {} });
  }
  for (const [name, bodies] of Object.entries((json.output ?? {}) as Record<string, RawBody[]>)) {
    const loc = blockAt(new RegExp(`^\\s*output\\s+${q(name)}\\s*\\{`));
    if (config.outputs.has(name)) throw new ConfigError(`Duplicate output definition "${name}"`, loc);
    config.outputs.set(name, { ...loc, name, body: bodies[0] ?? {} });
  }
  // locals blocks: find each attribute's line inside any `locals {` block of this file
  const localsBlocks: Block[] = [];
  lines.forEach((l, i) => {
    if (/^\s*locals\s*\{/.test(l)) localsBlocks.push({ file, line: i + 1, endLine: blockEnd(lines, i) });
  });
  for (const body of (json.locals ?? []) as RawBody[]) {
    for (const [name, value] of Object.entries(body)) {
      let loc: Block = localsBlocks[0] ?? { file, line: 1, endLine: lines.length };
      for (const b of localsBlocks) {
        for (let i = b.line; i < b.endLine; i++) {
          if (new RegExp(`^\\s*${q(name)}\\s*=`).test(lines[i]!))
            loc = { file, line: i + 1, endLine: blockEnd(lines, i) };
        }
      }
      if (config.locals.has(name)) throw new ConfigError(`Duplicate local value definition "${name}"`, loc);
      config.locals.set(name, { ...loc, name, value });
    }
  }
  for (const [name, bodies] of Object.entries((json.provider ?? {}) as Record<string, RawBody[]>)) {
    const loc = blockAt(new RegExp(`^\\s*provider\\s+${q(name)}`));
    if (!config.providers.has(name))
      config.providers.set(name, { ...loc, kind: "provider", name, body: bodies[0] ?? {} });
  }
  for (const kind of ["module", "import", "moved", "check", "removed"]) {
    const v = json[kind];
    if (!v) continue;
    const entries: [string, unknown][] = Array.isArray(v)
      ? v.map((b, i) => [String(i), b])
      : Object.entries(v as object);
    for (const [name, body] of entries) {
      const loc = blockAt(new RegExp(`^\\s*${kind}\\b`));
      config.unsupported.push({
        ...loc,
        kind,
        name,
        body: (Array.isArray(body) ? body[0] : body) as RawBody,
      });
    }
  }
}

/** Index of the line closing the block that opens on line `start` (0-based in, 1-based out). */
function blockEnd(lines: string[], start: number): number {
  let depth = 0;
  let opened = false;
  let inString = false;
  for (let i = start; i < lines.length; i++) {
    const l = lines[i]!;
    for (let j = 0; j < l.length; j++) {
      const c = l[j];
      if (inString) {
        if (c === "\\") j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "#" || (c === "/" && l[j + 1] === "/")) break;
      else if (c === "{") {
        depth++;
        opened = true;
      } else if (c === "}") depth--;
    }
    inString = false;
    if (opened && depth <= 0) return i + 1;
  }
  return lines.length;
}

/** The line inside a block where `needle` (e.g. "var.region" or "policy =") first appears. */
export function locateIn(config: Config, block: Block, needle: string): Location {
  const lines = (config.sources.get(block.file) ?? "").split("\n");
  for (let i = block.line - 1; i < Math.min(block.endLine, lines.length); i++) {
    if (lines[i]!.includes(needle)) return { file: block.file, line: i + 1 };
  }
  return { file: block.file, line: block.line };
}
