// Presigned-query SigV4 through the whole twin (front door → principal → operation): URLs presigned by
// botocore and by @smithy/signature-v4, fetched as plain GETs, for a user and for an STS session; expiry
// judged by the twin's clock. https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { SignatureV4 } from "@smithy/signature-v4";
import type { SourceData } from "@smithy/types";
import { ManualClock } from "../../src/core/clock.ts";
import { clientConfig, withTwin } from "../support/twin.ts";

const run = promisify(execFile);
const hasBotocore = await run("python3", ["-c", "import botocore"]).then(
  () => true,
  () => false,
);

/** botocore presigns `service.operation` (GET) for the env's credentials and prints status and body. */
const PRESIGN = `
import json, os, sys, urllib.request, urllib.error, botocore.session
service, op, expires = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = botocore.session.get_session().create_client(service, region_name="eu-west-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
url = c.generate_presigned_url(op, Params={}, ExpiresIn=expires, HttpMethod="GET")
try:
    r = urllib.request.urlopen(url)
    print(json.dumps({"url": url, "status": r.status, "requestId": r.headers.get("x-amzn-RequestId"), "body": r.read().decode()}))
except urllib.error.HTTPError as e:
    print(json.dumps({"url": url, "status": e.code, "requestId": e.headers.get("x-amzn-RequestId"), "body": e.read().decode()}))
`;

/** smithy's hash interface over node:crypto. */
class NodeSha256 {
  #hash;
  constructor(secret?: SourceData) {
    this.#hash =
      secret === undefined
        ? createHash("sha256")
        : createHmac("sha256", typeof secret === "string" ? secret : Buffer.from(secret as Uint8Array));
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {}
}

type Keys = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

describe("presigned requests against a live twin", () => {
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let session: Keys;

  /** A GET URL for `Action` presigned by smithy with `keys`, valid `expiresIn` seconds from the twin's now. */
  async function smithyUrl(keys: Keys, service: string, query: Record<string, string>, expiresIn = 60) {
    const url = new URL(twin.url);
    const signed = await new SignatureV4({
      credentials: keys,
      region: "us-east-1",
      service,
      sha256: NodeSha256,
    }).presign(
      {
        method: "GET",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path: "/",
        query,
        headers: { host: url.host },
      },
      { expiresIn, signingDate: clock.now() },
    );
    const qs = Object.entries(signed.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join("&");
    return `${twin.url}/?${qs}`;
  }

  before(async () => {
    twin = await withTwin({ clock });
    const iam = new IAMClient(clientConfig(twin));
    await iam.send(
      new CreateRoleCommand({
        RoleName: "presigner",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${twin.accountId}:user/${twin.admin.userName}` },
              Action: "sts:AssumeRole",
            },
          ],
        }),
      }),
    );
    iam.destroy();
    const sts = new STSClient(clientConfig(twin));
    const c = (
      await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${twin.accountId}:role/presigner`,
          RoleSessionName: "ps",
        }),
      )
    ).Credentials!;
    sts.destroy();
    session = {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    };
  });
  after(() => twin.dispose());

  describe("botocore's generate_presigned_url", {
    skip: hasBotocore ? false : "botocore not installed",
  }, () => {
    const presign = async (service: string, op: string, keys: Keys, expires = 60) => {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ENDPOINT_URL: twin.url,
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      };
      if (keys.sessionToken) env.AWS_SESSION_TOKEN = keys.sessionToken;
      const { stdout } = await run("python3", ["-c", PRESIGN, service, op, String(expires)], { env });
      return JSON.parse(stdout) as { url: string; status: number; requestId: string; body: string };
    };

    it("STS GetCallerIdentity and IAM ListRoles as the admin", async () => {
      const who = await presign("sts", "get_caller_identity", twin.admin);
      assert.equal(who.status, 200, who.body);
      assert.match(who.url, /X-Amz-Signature=/);
      assert.match(
        who.body,
        new RegExp(`<Arn>arn:aws:iam::${twin.accountId}:user/${twin.admin.userName}</Arn>`),
      );
      assert.match(who.body, new RegExp(`<RequestId>${who.requestId}</RequestId>`));
      const roles = await presign("iam", "list_roles", twin.admin);
      assert.equal(roles.status, 200, roles.body);
      assert.match(roles.body, /<RoleName>presigner<\/RoleName>/);
    });

    it("an STS session: X-Amz-Security-Token in the query, the assumed-role ARN answers", async () => {
      const who = await presign("sts", "get_caller_identity", session);
      assert.equal(who.status, 200, who.body);
      assert.match(who.url, /X-Amz-Security-Token=/);
      assert.match(
        who.body,
        new RegExp(`<Arn>arn:aws:sts::${twin.accountId}:assumed-role/presigner/ps</Arn>`),
      );
    });

    it("a tampered signature is SignatureDoesNotMatch", async () => {
      const { url } = await presign("sts", "get_caller_identity", twin.admin);
      const res = await fetch(
        url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`),
      );
      assert.equal(res.status, 403);
      assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    });
  });

  it("smithy-presigned URLs: a user's and a session's, and expiry by the twin's clock", async () => {
    const query = { Action: "GetCallerIdentity", Version: "2011-06-15" };
    const admin = await fetch(await smithyUrl(twin.admin, "sts", query));
    assert.equal(admin.status, 200);
    assert.match(await admin.text(), /user\/keyship-admin<\/Arn>/);
    const assumed = await fetch(await smithyUrl(session, "sts", query));
    assert.equal(assumed.status, 200);
    assert.match(await assumed.text(), /assumed-role\/presigner\/ps<\/Arn>/);

    const url = await smithyUrl(
      twin.admin,
      "iam",
      { Action: "GetRole", Version: "2010-05-08", RoleName: "presigner" },
      30,
    );
    assert.equal((await fetch(url)).status, 200);
    clock.advance(31_000);
    const late = await fetch(url);
    assert.equal(late.status, 403);
    const body = await late.text();
    assert.match(body, /<Code>SignatureDoesNotMatch<\/Code>/);
    assert.match(
      body,
      /<Message>Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 30 sec\.\)<\/Message>/,
    );
    clock.advance(-31_000);
  });
});
