// The SigV4 verifier's failures: each check of sigv4.md §3 with the exact codes and messages of §9.3.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signingScopeOf, verifySigV4 } from "../../src/http/sigv4.ts";
import { assertAuthError, lookupFrom, request, withHeader } from "./sigv4-fixture.ts";

const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const lookup = lookupFrom({
  AKIDEXAMPLE: { secretAccessKey: SECRET },
  ASIDEXAMPLE: { secretAccessKey: SECRET, sessionToken: "the+token/==" },
  ASIDEXPIRED: { secretAccessKey: SECRET, sessionToken: "old", expiration: new Date("2015-08-30T12:00:00Z") },
});
const NOW = new Date("2015-08-30T12:36:00Z");
const CREDENTIAL = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
// AWS suite get-vanilla (sigv4.md §13 V4): a correctly signed request to vary.
const VANILLA_SIG = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret " +
  "Access Key and signing method. Consult the service documentation for details.";

function headerReq(
  authorization: string | undefined,
  extra: [string, string][] = [],
  amzDate = "20150830T123600Z",
) {
  const headers: [string, string][] = [["Host", "example.amazonaws.com"]];
  if (amzDate) headers.push(["X-Amz-Date", amzDate]);
  if (authorization !== undefined) headers.push(["Authorization", authorization]);
  return request({ method: "GET", headers: [...headers, ...extra] });
}

function authWith(credential = CREDENTIAL, signedHeaders = "host;x-amz-date", signature = VANILLA_SIG) {
  return `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

const vanilla = () => headerReq(authWith());

function queryReq(rawQuery: string) {
  return request({ method: "GET", rawQuery, headers: [["Host", "example.amazonaws.com"]] });
}

const PRESIGN_PARAMS: Record<string, string> = {
  "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
  "X-Amz-Credential": encodeURIComponent(CREDENTIAL),
  "X-Amz-Date": "20150830T123600Z",
  "X-Amz-Expires": "60",
  "X-Amz-SignedHeaders": "host",
  "X-Amz-Signature": "0".repeat(64),
};
function presigned(overrides: Record<string, string | undefined> = {}) {
  const params = { ...PRESIGN_PARAMS, ...overrides };
  return queryReq(
    Object.entries(params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`)
      .join("&"),
  );
}

describe("sigv4 check 1: locating the authentication information", () => {
  it("no Authorization header and no X-Amz-* query parameters → null (the caller decides)", () => {
    assert.equal(verifySigV4(headerReq(undefined), lookup, { now: NOW }), null);
    assert.equal(
      verifySigV4(queryReq("Action=AssumeRoleWithWebIdentity&X-Amz-Date=x"), lookup, { now: NOW }),
      null,
    );
  });

  it("an Authorization header that does not start with AWS4- counts as absent", () => {
    assert.equal(verifySigV4(headerReq("Basic dXNlcjpwYXNz"), lookup, { now: NOW }), null);
    assert.equal(verifySigV4(headerReq("Bearer abc"), lookup, { now: NOW }), null);
  });

  it("both the header and X-Amz-Algorithm in the query → the 'Found both' error", () => {
    const req = { ...vanilla(), rawQuery: "X-Amz-Algorithm=AWS4-HMAC-SHA256" };
    const err = assertAuthError(
      () => verifySigV4(req, lookup, { now: NOW }),
      "SignatureDoesNotMatch",
      "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    );
    assert.equal(err.status, 403);
    assert.equal(err.jsonCode, "InvalidSignatureException");
    assert.equal(err.jsonStatus, 400);
    assert.equal(err.jsonMessage, err.message);
  });

  it("a non-AWS4 Authorization header next to a presigned query → the query form is used", () => {
    const req = {
      ...presigned({ "X-Amz-Signature": undefined }),
      rawHeaders: ["Host", "h", "Authorization", "Basic x"],
    };
    assertAuthError(
      () => verifySigV4(req, lookup, { now: NOW }),
      "IncompleteSignature",
      "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.",
    );
  });

  it("two Authorization or two Host headers → 400", () => {
    const twoAuth = headerReq(authWith(), [["Authorization", authWith()]]);
    assert.equal(
      assertAuthError(() => verifySigV4(twoAuth, lookup, { now: NOW }), "IncompleteSignature").status,
      400,
    );
    const twoHost = headerReq(authWith(), [["Host", "other.example.com"]]);
    assert.equal(
      assertAuthError(() => verifySigV4(twoHost, lookup, { now: NOW }), "IncompleteSignature").status,
      400,
    );
  });
});

describe("sigv4 check 2: algorithm", () => {
  it("header form: SigV4a is an unsupported algorithm", () => {
    const req = headerReq(authWith().replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"));
    const err = assertAuthError(
      () => verifySigV4(req, lookup, { now: NOW }),
      "IncompleteSignature",
      "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
    );
    assert.equal(err.status, 400);
    assert.equal(err.jsonCode, "IncompleteSignatureException");
  });

  it("query form: another algorithm → MissingAuthenticationToken in both spellings", () => {
    const err = assertAuthError(
      () => verifySigV4(presigned({ "X-Amz-Algorithm": "AWS4-ECDSA-P256-SHA256" }), lookup, { now: NOW }),
      "MissingAuthenticationToken",
      "Request is missing Authentication Token",
    );
    assert.equal(err.status, 403);
    assert.equal(err.jsonCode, "MissingAuthenticationTokenException");
    assert.equal(err.jsonMessage, "Missing Authentication Token");
    assert.equal(err.jsonStatus, 400);
  });
});

describe("sigv4 check 3: required components", () => {
  const C = "Authorization header requires 'Credential' parameter.";
  const S = "Authorization header requires 'Signature' parameter.";
  const H = "Authorization header requires 'SignedHeaders' parameter.";
  const D = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";
  const cases: [string, string, boolean, string[]][] = [
    ["nothing but the algorithm, no date", "AWS4-HMAC-SHA256", false, [C, S, H, D]],
    ["no Credential", `AWS4-HMAC-SHA256 SignedHeaders=host, Signature=${VANILLA_SIG}`, true, [C]],
    ["no Signature", `AWS4-HMAC-SHA256 Credential=${CREDENTIAL}, SignedHeaders=host`, true, [S]],
    ["no SignedHeaders", `AWS4-HMAC-SHA256 Credential=${CREDENTIAL}, Signature=${VANILLA_SIG}`, true, [H]],
    ["no date header", authWith(), false, [D]],
    [
      "component names are case-sensitive",
      `AWS4-HMAC-SHA256 credential=${CREDENTIAL}, signedheaders=host, signature=x`,
      true,
      [C, S, H],
    ],
  ];
  for (const [name, authorization, withDate, parts] of cases) {
    it(`header form, ${name}`, () => {
      const req = headerReq(authorization, [], withDate ? "20150830T123600Z" : "");
      assertAuthError(
        () => verifySigV4(req, lookup, { now: NOW }),
        "IncompleteSignature",
        `${parts.join(" ")} Authorization=${authorization}`,
      );
    });
  }

  it("header form: a component without '=' is not a key=value pair", () => {
    const authorization = `AWS4-HMAC-SHA256 Credential=${CREDENTIAL}, SignedHeaders, Signature=${VANILLA_SIG}`;
    assertAuthError(
      () => verifySigV4(headerReq(authorization), lookup, { now: NOW }),
      "IncompleteSignature",
      `'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'`,
    );
  });

  it("header form: components in any order, with or without spaces after the commas", () => {
    for (const authorization of [
      `AWS4-HMAC-SHA256 Credential=${CREDENTIAL},SignedHeaders=host;x-amz-date,Signature=${VANILLA_SIG}`,
      `AWS4-HMAC-SHA256   Signature=${VANILLA_SIG} ,  Credential=${CREDENTIAL},SignedHeaders=host;x-amz-date`,
    ]) {
      assert.ok(verifySigV4(headerReq(authorization), lookup, { now: NOW }), authorization);
    }
  });

  const q = (n: string) => `AWS query-string parameters must include '${n}'.`;
  const queryCases: [string, Record<string, string | undefined>, string[]][] = [
    [
      "only X-Amz-Credential",
      {
        "X-Amz-Algorithm": undefined,
        "X-Amz-Date": undefined,
        "X-Amz-Expires": undefined,
        "X-Amz-SignedHeaders": undefined,
        "X-Amz-Signature": undefined,
      },
      ["X-Amz-Algorithm", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires"],
    ],
    ["no X-Amz-Credential", { "X-Amz-Credential": undefined }, ["X-Amz-Credential"]],
    ["no X-Amz-Signature", { "X-Amz-Signature": undefined }, ["X-Amz-Signature"]],
    ["no X-Amz-SignedHeaders", { "X-Amz-SignedHeaders": undefined }, ["X-Amz-SignedHeaders"]],
    ["no X-Amz-Date", { "X-Amz-Date": undefined }, ["X-Amz-Date"]],
    ["no X-Amz-Algorithm", { "X-Amz-Algorithm": undefined }, ["X-Amz-Algorithm"]],
    ["no X-Amz-Expires", { "X-Amz-Expires": undefined }, ["X-Amz-Expires"]],
  ];
  for (const [name, overrides, missing] of queryCases) {
    it(`query form, ${name}`, () => {
      assertAuthError(
        () => verifySigV4(presigned(overrides), lookup, { now: NOW }),
        "IncompleteSignature",
        `${missing.map(q).join(" ")} Re-examine the query-string parameters.`,
      );
    });
  }
});

describe("sigv4 check 4: request date", () => {
  const bad = (v: string) =>
    `Date must be in ISO-8601 'basic format'. Got '${v}'. See http://en.wikipedia.org/wiki/ISO_8601`;
  for (const value of [
    "2015-08-30T12:36:00Z",
    "20150830T123600",
    "20151330T123600Z",
    "20150230T123600Z",
    "20150830T246000Z",
    "",
  ]) {
    it(`X-Amz-Date '${value}' → IncompleteSignature`, () => {
      const req = headerReq(authWith(), [["X-Amz-Date", value]], "");
      assertAuthError(() => verifySigV4(req, lookup, { now: NOW }), "IncompleteSignature", bad(value));
    });
  }

  it("an unparseable Date header (no X-Amz-Date) → IncompleteSignature naming it", () => {
    const req = headerReq(authWith(CREDENTIAL, "date;host"), [["Date", "yesterday at noon"]], "");
    assertAuthError(
      () => verifySigV4(req, lookup, { now: NOW }),
      "IncompleteSignature",
      bad("yesterday at noon"),
    );
  });

  it("query form: a malformed X-Amz-Date", () => {
    assertAuthError(
      () => verifySigV4(presigned({ "X-Amz-Date": "2015-08-30" }), lookup, { now: NOW }),
      "IncompleteSignature",
      bad("2015-08-30"),
    );
  });

  const expiresCases: [string, string][] = [
    ["abc", "X-Amz-Expires should be a number"],
    ["-5", "X-Amz-Expires should be a number"],
    ["0", "X-Amz-Expires must be positive"],
    ["604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"],
  ];
  for (const [value, message] of expiresCases) {
    it(`query form: X-Amz-Expires=${value} → IncompleteSignature`, () => {
      assertAuthError(
        () => verifySigV4(presigned({ "X-Amz-Expires": value }), lookup, { now: NOW }),
        "IncompleteSignature",
        message,
      );
    });
  }
});

describe("sigv4 check 5: host must be signed", () => {
  const message = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
  it("header form", () => {
    assertAuthError(
      () => verifySigV4(headerReq(authWith(CREDENTIAL, "x-amz-date")), lookup, { now: NOW }),
      "SignatureDoesNotMatch",
      message,
    );
  });
  it("query form", () => {
    assertAuthError(
      () => verifySigV4(presigned({ "X-Amz-SignedHeaders": "x-amz-date" }), lookup, { now: NOW }),
      "SignatureDoesNotMatch",
      message,
    );
  });
});

describe("sigv4 check 6: clock skew (5 minutes either way)", () => {
  const at = (iso: string) => ({ now: new Date(iso) });
  it("exactly 5 minutes either side still verifies", () => {
    assert.ok(verifySigV4(vanilla(), lookup, at("2015-08-30T12:41:00Z")));
    assert.ok(verifySigV4(vanilla(), lookup, at("2015-08-30T12:31:00Z")));
    assert.ok(verifySigV4(vanilla(), lookup, at("2015-08-30T12:41:00.999Z")));
  });

  it("one second more in the past → Signature expired", () => {
    assertAuthError(
      () => verifySigV4(vanilla(), lookup, at("2015-08-30T12:41:01Z")),
      "SignatureDoesNotMatch",
      "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)",
    );
  });

  it("one second more in the future → Signature not yet current", () => {
    assertAuthError(
      () => verifySigV4(vanilla(), lookup, at("2015-08-30T12:30:59Z")),
      "SignatureDoesNotMatch",
      "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)",
    );
  });

  it("reproduces real ECS's message (fabfuel/ecs-deploy#126)", () => {
    const req = headerReq(
      authWith("AKIDEXAMPLE/20191209/us-east-1/ecs/aws4_request"),
      [],
      "20191209T104625Z",
    );
    assertAuthError(
      () => verifySigV4(req, lookup, at("2019-12-10T03:44:04Z")),
      "SignatureDoesNotMatch",
      "Signature expired: 20191209T104625Z is now earlier than 20191210T033904Z (20191210T034404Z - 5 min.)",
    );
  });

  it("the window is configurable (sigv4.clockSkewSeconds)", () => {
    assert.ok(
      verifySigV4(vanilla(), lookup, { now: new Date("2015-08-30T12:50:00Z"), clockSkewSeconds: 900 }),
    );
    assertAuthError(
      () => verifySigV4(vanilla(), lookup, { now: new Date("2015-08-30T12:51:01Z"), clockSkewSeconds: 900 }),
      "SignatureDoesNotMatch",
      "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)",
    );
    assertAuthError(
      () => verifySigV4(vanilla(), lookup, { now: new Date("2015-08-30T12:34:29Z"), clockSkewSeconds: 90 }),
      "SignatureDoesNotMatch",
      "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123429Z + 90 sec.)",
    );
  });

  it("the Date header's instant is what is checked (numeric zones honoured)", () => {
    const req = headerReq(
      authWith(CREDENTIAL, "date;host"),
      [["Date", "Sun, 30 Aug 2015 14:36:00 +0200"]],
      "",
    );
    // the time is right (12:36Z), so the failure is the signature (not skew or scope)
    assertAuthError(
      () => verifySigV4(req, lookup, { now: NOW }),
      "SignatureDoesNotMatch",
      new RegExp(`^${MISMATCH}`),
    );
  });
});

describe("sigv4 check 7: credential shape", () => {
  for (const credential of [
    "AKIDEXAMPLE/20150830/us-east-1/service",
    "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request/x",
    "",
  ]) {
    it(`'${credential}' → IncompleteSignature`, () => {
      assertAuthError(
        () => verifySigV4(headerReq(authWith(credential)), lookup, { now: NOW }),
        "IncompleteSignature",
        `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
      );
    });
  }
});

describe("sigv4 check 8: credential scope", () => {
  const region = (r: string) => `Credential should be scoped to a valid region, not '${r}'.`;
  const service = (s: string) => `Credential should be scoped to correct service: '${s}'.`;
  const term = (t: string) =>
    `Credential should be scoped with a valid terminator: 'aws4_request', not '${t}'.`;
  const date = (d: string) =>
    `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${d}' != '20150830', from '20150830T123600Z'.`;
  const cases: [string, string, { expectedService?: string; allowedRegions?: string[] }, string][] = [
    ["empty region", "AKIDEXAMPLE/20150830//service/aws4_request", {}, region("")],
    ["malformed region", "AKIDEXAMPLE/20150830/moon/service/aws4_request", {}, region("moon")],
    ["region outside allowedRegions", CREDENTIAL, { allowedRegions: ["eu-west-1"] }, region("us-east-1")],
    [
      "wrong service",
      "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
      { expectedService: "sts" },
      service("sts"),
    ],
    ["wrong terminator", "AKIDEXAMPLE/20150830/us-east-1/service/aws5_request", {}, term("aws5_request")],
    [
      "scope date ≠ request date",
      "AKIDEXAMPLE/20150831/us-east-1/service/aws4_request",
      {},
      date("20150831"),
    ],
    [
      "every part wrong: all messages, joined by a space",
      "AKIDEXAMPLE/2015083/Moon/ecs/request",
      { expectedService: "ecr" },
      [region("Moon"), service("ecr"), term("request"), date("2015083")].join(" "),
    ],
  ];
  for (const [name, credential, options, message] of cases) {
    it(name, () => {
      assertAuthError(
        () => verifySigV4(headerReq(authWith(credential)), lookup, { now: NOW, ...options }),
        "SignatureDoesNotMatch",
        message,
      );
    });
  }

  it("any well-formed region is accepted by default", () => {
    for (const r of ["ap-northeast-1", "us-gov-west-1", "eu-isoe-west-1", "cn-north-1"]) {
      assertAuthError(
        () =>
          verifySigV4(headerReq(authWith(`AKIDEXAMPLE/20150830/${r}/service/aws4_request`)), lookup, {
            now: NOW,
          }),
        "SignatureDoesNotMatch",
        new RegExp(`^${MISMATCH}`),
      );
    }
  });
});

describe("sigv4 check 9: credential lookup (sigv4.md §7)", () => {
  const invalid = "The security token included in the request is invalid";
  const token = (t: string): [string, string] => ["X-Amz-Security-Token", t];
  const cases: [string, string, [string, string][], string, string][] = [
    ["unknown access key", "AKIDUNKNOWN", [], "InvalidClientTokenId", invalid],
    [
      "long-term key with a session token",
      "AKIDEXAMPLE",
      [token("the+token/==")],
      "InvalidClientTokenId",
      invalid,
    ],
    ["session key without its token", "ASIDEXAMPLE", [], "InvalidClientTokenId", invalid],
    [
      "session key with another token",
      "ASIDEXAMPLE",
      [token("the token/==")],
      "InvalidClientTokenId",
      invalid,
    ],
    [
      "expired session",
      "ASIDEXPIRED",
      [token("old")],
      "ExpiredToken",
      "The security token included in the request is expired",
    ],
  ];
  for (const [name, key, extra, code, message] of cases) {
    it(`${name} → ${code}`, () => {
      const req = headerReq(authWith(`${key}/20150830/us-east-1/service/aws4_request`), extra);
      const err = assertAuthError(() => verifySigV4(req, lookup, { now: NOW }), code, message);
      assert.equal(err.status, 403);
      assert.equal(err.jsonStatus, 400);
      assert.equal(
        err.jsonCode,
        code === "ExpiredToken" ? "ExpiredTokenException" : "UnrecognizedClientException",
      );
    });
  }

  it("session key with its token verifies (the key id is not itself signed, only the secret is used)", () => {
    const req = headerReq(authWith("ASIDEXAMPLE/20150830/us-east-1/service/aws4_request"), [
      token("the+token/=="),
    ]);
    const result = verifySigV4(req, lookup, { now: NOW });
    assert.equal(result?.accessKeyId, "ASIDEXAMPLE");
    assert.equal(result?.sessionToken, "the+token/==");
  });
});

describe("sigv4 check 10: x-amz-content-sha256", () => {
  const cases: [string, string, string][] = [
    [
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "IncompleteSignature",
      "streaming payloads are not supported by this service",
    ],
    [
      "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "IncompleteSignature",
      "streaming payloads are not supported by this service",
    ],
    ["sha256-of-the-body", "IncompleteSignature", "Malformed X-Amz-Content-Sha256 header value"],
    [
      "a".repeat(64),
      "SignatureDoesNotMatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ],
  ];
  for (const [value, code, message] of cases) {
    it(`'${value.slice(0, 40)}' → ${code}`, () => {
      const req = headerReq(authWith(), [["x-amz-content-sha256", value]]);
      assertAuthError(() => verifySigV4(req, lookup, { now: NOW }), code, message);
    });
  }

  it("UNSIGNED-PAYLOAD and a matching hash pass this check (the signature is then checked)", () => {
    for (const value of [
      "UNSIGNED-PAYLOAD",
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
    ]) {
      const req = headerReq(authWith(), [["x-amz-content-sha256", value]]);
      assertAuthError(
        () => verifySigV4(req, lookup, { now: NOW }),
        "SignatureDoesNotMatch",
        new RegExp(`^${MISMATCH}`),
      );
    }
  });
});

describe("sigv4 check 11: signature mismatch message", () => {
  const wrong = () => headerReq(authWith(CREDENTIAL, "host;x-amz-date", "f".repeat(64)));
  it("default: with the canonical request and string to sign (DynamoDB's suffix)", () => {
    const canonical = [
      "GET",
      "/",
      "",
      "host:example.amazonaws.com",
      "x-amz-date:20150830T123600Z",
      "",
      "host;x-amz-date",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ].join("\n");
    const stringToSign = [
      "AWS4-HMAC-SHA256",
      "20150830T123600Z",
      "20150830/us-east-1/service/aws4_request",
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    ].join("\n");
    const err = assertAuthError(
      () => verifySigV4(wrong(), lookup, { now: NOW }),
      "SignatureDoesNotMatch",
      `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${canonical}'\n\n` +
        `The String-to-Sign should have been\n'${stringToSign}'\n`,
    );
    assert.equal(err.jsonCode, "InvalidSignatureException");
    assert.equal(err.jsonMessage, err.message);
  });

  it("includeCanonicalRequestInErrors: false → the bare message", () => {
    assertAuthError(
      () => verifySigV4(wrong(), lookup, { now: NOW, includeCanonicalRequestInErrors: false }),
      "SignatureDoesNotMatch",
      MISMATCH,
    );
  });

  it("a signature of another length (or upper-case hex) is a mismatch, not a crash", () => {
    for (const signature of ["abc", VANILLA_SIG.toUpperCase(), `${VANILLA_SIG}0`, ""]) {
      assertAuthError(
        () =>
          verifySigV4(headerReq(authWith(CREDENTIAL, "host;x-amz-date", signature)), lookup, { now: NOW }),
        "SignatureDoesNotMatch",
      );
    }
  });
});

describe("sigv4 malformed query strings", () => {
  const cases: [string, string][] = [
    ["a=%zz", "Illegal hex character in escape % pattern: %zz"],
    ["a=%4g&b=1", "Illegal hex character in escape % pattern: %4g"],
    ["a=%4", "Incomplete trailing escape % sequence"],
    ["a=%", "Incomplete trailing escape % sequence"],
  ];
  for (const [rawQuery, message] of cases) {
    it(`'${rawQuery}' → MalformedQueryString`, () => {
      const err = assertAuthError(
        () => verifySigV4({ ...vanilla(), rawQuery }, lookup, { now: NOW }),
        "MalformedQueryString",
        message,
      );
      assert.equal(err.status, 404);
      assert.equal(err.jsonCode, "SerializationException");
    });
  }

  it("invalid UTF-8 after decoding → MalformedQueryString", () => {
    assertAuthError(
      () => verifySigV4({ ...vanilla(), rawQuery: "a=%FF%FE" }, lookup, { now: NOW }),
      "MalformedQueryString",
    );
  });
});

describe("signingScopeOf", () => {
  it("reads the scope of the header form without verifying", () => {
    const req = withHeader(
      vanilla(),
      "authorization",
      authWith("ASIAX/20261125/eu-west-1/sts/aws4_request", "host", "bad"),
    );
    assert.deepEqual(signingScopeOf(req), {
      accessKeyId: "ASIAX",
      date: "20261125",
      region: "eu-west-1",
      service: "sts",
    });
  });

  it("reads the scope of the query form", () => {
    assert.deepEqual(signingScopeOf(presigned()), {
      accessKeyId: "AKIDEXAMPLE",
      date: "20150830",
      region: "us-east-1",
      service: "service",
    });
  });

  it("null when there is no scope or it is malformed", () => {
    assert.equal(signingScopeOf(headerReq(undefined)), null);
    assert.equal(signingScopeOf(headerReq("Basic abc")), null);
    assert.equal(signingScopeOf(headerReq(authWith("AKID/20150830/us-east-1"))), null);
    assert.equal(signingScopeOf(queryReq("X-Amz-Credential=%zz")), null);
  });
});
