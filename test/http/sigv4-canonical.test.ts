// The pieces of the SigV4 canonical request (sigv4.md §4) and of its timestamps (§8.1).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthError } from "../../src/http/aws-error.ts";
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalUri,
  headerValues,
  parseRawQuery,
  uriEncode,
} from "../../src/http/sigv4-canonical.ts";
import { formatAmzDate, parseAmzDate, parseHttpDate } from "../../src/http/sigv4-time.ts";

describe("uriEncode", () => {
  const cases: [string, string, string?][] = [
    ["AZaz09-_.~", "AZaz09-_.~"],
    ["a b+c", "a%20b%2Bc"],
    ["/=&?#%", "%2F%3D%26%3F%23%25"],
    ["!'()*", "%21%27%28%29%2A"],
    ["é€😀", "%C3%A9%E2%82%AC%F0%9F%98%80"],
    ["/a b/c", "/a%20b/c", "keepSlash"],
  ];
  for (const [input, expected, keepSlash] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () =>
      assert.equal(uriEncode(input, keepSlash !== undefined), expected));
  }
});

describe("parseRawQuery", () => {
  it("splits on '&' and the first '=', skips empty items, keeps a literal '+'", () => {
    assert.deepEqual(parseRawQuery("a=b+c&&d&=e&f=g=h&"), [
      { name: "a", value: "b+c" },
      { name: "d", value: "" },
      { name: "", value: "e" },
      { name: "f", value: "g=h" },
    ]);
  });

  it("decodes %XX in either case, then UTF-8", () => {
    assert.deepEqual(parseRawQuery("t%3d=%2b%2Fx%C3%A9%20"), [{ name: "t=", value: "+/xé " }]);
  });

  it("empty query → no parameters", () => assert.deepEqual(parseRawQuery(""), []));

  it("malformed escapes and invalid UTF-8 throw MalformedQueryString", () => {
    for (const raw of ["%", "a=%1", "a=%G1", "%C3", "a=%C3%28"]) {
      assert.throws(
        () => parseRawQuery(raw),
        (e) => e instanceof AuthError && e.code === "MalformedQueryString",
        raw,
      );
    }
  });
});

describe("canonicalUri (non-S3: normalized, then encoded again)", () => {
  const cases: [string, string][] = [
    ["", "/"],
    ["/", "/"],
    ["//", "/"],
    ["/a/./b/../c", "/a/c"],
    ["/a//b/", "/a/b/"],
    ["/..", "/"],
    ["/a/..", "/"],
    ["/a%20b/c%2Fd", "/a%2520b/c%252Fd"],
    ["/~user/x-y_z.txt", "/~user/x-y_z.txt"],
    ["/a b", "/a%20b"],
    ["/é", "/%C3%A9"],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} → ${expected}`, () => assert.equal(canonicalUri(raw), expected));
  }
});

describe("canonicalQuery", () => {
  it("sorts by encoded name, then encoded value (byte order)", () => {
    const params = [
      { name: "a", value: "2" },
      { name: "a", value: "1" },
      { name: "A", value: "x" },
      { name: "a b", value: "y" },
      { name: "a-b", value: "z" },
      // ':' sorts after '0' decoded, but "%3A" sorts before it encoded
      { name: "a0", value: "" },
      { name: "a:", value: "+" },
    ];
    assert.equal(canonicalQuery(params), "A=x&a=1&a=2&a%20b=y&a%3A=%2B&a-b=z&a0=");
  });

  it("no parameters → empty string", () => assert.equal(canonicalQuery([]), ""));
});

describe("canonical headers", () => {
  const raw = ["Host", "h:1", "X-A", "  one   two\t\tthree  ", "x-a", "b", "X-B", "", "Other", "unsigned"];

  it("collects every occurrence in arrival order by lower-case name", () => {
    const map = headerValues(raw);
    assert.deepEqual(map.get("x-a"), ["  one   two\t\tthree  ", "b"]);
    assert.deepEqual(map.get("host"), ["h:1"]);
  });

  it("trims, collapses runs of spaces/tabs, joins with ',' and gives 'name:' for absent headers", () => {
    assert.equal(
      canonicalHeaders(["host", "x-a", "x-b", "x-missing"], headerValues(raw)),
      "host:h:1\nx-a:one two three,b\nx-b:\nx-missing:\n",
    );
  });
});

describe("request timestamps", () => {
  it("parseAmzDate accepts exactly YYYYMMDDTHHMMSSZ naming a real instant", () => {
    assert.equal(parseAmzDate("20261125T203000Z")?.toISOString(), "2026-11-25T20:30:00.000Z");
    assert.equal(parseAmzDate("20240229T000000Z")?.toISOString(), "2024-02-29T00:00:00.000Z");
    for (const bad of [
      "20230229T000000Z",
      "20261125T203000",
      "2026-11-25T20:30:00Z",
      "20261125T236000Z",
      " 20261125T203000Z",
    ]) {
      assert.equal(parseAmzDate(bad), undefined, bad);
    }
  });

  it("formatAmzDate drops milliseconds", () => {
    assert.equal(formatAmzDate(new Date("2026-11-25T20:30:00.999Z")), "20261125T203000Z");
  });

  const httpDates: [string, string | undefined][] = [
    ["Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37.000Z"],
    ["Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37.000Z"],
    ["Sun Nov  6 08:49:37 1994", "1994-11-06T08:49:37.000Z"],
    ["Wed, 25 Nov 2026 20:30:00 -0000", "2026-11-25T20:30:00.000Z"],
    ["Wed, 25 Nov 2026 22:30:00 +0200", "2026-11-25T20:30:00.000Z"],
    ["25 Nov 2026 15:30:00 -0500", "2026-11-25T20:30:00.000Z"],
    ["Sun, 31 Feb 1994 08:49:37 GMT", undefined],
    ["Sun, 06 Nov 1994 08:49:37 CET", undefined],
    ["20261125T203000Z", undefined],
    ["", undefined],
  ];
  for (const [input, expected] of httpDates) {
    it(`parseHttpDate(${JSON.stringify(input)}) → ${expected ?? "undefined"}`, () => {
      assert.equal(parseHttpDate(input)?.toISOString(), expected);
    });
  }
});
