// SigV4 under fuzz: a few hundred deterministic mutations of a valid signed request (garbage and
// truncated Authorization headers, flipped characters, bad dates, unicode bytes, duplicate headers,
// presigned-query garbage). Every one must fail closed with an authentication error in the
// protocol's own shape (awsQuery XML for STS, awsJson for ECS), 4xx, never a 200, 5xx or a hang.
// Spec: sigv4.md §3 (check order), §9.3 (error codes).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { withTwin } from "../support/twin.ts";
import {
  AMZ_JSON,
  assertAlive,
  assertJsonError,
  assertQueryError,
  ECS_TARGET,
  FORM,
  pick,
  prng,
  type RawResponse,
  send,
  signHeaders,
} from "./wire.ts";

const AUTH_QUERY =
  /^(IncompleteSignature|SignatureDoesNotMatch|InvalidClientTokenId|MissingAuthenticationToken|MalformedQueryString|ExpiredToken|AccessDenied|InvalidSignature)$/;
const AUTH_JSON =
  /^(IncompleteSignatureException|InvalidSignatureException|UnrecognizedClientException|MissingAuthenticationTokenException|SerializationException|ExpiredTokenException|AccessDeniedException)$/;

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const NON_SPACE = PRINTABLE.filter((c) => c !== " ");
/** UTF-8 bytes sent as they are (latin1 strings carry bytes through Node's header writer). */
const utf8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const UNICODE = ["é", "日本", "🔑", "\u202e", "\ufeff", "Ω≈ç√", "\u00ad"].map(utf8);
const BAD_DATES = [
  "",
  "now",
  "20261301T000000Z",
  "20260230T250000Z",
  "2026-01-01T00:00:00Z",
  "19700101T000000Z",
  "99991231T235959Z",
  "20260101T000000",
  "2026010T000000Z",
  "20260101T000000Z20260101T000000Z",
  "Thu, 01 Jan 1970 00:00:00 GMT",
  "-1",
  "1e400",
  ...UNICODE,
];

interface Target {
  name: string;
  service: string;
  headers: Record<string, string>;
  body: string;
  check(res: RawResponse, what: string): void;
}

const targets: Target[] = [
  {
    name: "awsQuery",
    service: "sts",
    headers: { "content-type": FORM },
    body: "Action=GetCallerIdentity&Version=2011-06-15",
    check: (res, what) => {
      assertQueryError(res, { code: AUTH_QUERY }, what);
    },
  },
  {
    name: "awsJson",
    service: "ecs",
    headers: { "content-type": AMZ_JSON, "x-amz-target": `${ECS_TARGET}.ListClusters` },
    body: "{}",
    check: (res, what) => {
      assertJsonError(res, { code: AUTH_JSON }, what);
    },
  },
];

function randomText(rand: () => number, max: number, alphabet = PRINTABLE): string {
  const n = Math.floor(rand() * max);
  let s = "";
  for (let i = 0; i < n; i++) s += pick(rand, alphabet);
  return s;
}

type Mutation = { kind: string; headers: Record<string, string>; raw?: [string, string][]; path?: string };

/** One mutated request from a valid signed header set; every mutation invalidates the request. */
function mutate(rand: () => number, valid: Record<string, string>): Mutation {
  const auth = valid.authorization!;
  const base = { ...valid };
  const kind = pick(rand, [
    "garbage",
    "algorithm+garbage",
    "truncate",
    "flip",
    "bad-date",
    "unicode-auth",
    "unicode-date",
    "duplicate-auth",
    "token-garbage",
    "component-garbage",
    "presigned-garbage",
    "no-auth-but-date",
  ]);
  switch (kind) {
    case "garbage":
      return { kind, headers: { ...base, authorization: randomText(rand, 300) } };
    case "algorithm+garbage":
      return { kind, headers: { ...base, authorization: `AWS4-HMAC-SHA256 ${randomText(rand, 300)}` } };
    case "truncate":
      return { kind, headers: { ...base, authorization: auth.slice(0, Math.floor(rand() * auth.length)) } };
    case "flip": {
      const i = Math.floor(rand() * auth.length);
      let c = pick(rand, NON_SPACE);
      while (c === auth[i]) c = pick(rand, NON_SPACE);
      return { kind, headers: { ...base, authorization: auth.slice(0, i) + c + auth.slice(i + 1) } };
    }
    case "bad-date":
      return { kind, headers: { ...base, "x-amz-date": pick(rand, BAD_DATES) } };
    case "unicode-auth": {
      const i = Math.floor(rand() * auth.length);
      return {
        kind,
        headers: { ...base, authorization: auth.slice(0, i) + pick(rand, UNICODE) + auth.slice(i) },
      };
    }
    case "unicode-date":
      return { kind, headers: { ...base, "x-amz-date": `${valid["x-amz-date"]}${pick(rand, UNICODE)}` } };
    case "duplicate-auth": {
      const { authorization: _, ...rest } = base;
      return {
        kind,
        headers: rest,
        raw: [
          ["authorization", auth],
          ["authorization", rand() < 0.5 ? auth : randomText(rand, 100)],
        ],
      };
    }
    case "token-garbage":
      return { kind, headers: { ...base, "x-amz-security-token": randomText(rand, 2000) || "x" } };
    case "component-garbage": {
      const parts = ["Credential", "SignedHeaders", "Signature"];
      const name = pick(rand, parts);
      const value = pick(rand, [
        "",
        "=",
        "/////",
        randomText(
          rand,
          80,
          NON_SPACE.filter((c) => c !== ","),
        ),
        "AKIA/20260101/us-east-1/sts/aws4_request/extra",
        "a;b;c",
        ";;;;",
        "0".repeat(64),
        "g".repeat(64),
      ]);
      const replaced = auth.replace(new RegExp(`${name}=[^,]*`), `${name}=${value}`);
      return { kind, headers: { ...base, authorization: replaced } };
    }
    case "presigned-garbage": {
      const { authorization: _, ...rest } = base;
      const params = [
        `X-Amz-Algorithm=${pick(rand, ["AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", "", "%ZZ"])}`,
        `X-Amz-Credential=${encodeURIComponent(randomText(rand, 60))}`,
        `X-Amz-Date=${encodeURIComponent(
          pick(
            rand,
            BAD_DATES.filter((d) => /^[\x20-\x7e]*$/.test(d)),
          ),
        )}`,
        `X-Amz-Expires=${pick(rand, ["", "0", "-1", "604801", "abc", "99999999999999999999", "60"])}`,
        `X-Amz-SignedHeaders=${pick(rand, ["host", "", "x-amz-date"])}`,
        `X-Amz-Signature=${pick(rand, [
          "",
          "0".repeat(64),
          randomText(
            rand,
            64,
            NON_SPACE.filter((c) => /[a-z0-9]/.test(c)),
          ),
        ])}`,
      ].filter(() => rand() < 0.85);
      return { kind, headers: rest, path: `/?${params.join("&")}` };
    }
    default: {
      const { authorization: _, ...rest } = base;
      return { kind, headers: rest };
    }
  }
}

describe("SigV4 fuzz", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  before(async () => {
    twin = await withTwin();
  });
  after(() => twin.dispose());

  for (const target of targets) {
    test(`${target.name}: 300 mutated signatures all fail closed`, async () => {
      const rand = prng(target.name === "awsQuery" ? 0x5eed : 0xbeef);
      const kinds = new Map<string, number>();
      // A fresh valid signature every 50 requests keeps the date inside the skew window.
      let valid: Record<string, string> = {};
      for (let i = 0; i < 300; i++) {
        if (i % 50 === 0) {
          valid = await signHeaders(twin.url, {
            service: target.service,
            keys: twin.admin,
            headers: target.headers,
            body: target.body,
          });
          // The valid request itself passes: the mutations below are what make it fail.
          const ok = await send(twin.url, { method: "POST", headers: valid, body: target.body });
          assert.equal(ok.status, 200, ok.text);
        }
        const m = mutate(rand, valid);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        const what = `#${i} ${m.kind}: ${JSON.stringify(m.headers.authorization ?? m.path ?? "").slice(0, 160)}`;
        const res = await send(twin.url, {
          method: "POST",
          path: m.path ?? "/",
          headers: m.headers,
          rawHeaders: m.raw ?? [],
          body: target.body,
        });
        assert.notEqual(res.status, 200, `${what} was accepted`);
        target.check(res, what);
      }
      assert.ok(kinds.size >= 10, `only ${kinds.size} mutation kinds exercised`);
      await assertAlive(twin);
    });
  }

  test("a valid signature from another key, or a key that does not exist, is refused", async () => {
    const other = {
      accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    for (const target of targets) {
      const headers = await signHeaders(twin.url, {
        service: target.service,
        keys: other,
        headers: target.headers,
        body: target.body,
      });
      const res = await send(twin.url, { method: "POST", headers, body: target.body });
      target.check(res, `${target.name} unknown key`);
      // The admin's key id with the wrong secret: a signature mismatch, never a success.
      const wrongSecret = await signHeaders(twin.url, {
        service: target.service,
        keys: { accessKeyId: twin.admin.accessKeyId, secretAccessKey: other.secretAccessKey },
        headers: target.headers,
        body: target.body,
      });
      const res2 = await send(twin.url, { method: "POST", headers: wrongSecret, body: target.body });
      target.check(res2, `${target.name} wrong secret`);
    }
    await assertAlive(twin);
  });

  test("signatures dated outside the skew window are refused", async () => {
    for (const target of targets) {
      for (const offset of [-3600_000, -301_000, 301_000, 86_400_000 * 365]) {
        const headers = await signHeaders(twin.url, {
          service: target.service,
          keys: twin.admin,
          headers: target.headers,
          body: target.body,
          signingDate: new Date(Date.now() + offset),
        });
        const res = await send(twin.url, { method: "POST", headers, body: target.body });
        target.check(res, `${target.name} skew ${offset}`);
      }
    }
    await assertAlive(twin);
  });
});
