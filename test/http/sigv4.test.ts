// The SigV4 verifier against the test vectors of sigv4.md §13 (real client requests and the AWS suite).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SignatureMismatchError, signingKey, verifySigV4 } from "../../src/http/sigv4.ts";
import {
  assertAuthError,
  lookupFrom,
  request,
  sha256Hex,
  withHeader,
  withoutHeader,
} from "./sigv4-fixture.ts";

const SECRET_EXAMPLE = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const lookup = lookupFrom({
  ASIAEXAMPLEEXAMPLE12: { secretAccessKey: "secretsecret", sessionToken: "tok123" },
  AKIAEXAMPLEEXAMPLE12: { secretAccessKey: "secretsecret" },
  AKIDEXAMPLE: { secretAccessKey: SECRET_EXAMPLE },
});
const v6Lookup = lookupFrom({
  ASIAEXAMPLEEXAMPLE12: { secretAccessKey: SECRET_EXAMPLE, sessionToken: "IQoJb3JpZ2luX2Vj+tok/en==" },
});

const STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15";
const IAM_BODY =
  "Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=https%3A%2F%2Ftoken.actions.githubusercontent.com&ClientIDList.member.1=sts.amazonaws.com";

function auth(credential: string, signedHeaders: string, signature: string): string {
  return `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

interface Vector {
  name: string;
  req: ReturnType<typeof request>;
  now: string;
  lookup: typeof lookup;
  canonicalRequest: string;
  canonicalRequestSha256: string;
  kSigning: string;
  scope: [date: string, region: string, service: string];
  accessKeyId: string;
  /** a signature computed the wrong way, which must not verify */
  wrongSignature?: string;
}

const v1: Vector = {
  accessKeyId: "ASIAEXAMPLEEXAMPLE12",
  name: "V1 botocore STS GetCallerIdentity, session credentials, eu-west-1",
  now: "2026-11-25T20:24:39Z",
  lookup,
  req: request({
    body: STS_BODY,
    headers: [
      ["Host", "127.0.0.1:8765"],
      ["Accept-Encoding", "identity"],
      ["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"],
      ["User-Agent", "aws-cli/1.45.11 md/Botocore#1.43.11"],
      ["X-Amz-Date", "20261125T202439Z"],
      ["X-Amz-Security-Token", "tok123"],
      [
        "Authorization",
        auth(
          "ASIAEXAMPLEEXAMPLE12/20261125/eu-west-1/sts/aws4_request",
          "content-type;host;x-amz-date;x-amz-security-token",
          "d401b2ec5c8b0ec5202a22f42fd02b5f5448ac812b36a71a45b0313011f7cb0f",
        ),
      ],
      ["Content-Length", "43"],
    ],
  }),
  canonicalRequest: [
    "POST",
    "/",
    "",
    "content-type:application/x-www-form-urlencoded; charset=utf-8",
    "host:127.0.0.1:8765",
    "x-amz-date:20261125T202439Z",
    "x-amz-security-token:tok123",
    "",
    "content-type;host;x-amz-date;x-amz-security-token",
    "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843",
  ].join("\n"),
  canonicalRequestSha256: "2ad9fb547633609f10ea3c08c6da4d32fe2ede5f7ba969c87c9a4481ddf611e1",
  kSigning: "48901311eb308ec9b123df8f4de927662e8d5e7bbd2eae8ad0f57111ebe6dd8b",
  scope: ["20261125", "eu-west-1", "sts"],
};

const V2_SIGNED =
  "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-user-agent";
const v2: Vector = {
  accessKeyId: "ASIAEXAMPLEEXAMPLE12",
  name: "V2 SDK v3 STS GetCallerIdentity, session credentials, us-west-2",
  now: "2026-11-25T20:25:02Z",
  lookup,
  req: request({
    body: STS_BODY,
    headers: [
      ["host", "127.0.0.1:8765"],
      ["content-type", "application/x-www-form-urlencoded"],
      ["x-amz-user-agent", "aws-sdk-js/3.1173.0"],
      [
        "user-agent",
        "aws-sdk-js/3.1173.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.20.2 api/sts#3.1173.0 m/N,E,e",
      ],
      ["amz-sdk-invocation-id", "1db4bd85-2307-44ba-a96a-98a996104497"],
      ["amz-sdk-request", "attempt=1; max=1"],
      ["x-amz-date", "20261125T202502Z"],
      ["x-amz-security-token", "tok123"],
      ["x-amz-content-sha256", "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843"],
      [
        "authorization",
        auth(
          "ASIAEXAMPLEEXAMPLE12/20261125/us-west-2/sts/aws4_request",
          V2_SIGNED,
          "de3a72502d226d6c275c58c323dd2c3df7be61a5526cac10850c65abc626cda2",
        ),
      ],
      ["content-length", "43"],
      ["Connection", "keep-alive"],
    ],
  }),
  canonicalRequest: [
    "POST",
    "/",
    "",
    "amz-sdk-invocation-id:1db4bd85-2307-44ba-a96a-98a996104497",
    "amz-sdk-request:attempt=1; max=1",
    "content-length:43",
    "content-type:application/x-www-form-urlencoded",
    "host:127.0.0.1:8765",
    "x-amz-content-sha256:ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843",
    "x-amz-date:20261125T202502Z",
    "x-amz-security-token:tok123",
    "x-amz-user-agent:aws-sdk-js/3.1173.0",
    "",
    V2_SIGNED,
    "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843",
  ].join("\n"),
  canonicalRequestSha256: "5a1b8b174d3b87bf743ca48d801dc1d9bda6b3864a0fc8d9e55a5b265210b3b6",
  kSigning: "a3c6e6a881c573dd6970db0bfadbf7b42e22aedf02578d251c5b0d1607011f36",
  scope: ["20261125", "us-west-2", "sts"],
};

const V3_SIGNED =
  "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent";
const v3: Vector = {
  accessKeyId: "AKIAEXAMPLEEXAMPLE12",
  name: "V3 SDK v3 IAM CreateOpenIDConnectProvider, long-term key, us-west-2",
  now: "2026-11-25T20:25:02Z",
  lookup,
  req: request({
    body: IAM_BODY,
    headers: [
      ["host", "127.0.0.1:8765"],
      ["content-type", "application/x-www-form-urlencoded"],
      ["x-amz-user-agent", "aws-sdk-js/3.1168.0"],
      ["amz-sdk-invocation-id", "edf92c1c-9545-4181-98c4-dc507c96e02b"],
      ["amz-sdk-request", "attempt=1; max=1"],
      ["x-amz-date", "20261125T202502Z"],
      ["x-amz-content-sha256", "df76707262b534b2ffc0689615fda61927f9e79e0c06d3e9c85cce1a2d659481"],
      [
        "authorization",
        auth(
          "AKIAEXAMPLEEXAMPLE12/20261125/us-west-2/iam/aws4_request",
          V3_SIGNED,
          "f17231849aa27b5714e70a5c184645b4bfe86df729e733e9cdf4142119f61d04",
        ),
      ],
      ["content-length", "147"],
    ],
  }),
  canonicalRequest: [
    "POST",
    "/",
    "",
    "amz-sdk-invocation-id:edf92c1c-9545-4181-98c4-dc507c96e02b",
    "amz-sdk-request:attempt=1; max=1",
    "content-length:147",
    "content-type:application/x-www-form-urlencoded",
    "host:127.0.0.1:8765",
    "x-amz-content-sha256:df76707262b534b2ffc0689615fda61927f9e79e0c06d3e9c85cce1a2d659481",
    "x-amz-date:20261125T202502Z",
    "x-amz-user-agent:aws-sdk-js/3.1168.0",
    "",
    V3_SIGNED,
    "df76707262b534b2ffc0689615fda61927f9e79e0c06d3e9c85cce1a2d659481",
  ].join("\n"),
  canonicalRequestSha256: "d5bd9c04a3c2233a53cd762c7054badf65d43c1211806bfc189c07b9ede57e8e",
  kSigning: "196e33bd14df7a7e5c10948befb15a1a07e10cbc533f6f9910b8446c43a48eb0",
  scope: ["20261125", "us-west-2", "iam"],
};

const v4: Vector = {
  accessKeyId: "AKIDEXAMPLE",
  name: "V4 AWS suite get-vanilla",
  now: "2015-08-30T12:36:00Z",
  lookup,
  req: request({
    method: "GET",
    headers: [
      ["Host", "example.amazonaws.com"],
      ["X-Amz-Date", "20150830T123600Z"],
      [
        "Authorization",
        auth(
          "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
          "host;x-amz-date",
          "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
      ],
    ],
  }),
  canonicalRequest: [
    "GET",
    "/",
    "",
    "host:example.amazonaws.com",
    "x-amz-date:20150830T123600Z",
    "",
    "host;x-amz-date",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  ].join("\n"),
  canonicalRequestSha256: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
  kSigning: "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75",
  scope: ["20150830", "us-east-1", "service"],
};

const v5: Vector = {
  accessKeyId: "AKIDEXAMPLE",
  name: "V5 AWS suite get-header-key-duplicate (values joined with ',' in arrival order)",
  now: "2015-08-30T12:36:00Z",
  lookup,
  req: request({
    method: "GET",
    headers: [
      ["Host", "example.amazonaws.com"],
      ["My-Header1", "value2"],
      ["My-Header1", "value2"],
      ["My-Header1", "value1"],
      ["X-Amz-Date", "20150830T123600Z"],
      [
        "Authorization",
        auth(
          "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
          "host;my-header1;x-amz-date",
          "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        ),
      ],
    ],
  }),
  canonicalRequest: [
    "GET",
    "/",
    "",
    "host:example.amazonaws.com",
    "my-header1:value2,value2,value1",
    "x-amz-date:20150830T123600Z",
    "",
    "host;my-header1;x-amz-date",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  ].join("\n"),
  canonicalRequestSha256: "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
  kSigning: "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75",
  scope: ["20150830", "us-east-1", "service"],
  // what a verifier reading IncomingMessage.headers ("value2, value2, value1") would accept
  wrongSignature: "c88153bc82c67f0995b4085a97effbc044dfcdf0a23592d59be355a673bddc1d",
};

const V6_QUERY_SENT =
  "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
  "&X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261125%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261125T203000Z" +
  "&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2Btok%2Fen%3D%3D";
const v6: Vector = {
  accessKeyId: "ASIAEXAMPLEEXAMPLE12",
  name: "V6 presigned GET STS GetCallerIdentity, '+' and '/' in the token",
  now: "2026-11-25T20:30:30Z",
  lookup: v6Lookup,
  req: request({
    method: "GET",
    rawQuery: `${V6_QUERY_SENT}&X-Amz-Signature=b8b8cdbf4ea8e429b7471cc3f3c59f0edf7bb5e0e472883e1ec29a6b3bc4d6e4`,
    headers: [
      ["Host", "127.0.0.1:8765"],
      ["User-Agent", "curl/8.5.0"],
      ["Accept", "*/*"],
    ],
  }),
  canonicalRequest: [
    "GET",
    "/",
    "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261125%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261125T203000Z&X-Amz-Expires=60&X-Amz-Security-Token=IQoJb3JpZ2luX2Vj%2Btok%2Fen%3D%3D&X-Amz-SignedHeaders=host",
    "host:127.0.0.1:8765",
    "",
    "host",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  ].join("\n"),
  canonicalRequestSha256: "79a17d167d4ee29e969fdae6a4c7b5563f8aa069a5ec4caaca8bd3310852ed53",
  kSigning: "ac79193095eaf52130428eed497c3297dbb681bc8511c8e1422088f2dc352ddb",
  scope: ["20261125", "us-east-1", "sts"],
  // the signature over the token decoded with '+' → space (URLSearchParams)
  wrongSignature: "98f0a72ad5cd0ebb2872ee611b4e89feee535e657e1c234390ba101821c0fe37",
};

const v7: Vector = {
  accessKeyId: "AKIDEXAMPLE",
  name: "V7 botocore ECR GetAuthorizationToken (awsJson1_1), eu-west-1",
  now: "2026-11-25T20:30:00Z",
  lookup,
  req: request({
    body: "{}",
    headers: [
      ["Host", "127.0.0.1:8765"],
      ["X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"],
      ["Content-Type", "application/x-amz-json-1.1"],
      ["User-Agent", "aws-cli/1.45.11"],
      ["X-Amz-Date", "20261125T203000Z"],
      [
        "Authorization",
        auth(
          "AKIDEXAMPLE/20261125/eu-west-1/ecr/aws4_request",
          "content-type;host;x-amz-date;x-amz-target",
          "60d4fbabf285fc0706ebee51dd1a9b7b8022dc8c3804fb6897cba4490d40f47e",
        ),
      ],
      ["Content-Length", "2"],
    ],
  }),
  canonicalRequest: [
    "POST",
    "/",
    "",
    "content-type:application/x-amz-json-1.1",
    "host:127.0.0.1:8765",
    "x-amz-date:20261125T203000Z",
    "x-amz-target:AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
    "",
    "content-type;host;x-amz-date;x-amz-target",
    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  ].join("\n"),
  canonicalRequestSha256: "7e4d3b78ab781322d41c9d0b4b4d5f214f4a70cb8a95626231476f0ce240ad2a",
  kSigning: "e3adfd56146f3b81b3f572cddadd4fde3c5d43e85dc69c2036d0f3953aa5d51f",
  scope: ["20261125", "eu-west-1", "ecr"],
};

const v8: Vector = {
  accessKeyId: "AKIDEXAMPLE",
  name: "V8 botocore with a Date header and no X-Amz-Date",
  now: "2026-11-25T20:30:00Z",
  lookup,
  req: request({
    body: STS_BODY,
    headers: [
      ["Host", "127.0.0.1:8765"],
      ["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"],
      ["Date", "Wed, 25 Nov 2026 20:30:00 -0000"],
      [
        "Authorization",
        auth(
          "AKIDEXAMPLE/20261125/us-east-1/sts/aws4_request",
          "content-type;date;host",
          "2c5ca850da44723b272c418d062089962520e017cfdfaffe5b02162bc242249d",
        ),
      ],
    ],
  }),
  canonicalRequest: [
    "POST",
    "/",
    "",
    "content-type:application/x-www-form-urlencoded; charset=utf-8",
    "date:Wed, 25 Nov 2026 20:30:00 -0000",
    "host:127.0.0.1:8765",
    "",
    "content-type;date;host",
    "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843",
  ].join("\n"),
  canonicalRequestSha256: "604f128cccc90ab2a305c6262edb96bdf75d6107abda5595d7e6515b781f0ec5",
  kSigning: "ac79193095eaf52130428eed497c3297dbb681bc8511c8e1422088f2dc352ddb",
  scope: ["20261125", "us-east-1", "sts"],
};

const vectors = [v1, v2, v3, v4, v5, v6, v7, v8];
const secrets: Record<string, string> = {
  ASIAEXAMPLEEXAMPLE12: "secretsecret",
  AKIAEXAMPLEEXAMPLE12: "secretsecret",
  AKIDEXAMPLE: SECRET_EXAMPLE,
};

/** Replaces the signature in the Authorization header or the X-Amz-Signature query parameter. */
function withSignature(req: ReturnType<typeof request>, signature: string): ReturnType<typeof request> {
  if (req.rawQuery.includes("X-Amz-Signature=")) {
    return {
      ...req,
      rawQuery: req.rawQuery.replace(/X-Amz-Signature=[0-9a-f]*/, `X-Amz-Signature=${signature}`),
    };
  }
  const authorization =
    req.rawHeaders[req.rawHeaders.findIndex((h) => h.toLowerCase() === "authorization") + 1];
  return withHeader(
    req,
    "authorization",
    (authorization ?? "").replace(/Signature=[0-9a-f]*/, `Signature=${signature}`),
  );
}

describe("sigv4 test vectors (sigv4.md §13)", () => {
  for (const v of vectors) {
    it(`${v.name}: verifies`, () => {
      const result = verifySigV4(v.req, v.lookup, { now: new Date(v.now) });
      assert.ok(result);
      assert.deepEqual([result.region, result.service], v.scope.slice(1));
      assert.equal(result.presigned, v === v6);
      assert.equal(result.accessKeyId, v.accessKeyId);
    });

    it(`${v.name}: canonical request, its hash and kSigning match the spec`, () => {
      assert.equal(sha256Hex(v.canonicalRequest), v.canonicalRequestSha256);
      const [date, region, service] = v.scope;
      const secret = v === v6 ? SECRET_EXAMPLE : (secrets[v.accessKeyId] ?? "");
      assert.equal(signingKey(secret, date, region, service).toString("hex"), v.kSigning);
      // A wrong signature makes the verifier show what it computed: that must be the spec's text.
      const err = assertAuthError(
        () => verifySigV4(withSignature(v.req, "0".repeat(64)), v.lookup, { now: new Date(v.now) }),
        "SignatureDoesNotMatch",
      );
      assert.ok(err instanceof SignatureMismatchError);
      assert.equal(err.canonicalRequest, v.canonicalRequest);
      assert.equal(err.stringToSign.split("\n")[3], v.canonicalRequestSha256);
      assert.equal(err.stringToSign.split("\n")[2], `${date}/${region}/${service}/aws4_request`);
    });

    if (v.wrongSignature) {
      const wrong = v.wrongSignature;
      it(`${v.name}: the signature of the Node.js pitfall does not verify`, () => {
        assertAuthError(
          () => verifySigV4(withSignature(v.req, wrong), v.lookup, { now: new Date(v.now) }),
          "SignatureDoesNotMatch",
        );
      });
    }
  }

  it("V1: the returned identity carries the session token, region and request date", () => {
    const result = verifySigV4(v1.req, lookup, { now: new Date(v1.now), expectedService: "sts" });
    assert.deepEqual(result, {
      accessKeyId: "ASIAEXAMPLEEXAMPLE12",
      region: "eu-west-1",
      service: "sts",
      date: new Date("2026-11-25T20:24:39Z"),
      presigned: false,
      sessionToken: "tok123",
    });
  });

  it("V6: the session token keeps its '+' (not decoded to a space)", () => {
    const result = verifySigV4(v6.req, v6Lookup, { now: new Date(v6.now) });
    assert.equal(result?.sessionToken, "IQoJb3JpZ2luX2Vj+tok/en==");
    assert.equal(result?.presigned, true);
  });

  it("V6: a client that sent '+' unencoded in the query still means '+'", () => {
    const raw = v6.req.rawQuery.replace("%2Btok", "+tok");
    assert.ok(verifySigV4({ ...v6.req, rawQuery: raw }, v6Lookup, { now: new Date(v6.now) }));
  });

  it("V8: the request date comes from the Date header", () => {
    const result = verifySigV4(v8.req, lookup, { now: new Date(v8.now) });
    assert.equal(result?.date.toISOString(), "2026-11-25T20:30:00.000Z");
  });

  // Negative tests the spec derives from the vectors.
  it("V1 with one body byte changed → SignatureDoesNotMatch (the body is hashed)", () => {
    const req = { ...v1.req, bodySha256: sha256Hex(STS_BODY.replace("2011", "2012")) };
    assertAuthError(
      () => verifySigV4(req, lookup, { now: new Date(v1.now) }),
      "SignatureDoesNotMatch",
      /^The request signature we calculated does not match/,
    );
  });

  it("V2 with one body byte changed → the x-amz-content-sha256 mismatch", () => {
    const req = { ...v2.req, bodySha256: sha256Hex(STS_BODY.replace("2011", "2012")) };
    const err = assertAuthError(
      () => verifySigV4(req, lookup, { now: new Date(v2.now) }),
      "SignatureDoesNotMatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
    assert.equal(err.jsonCode, "InvalidSignatureException");
    assert.equal(err.jsonStatus, 400);
    assert.equal(err.status, 403);
  });

  it("V1 six minutes later → Signature expired; six minutes earlier → not yet current", () => {
    assertAuthError(
      () => verifySigV4(v1.req, lookup, { now: new Date("2026-11-25T20:30:39Z") }),
      "SignatureDoesNotMatch",
      "Signature expired: 20261125T202439Z is now earlier than 20261125T202539Z (20261125T203039Z - 5 min.)",
    );
    assertAuthError(
      () => verifySigV4(v1.req, lookup, { now: new Date("2026-11-25T20:18:39Z") }),
      "SignatureDoesNotMatch",
      "Signature not yet current: 20261125T202439Z is still later than 20261125T202339Z (20261125T201839Z + 5 min.)",
    );
  });

  it("V1 scoped to iam while dispatched to sts → wrong service", () => {
    const authorization = (v1.req.rawHeaders[v1.req.rawHeaders.indexOf("Authorization") + 1] ?? "").replace(
      "/sts/",
      "/iam/",
    );
    const req = withHeader(v1.req, "Authorization", authorization);
    assertAuthError(
      () => verifySigV4(req, lookup, { now: new Date(v1.now), expectedService: "sts" }),
      "SignatureDoesNotMatch",
      "Credential should be scoped to correct service: 'sts'.",
    );
  });

  it("V1 without x-amz-security-token → InvalidClientTokenId in both spellings", () => {
    const err = assertAuthError(
      () => verifySigV4(withoutHeader(v1.req, "X-Amz-Security-Token"), lookup, { now: new Date(v1.now) }),
      "InvalidClientTokenId",
      "The security token included in the request is invalid",
    );
    assert.equal(err.jsonCode, "UnrecognizedClientException");
    assert.equal(err.jsonMessage, "The security token included in the request is invalid.");
  });

  it("V1 with the session expired → ExpiredToken", () => {
    const expiring = lookupFrom({
      ASIAEXAMPLEEXAMPLE12: {
        secretAccessKey: "secretsecret",
        sessionToken: "tok123",
        expiration: new Date("2026-11-25T20:24:39Z"),
      },
    });
    const err = assertAuthError(
      () => verifySigV4(v1.req, expiring, { now: new Date(v1.now) }),
      "ExpiredToken",
      "The security token included in the request is expired",
    );
    assert.equal(err.jsonCode, "ExpiredTokenException");
    assert.equal(err.status, 403);
    // one second before expiry it is still valid
    assert.ok(verifySigV4(v1.req, expiring, { now: new Date("2026-11-25T20:24:38Z") }));
  });
});
