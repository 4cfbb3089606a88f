// Hostile awsQuery input (IAM, STS) against a live twin: every answer is an awsQuery error document
// with a 4xx status and AWS's code, never InternalFailure, and the twin keeps answering.
// https://smithy.io/2.0/aws/protocols/aws-query-protocol.html; IAM "Common Errors".
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as iamSdk from "@aws-sdk/client-iam";
import * as stsSdk from "@aws-sdk/client-sts";
import { withTwin } from "../support/twin.ts";
import {
  assertAlive,
  assertQueryError,
  FORM,
  operationsOf,
  query,
  queryErrorOf,
  send,
  sendSigned,
} from "./wire.ts";

const IAM_V = "Version=2010-05-08";
const STS_V = "Version=2011-06-15";

/** Codes a parameter problem may be answered with (IAM/STS common errors and operation errors). */
const INPUT_ERROR =
  /^(ValidationError|MissingParameter|InvalidParameterValue|InvalidParameterCombination|InvalidInput|MalformedPolicyDocument|NoSuchEntity|InvalidAction|AccessDenied|EntityAlreadyExists|LimitExceeded|InvalidClientTokenId|MalformedQueryString|InvalidIdentityToken|PackedPolicyTooLarge|InvalidAuthenticationCode|ReportNotPresent|ReportInProgress|DeleteConflict|UnmodifiableEntity|InvalidUserType|PolicyEvaluation|ServiceNotSupported|NotSupported|OpenIdIdpCommunicationError|IDPRejectedClaim|ExpiredToken|InvalidCertificate|MalformedCertificate|KeyPairMismatch|DuplicateCertificate|CredentialReportNotPresent|CredentialReportNotReady|CredentialReportExpired|RegionDisabledException|ConcurrentModification|OrganizationNotFoundException|OrganizationNotInAllFeaturesModeException|ServiceAccessNotEnabledException|AccountNotManagementOrDelegatedAdministratorException|CallerIsNotManagementAccountException|FeatureDisabledException|FeatureEnabledException|PasswordPolicyViolation|EntityTemporarilyUnmodifiable|OperationNotSupported)$/;

describe("awsQuery robustness (IAM, STS)", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  before(async () => {
    twin = await withTwin();
  });
  after(() => twin.dispose());

  const iam = (body: string | Buffer) => query(twin.url, "iam", body, twin.admin);
  const sts = (body: string | Buffer) => query(twin.url, "sts", body, twin.admin);

  test("Action: missing, empty, duplicated, unknown", async () => {
    // No Action at all: not an AWS call.
    const none = await iam(`${IAM_V}&UserName=x`);
    assert.ok(none.status >= 400 && none.status < 500, none.text);
    for (const body of [`Action=&${IAM_V}`, `Action=NoSuchThing&${IAM_V}`, `Action=listusers&${IAM_V}`]) {
      const res = await iam(body);
      if (res.status === 404 && body.startsWith("Action=&")) continue;
      assertQueryError(res, { code: "InvalidAction", status: 400 }, body);
    }
    // A repeated Action: the last one wins as for any repeated form field; either way a clean answer.
    const dup = await iam(`Action=NoSuchThing&Action=ListUsers&${IAM_V}`);
    assert.ok(dup.status === 200 || (dup.status >= 400 && dup.status < 500), dup.text);
    if (dup.status !== 200) queryErrorOf(dup);
    await assertAlive(twin);
  });

  test("unknown or odd Version", async () => {
    for (const v of ["1999-01-01", "", "x".repeat(1000), "%00"]) {
      const res = await iam(`Action=ListUsers&Version=${v}`);
      assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${v}: ${res.text}`);
      if (res.status !== 200) queryErrorOf(res);
    }
    await assertAlive(twin);
  });

  test("huge parameter values are refused, not stored", async () => {
    const big = "a".repeat(200_000);
    assertQueryError(await iam(`Action=CreateUser&${IAM_V}&UserName=${big}`), { code: "ValidationError" });
    assertQueryError(await iam(`Action=GetRole&${IAM_V}&RoleName=${big}`), { code: "ValidationError" });
    const doc = encodeURIComponent(JSON.stringify({ Version: "2012-10-17", Statement: [], Pad: big }));
    const res = await iam(`Action=CreatePolicy&${IAM_V}&PolicyName=p&PolicyDocument=${doc}`);
    assertQueryError(res, {}, "huge policy");
    const tags = await iam(
      `Action=CreateUser&${IAM_V}&UserName=t1&Tags.member.1.Key=k&Tags.member.1.Value=${"v".repeat(5000)}`,
    );
    assertQueryError(tags, { code: "ValidationError" }, "huge tag value");
    const list = await iam(`Action=ListUsers&${IAM_V}`);
    assert.doesNotMatch(list.text, /aaaaaaaaaa/);
    await assertAlive(twin);
  });

  test("deeply nested and very wide .member.N keys", async () => {
    // A key deeper than any shape is an unknown parameter: ignored, as AWS ignores unknown ones.
    const deep = Array.from({ length: 2000 }, () => "member.1").join(".");
    const deepRes = await iam(`Action=CreateUser&${IAM_V}&UserName=n1&Tags.${deep}=x`);
    assert.equal(deepRes.status, 200, deepRes.text);
    const tagsOfN1 = await iam(`Action=ListUserTags&${IAM_V}&UserName=n1`);
    assert.match(
      tagsOfN1.text,
      /<Tags\/>|<Tags><\/Tags>|<Tags>\s*<\/Tags>|<ListUserTagsResult>(?:(?!<member>).)*<\/ListUserTagsResult>/s,
    );
    const wide = Array.from({ length: 3000 }, (_, i) => `Tags.member.${i + 1}.Key=k${i}`).join("&");
    assertQueryError(await iam(`Action=CreateUser&${IAM_V}&UserName=n2&${wide}`), {}, "wide");
    const sparse = await iam(`Action=CreateUser&${IAM_V}&UserName=n3&Tags.member.99999999999999999999.Key=k`);
    assertQueryError(sparse, {}, "sparse index");
    const nonNumeric = await iam(
      `Action=CreateUser&${IAM_V}&UserName=n4&Tags.member.x.Key=k&Tags.member.-1.Key=j`,
    );
    assert.ok(nonNumeric.status < 500, nonNumeric.text);
    await assertAlive(twin);
  });

  test("__proto__ / constructor / prototype keys pollute nothing", async () => {
    const bodies = [
      `Action=ListUsers&${IAM_V}&__proto__.polluted=yes`,
      `Action=ListUsers&${IAM_V}&__proto__.member.1=yes`,
      `Action=CreateUser&${IAM_V}&UserName=pp1&Tags.__proto__.polluted=yes`,
      `Action=CreateUser&${IAM_V}&UserName=pp2&Tags.member.__proto__.Key=polluted`,
      `Action=CreateUser&${IAM_V}&UserName=pp3&constructor.prototype.polluted=yes`,
      `Action=CreateUser&${IAM_V}&UserName=pp4&Tags.member.1.__proto__.polluted=yes&Tags.member.1.Key=a&Tags.member.1.Value=b`,
      `Action=GetUser&${IAM_V}&UserName.__proto__.polluted=yes`,
      `Action=ListUsers&${IAM_V}&__proto__=yes`,
      `Action=ListUsers&${IAM_V}&hasOwnProperty=yes&toString=no&valueOf.x=1`,
    ];
    for (const body of bodies) {
      const res = await iam(body);
      assert.ok(res.status < 500, `${body}: ${res.status} ${res.text}`);
      if (res.status !== 200) queryErrorOf(res);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, `${body} polluted Object.prototype`);
      assert.equal(Object.hasOwn(Object.prototype, "member"), false, body);
      assert.equal(Object.hasOwn(Object.prototype, "Key"), false, body);
    }
    const stsRes = await sts(`Action=AssumeRole&${STS_V}&RoleArn.__proto__.x=1&__proto__.RoleSessionName=s`);
    assertQueryError(stsRes, {}, "sts __proto__");
    assert.equal(({} as Record<string, unknown>).RoleSessionName, undefined);
    await assertAlive(twin);
  });

  test("non-UTF-8 bytes and control characters", async () => {
    const latin = Buffer.concat([
      Buffer.from(`Action=CreateUser&${IAM_V}&UserName=`),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
    ]);
    assertQueryError(await iam(latin), {}, "raw non-UTF-8 bytes");
    for (const v of ["%FF%FE", "%C3%28", "%ED%A0%80", "%00", "a%0Ab", "%E2%80%AE"]) {
      assertQueryError(await iam(`Action=CreateUser&${IAM_V}&UserName=${v}`), { code: "ValidationError" }, v);
    }
    for (const v of ["%", "%G1", "%1", "a%zz"]) {
      assertQueryError(
        await iam(`Action=ListUsers&${IAM_V}&Marker=${v}`),
        { code: "MalformedQueryString" },
        v,
      );
    }
    await assertAlive(twin);
  });

  test("wrong Content-Type, GET vs POST, odd methods", async () => {
    const body = `Action=ListUsers&${IAM_V}`;
    for (const ct of ["application/json", "text/plain", "multipart/form-data; boundary=x", ""]) {
      const res = await sendSigned(twin.url, {
        service: "iam",
        keys: twin.admin,
        headers: ct ? { "content-type": ct } : {},
        body,
      });
      assert.ok(res.status >= 400 && res.status < 500, `${ct}: ${res.status} ${res.text}`);
    }
    // awsQuery over GET with the parameters in the query string is how AWS's own docs show it.
    const get = await sendSigned(twin.url, {
      service: "iam",
      keys: twin.admin,
      method: "GET",
      path: `/?${body}`,
    });
    assert.equal(get.status, 200, get.text);
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      const res = await sendSigned(twin.url, {
        service: "iam",
        keys: twin.admin,
        method,
        path: `/?${body}`,
        headers: { "content-type": FORM },
        body,
      });
      // AWS documents GET and POST only; the twin may answer others, but never with a 5xx.
      assert.ok(res.status < 500, `${method}: ${res.status} ${res.text}`);
      if (res.status !== 200) queryErrorOf(res);
    }
    const unsignedGet = await send(twin.url, { path: `/?${body}` });
    assertQueryError(unsignedGet, { code: "MissingAuthenticationToken", status: 403 });
    await assertAlive(twin);
  });

  test("every IAM operation with no parameters: a 4xx, never InternalFailure", async () => {
    const ops = operationsOf(iamSdk);
    assert.ok(ops.length > 100, `only ${ops.length} IAM operations found`);
    let implemented = 0;
    const failures: string[] = [];
    for (const op of ops) {
      const res = await iam(`Action=${op}&${IAM_V}`);
      if (res.status === 200) {
        implemented++;
        continue;
      }
      try {
        const err = assertQueryError(res, { code: INPUT_ERROR }, op);
        if (err.code !== "InvalidAction") implemented++;
      } catch (e) {
        failures.push(`${op}: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(implemented >= 40, `only ${implemented} IAM operations answered as implemented`);
    await assertAlive(twin);
  });

  test("every IAM operation with lists where strings go and strings where lists go", async () => {
    const failures: string[] = [];
    const names = ["UserName", "RoleName", "PolicyArn", "PolicyName", "PolicyDocument", "GroupName", "Path"];
    for (const op of operationsOf(iamSdk)) {
      const asList = names.map((n) => `${n}.member.1=a&${n}.member.2=b`).join("&");
      const asMap =
        "Tags=x&TagKeys=y&PolicyArns=z&ClientIDList=q&ThumbprintList=t&ActionNames=a&ResourceArns=r";
      const asStruct = names.map((n) => `${n}.Key=a`).join("&");
      for (const extra of [asList, asMap, asStruct]) {
        const res = await iam(`Action=${op}&${IAM_V}&${extra}`);
        if (res.status === 200) continue;
        try {
          assertQueryError(res, { code: INPUT_ERROR }, op);
        } catch (e) {
          failures.push(`${op} ${extra.slice(0, 30)}: ${(e as Error).message.split("\n")[0]}`);
        }
      }
    }
    assert.deepEqual(failures, []);
    await assertAlive(twin);
  });

  test("list elements of the wrong shape are unknown keys: ignored, as AWS ignores them", async () => {
    const policy = encodeURIComponent(
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
    );
    const sim = await iam(
      `Action=SimulateCustomPolicy&${IAM_V}&PolicyInputList.member.1=${policy}&ActionNames.member.1=s3:GetObject&ActionNames.member.2.x=1&ResourceArns.member.1.x=1`,
    );
    assert.equal(sim.status, 200, sim.text);
    assert.equal(sim.text.match(/<EvalActionName>/g)?.length, 1, sim.text);
    assert.match(sim.text, /<EvalResourceName>\*<\/EvalResourceName>/);
    assert.doesNotMatch(sim.text, /\[object Object\]/);
    const user = await iam(
      `Action=CreateUser&${IAM_V}&UserName=shape1&Tags.member.1=x&Tags.member.2.Key=k&Tags.member.2.Value=v`,
    );
    assert.equal(user.status, 200, user.text);
    assert.match(user.text, /<Tags><member><Key>k<\/Key><Value>v<\/Value><\/member><\/Tags>/);
    await assertAlive(twin);
  });

  test("every STS operation with no parameters and with wrong types", async () => {
    const failures: string[] = [];
    for (const op of operationsOf(stsSdk)) {
      for (const extra of [
        "",
        "RoleArn.member.1=a&RoleSessionName.member.1=b&WebIdentityToken.member.1=c",
        "DurationSeconds=abc&PolicyArns=x&Tags=y&TransitiveTagKeys=z",
        "DurationSeconds=99999999999999999999999&RoleArn=arn:aws:iam::123456789012:role/x&RoleSessionName=s",
      ]) {
        const res = await sts(`Action=${op}&${STS_V}&${extra}`);
        if (res.status === 200) continue;
        try {
          assertQueryError(res, { code: INPUT_ERROR }, op);
        } catch (e) {
          failures.push(`${op} ${extra.slice(0, 30)}: ${(e as Error).message.split("\n")[0]}`);
        }
      }
    }
    assert.deepEqual(failures, []);
    await assertAlive(twin);
  });
});
