// The SigV4 verifier cross-checked against @smithy/signature-v4 (the SDK v3 signer) as an independent oracle:
// randomized requests signed and presigned by smithy must verify; each tampered part must fail.

import assert from "node:assert/strict";
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { describe, it } from "node:test";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest, SourceData } from "@smithy/types";
import type { SigningCredential, SigV4Request } from "../../src/http/sigv4.ts";
import { verifySigV4 } from "../../src/http/sigv4.ts";
import {
  assertAuthError,
  headerOf,
  lookupFrom,
  sha256Hex,
  withHeader,
  withoutHeader,
} from "./sigv4-fixture.ts";

/** smithy's hash interface over node:crypto. */
class NodeSha256 {
  #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {}
}

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** Deterministic PRNG (mulberry32) so a failing case can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const chance = (p: number) => next() < p;
  const text = (alphabet: readonly string[], min: number, max: number) => {
    let s = "";
    for (let i = min + int(max - min + 1); i > 0; i--) s += pick(alphabet);
    return s;
  };
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
    }
    return xs;
  };
  return { next, int, pick, chance, text, shuffle };
}
type Rng = ReturnType<typeof prng>;

const ALNUM = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"];
// Characters that exercise the encoder: reserved, '+', '%', space, non-ASCII (2-, 3- and 4-byte UTF-8).
const SPECIAL = [..."-_.~ +/=&?#%:@!$'()*,;[]\"<>\\^`{|}", "é", "ß", "€", "日", "😀"];
const TEXT = [...ALNUM, ...ALNUM, ...SPECIAL];
const HEADER_NAME = [..."abcdefghijklmnopqrstuvwxyz0123456789-"];
const HEADER_VALUE = [...ALNUM, ..." \t-_.:;,/=+()[]{}<>@?!*'\"#$%&~^|"];

/** RFC 3986 encoding written independently of the code under test. */
function encodeStrict(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Encodes the way a sloppy but legal client might: lower-case hex, needless escapes, raw '+' and '/'. */
function encodeWire(rng: Rng, s: string, inQueryValue: boolean): string {
  let out = "";
  for (const ch of s) {
    const strict = encodeStrict(ch);
    if (strict === ch) out += rng.chance(0.1) ? `%${ch.charCodeAt(0).toString(16)}` : ch;
    else if (inQueryValue && "+/:@=".includes(ch) && rng.chance(0.5)) out += ch;
    else out += rng.chance(0.3) ? strict.toLowerCase() : strict;
  }
  return out;
}

const REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "ap-northeast-1", "us-gov-west-1", "eu-isoe-west-1"];
const SERVICES = ["sts", "iam", "ecr", "ecs"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
const RESERVED_QUERY = ["x-amz-signature", "x-amz-algorithm", "x-amz-credential", "x-amz-signedheaders"];
const RESERVED_HEADERS = new Set([
  "host",
  "authorization",
  "date",
  "x-amz-date",
  "x-amz-security-token",
  "x-amz-content-sha256",
]);
// Headers smithy never signs, sent anyway (the verifier must ignore what is not in SignedHeaders).
const UNSIGNED_EXTRAS: [string, string][] = [
  ["User-Agent", "aws-sdk-js/3.1173.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.20.2"],
  ["Connection", "keep-alive"],
  ["X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"],
  ["Expect", "100-continue"],
];

interface Identity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function randomIdentity(rng: Rng): Identity {
  const secret = rng.text([...ALNUM, "/", "+"], 40, 40);
  if (rng.chance(0.5))
    return { accessKeyId: `AKIA${rng.text(ALNUM, 16, 16).toUpperCase()}`, secretAccessKey: secret };
  // Session tokens are base64: '+', '/' and '=' are the interesting characters (sigv4.md §12.2).
  const sessionToken = `IQoJb3JpZ2luX2Vj${rng.text([...ALNUM, "+", "/"], 20, 200)}==`;
  return {
    accessKeyId: `ASIA${rng.text(ALNUM, 16, 16).toUpperCase()}`,
    secretAccessKey: secret,
    sessionToken,
  };
}

function randomPath(rng: Rng): { wire: string; segments: string[] } {
  const segments: string[] = [];
  for (let i = rng.int(5); i > 0; i--) {
    if (rng.chance(0.1)) segments.push(rng.pick([".", "..", ""]));
    else segments.push(rng.text(TEXT, 1, 8));
  }
  const wire = `/${segments.map((s) => (s === "." || s === ".." ? s : encodeWire(rng, s, false))).join("/")}${
    segments.length > 0 && rng.chance(0.3) ? "/" : ""
  }`;
  return { wire, segments };
}

interface Case {
  seed: number;
  presign: boolean;
  identity: Identity;
  region: string;
  service: string;
  signingDate: Date;
  expiresIn: number;
  request: HttpRequest;
  body: Uint8Array;
  applyChecksum: boolean;
}

function randomCase(seed: number, presign: boolean): Case {
  const rng = prng(seed);
  const method = rng.pick(METHODS);
  const path = randomPath(rng);
  const query: Record<string, string | string[]> = {};
  for (let i = rng.int(6); i > 0; i--) {
    const name = rng.chance(0.05) ? "" : rng.text(TEXT, 1, 10);
    if (RESERVED_QUERY.includes(name.toLowerCase())) continue;
    const value = rng.chance(0.15) ? "" : rng.text(TEXT, 1, 16);
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else query[name] = [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const headers: Record<string, string> = {
    host: rng.pick(["127.0.0.1:8765", "localhost:4599", "sts.amazonaws.com", "[::1]:8080"]),
  };
  for (let i = rng.int(6); i > 0; i--) {
    const name = rng.chance(0.3)
      ? `x-amz-${rng.text(HEADER_NAME, 1, 8)}`
      : `x${rng.text(HEADER_NAME, 1, 12)}`;
    if (RESERVED_HEADERS.has(name)) continue;
    // leading/trailing and inner runs of spaces and tabs: canonicalization trims and collapses them
    headers[name] = rng.text(HEADER_VALUE, 0, 30);
  }
  if (rng.chance(0.5))
    headers["content-type"] = rng.pick(["application/x-amz-json-1.1", "text/plain; charset=utf-8"]);
  const body = new Uint8Array(rng.chance(0.3) ? 0 : rng.int(300));
  for (let i = 0; i < body.length; i++) body[i] = rng.int(256);
  if (body.length > 0) headers["content-length"] = String(body.length);
  const applyChecksum = rng.chance(0.5);
  if (!presign && applyChecksum && rng.chance(0.2)) headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  const signingDate = new Date(Date.UTC(2020, 0, 1) + rng.int(10 * 365 * 86400) * 1000);
  return {
    seed,
    presign,
    identity: randomIdentity(rng),
    region: rng.pick(REGIONS),
    service: rng.pick(SERVICES),
    signingDate,
    expiresIn: 1 + rng.int(604800),
    body,
    applyChecksum,
    request: { method, protocol: "http:", hostname: "127.0.0.1", path: path.wire, query, headers, body },
  };
}

async function sign(c: Case): Promise<HttpRequest> {
  const signer = new SignatureV4({
    credentials: c.identity,
    region: c.region,
    service: c.service,
    sha256: NodeSha256,
    uriEscapePath: true,
    applyChecksum: c.applyChecksum,
  });
  return c.presign
    ? signer.presign(c.request, { signingDate: c.signingDate, expiresIn: c.expiresIn })
    : signer.sign(c.request, { signingDate: c.signingDate });
}

/** The smithy-signed request as it reaches the server: shuffled, re-encoded, mixed-case raw headers. */
function onTheWire(c: Case, signed: HttpRequest): SigV4Request {
  const rng = prng(c.seed ^ 0x5eed);
  const items: string[] = [];
  for (const [name, value] of Object.entries(signed.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value ?? ""]) {
      items.push(`${encodeWire(rng, name, false)}=${encodeWire(rng, v, true)}`);
    }
  }
  const headers: [string, string][] = Object.entries(signed.headers).map(([name, value]) => [
    rng.chance(0.5) ? name.toUpperCase() : name,
    value,
  ]);
  headers.push(...UNSIGNED_EXTRAS.filter(() => rng.chance(0.5)));
  return {
    method: signed.method,
    path: signed.path,
    rawQuery: rng.shuffle(items).join("&"),
    rawHeaders: rng.shuffle(headers).flat(),
    bodySha256: sha256Hex(c.body),
  };
}

function lookupOf(identity: Identity) {
  const credential: SigningCredential = { secretAccessKey: identity.secretAccessKey };
  if (identity.sessionToken !== undefined) credential.sessionToken = identity.sessionToken;
  return lookupFrom({ [identity.accessKeyId]: credential });
}

/** A time the request is valid at: within the skew for signed requests, within the expiry for presigned. */
function validNow(c: Case): Date {
  const rng = prng(c.seed ^ 0x717e);
  const offset = c.presign ? -300 + rng.int(300 + c.expiresIn + 1) : -300 + rng.int(601);
  return new Date(c.signingDate.getTime() + offset * 1000);
}

const CASES = 400;

describe("sigv4 cross-check with @smithy/signature-v4", () => {
  for (const presign of [false, true]) {
    it(`${CASES} random ${presign ? "presigned" : "header-signed"} requests verify`, async () => {
      for (let seed = 1; seed <= CASES; seed++) {
        const c = randomCase(seed, presign);
        const wire = onTheWire(c, await sign(c));
        let result: ReturnType<typeof verifySigV4>;
        try {
          result = verifySigV4(wire, lookupOf(c.identity), { now: validNow(c), expectedService: c.service });
        } catch (e) {
          assert.fail(
            `seed ${seed} (presign=${presign}): ${(e as Error).message}\n${JSON.stringify(wire, null, 1)}`,
          );
        }
        assert.deepEqual(result, {
          accessKeyId: c.identity.accessKeyId,
          region: c.region,
          service: c.service,
          date: c.signingDate,
          presigned: presign,
          ...(c.identity.sessionToken === undefined ? {} : { sessionToken: c.identity.sessionToken }),
        });
      }
    });
  }
});

const MISMATCH = /^The request signature we calculated does not match the signature you provided\./;

/** A fixed smithy-signed base request, long-term or session credentials, header or query form. */
async function base(opts: { presign: boolean; session: boolean; checksum?: boolean }) {
  const identity: Identity = {
    accessKeyId: opts.session ? "ASIAQUERYEXAMPLE0001" : "AKIAHEADEREXAMPLE001",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ...(opts.session ? { sessionToken: "IQoJb3JpZ2luX2Vj+tok/en==" } : {}),
  };
  const body = Buffer.from(opts.presign ? "" : "Action=GetCallerIdentity&Version=2011-06-15");
  const c: Case = {
    seed: 7,
    presign: opts.presign,
    identity,
    region: "eu-west-1",
    service: "sts",
    signingDate: new Date("2026-11-25T20:30:00Z"),
    expiresIn: 900,
    body,
    applyChecksum: opts.checksum ?? true,
    request: {
      method: opts.presign ? "GET" : "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: "/",
      query: opts.presign ? { Action: "GetCallerIdentity", Version: "2011-06-15" } : { tag: "a b+c" },
      headers: {
        host: "127.0.0.1:8765",
        "content-type": "application/x-www-form-urlencoded",
        "x-custom": "signed value",
      },
      body,
    },
  };
  const signed = await sign(c);
  const wire: SigV4Request = {
    method: signed.method,
    path: signed.path,
    rawQuery: Object.entries(signed.query ?? {})
      .map(([k, v]) => `${encodeStrict(k)}=${encodeStrict(String(v))}`)
      .join("&"),
    rawHeaders: [...Object.entries(signed.headers).flat(), "User-Agent", "test/1.0"],
    bodySha256: sha256Hex(body),
  };
  return { wire, lookup: lookupOf(identity), now: new Date("2026-11-25T20:31:00Z"), identity };
}

function replaceQuery(req: SigV4Request, name: string, value: string | undefined): SigV4Request {
  const items = req.rawQuery.split("&").filter((i) => !i.startsWith(`${name}=`));
  if (value !== undefined) items.push(`${name}=${encodeStrict(value)}`);
  return { ...req, rawQuery: items.join("&") };
}

function replaceAuth(req: SigV4Request, from: string | RegExp, to: string): SigV4Request {
  return withHeader(req, "authorization", (headerOf(req, "authorization") ?? "").replace(from, to));
}

type Tamper = [
  name: string,
  change: (r: SigV4Request) => SigV4Request,
  code: string,
  message: string | RegExp,
];

const headerTampering: Tamper[] = [
  [
    "body changed (x-amz-content-sha256 sent)",
    (r) => ({ ...r, bodySha256: sha256Hex("other") }),
    "SignatureDoesNotMatch",
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
  ],
  [
    "signed header value changed",
    (r) => withHeader(r, "x-custom", "other value"),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  ["signed header removed", (r) => withoutHeader(r, "x-custom"), "SignatureDoesNotMatch", MISMATCH],
  [
    "signed header duplicated",
    (r) => ({ ...r, rawHeaders: [...r.rawHeaders, "X-Custom", "again"] }),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  ["host changed (port)", (r) => withHeader(r, "host", "127.0.0.1:8766"), "SignatureDoesNotMatch", MISMATCH],
  [
    "x-amz-date one second later",
    (r) => withHeader(r, "x-amz-date", "20261125T203001Z"),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "access key unknown",
    (r) => replaceAuth(r, /Credential=[A-Z0-9]+\//, "Credential=AKIAUNKNOWNUNKNOWN000/"),
    "InvalidClientTokenId",
    "The security token included in the request is invalid",
  ],
  [
    "region changed in scope",
    (r) => replaceAuth(r, "/eu-west-1/", "/eu-west-2/"),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "signature one hex digit changed",
    (r) =>
      replaceAuth(
        r,
        /Signature=(.)/,
        headerOf(r, "authorization")?.match(/Signature=(.)/)?.[1] === "0" ? "Signature=1" : "Signature=0",
      ),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "signature truncated",
    (r) => replaceAuth(r, /Signature=([0-9a-f]{63})[0-9a-f]/, "Signature=$1"),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "SignedHeaders without x-custom",
    (r) => replaceAuth(r, ";x-custom", ""),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "query parameter changed",
    (r) => ({ ...r, rawQuery: "tag=a%20b%2Bd" }),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "query '+' decoded as space",
    (r) => ({ ...r, rawQuery: "tag=a%20b%20c" }),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "query parameter added",
    (r) => ({ ...r, rawQuery: `${r.rawQuery}&extra=1` }),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  ["path changed", (r) => ({ ...r, path: "/x" }), "SignatureDoesNotMatch", MISMATCH],
  ["method changed", (r) => ({ ...r, method: "PUT" }), "SignatureDoesNotMatch", MISMATCH],
];

const sessionTampering: Tamper[] = [
  [
    "session token changed",
    (r) => withHeader(r, "x-amz-security-token", "IQoJb3JpZ2luX2Vj+tok/en=X"),
    "InvalidClientTokenId",
    "The security token included in the request is invalid",
  ],
  [
    "session token removed",
    (r) => withoutHeader(r, "x-amz-security-token"),
    "InvalidClientTokenId",
    "The security token included in the request is invalid",
  ],
];

const queryTampering: Tamper[] = [
  [
    "query parameter changed",
    (r) => replaceQuery(r, "Action", "GetSessionToken"),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "query parameter added",
    (r) => ({ ...r, rawQuery: `${r.rawQuery}&Extra=1` }),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "session token changed",
    (r) => replaceQuery(r, "X-Amz-Security-Token", "IQoJb3JpZ2luX2Vj tok/en=="),
    "InvalidClientTokenId",
    "The security token included in the request is invalid",
  ],
  [
    "session token removed",
    (r) => replaceQuery(r, "X-Amz-Security-Token", undefined),
    "InvalidClientTokenId",
    "The security token included in the request is invalid",
  ],
  [
    "X-Amz-Expires changed",
    (r) => replaceQuery(r, "X-Amz-Expires", "901"),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "X-Amz-Date one second later",
    (r) => replaceQuery(r, "X-Amz-Date", "20261125T203001Z"),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "access key unknown",
    (r) => replaceQuery(r, "X-Amz-Credential", "ASIAUNKNOWN/20261125/eu-west-1/sts/aws4_request"),
    "InvalidClientTokenId",
    "The security token included in the request is invalid",
  ],
  [
    "method changed (presigned for GET)",
    (r) => ({ ...r, method: "POST" }),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  ["path changed", (r) => ({ ...r, path: "/v2/" }), "SignatureDoesNotMatch", MISMATCH],
  ["host changed", (r) => withHeader(r, "host", "localhost:8765"), "SignatureDoesNotMatch", MISMATCH],
  [
    "body added (payload hash of the empty body was signed)",
    (r) => ({ ...r, bodySha256: sha256Hex("x") }),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
  [
    "signature changed",
    (r) => replaceQuery(r, "X-Amz-Signature", "0".repeat(64)),
    "SignatureDoesNotMatch",
    MISMATCH,
  ],
];

describe("sigv4 tampering with smithy-signed requests", () => {
  it("the untampered base requests verify", async () => {
    for (const presign of [false, true]) {
      for (const session of [false, true]) {
        const b = await base({ presign, session });
        assert.ok(verifySigV4(b.wire, b.lookup, { now: b.now }), `presign=${presign} session=${session}`);
      }
    }
  });

  for (const [name, change, code, message] of headerTampering) {
    it(`header form: ${name} → ${code}`, async () => {
      const b = await base({ presign: false, session: false });
      assertAuthError(() => verifySigV4(change(b.wire), b.lookup, { now: b.now }), code, message);
    });
  }

  for (const [name, change, code, message] of sessionTampering) {
    it(`header form, session credentials: ${name} → ${code}`, async () => {
      const b = await base({ presign: false, session: true });
      assertAuthError(() => verifySigV4(change(b.wire), b.lookup, { now: b.now }), code, message);
    });
  }

  for (const [name, change, code, message] of queryTampering) {
    it(`presigned: ${name} → ${code}`, async () => {
      const b = await base({ presign: true, session: true });
      assertAuthError(() => verifySigV4(change(b.wire), b.lookup, { now: b.now }), code, message);
    });
  }

  it("body changed without x-amz-content-sha256 → signature mismatch", async () => {
    const b = await base({ presign: false, session: false, checksum: false });
    assert.equal(headerOf(b.wire, "x-amz-content-sha256"), undefined);
    assert.ok(verifySigV4(b.wire, b.lookup, { now: b.now }));
    assertAuthError(
      () => verifySigV4({ ...b.wire, bodySha256: sha256Hex("other") }, b.lookup, { now: b.now }),
      "SignatureDoesNotMatch",
      MISMATCH,
    );
  });

  it("a wrong secret → signature mismatch (header and query forms)", async () => {
    for (const presign of [false, true]) {
      const b = await base({ presign, session: true });
      const wrong = lookupFrom({
        [b.identity.accessKeyId]: {
          secretAccessKey: "not-the-secret",
          sessionToken: b.identity.sessionToken ?? "",
        },
      });
      assertAuthError(() => verifySigV4(b.wire, wrong, { now: b.now }), "SignatureDoesNotMatch", MISMATCH);
    }
  });

  it("presigned expiry: valid until X-Amz-Date + X-Amz-Expires, then expired with the spec's message", async () => {
    const b = await base({ presign: true, session: true });
    assert.ok(verifySigV4(b.wire, b.lookup, { now: new Date("2026-11-25T20:45:00Z") }));
    assertAuthError(
      () => verifySigV4(b.wire, b.lookup, { now: new Date("2026-11-25T20:45:01Z") }),
      "SignatureDoesNotMatch",
      "Signature expired: 20261125T203000Z is now earlier than 20261125T203001Z (20261125T204501Z - 900 sec.)",
    );
    // presigned URLs are not subject to the 5-minute window in the past, only in the future
    assert.ok(verifySigV4(b.wire, b.lookup, { now: new Date("2026-11-25T20:25:00Z") }));
    assertAuthError(
      () => verifySigV4(b.wire, b.lookup, { now: new Date("2026-11-25T20:24:59Z") }),
      "SignatureDoesNotMatch",
      "Signature not yet current: 20261125T203000Z is still later than 20261125T202959Z (20261125T202459Z + 5 min.)",
    );
  });
});
