// The SigV4 verifier behind a real Node HTTP server, called by real clients: AWS SDK v3 (STS, ECR),
// botocore (signed and presigned) and fetch with a smithy-presigned URL. Proves the raw-request plumbing
// of sigv4.md §12 (rawHeaders, raw target, '+' in tokens, Host with port) end to end.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { SignatureV4 } from "@smithy/signature-v4";
import type { SourceData } from "@smithy/types";
import { AuthError } from "../../src/http/aws-error.ts";
import { type VerifiedSignature, verifySigV4 } from "../../src/http/sigv4.ts";
import { lookupFrom } from "./sigv4-fixture.ts";

const SESSION = {
  accessKeyId: "ASIAEXAMPLEEXAMPLE12",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2Vj+tok/en==",
};
const USER = { accessKeyId: "AKIAEXAMPLEEXAMPLE12", secretAccessKey: "secret+with/slash=" };
const lookup = lookupFrom({
  [SESSION.accessKeyId]: { secretAccessKey: SESSION.secretAccessKey, sessionToken: SESSION.sessionToken },
  [USER.accessKeyId]: { secretAccessKey: USER.secretAccessKey },
});

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

const execFileAsync = promisify(execFile);
const BOTOCORE = `
import sys, json, urllib.request, botocore.session
mode, endpoint = sys.argv[1], sys.argv[2]
s = botocore.session.get_session()
c = s.create_client("sts", region_name="eu-west-1", endpoint_url=endpoint)
if mode == "call":
    print(json.dumps(c.get_caller_identity()["Arn"]))
else:
    url = c.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    print(json.dumps(urllib.request.urlopen(url).status))
`;

async function botocore(mode: "call" | "presign", credentials: typeof SESSION): Promise<string> {
  const { stdout } = await execFileAsync("python3", ["-c", BOTOCORE, mode, endpoint], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: "/nonexistent",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
    },
  });
  return JSON.parse(stdout) as string;
}

const hasBotocore = await execFileAsync("python3", ["-c", "import botocore"]).then(
  () => true,
  () => false,
);

let server: Server;
let endpoint: string;
const verified: VerifiedSignature[] = [];

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

describe("sigv4 behind a real HTTP server", () => {
  before(async () => {
    server = createServer(async (req, res) => {
      const body = await readBody(req);
      const target = req.url ?? "/";
      const q = target.indexOf("?");
      const json = (req.headers["content-type"] ?? "").includes("json");
      try {
        const result = verifySigV4(
          {
            method: req.method ?? "GET",
            path: q < 0 ? target : target.slice(0, q),
            rawQuery: q < 0 ? "" : target.slice(q + 1),
            rawHeaders: req.rawHeaders,
            bodySha256: createHash("sha256").update(body).digest("hex"),
          },
          lookup,
          { now: new Date() },
        );
        if (!result)
          throw new AuthError(
            "MissingAuthenticationToken",
            "missing",
            403,
            "MissingAuthenticationTokenException",
            "missing",
          );
        verified.push(result);
        if (json) {
          res
            .writeHead(200, { "content-type": "application/x-amz-json-1.1" })
            .end('{"authorizationData":[]}');
        } else {
          res
            .writeHead(200, { "content-type": "text/xml" })
            .end(
              `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
                `<Arn>arn:aws:sts::000000000000:assumed-role/r/${result.accessKeyId}</Arn><UserId>U</UserId>` +
                `<Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>` +
                `</ResponseMetadata></GetCallerIdentityResponse>`,
            );
        }
      } catch (e) {
        if (!(e instanceof AuthError)) throw e;
        if (json) {
          res
            .writeHead(400, {
              "content-type": "application/x-amz-json-1.1",
              "x-amzn-errortype": e.jsonCode ?? e.code,
            })
            .end(JSON.stringify({ __type: e.jsonCode, message: e.jsonMessage }));
        } else {
          res
            .writeHead(e.status, { "content-type": "text/xml" })
            .end(
              `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
                `<Code>${e.code}</Code><Message>${e.message.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</Message>` +
                `</Error><RequestId>1</RequestId></ErrorResponse>`,
            );
        }
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  describe("sigv4 with real clients over HTTP", () => {
    it("SDK v3 STS GetCallerIdentity with session credentials ('+' and '/' in the token)", async () => {
      const sts = new STSClient({ region: "eu-west-1", endpoint, credentials: SESSION, maxAttempts: 1 });
      const out = await sts.send(new GetCallerIdentityCommand({}));
      assert.match(out.Arn ?? "", /ASIAEXAMPLEEXAMPLE12$/);
      const last = verified.at(-1);
      assert.equal(last?.region, "eu-west-1");
      assert.equal(last?.service, "sts");
      assert.equal(last?.sessionToken, SESSION.sessionToken);
      sts.destroy();
    });

    it("SDK v3 STS with a wrong secret → SignatureDoesNotMatch reaches the client", async () => {
      const sts = new STSClient({
        region: "us-west-2",
        endpoint,
        credentials: { ...USER, secretAccessKey: "wrong" },
        maxAttempts: 1,
      });
      await assert.rejects(
        sts.send(new GetCallerIdentityCommand({})),
        (e: Error) => e.name === "SignatureDoesNotMatch",
      );
      sts.destroy();
    });

    it("SDK v3 ECR GetAuthorizationToken (awsJson1_1) with a long-term key", async () => {
      const ecr = new ECRClient({ region: "ap-northeast-1", endpoint, credentials: USER, maxAttempts: 1 });
      const out = await ecr.send(new GetAuthorizationTokenCommand({}));
      assert.deepEqual(out.authorizationData, []);
      assert.equal(verified.at(-1)?.service, "ecr");
      ecr.destroy();
    });

    it("SDK v3 ECR with an unknown key → UnrecognizedClientException", async () => {
      const ecr = new ECRClient({
        region: "us-east-1",
        endpoint,
        credentials: { ...USER, accessKeyId: "AKIAUNKNOWN000000000" },
        maxAttempts: 1,
      });
      await assert.rejects(ecr.send(new GetAuthorizationTokenCommand({})), (e: Error) => {
        assert.equal(e.name, "UnrecognizedClientException");
        assert.equal(e.message, "The security token included in the request is invalid.");
        return true;
      });
      ecr.destroy();
    });

    it("fetch of a smithy-presigned GetCallerIdentity URL", async () => {
      const signer = new SignatureV4({
        credentials: SESSION,
        region: "us-east-1",
        service: "sts",
        sha256: NodeSha256,
      });
      const url = new URL(endpoint);
      const presigned = await signer.presign(
        {
          method: "GET",
          protocol: "http:",
          hostname: url.hostname,
          port: Number(url.port),
          path: "/",
          query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
          headers: { host: url.host },
        },
        { expiresIn: 60 },
      );
      const query = Object.entries(presigned.query ?? {})
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join("&");
      const res = await fetch(`${endpoint}/?${query}`);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(verified.at(-1)?.presigned, true);
    });
  });

  describe("sigv4 with botocore over HTTP", { skip: hasBotocore ? false : "botocore not installed" }, () => {
    it("botocore STS get_caller_identity (form body, charset in Content-Type, session token)", async () => {
      assert.match(await botocore("call", SESSION), /ASIAEXAMPLEEXAMPLE12$/);
      assert.equal(verified.at(-1)?.region, "eu-west-1");
    });

    it("botocore presigned GET (SigV4QueryAuth: body moved to the query, only host signed)", async () => {
      assert.equal(await botocore("presign", SESSION), 200);
      assert.equal(verified.at(-1)?.presigned, true);
      assert.equal(verified.at(-1)?.sessionToken, SESSION.sessionToken);
    });
  });
});
