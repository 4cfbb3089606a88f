// Policy variables (`${aws:username}`, `${key, 'default'}`, `${*}` `${?}` `${$}`): parsed once, resolved per request.
// Rules: iam-policy.md §7; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

import type { GlobPiece } from "./arn.ts";

/** Request context with lower-cased key names (condition keys are case-insensitive). */
export type Context = ReadonlyMap<string, string | readonly string[]>;

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "var"; key: string; name: string; fallback: string | undefined };

/** A policy string split into literal text and variables. `parts` is null when there are no variables. */
export interface Template {
  raw: string;
  parts: TemplatePart[] | null;
}

const SPECIAL: Record<string, string> = { "*": "*", "?": "?", $: "$" };
const DEFAULT_FORM = /^([^,]*?)\s*,\s*'([^']*)'$/;

/** Parse `${…}` references; under Version 2008-10-17 (or none) `enabled` is false and text stays literal. */
export function parseTemplate(raw: string, enabled: boolean): Template {
  if (!enabled || !raw.includes("${")) return { raw, parts: null };
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < raw.length) {
    const open = raw.indexOf("${", i);
    if (open < 0) break;
    const close = raw.indexOf("}", open + 2);
    // An unterminated `${` is literal text (decision in iam-policy.md §7).
    if (close < 0) break;
    text += raw.slice(i, open);
    const inner = raw.slice(open + 2, close).trim();
    const special = SPECIAL[inner];
    if (special !== undefined) {
      // `${*}` is a literal asterisk, not a wildcard: emitted as a non-wild part.
      if (text) parts.push({ kind: "text", text });
      parts.push({ kind: "var", key: "", name: inner, fallback: special });
      text = "";
    } else {
      const m = DEFAULT_FORM.exec(inner);
      const name = (m ? m[1]! : inner).trim();
      if (text) parts.push({ kind: "text", text });
      parts.push({ kind: "var", key: name.toLowerCase(), name, fallback: m ? m[2] : undefined });
      text = "";
    }
    i = close + 1;
  }
  text += raw.slice(i);
  if (text) parts.push({ kind: "text", text });
  if (!parts.some((p) => p.kind === "var")) return { raw, parts: null };
  return { raw, parts };
}

/** The value a variable takes: single-valued keys only ("a multivalued key used as a variable never matches"). */
function lookup(ctx: Context, key: string): string | undefined {
  const v = ctx.get(key);
  if (v === undefined) return undefined;
  if (typeof v === "string") return v;
  return v.length === 1 ? v[0] : undefined;
}

/**
 * Resolve to glob pieces: template text keeps its wildcards, substituted values are literal.
 * Returns undefined when a variable has no value and no default; its name is pushed to `missing`.
 */
export function resolvePieces(t: Template, ctx: Context, missing?: string[]): GlobPiece[] | undefined {
  if (t.parts === null) return [{ text: t.raw, wild: true }];
  const out: GlobPiece[] = [];
  for (const p of t.parts) {
    if (p.kind === "text") {
      out.push({ text: p.text, wild: true });
      continue;
    }
    const v = p.key === "" ? p.fallback : (lookup(ctx, p.key) ?? p.fallback);
    if (v === undefined) {
      missing?.push(p.name);
      return undefined;
    }
    out.push({ text: v, wild: false });
  }
  return out;
}

/** Resolve to a plain string (for exact operators), or undefined when a variable has no value. */
export function resolveString(t: Template, ctx: Context, missing?: string[]): string | undefined {
  if (t.parts === null) return t.raw;
  let out = "";
  for (const p of t.parts) {
    if (p.kind === "text") out += p.text;
    else {
      const v = p.key === "" ? p.fallback : (lookup(ctx, p.key) ?? p.fallback);
      if (v === undefined) {
        missing?.push(p.name);
        return undefined;
      }
      out += v;
    }
  }
  return out;
}
