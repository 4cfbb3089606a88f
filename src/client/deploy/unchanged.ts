// Decides whether a rendered task definition equals a registered revision, so a deploy can skip RegisterTaskDefinition.
import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { DESCRIBE_ONLY_ATTRIBUTES, dropNulls, type TaskDefinitionInput } from "./strip.ts";

/**
 * Members ECS fills in on registration when the request leaves them out
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html). A member absent
 * from the request matches the revision when the revision holds an "empty" value or the listed default.
 */
const SERVER_DEFAULTS: Record<string, (value: unknown, parent: Record<string, unknown>) => boolean> = {
  essential: (v) => v === true,
  protocol: (v) => v === "tcp",
  // awsvpc and host network modes copy containerPort into hostPort.
  hostPort: (v, p) => v === p.containerPort,
  cpu: (v) => v === 0 || v === "0",
  networkMode: (v) => v === "bridge",
};

/** Arrays ECS may return in another order than given: compared as sets keyed by name. */
const KEYED_BY_NAME = new Set(["environment", "secrets", "ulimits", "volumes", "systemControls"]);

/** Members of the request that are not part of the revision's content. */
const IGNORED = new Set<string>(["tags", ...DESCRIBE_ONLY_ATTRIBUTES]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.keys(v).length === 0)
  );
}

function sortByName(list: unknown[]): unknown[] {
  return [...list].sort((a, b) => {
    const an = isObject(a) ? String(a.name ?? a.key ?? a.namespace ?? "") : "";
    const bn = isObject(b) ? String(b.name ?? b.key ?? b.namespace ?? "") : "";
    return an < bn ? -1 : an > bn ? 1 : 0;
  });
}

/** Returns the path of the first difference, or undefined when `wanted` matches `actual`. */
function firstDifference(wanted: unknown, actual: unknown, path: string, key: string): string | undefined {
  if (Array.isArray(wanted)) {
    if (!Array.isArray(actual) || actual.length !== wanted.length) return path;
    const w = KEYED_BY_NAME.has(key) ? sortByName(wanted) : wanted;
    const a = KEYED_BY_NAME.has(key) ? sortByName(actual) : actual;
    for (let i = 0; i < w.length; i++) {
      const d = firstDifference(w[i], a[i], `${path}[${i}]`, "");
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(wanted)) {
    if (!isObject(actual)) return path;
    for (const k of new Set([...Object.keys(wanted), ...Object.keys(actual)])) {
      if (path === "" && IGNORED.has(k)) continue;
      const sub = path ? `${path}.${k}` : k;
      if (k in wanted) {
        const d = firstDifference(wanted[k], actual[k], sub, k);
        if (d) return d;
      } else if (!isEmpty(actual[k]) && !SERVER_DEFAULTS[k]?.(actual[k], actual)) {
        return sub;
      }
    }
    return undefined;
  }
  // Task-level cpu and memory are strings in responses; files often give numbers.
  if (
    (typeof wanted === "number" || typeof wanted === "string") &&
    (typeof actual === "number" || typeof actual === "string")
  ) {
    return String(wanted) === String(actual) ? undefined : path;
  }
  return wanted === actual ? undefined : path;
}

/**
 * Compares the definition a deploy would register with a registered revision. Returns `undefined` when they are
 * the same (registration can be skipped), else the path of the first member that differs (for `keyship diff`).
 */
export function differenceFromRevision(
  wanted: TaskDefinitionInput,
  revision: TaskDefinition,
): string | undefined {
  const w = dropNulls(wanted);
  const a = dropNulls(revision);
  return firstDifference(w, a, "", "");
}

/**
 * The two sides of `keyship diff`, in the terms `differenceFromRevision` compares them: members the file leaves
 * out and ECS fills in (empty lists, listed defaults) dropped from the revision, arrays keyed by name sorted on
 * both sides, and scalars equal as text given the file's type. What remains different is what a deploy changes.
 */
export function comparablePair(
  wanted: TaskDefinitionInput,
  revision: TaskDefinition,
): { wanted: unknown; revision: unknown } {
  const w = dropNulls(wanted) as Record<string, unknown>;
  const a = dropNulls(revision) as Record<string, unknown>;
  for (const k of IGNORED) delete a[k];
  return { wanted: reduce(w, w, "").wanted, revision: reduce(w, a, "").actual };
}

function reduce(wanted: unknown, actual: unknown, key: string): { wanted: unknown; actual: unknown } {
  if (Array.isArray(wanted) && Array.isArray(actual)) {
    const w = KEYED_BY_NAME.has(key) ? sortByName(wanted) : wanted;
    const a = KEYED_BY_NAME.has(key) ? sortByName(actual) : actual;
    const pairs = a.map((x, i) => reduce(w[i], x, ""));
    return {
      wanted: w.map((x, i) => (i < a.length ? reduce(x, a[i], "").wanted : x)),
      actual: pairs.map((p) => p.actual),
    };
  }
  if (isObject(wanted) && isObject(actual)) {
    const w: Record<string, unknown> = {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(actual)) {
      if (k in wanted) {
        const r = reduce(wanted[k], v, k);
        out[k] = r.actual;
      } else if (!isEmpty(v) && !SERVER_DEFAULTS[k]?.(v, actual)) out[k] = v;
    }
    for (const [k, v] of Object.entries(wanted)) w[k] = k in actual ? reduce(v, actual[k], k).wanted : v;
    return { wanted: w, actual: out };
  }
  // cpu "256" in a file against 256 in a response (or the reverse) is no change.
  if (
    (typeof wanted === "number" || typeof wanted === "string") &&
    (typeof actual === "number" || typeof actual === "string") &&
    String(wanted) === String(actual)
  )
    return { wanted, actual: wanted };
  return { wanted, actual };
}
