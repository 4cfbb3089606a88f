// Evaluates a loaded configuration: builds the graph of references between variables, locals, data
// sources, resources and outputs, walks it in dependency order and evaluates every expression.
// What a data source or a resource *is* comes from hooks, so the same walk serves plan and apply.
import { callFunction } from "./functions.ts";
import { type Expr, HclSyntaxError, parseTemplate, references } from "./hcl-expression.ts";
import { type Block, type Config, ConfigError, locateIn, type RawBody, type ResourceBlock } from "./load.ts";
import { goJson, isObject, isUnknown, toStringValue, Unknown, type Value } from "./value.ts";

export type InstanceKey = number | string | undefined;

export interface EvalHooks {
  /** a data source's attributes from its evaluated arguments */
  data(
    block: ResourceBlock,
    key: InstanceKey,
    args: Record<string, Value>,
  ): Promise<Record<string, Value> | Unknown>;
  /** plans or applies one resource instance and returns its attributes */
  resource(
    block: ResourceBlock,
    key: InstanceKey,
    args: Record<string, Value>,
    meta: ResourceMeta,
  ): Promise<Record<string, Value> | Unknown>;
}

export interface ResourceMeta {
  /** lifecycle.ignore_changes: argument names whose drift is not corrected */
  ignoreChanges: string[];
}

export interface EvalResult {
  variables: Record<string, Value>;
  locals: Record<string, Value>;
  outputs: Record<string, Value>;
}

/** Meta-arguments Terraform handles itself; never passed to a resource as arguments. */
const metaArguments = new Set([
  "count",
  "for_each",
  "depends_on",
  "lifecycle",
  "provider",
  "provisioner",
  "connection",
]);

type Scope = Record<string, Value>;

interface Node {
  id: string;
  block: Block;
  deps: Set<string>;
  run(): Promise<void>;
}

const parsedCache = new Map<string, Expr>();

/** A string value from the JSON form: a template, unless it has no interpolation at all. */
function parseString(s: string): Expr {
  let e = parsedCache.get(s);
  if (!e) {
    e = parseTemplate(s);
    parsedCache.set(s, e);
  }
  return e;
}

/** Every expression in a raw JSON body (strings are templates, nested blocks recurse). */
function expressionsIn(
  raw: unknown,
  out: { expr: Expr; text: string }[] = [],
): { expr: Expr; text: string }[] {
  if (typeof raw === "string") {
    if (raw.includes("${") || raw.includes("%{")) out.push({ expr: parseString(raw), text: raw });
  } else if (Array.isArray(raw)) for (const r of raw) expressionsIn(r, out);
  else if (raw && typeof raw === "object") for (const r of Object.values(raw)) expressionsIn(r, out);
  return out;
}

export class Evaluator {
  readonly config: Config;
  readonly hooks: EvalHooks;
  readonly inputs: Record<string, Value>;
  readonly vars: Scope = {};
  readonly locals: Scope = {};
  readonly data: Record<string, Scope> = {};
  readonly resources: Record<string, Scope> = {};
  readonly outputs: Scope = {};

  constructor(config: Config, inputs: Record<string, Value>, hooks: EvalHooks) {
    this.config = config;
    this.inputs = inputs;
    this.hooks = hooks;
  }

  async run(): Promise<EvalResult> {
    const nodes = this.buildGraph();
    for (const node of topoSort(nodes)) await node.run();
    return { variables: this.vars, locals: this.locals, outputs: this.outputs };
  }

  /** Nodes for everything in the configuration, with edges from the references each makes. */
  buildGraph(): Map<string, Node> {
    const c = this.config;
    const nodes = new Map<string, Node>();
    for (const v of c.variables.values()) {
      nodes.set(`var.${v.name}`, {
        id: `var.${v.name}`,
        block: v,
        deps: new Set(),
        run: async () => this.evalVariable(v.name),
      });
    }
    for (const l of c.locals.values()) {
      nodes.set(`local.${l.name}`, {
        id: `local.${l.name}`,
        block: l,
        deps: new Set(),
        run: async () => {
          this.locals[l.name] = await this.evalRaw(l.value, {}, l, l.name);
        },
      });
    }
    for (const r of c.resources) {
      const id = r.mode === "data" ? `data.${r.type}.${r.name}` : `${r.type}.${r.name}`;
      nodes.set(id, { id, block: r, deps: new Set(), run: () => this.evalResource(r) });
    }
    for (const o of c.outputs.values()) {
      nodes.set(`output.${o.name}`, {
        id: `output.${o.name}`,
        block: o,
        deps: new Set(),
        run: async () => {
          this.outputs[o.name] = await this.evalRaw(o.body.value ?? null, {}, o, "value");
        },
      });
    }
    // edges
    const add = (node: Node, raw: unknown, extraBound: string[] = []) => {
      for (const { expr, text } of safeExpressions(raw, node.block, c)) {
        for (const path of references(expr, new Set(extraBound))) {
          const target = this.referenceTarget(path, node.block, text);
          if (target && target !== node.id) node.deps.add(target);
          if (target && !nodes.has(target)) {
            throw new ConfigError(
              describeMissing(target),
              locateIn(c, node.block, path.slice(0, 3).join(".")),
            );
          }
          if (target === node.id)
            throw new ConfigError(
              `Self-referential block: ${node.id} refers to itself`,
              locateIn(c, node.block, path.join(".")),
            );
        }
      }
    };
    for (const l of c.locals.values()) add(nodes.get(`local.${l.name}`)!, l.value);
    for (const o of c.outputs.values()) add(nodes.get(`output.${o.name}`)!, o.body);
    for (const r of c.resources) {
      const id = r.mode === "data" ? `data.${r.type}.${r.name}` : `${r.type}.${r.name}`;
      const dynamicIterators = Object.keys((r.body.dynamic ?? {}) as object);
      const { lifecycle: _l, provider: _p, ...scanned } = r.body;
      add(nodes.get(id)!, scanned, dynamicIterators);
    }
    for (const v of c.variables.values()) add(nodes.get(`var.${v.name}`)!, v.body.default);
    return nodes;
  }

  /** The graph node a reference path points at, or undefined for built-in scopes. */
  referenceTarget(path: string[], block: Block, text: string): string | undefined {
    const [root, a, b] = path;
    switch (root) {
      case "var":
      case "local":
        if (!a)
          throw new ConfigError(
            `Invalid reference: a ${root} name is required after "${root}."`,
            locateIn(this.config, block, text.slice(0, 40)),
          );
        return `${root}.${a}`;
      case "data":
        if (!a || !b)
          throw new ConfigError(
            "Invalid data source reference: data.TYPE.NAME is required",
            locateIn(this.config, block, "data."),
          );
        return `data.${a}.${b}`;
      case "count":
      case "each":
      case "path":
      case "terraform":
      case "self":
        return undefined;
      case "module":
        throw new ConfigError(
          `Reference to ${path.slice(0, 2).join(".")}: modules are not supported by keyship apply`,
          locateIn(this.config, block, "module."),
        );
      default:
        if (!a)
          throw new ConfigError(
            `Invalid reference "${root}": a resource reference needs TYPE.NAME`,
            locateIn(this.config, block, root!),
          );
        return `${root}.${a}`;
    }
  }

  async evalVariable(name: string): Promise<void> {
    const v = this.config.variables.get(name)!;
    if (name in this.inputs) this.vars[name] = this.inputs[name]!;
    else if ("default" in v.body) this.vars[name] = await this.evalRaw(v.body.default, {}, v, "default");
    else
      throw new ConfigError(
        `No value for required variable "${name}": set it with --var ${name}=..., a .tfvars file or TF_VAR_${name}`,
        v,
      );
  }

  async evalResource(r: ResourceBlock): Promise<void> {
    const body = r.body;
    const scopes = r.mode === "data" ? this.data : this.resources;
    scopes[r.type] ??= {};
    const bucket = scopes[r.type]!;
    const evalInstance = async (key: InstanceKey, scope: Scope): Promise<Value> => {
      const args: Record<string, Value> = {};
      for (const [k, raw] of Object.entries(body)) {
        if (metaArguments.has(k) || k === "dynamic") continue;
        args[k] = await this.evalRaw(raw, scope, r, k);
      }
      await this.expandDynamic(body, args, scope, r);
      const lifecycle = Array.isArray(body.lifecycle)
        ? (body.lifecycle[0] as RawBody | undefined)
        : undefined;
      const ignore = lifecycle?.ignore_changes;
      const ignoreChanges = Array.isArray(ignore)
        ? ignore.map((x) => String(x).replace(/^\$\{(.*)\}$/, "$1"))
        : typeof ignore === "string" && /all/.test(ignore)
          ? ["all"]
          : [];
      try {
        if (r.mode === "data") return await this.hooks.data(r, key, args);
        return await this.hooks.resource(r, key, args, { ignoreChanges });
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        const label = `${r.mode === "data" ? "data." : ""}${r.type}.${r.name}${key === undefined ? "" : `[${JSON.stringify(key)}]`}`;
        throw Object.assign(err as Error, {
          message: `${label} (${r.file}:${r.line}): ${(err as Error).message}`,
        });
      }
    };
    if ("count" in body && "for_each" in body) {
      throw new ConfigError(
        `Invalid combination of "count" and "for_each"`,
        locateIn(this.config, r, "for_each"),
      );
    }
    if ("count" in body) {
      const n = await this.evalRaw(body.count, {}, r, "count");
      if (isUnknown(n))
        throw new ConfigError(
          `Invalid count argument: the value depends on resource attributes that cannot be determined until apply`,
          locateIn(this.config, r, "count"),
        );
      if (typeof n !== "number" || n < 0 || !Number.isInteger(n))
        throw new ConfigError(
          `Invalid count argument: expected a whole number, got ${goJson(n)}`,
          locateIn(this.config, r, "count"),
        );
      const list: Value[] = [];
      for (let i = 0; i < n; i++) list.push(await evalInstance(i, { count: { index: i } }));
      bucket[r.name] = list;
    } else if ("for_each" in body) {
      const fe = await this.evalRaw(body.for_each, {}, r, "for_each");
      if (isUnknown(fe))
        throw new ConfigError(
          `Invalid for_each argument: the value depends on resource attributes that cannot be determined until apply`,
          locateIn(this.config, r, "for_each"),
        );
      const entries: [string, Value][] = Array.isArray(fe)
        ? fe.map((x) => {
            if (typeof x !== "string")
              throw new ConfigError(
                `Invalid for_each set argument: a set of strings is required`,
                locateIn(this.config, r, "for_each"),
              );
            return [x, x];
          })
        : isObject(fe)
          ? Object.entries(fe)
          : (() => {
              throw new ConfigError(
                `Invalid for_each argument: a map or a set of strings is required`,
                locateIn(this.config, r, "for_each"),
              );
            })();
      const map: Record<string, Value> = {};
      for (const [k, v] of entries) map[k] = await evalInstance(k, { each: { key: k, value: v } });
      bucket[r.name] = map;
    } else {
      bucket[r.name] = await evalInstance(undefined, {});
    }
  }

  /** `dynamic "name" { for_each = ...; content { ... } }` → repeated nested blocks named "name". */
  async expandDynamic(
    body: RawBody,
    args: Record<string, Value>,
    scope: Scope,
    r: ResourceBlock,
  ): Promise<void> {
    const dyn = body.dynamic as Record<string, RawBody[]> | undefined;
    if (!dyn) return;
    for (const [name, specs] of Object.entries(dyn)) {
      for (const spec of specs) {
        const iterName =
          typeof spec.iterator === "string" ? spec.iterator.replace(/^\$\{(.*)\}$/, "$1") : name;
        const coll = await this.evalRaw(spec.for_each, scope, r, "for_each");
        const entries: [Value, Value][] = Array.isArray(coll)
          ? coll.map((v, i) => [i, v])
          : isObject(coll)
            ? Object.entries(coll)
            : [];
        const content = (Array.isArray(spec.content) ? spec.content[0] : spec.content) as RawBody | undefined;
        const out: Value[] = Array.isArray(args[name]) ? (args[name] as Value[]) : [];
        for (const [k, v] of entries)
          out.push(
            await this.evalRaw(content ?? {}, { ...scope, [iterName]: { key: k, value: v } }, r, name),
          );
        args[name] = out;
      }
    }
  }

  /** Evaluates a raw JSON value from hcl2json: templates in strings, recursion elsewhere. */
  async evalRaw(raw: unknown, scope: Scope, block: Block, attr: string): Promise<Value> {
    try {
      return this.evalRawSync(raw, scope);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      const e = err as Error;
      throw new ConfigError(e.message, locateIn(this.config, block, attr));
    }
  }

  evalRawSync(raw: unknown, scope: Scope): Value {
    if (typeof raw === "string") {
      if (!raw.includes("${") && !raw.includes("%{"))
        return raw.replaceAll("$${", "${").replaceAll("%%{", "%{");
      return this.evalExpr(parseString(raw), scope);
    }
    if (Array.isArray(raw)) return raw.map((r) => this.evalRawSync(r, scope));
    if (raw && typeof raw === "object") {
      const out: Record<string, Value> = {};
      for (const [k, v] of Object.entries(raw)) out[k] = this.evalRawSync(v, scope);
      return out;
    }
    return (raw ?? null) as Value;
  }

  lookupRoot(name: string, scope: Scope): Value {
    if (name in scope) return scope[name]!;
    switch (name) {
      case "var":
        return this.vars;
      case "local":
        return this.locals;
      case "data":
        return this.data;
      case "path":
        return { module: this.config.dir, root: this.config.dir, cwd: process.cwd() };
      case "terraform":
        return { workspace: "default" };
      case "count":
      case "each":
        throw new TypeError(
          `Reference to "${name}" in a block that does not use ${name === "count" ? "count" : "for_each"}`,
        );
      default:
        if (name in this.resources) return this.resources[name]!;
        throw new TypeError(`Reference to undeclared resource or scope "${name}"`);
    }
  }

  evalExpr(e: Expr, scope: Scope): Value {
    switch (e.kind) {
      case "literal":
        return e.value;
      case "template": {
        // a template that is exactly one interpolation yields the value itself, not a string
        if (e.parts.length === 1 && typeof e.parts[0] !== "string") return this.evalExpr(e.parts[0]!, scope);
        let out = "";
        for (const p of e.parts) {
          if (typeof p === "string") out += p;
          else {
            const v = this.evalExpr(p, scope);
            if (isUnknown(v)) return v;
            out += toStringValue(v);
          }
        }
        return out;
      }
      case "variable":
        return this.lookupRoot(e.name, scope);
      case "getattr": {
        const t = this.evalExpr(e.target, scope);
        if (isUnknown(t)) return t;
        if (isObject(t)) {
          if (e.name in t) return t[e.name]!;
          throw new TypeError(
            `Unsupported attribute: this object does not have an attribute named "${e.name}"`,
          );
        }
        if (Array.isArray(t))
          throw new TypeError(
            `Unsupported attribute "${e.name}" on a list: use an index or a splat ([*]) first`,
          );
        throw new TypeError(`Unsupported attribute "${e.name}" on a ${t === null ? "null" : typeof t} value`);
      }
      case "index": {
        const t = this.evalExpr(e.target, scope);
        const k = this.evalExpr(e.key, scope);
        if (isUnknown(t) || isUnknown(k)) return new Unknown();
        if (Array.isArray(t)) {
          const i = Number(k);
          if (!Number.isInteger(i) || i < 0 || i >= t.length)
            throw new TypeError(
              `Invalid index: the given key ${goJson(k)} is out of range for a list of ${t.length} elements`,
            );
          return t[i]!;
        }
        if (isObject(t)) {
          const key = String(k);
          if (key in t) return t[key]!;
          throw new TypeError(
            `Invalid index: the given key "${key}" does not identify an element in this collection`,
          );
        }
        throw new TypeError(`Invalid index: this value does not have any indices`);
      }
      case "splat": {
        const t = this.evalExpr(e.target, scope);
        if (isUnknown(t)) return t;
        const items = t === null ? [] : Array.isArray(t) ? t : isObject(t) && !("__list" in t) ? [t] : [t];
        return items.map((item) => this.evalExpr(e.each, { ...scope, "\u0000splat": item }));
      }
      case "splat-item":
        return scope["\u0000splat"] ?? null;
      case "call": {
        if (e.name === "try" || e.name === "can") {
          for (const a of e.args) {
            try {
              const v = this.evalExpr(a, scope);
              return e.name === "can" ? true : v;
            } catch {}
          }
          if (e.name === "can") return false;
          throw new TypeError("try: no expression succeeded");
        }
        let args = e.args.map((a) => this.evalExpr(a, scope));
        if (e.expandFinal && args.length) {
          const last = args[args.length - 1]!;
          if (!Array.isArray(last))
            throw new TypeError(`Invalid expanding argument value: a list is required`);
          args = [...args.slice(0, -1), ...last];
        }
        return callFunction(e.name, args, { baseDir: this.config.dir });
      }
      case "tuple":
        return e.items.map((i) => this.evalExpr(i, scope));
      case "object": {
        const out: Record<string, Value> = {};
        for (const { key, value } of e.items) {
          const k = this.evalExpr(key, scope);
          if (isUnknown(k)) return new Unknown();
          out[toStringValue(k)] = this.evalExpr(value, scope);
        }
        return out;
      }
      case "unary": {
        const v = this.evalExpr(e.operand, scope);
        if (isUnknown(v)) return v;
        if (e.op === "!") {
          if (typeof v !== "boolean")
            throw new TypeError(`Invalid operand: "!" needs a bool, got ${goJson(v)}`);
          return !v;
        }
        return -Number(v);
      }
      case "binary":
        return this.binary(e.op, e.left, e.right, scope);
      case "conditional": {
        const c = this.evalExpr(e.cond, scope);
        if (isUnknown(c)) return c;
        if (typeof c !== "boolean")
          throw new TypeError(`Incorrect condition type: the condition must be a bool, got ${goJson(c)}`);
        return this.evalExpr(c ? e.whenTrue : e.whenFalse, scope);
      }
      case "for":
        return this.evalFor(e, scope);
      case "template-if": {
        const c = this.evalExpr(e.cond, scope);
        if (isUnknown(c)) return c;
        return c ? this.evalExpr(e.whenTrue, scope) : e.whenFalse ? this.evalExpr(e.whenFalse, scope) : "";
      }
      case "template-for": {
        const coll = this.evalExpr(e.collection, scope);
        if (isUnknown(coll)) return coll;
        const entries: [Value, Value][] = Array.isArray(coll)
          ? coll.map((v, i) => [i, v])
          : isObject(coll)
            ? Object.entries(coll)
            : [];
        let out = "";
        for (const [k, v] of entries) {
          const inner = { ...scope, [e.valVar]: v, ...(e.keyVar ? { [e.keyVar]: k } : {}) };
          const part = this.evalExpr(e.body, inner);
          if (isUnknown(part)) return part;
          out += toStringValue(part);
        }
        return out;
      }
    }
  }

  binary(op: string, l: Expr, r: Expr, scope: Scope): Value {
    const a = this.evalExpr(l, scope);
    if (op === "&&" && a === false) return false;
    if (op === "||" && a === true) return true;
    const b = this.evalExpr(r, scope);
    if (isUnknown(a) || isUnknown(b)) return new Unknown();
    switch (op) {
      case "==":
        return goJson(a) === goJson(b);
      case "!=":
        return goJson(a) !== goJson(b);
      case "&&":
      case "||":
        if (typeof a !== "boolean" || typeof b !== "boolean")
          throw new TypeError(`Invalid operand: "${op}" needs bools`);
        return op === "&&" ? a && b : a || b;
    }
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y))
      throw new TypeError(`Invalid operand: "${op}" needs numbers, got ${goJson(a)} and ${goJson(b)}`);
    switch (op) {
      case "+":
        return x + y;
      case "-":
        return x - y;
      case "*":
        return x * y;
      case "/":
        return x / y;
      case "%":
        return x % y;
      case "<":
        return x < y;
      case ">":
        return x > y;
      case "<=":
        return x <= y;
      case ">=":
        return x >= y;
    }
    throw new TypeError(`Unknown operator ${op}`);
  }

  evalFor(e: Extract<Expr, { kind: "for" }>, scope: Scope): Value {
    const coll = this.evalExpr(e.collection, scope);
    if (isUnknown(coll)) return coll;
    const entries: [Value, Value][] = Array.isArray(coll)
      ? coll.map((v, i) => [i, v])
      : isObject(coll)
        ? Object.entries(coll)
        : [];
    const list: Value[] = [];
    const obj: Record<string, Value> = {};
    for (const [k, v] of entries) {
      const inner = { ...scope, [e.valVar]: v, ...(e.keyVar ? { [e.keyVar]: k } : {}) };
      if (e.cond) {
        const c = this.evalExpr(e.cond, inner);
        if (isUnknown(c)) return c;
        if (!c) continue;
      }
      const value = this.evalExpr(e.value, inner);
      if (e.object) {
        const key = this.evalExpr(e.key!, inner);
        if (isUnknown(key)) return key;
        const ks = toStringValue(key);
        if (e.group) obj[ks] = [...((obj[ks] as Value[] | undefined) ?? []), value];
        else {
          if (ks in obj)
            throw new TypeError(`Duplicate object key "${ks}" in for expression (use "..." to group)`);
          obj[ks] = value;
        }
      } else list.push(value);
    }
    return e.object ? obj : list;
  }
}

function safeExpressions(raw: unknown, block: Block, _config: Config): { expr: Expr; text: string }[] {
  try {
    return expressionsIn(raw);
  } catch (err) {
    if (err instanceof HclSyntaxError) throw new ConfigError(`Invalid expression: ${err.message}`, block);
    throw err;
  }
}

function describeMissing(target: string): string {
  if (target.startsWith("var.")) return `Reference to undeclared input variable "${target.slice(4)}"`;
  if (target.startsWith("local.")) return `Reference to undeclared local value "${target.slice(6)}"`;
  if (target.startsWith("data.")) return `Reference to undeclared data source "${target}"`;
  return `Reference to undeclared resource "${target}"`;
}

/** Dependency order; a cycle is a configuration error naming its members. */
function topoSort(nodes: Map<string, Node>): Node[] {
  const out: Node[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (n: Node, stack: string[]) => {
    const s = state.get(n.id);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = stack.slice(stack.indexOf(n.id));
      throw new ConfigError(`Cycle: ${cycle.join(" → ")} → ${n.id}`, n.block);
    }
    state.set(n.id, "visiting");
    for (const d of [...n.deps].sort()) visit(nodes.get(d)!, [...stack, n.id]);
    state.set(n.id, "done");
    out.push(n);
  };
  // declaration order first (file, line), so independent resources apply in the order they are written
  const ordered = [...nodes.values()].sort(
    (a, b) => a.block.file.localeCompare(b.block.file) || a.block.line - b.block.line,
  );
  for (const n of ordered) visit(n, []);
  return out;
}
