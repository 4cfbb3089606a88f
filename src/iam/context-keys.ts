// The request context keys a policy can read: condition keys and the policy variables in its
// resources and condition values. A decision depends on the context only through these keys, which
// is what lets the authorizer reuse a decision for requests that agree on them.
import type { ParsedPolicy } from "./policy.ts";
import type { Template } from "./variables.ts";

/** Lower-cased keys the policy reads; `${*}`, `${?}` and `${$}` read none. */
export function contextKeysRead(policy: ParsedPolicy): Set<string> {
  const keys = new Set<string>();
  eachKey(policy, (lower) => keys.add(lower));
  return keys;
}

/** The keys the policy reads as written in it (the first spelling of each), in the order they appear. */
export function contextKeysNamed(policy: ParsedPolicy): string[] {
  const named = new Map<string, string>();
  eachKey(policy, (lower, name) => {
    if (!named.has(lower)) named.set(lower, name);
  });
  return [...named.values()];
}

/** Calls `visit` for each key read: resource variables, then each condition's key and its values' variables. */
function eachKey(policy: ParsedPolicy, visit: (lower: string, name: string) => void): void {
  const add = (t: Template) => {
    for (const part of t.parts ?? []) if (part.kind === "var" && part.key !== "") visit(part.key, part.name);
  };
  for (const s of policy.statements) {
    for (const p of s.resource?.patterns ?? []) add(p.id);
    for (const c of s.conditions) {
      visit(c.key, c.keyName);
      for (const v of c.values) {
        add(v.template);
        for (const t of v.arn?.templates ?? []) add(t);
      }
    }
  }
}

/** Keys whose value changes every second: a decision that reads them is never reused. */
const CLOCK_KEYS: ReadonlySet<string> = new Set(["aws:currenttime", "aws:epochtime"]);

/**
 * What a reused decision must be keyed on, for policies (already parsed) that decide together: the keys
 * they read, sorted; null when they read the clock, so that no decision of theirs may be reused.
 */
export function reuseKeys(policies: Iterable<ParsedPolicy>): string[] | null {
  const read = new Set<string>();
  for (const p of policies) for (const k of contextKeysRead(p)) read.add(k);
  for (const k of read) if (CLOCK_KEYS.has(k)) return null;
  return [...read].sort();
}

/**
 * Extends a decision key with the values a request gives the keys a policy reads (lower-cased names),
 * `-` for a missing one. Every value is length-prefixed, so no value can forge another's part.
 */
export function withKeyValues(
  key: string,
  keysRead: readonly string[],
  valueFor: (lowerKey: string) => string | string[] | undefined,
): string {
  for (const k of keysRead) {
    const v = valueFor(k);
    if (v === undefined) key += "-";
    else if (typeof v === "string") key += `${v.length}:${v}`;
    else {
      key += `[${v.length}`;
      for (const x of v) key += `${x.length}:${x}`;
    }
  }
  return key;
}
