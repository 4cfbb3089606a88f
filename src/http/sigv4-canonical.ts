// The SigV4 canonical request, built from the request exactly as it arrived (sigv4.md §4, §12).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html

import { authErrors } from "./aws-error.ts";

export interface QueryParam {
  name: string;
  value: string;
}

const HEX = "0123456789ABCDEF";
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** RFC 3986 encoding as SigV4 wants it: unreserved characters stay, every other UTF-8 byte is %XX. */
export function uriEncode(value: string, keepSlash = false): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const unreserved =
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x2d ||
      byte === 0x2e ||
      byte === 0x5f ||
      byte === 0x7e ||
      (keepSlash && byte === 0x2f);
    out += unreserved ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/**
 * Splits and decodes a raw query string strictly: `%XX` → byte, then UTF-8; a literal `+` stays `+`
 * (URLSearchParams would make it a space and break session tokens, sigv4.md §12.2). Malformed escapes
 * are rejected with AWS's MalformedQueryString messages (scratchstack-aws-signature constants).
 */
export function parseRawQuery(rawQuery: string): QueryParam[] {
  checkEscapes(rawQuery);
  const params: QueryParam[] = [];
  for (const item of rawQuery.split("&")) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? "" : item.slice(eq + 1);
    params.push({ name: percentDecode(name), value: percentDecode(value) });
  }
  return params;
}

function checkEscapes(raw: string): void {
  for (let i = raw.indexOf("%"); i >= 0; i = raw.indexOf("%", i + 1)) {
    if (i + 2 >= raw.length) {
      throw authErrors.malformedQueryString("Incomplete trailing escape % sequence");
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
      throw authErrors.malformedQueryString(`Illegal hex character in escape % pattern: %${hex}`);
    }
  }
}

function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === "%") {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(ch, "utf8")) bytes.push(b);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw authErrors.malformedQueryString("Invalid UTF-8 sequence in query string");
  }
}

/**
 * CanonicalURI for non-S3 services: dot segments removed and duplicate slashes collapsed, then every
 * segment URI-encoded on top of the encoding already on the wire (botocore
 * `quote(normalize_url_path(path), safe='/~')`, smithy `uriEscapePath: true`).
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === "") return "/";
  const segments: string[] = [];
  for (const segment of rawPath.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const first = rawPath.startsWith("/") ? "/" : "";
  const last = rawPath.endsWith("/") && segments.length > 0 ? "/" : "";
  const normalized = first + segments.join("/") + last;
  return uriEncode(normalized === "" ? "/" : normalized, true);
}

/** CanonicalQueryString: each name and value re-encoded, sorted by name then value (byte order). */
export function canonicalQuery(params: readonly QueryParam[]): string {
  return params
    .map((p) => [uriEncode(p.name), uriEncode(p.value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join("&");
}

/**
 * Header values by lower-case name, every occurrence in arrival order. Built from rawHeaders because
 * IncomingMessage.headers joins duplicates with ", " or keeps only the first (sigv4.md §12.1).
 */
export function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const list = map.get(name);
    if (list) list.push(value);
    else map.set(name, [value]);
  }
  return map;
}

/** Trimmed, inner runs of spaces/tabs collapsed to one space ("Trimall" in the AWS docs). */
function trimAll(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, "").replace(/[ \t]+/g, " ");
}

/**
 * CanonicalHeaders for the names in SignedHeaders, in the order sent (a client that sent them unsorted
 * signed something else, and gets a mismatch as from AWS). Repeated headers join with "," (no space);
 * a signed header that is absent gives `name:`.
 */
export function canonicalHeaders(signedHeaders: readonly string[], headers: Map<string, string[]>): string {
  let out = "";
  for (const name of signedHeaders) {
    const lower = name.toLowerCase();
    out += `${lower}:${(headers.get(lower) ?? []).map(trimAll).join(",")}\n`;
  }
  return out;
}

export function canonicalRequest(parts: {
  method: string;
  uri: string;
  query: string;
  headers: string;
  signedHeaders: string;
  payloadHash: string;
}): string {
  return [parts.method, parts.uri, parts.query, parts.headers, parts.signedHeaders, parts.payloadHash].join(
    "\n",
  );
}
