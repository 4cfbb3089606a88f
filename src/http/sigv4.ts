// Server-side AWS Signature Version 4 verification (header and presigned-query forms): a pure function.
// Spec: sigv4.md; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

import { createHmac, hash, timingSafeEqual } from "node:crypto";
import { AuthError, authErrors } from "./aws-error.ts";
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  headerValues,
  parseRawQuery,
  type QueryParam,
} from "./sigv4-canonical.ts";
import { formatAmzDate, parseAmzDate, parseHttpDate } from "./sigv4-time.ts";

export interface SigV4Request {
  method: string;
  /** the raw request target path as on the wire, without the query string (not decoded) */
  path: string;
  /** the raw query string without '?', as on the wire ('' if none) */
  rawQuery: string;
  /** Node's IncomingMessage.rawHeaders: [name, value, name, value, ...] with duplicates kept */
  rawHeaders: string[];
  /** lowercase hex SHA-256 of the body bytes actually received */
  bodySha256: string;
}

export interface SigningCredential {
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

/**
 * Resolves an access key id; undefined if unknown. An expired session → the verifier throws ExpiredToken.
 * `sessionToken`: as presented with the key id (temporary keys' tokens may carry their session).
 */
export type CredentialLookup = (accessKeyId: string, sessionToken?: string) => SigningCredential | undefined;

export interface VerifiedSignature {
  accessKeyId: string;
  region: string;
  service: string;
  /** RequestDateTime: X-Amz-Date (header or query), or the `Date` header */
  date: Date;
  presigned: boolean;
  sessionToken?: string;
}

export interface VerifyOptions {
  now: Date;
  /** signing name of the service the request is dispatched to; the scope must name it (sigv4.md §10) */
  expectedService?: string;
  /** append DynamoDB's canonical-request/string-to-sign suffix to mismatch messages (default true) */
  includeCanonicalRequestInErrors?: boolean;
  /** allowed clock skew either way, seconds (default 300: "within five minutes", sigv4.md §8.2) */
  clockSkewSeconds?: number;
  /** restrict the scope region to this list (`sigv4.allowedRegions`); default: any well-formed region */
  allowedRegions?: readonly string[];
}

/** The credential scope of a request, read without verifying anything (for dispatch by service). */
export interface SigningScope {
  accessKeyId: string;
  /** YYYYMMDD as written in the scope */
  date: string;
  region: string;
  service: string;
}

/** A signature mismatch, carrying what keyship computed so the decision log can show it. */
export class SignatureMismatchError extends AuthError {
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  constructor(message: string, canonicalRequest: string, stringToSign: string) {
    super("SignatureDoesNotMatch", message, 403, "InvalidSignatureException", message);
    this.canonicalRequest = canonicalRequest;
    this.stringToSign = stringToSign;
  }
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const TERMINATOR = "aws4_request";
const DEFAULT_SKEW_SECONDS = 300;
// Presigned URLs live at most 7 days (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
const MAX_EXPIRES_SECONDS = 604800;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// Any well-formed region (us-east-1, ap-northeast-1, us-gov-west-1, eu-isoe-west-1), sigv4.md §10 [I].
const REGION = /^[a-z]{2}(-[a-z0-9]+)+-\d+$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
// S3-only chunked uploads (scratchstack-aws-signature constants); rejected by keyship's APIs.
const STREAMING_PAYLOADS = new Set([
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
  "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
  "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
]);
// Query parameters whose presence makes a request a presigned (query-form) one.
const QUERY_AUTH_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders"];

const MISMATCH_MESSAGE =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret " +
  "Access Key and signing method. Consult the service documentation for details.";

/** Where the authentication information was found (sigv4.md §2), before any validation. */
type Located =
  | { form: "header"; authorization: string; headers: Map<string, string[]>; query: QueryParam[] }
  | { form: "query"; headers: Map<string, string[]>; query: QueryParam[] };

/** The parts every form must supply, once present and well formed. */
interface AuthParts {
  credential: string;
  signedHeaders: string;
  signature: string;
  /** raw RequestDateTime source value (X-Amz-Date, or the Date header) */
  rawDate: string;
  /** true when the request date came from the HTTP `Date` header */
  fromDateHeader: boolean;
  /** X-Amz-Expires, query form only */
  rawExpires?: string;
  sessionToken: string | undefined;
}

/**
 * Verifies a SigV4-signed request. Returns null when the request carries no SigV4 information at all
 * (the caller decides: unsigned operation or MissingAuthenticationToken); throws AuthError for every
 * failure, checks in the order of sigv4.md §3.
 */
export function verifySigV4(
  req: SigV4Request,
  lookup: CredentialLookup,
  options: VerifyOptions,
): VerifiedSignature | null {
  // 1. locate the authentication information
  const located = locate(req);
  if (!located) return null;
  const presigned = located.form === "query";

  // 2–3. algorithm and required components
  const parts = located.form === "header" ? headerParts(located) : queryParts(located);

  // 4. request date well formed
  const requestDate = parts.fromDateHeader ? parseHttpDate(parts.rawDate) : parseAmzDate(parts.rawDate);
  if (!requestDate) {
    throw authErrors.incomplete(
      `Date must be in ISO-8601 'basic format'. Got '${parts.rawDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  // X-Amz-Date was parsed from exactly this form; a Date header is re-written into it
  const requestDateTime = parts.fromDateHeader ? formatAmzDate(requestDate) : parts.rawDate;
  const expires = parts.rawExpires === undefined ? undefined : parseExpires(parts.rawExpires);

  // 5. host must be signed
  const signedHeaderNames = parts.signedHeaders.split(";");
  if (!signedHeaderNames.some((h) => h.toLowerCase() === "host")) {
    throw authErrors.signatureMismatch(
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  if ((located.headers.get("host") ?? []).length > 1) {
    throw authErrors.incomplete("Multiple 'Host' headers are not allowed.");
  }

  // 6. clock skew / presigned expiry
  checkTime(requestDate, expires, options);

  // 7–8. credential scope
  const credentialParts = parts.credential.split("/");
  if (credentialParts.length !== 5) {
    throw authErrors.incomplete(
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, " +
        `got '${parts.credential}'`,
    );
  }
  const [accessKeyId, scopeDate, region, service, terminator] = credentialParts as [
    string,
    string,
    string,
    string,
    string,
  ];
  checkScope({ scopeDate, region, service, terminator, requestDateTime }, options);

  // 9. credential lookup
  const credential = lookup(accessKeyId, parts.sessionToken);
  if (!credential) throw authErrors.invalidClientTokenId();
  checkSessionToken(credential, parts.sessionToken, options.now);

  // 10. payload hash
  const payloadHash = payloadHashOf(located, req.bodySha256);

  // 11. signature
  const creq = canonicalRequest({
    method: req.method,
    uri: canonicalUri(req.path),
    query: canonicalQuery(
      presigned ? located.query.filter((p) => p.name !== "X-Amz-Signature") : located.query,
    ),
    headers: canonicalHeaders(signedHeaderNames, located.headers),
    signedHeaders: parts.signedHeaders,
    payloadHash,
  });
  const scope = `${scopeDate}/${region}/${service}/${TERMINATOR}`;
  const stringToSign = `${ALGORITHM}\n${requestDateTime}\n${scope}\n${sha256Hex(creq)}`;
  const expected = signatureOf(credential.secretAccessKey, scopeDate, region, service, stringToSign);
  if (!sameText(expected, parts.signature)) {
    const withDetails =
      options.includeCanonicalRequestInErrors === false
        ? MISMATCH_MESSAGE
        : // DynamoDB's suffix (mhart/dynalite); AWS documents that the response shows both strings.
          `${MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n'${creq}'\n\n` +
          `The String-to-Sign should have been\n'${stringToSign}'\n`;
    throw new SignatureMismatchError(withDetails, creq, stringToSign);
  }

  const result: VerifiedSignature = { accessKeyId, region, service, date: requestDate, presigned };
  if (parts.sessionToken !== undefined) result.sessionToken = parts.sessionToken;
  return result;
}

/** The credential scope named by a request (header or query form), without verifying it; null if none. */
export function signingScopeOf(req: SigV4Request): SigningScope | null {
  let credential: string | undefined;
  const authorization = headerValues(req.rawHeaders).get("authorization")?.[0];
  if (authorization?.startsWith("AWS4-")) {
    const m = /(?:^|[\s,])Credential=([^,\s]*)/.exec(authorization);
    credential = m?.[1];
  } else {
    try {
      credential = parseRawQuery(req.rawQuery).find((p) => p.name === "X-Amz-Credential")?.value;
    } catch {
      return null;
    }
  }
  const parts = credential?.split("/");
  if (parts?.length !== 5) return null;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service };
}

/** The signing key of a scope (kSigning), exported for tests and for clients of the twin. */
export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, TERMINATOR);
}

// kSigning changes once a day per key and scope: deriving it costs four HMACs per request, so the
// hot path keeps recent ones (sigv4.md §5 allows it). Bounded; cleared wholesale when full.
const signingKeys = new Map<string, Buffer>();

function cachedSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\0${date}\0${region}\0${service}`;
  let key = signingKeys.get(id);
  if (!key) {
    if (signingKeys.size >= 1024) signingKeys.clear();
    key = signingKey(secret, date, region, service);
    signingKeys.set(id, key);
  }
  return key;
}

function signatureOf(secret: string, date: string, region: string, service: string, stringToSign: string) {
  return hmac(cachedSigningKey(secret, date, region, service), stringToSign).toString("hex");
}

// 1. Exactly one of an `Authorization: AWS4-…` header or X-Amz-* query parameters (sigv4.md §2).
function locate(req: SigV4Request): Located | null {
  const headers = headerValues(req.rawHeaders);
  const query = parseRawQuery(req.rawQuery);
  const authValues = (headers.get("authorization") ?? []).filter((v) => v.startsWith("AWS4-"));
  const hasQueryAlgorithm = query.some((p) => p.name === "X-Amz-Algorithm");
  if (authValues.length > 0 && hasQueryAlgorithm) {
    throw authErrors.signatureMismatch(
      "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    );
  }
  if (authValues.length > 1 || (authValues.length === 1 && (headers.get("authorization") ?? []).length > 1)) {
    throw authErrors.incomplete("Multiple 'Authorization' headers are not allowed.");
  }
  const authorization = authValues[0];
  if (authorization !== undefined) return { form: "header", authorization, headers, query };
  if (query.some((p) => QUERY_AUTH_PARAMS.includes(p.name))) return { form: "query", headers, query };
  return null;
}

// 2–3 for `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
function headerParts(located: Extract<Located, { form: "header" }>): AuthParts {
  const header = located.authorization;
  const space = header.search(/\s/);
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw authErrors.incomplete(
      `Unsupported AWS 'algorithm': '${algorithm}' (only AWS4-HMAC-SHA256 for now). `,
    );
  }
  const components = new Map<string, string>();
  for (const raw of space < 0 ? [] : header.slice(space).split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) {
      throw authErrors.incomplete(
        `'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'`,
      );
    }
    const name = part.slice(0, eq).trim();
    if (!components.has(name)) components.set(name, part.slice(eq + 1).trim());
  }
  const credential = components.get("Credential");
  const signature = components.get("Signature");
  const signedHeaders = components.get("SignedHeaders");
  const amzDate = located.headers.get("x-amz-date");
  const httpDate = located.headers.get("date");
  const missing: string[] = [];
  if (credential === undefined) missing.push("Authorization header requires 'Credential' parameter.");
  if (signature === undefined) missing.push("Authorization header requires 'Signature' parameter.");
  if (signedHeaders === undefined) missing.push("Authorization header requires 'SignedHeaders' parameter.");
  if (amzDate === undefined && httpDate === undefined) {
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (
    credential === undefined ||
    signature === undefined ||
    signedHeaders === undefined ||
    missing.length > 0
  ) {
    throw authErrors.incomplete(`${missing.join(" ")} Authorization=${header}`);
  }
  const token = located.headers.get("x-amz-security-token");
  return {
    credential,
    signature,
    signedHeaders,
    // Repeated headers count as one comma-joined value, as in the canonical request.
    rawDate: (amzDate ?? httpDate ?? []).join(","),
    fromDateHeader: amzDate === undefined,
    sessionToken: token?.join(","),
  };
}

// 2–3 for presigned URLs (sigv4.md §6).
function queryParts(located: Extract<Located, { form: "query" }>): AuthParts {
  const get = (name: string) => located.query.find((p) => p.name === name)?.value;
  const algorithm = get("X-Amz-Algorithm");
  // scratchstack: a query-form request with another algorithm counts as not authenticated at all.
  if (algorithm !== undefined && algorithm !== ALGORITHM) throw authErrors.missingToken();
  const credential = get("X-Amz-Credential");
  const signature = get("X-Amz-Signature");
  const signedHeaders = get("X-Amz-SignedHeaders");
  const date = get("X-Amz-Date");
  const expires = get("X-Amz-Expires");
  const missing: string[] = [];
  const need = (value: string | undefined, name: string) => {
    if (value === undefined) missing.push(`AWS query-string parameters must include '${name}'.`);
  };
  need(algorithm, "X-Amz-Algorithm");
  need(credential, "X-Amz-Credential");
  need(signature, "X-Amz-Signature");
  need(signedHeaders, "X-Amz-SignedHeaders");
  need(date, "X-Amz-Date");
  // X-Amz-Expires is required too (sigv4.md §6); its message follows the five of §9.3 [I].
  need(expires, "X-Amz-Expires");
  if (
    credential === undefined ||
    signature === undefined ||
    signedHeaders === undefined ||
    date === undefined ||
    expires === undefined ||
    missing.length > 0
  ) {
    throw authErrors.incomplete(`${missing.join(" ")} Re-examine the query-string parameters.`);
  }
  return {
    credential,
    signature,
    signedHeaders,
    rawDate: date,
    fromDateHeader: false,
    rawExpires: expires,
    sessionToken: get("X-Amz-Security-Token"),
  };
}

// X-Amz-Expires: whole seconds, 1..604800; texts follow S3's AuthorizationQueryParametersError [I].
function parseExpires(raw: string): number {
  if (!/^\d+$/.test(raw)) throw authErrors.incomplete("X-Amz-Expires should be a number");
  const seconds = Number(raw);
  if (seconds < 1) throw authErrors.incomplete("X-Amz-Expires must be positive");
  if (seconds > MAX_EXPIRES_SECONDS) {
    throw authErrors.incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  return seconds;
}

// 6. Requests must arrive within the skew window; presigned ones until X-Amz-Date + X-Amz-Expires
// (sigv4.md §8.2, wording of real ECS quoted in fabfuel/ecs-deploy#126).
function checkTime(requestDate: Date, expires: number | undefined, options: VerifyOptions): void {
  const skew = options.clockSkewSeconds ?? DEFAULT_SKEW_SECONDS;
  // Request dates have whole seconds: compare (and print) the server time at the same precision.
  const nowMs = Math.floor(options.now.getTime() / 1000) * 1000;
  const at = (ms: number) => formatAmzDate(new Date(ms));
  const request = formatAmzDate(requestDate);
  const skewText = skew % 60 === 0 ? `${skew / 60} min.` : `${skew} sec.`;
  if (requestDate.getTime() > nowMs + skew * 1000) {
    throw authErrors.signatureMismatch(
      `Signature not yet current: ${request} is still later than ${at(nowMs + skew * 1000)} (${at(nowMs)} + ${skewText})`,
    );
  }
  if (expires !== undefined) {
    if (nowMs > requestDate.getTime() + expires * 1000) {
      throw authErrors.signatureMismatch(
        `Signature expired: ${request} is now earlier than ${at(nowMs - expires * 1000)} (${at(nowMs)} - ${expires} sec.)`,
      );
    }
    return;
  }
  if (requestDate.getTime() < nowMs - skew * 1000) {
    throw authErrors.signatureMismatch(
      `Signature expired: ${request} is now earlier than ${at(nowMs - skew * 1000)} (${at(nowMs)} - ${skewText})`,
    );
  }
}

// 8. Every failing part of the scope, joined by a space (sigv4.md §9.3, §10).
function checkScope(
  scope: { scopeDate: string; region: string; service: string; terminator: string; requestDateTime: string },
  options: VerifyOptions,
): void {
  const problems: string[] = [];
  const regionOk = options.allowedRegions
    ? options.allowedRegions.includes(scope.region)
    : REGION.test(scope.region);
  if (!regionOk) problems.push(`Credential should be scoped to a valid region, not '${scope.region}'.`);
  if (options.expectedService !== undefined && scope.service !== options.expectedService) {
    problems.push(`Credential should be scoped to correct service: '${options.expectedService}'.`);
  }
  if (scope.terminator !== TERMINATOR) {
    problems.push(
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${scope.terminator}'.`,
    );
  }
  const requestDay = scope.requestDateTime.slice(0, 8);
  if (scope.scopeDate !== requestDay) {
    problems.push(
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
        `'${scope.scopeDate}' != '${requestDay}', from '${scope.requestDateTime}'.`,
    );
  }
  if (problems.length > 0) throw authErrors.signatureMismatch(problems.join(" "));
}

// 9. Long-term keys take no token; session keys need exactly theirs, unexpired (sigv4.md §7).
function checkSessionToken(credential: SigningCredential, token: string | undefined, now: Date): void {
  if (credential.sessionToken === undefined) {
    if (token !== undefined) throw authErrors.invalidClientTokenId();
    return;
  }
  if (token === undefined || !sameText(sha256Hex(token), sha256Hex(credential.sessionToken))) {
    throw authErrors.invalidClientTokenId();
  }
  if (credential.expiration && now.getTime() >= credential.expiration.getTime())
    throw authErrors.expiredToken();
}

// 10. HashedPayload: the x-amz-content-sha256 value verbatim when sent (botocore and smithy do the same),
// checked against the body; presigned requests may carry it as X-Amz-Content-Sha256 (sigv4.md §4.5).
function payloadHashOf(located: Located, bodySha256: string): string {
  const bodyHash = bodySha256 === "" ? EMPTY_SHA256 : bodySha256;
  const header = located.headers.get("x-amz-content-sha256");
  const declared =
    header !== undefined
      ? header.join(",")
      : located.form === "query"
        ? located.query.find((p) => p.name === "X-Amz-Content-Sha256")?.value
        : undefined;
  if (declared === undefined) return bodyHash;
  if (declared === UNSIGNED_PAYLOAD) return declared;
  if (STREAMING_PAYLOADS.has(declared)) {
    throw authErrors.incomplete("streaming payloads are not supported by this service");
  }
  if (!HEX_SHA256.test(declared)) throw authErrors.incomplete("Malformed X-Amz-Content-Sha256 header value");
  if (declared.toLowerCase() !== bodyHash.toLowerCase()) {
    throw authErrors.signatureMismatch(
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  return declared;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

function sha256Hex(data: string): string {
  return hash("sha256", data, "hex");
}

/** Constant-time string comparison; lengths are compared first because timingSafeEqual needs equal sizes. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
