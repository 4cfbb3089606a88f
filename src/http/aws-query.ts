// awsQuery: form-encoded parameters in, XML out (IAM, STS).
// https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
import { isoSeconds } from "../core/clock.ts";
import { type AwsError, authErrors } from "./aws-error.ts";

type Decoded = Record<string, unknown>;

/**
 * Parses `application/x-www-form-urlencoded` (or a query string) strictly: a malformed % escape is
 * MalformedQueryString as AWS answers it (sigv4.md §9.3), not a silently mangled value.
 */
export function parseForm(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (text === "") return out;
  for (const part of text.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    out.set(decodeFormComponent(rawKey), decodeFormComponent(rawValue));
  }
  return out;
}

function decodeFormComponent(s: string): string {
  if (!s.includes("%") && !s.includes("+")) return s;
  const plus = s.replace(/\+/g, " ");
  const bad = /%(?![0-9A-Fa-f]{2})(.{0,2})/.exec(plus);
  if (bad) {
    const rest = bad[1] ?? "";
    throw authErrors.malformedQueryString(
      rest.length < 2
        ? "Incomplete trailing escape % sequence"
        : `Illegal hex character in escape % pattern: %${rest}`,
    );
  }
  try {
    return decodeURIComponent(plus);
  } catch {
    // Valid escapes that are not UTF-8: keep bytes as latin1 rather than failing the request.
    return unescape(plus);
  }
}

/**
 * Turns flat awsQuery parameters into nested objects with the model's member names:
 * `Tags.member.1.Key=a` → `{Tags: [{Key: "a"}]}`; `Attributes.entry.1.key/value` → a map.
 */
export function decodeQueryParams(params: Map<string, string>): Decoded {
  const root: Decoded = {};
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version" || key.startsWith("X-Amz-")) continue;
    const path = key.split(".");
    // A key no shape serialises to is an unknown parameter, which AWS ignores: deeper than any
    // IAM/STS shape nests (the deepest, PolicyInputList/ContextEntries, is 4 levels), or naming an
    // object's prototype (`__proto__.x=1` would otherwise write to Object.prototype).
    if (path.length > MAX_KEY_DEPTH || path.some((seg) => seg === "__proto__")) continue;
    setPath(root, path, value);
  }
  return normalise(root) as Decoded;
}

const MAX_KEY_DEPTH = 16;

function setPath(target: Decoded, path: string[], value: string): void {
  let node: Decoded = target;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    // Own members only: `constructor.x` must not walk into Object (an inherited function).
    let next = Object.hasOwn(node, seg) ? node[seg] : undefined;
    if (typeof next !== "object" || next === null) {
      next = {};
      node[seg] = next;
    }
    node = next as Decoded;
  }
  node[path[path.length - 1]!] = value;
}

/** `{member: {1: x, 2: y}}` → `[x, y]`; `{entry: {1: {key, value}}}` → `{key: value}`. */
function normalise(node: unknown): unknown {
  if (typeof node !== "object" || node === null) return node;
  const obj = node as Decoded;
  const keys = Object.keys(obj);
  if (keys.length === 1 && (keys[0] === "member" || keys[0] === "entry")) {
    const items = obj[keys[0]!] as Decoded;
    const ordered = Object.keys(items)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => normalise(items[k]));
    if (keys[0] === "member") return ordered;
    const map: Decoded = {};
    for (const entry of ordered as Decoded[]) {
      const key = String(entry?.key);
      if (key !== "__proto__") map[key] = entry?.value;
    }
    return map;
  }
  for (const k of keys) obj[k] = normalise(obj[k]);
  return obj;
}

const XML_ENTITY: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};
const XML_SPECIAL = /[&<>"']/;

export function escapeXml(s: string): string {
  return XML_SPECIAL.test(s) ? s.replace(/[&<>"']/g, (c) => XML_ENTITY[c]!) : s;
}

/** Serialises an operation result: arrays as `<member>`, dates as ISO 8601, maps as entry/key/value. */
export function toXml(value: unknown, indent = ""): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return escapeXml(value);
  if (value instanceof XmlText) return value.text;
  if (value instanceof Date) return isoSeconds(value);
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join("");
  if (typeof value === "object") {
    if (value instanceof XmlMap) {
      return Object.entries(value.entries)
        .map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${toXml(v)}</value></entry>`)
        .join("");
    }
    let out = "";
    for (const k in value) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      out += `${indent}<${k}>${toXml(v)}</${k}>`;
    }
    return out;
  }
  return escapeXml(String(value));
}

/**
 * A member's XML, already written: an operation that answers from an unchanged record many times
 * renders it once (toXml(value) of the same value gives the same text).
 */
export class XmlText {
  readonly text: string;
  constructor(value: unknown) {
    this.text = toXml(value);
  }
}

/** Marks an object as an awsQuery map (entry/key/value) rather than a structure. */
export class XmlMap {
  readonly entries: Record<string, unknown>;
  constructor(entries: Record<string, unknown>) {
    this.entries = entries;
  }
}

export function queryResponse(
  action: string,
  namespace: string,
  result: Record<string, unknown> | undefined,
  requestId: string,
): string {
  const body = result === undefined ? "" : `<${action}Result>${toXml(result)}</${action}Result>`;
  return `<${action}Response xmlns="${namespace}">${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function queryError(err: AwsError, namespace: string, requestId: string): string {
  return `<ErrorResponse xmlns="${namespace}"><Error><Type>${err.fault}</Type><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
