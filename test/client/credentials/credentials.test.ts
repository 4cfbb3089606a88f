// Credential pieces without a twin: explanations, the runner token request (against a real local HTTP server),
// claim decoding and the refreshing provider.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  deniedAssume,
  githubContext,
  missingRequestToken,
  subjectPattern,
} from "../../../src/client/credentials/explain.ts";
import { requestIdToken } from "../../../src/client/credentials/oidc-token.ts";
import {
  refreshing,
  resolveCredentials,
  retryableStsError,
} from "../../../src/client/credentials/resolve.ts";
import { decodeClaims, describeClaims } from "../../../src/client/credentials/token-claims.ts";
import { ManualClock } from "../../../src/core/clock.ts";

const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;

describe("explanations", () => {
  it("says how to grant id-token: write", () => {
    const e = missingRequestToken("arn:aws:iam::1:role/r", githubContext({ GITHUB_ACTIONS: "true" }));
    assert.equal(e.problem, "missing-id-token-permission");
    assert.match(e.render(), /id-token: write/);
  });
  it("recognises a fork pull request", () => {
    const e = missingRequestToken(
      "arn:aws:iam::1:role/r",
      githubContext({ GITHUB_ACTIONS: "true" }, { pull_request: { head: { repo: { fork: true } } } }),
    );
    assert.equal(e.problem, "fork-pull-request");
  });
  it("shows iss, aud, sub, role and the engine's words on AccessDenied", () => {
    const claims = decodeClaims(
      jwt({
        iss: "https://token.actions.githubusercontent.com",
        aud: "sts.amazonaws.com",
        sub: "repo:evil/app:ref:refs/heads/main",
      }),
    );
    const text = deniedAssume({
      roleArn: "arn:aws:iam::1:role/deploy",
      stsCode: "AccessDenied",
      stsMessage: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
      claims,
      source: "oidc",
      engineExplanation: "condition StringLike failed",
    }).render();
    for (const part of [
      "arn:aws:iam::1:role/deploy",
      "sub=repo:evil/app:ref:refs/heads/main",
      "aud=sts.amazonaws.com",
      "iss=https://token.actions.githubusercontent.com",
      "repo:evil/app:*",
      "condition StringLike failed",
    ]) {
      assert.ok(text.includes(part), `missing ${part} in\n${text}`);
    }
  });
  it("decodes claims and survives garbage", () => {
    assert.equal(describeClaims(decodeClaims("not-a-jwt")), "(the token could not be decoded)");
    assert.equal(subjectPattern("repo:o/r:environment:prod"), "repo:o/r:*");
  });
  it("classifies retryable STS errors", () => {
    assert.equal(retryableStsError({ name: "IDPCommunicationError" }), true);
    assert.equal(retryableStsError({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } }), false);
    assert.equal(retryableStsError({ name: "InternalFailure", $metadata: { httpStatusCode: 500 } }), true);
  });
});

describe("requestIdToken", () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  let failures = 0;
  before(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      if (req.url?.includes("flaky") && failures++ < 2) return res.writeHead(503).end("busy");
      if (req.headers.authorization !== "Bearer request-token")
        return res.writeHead(401).end('{"message":"Bad credentials"}');
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          count: 1,
          value: jwt({ aud: new URL(req.url!, "http://x").searchParams.get("audience") }),
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());
  const noSleep = async () => {};
  it("appends the audience to the runner URL and sends the bearer", async () => {
    const token = await requestIdToken(
      { url: `${base}/idtoken?api-version=2.0`, bearer: "request-token" },
      "sts.amazonaws.com",
      { sleep: noSleep },
    );
    assert.equal(decodeClaims(token)?.aud, "sts.amazonaws.com");
    assert.match(seen.at(-1)!, /api-version=2.0&audience=sts.amazonaws.com Bearer request-token/);
  });
  it("retries 503 and then succeeds", async () => {
    await requestIdToken({ url: `${base}/flaky?api-version=2.0`, bearer: "request-token" }, "a", {
      sleep: noSleep,
    });
    assert.equal(failures, 3);
  });
  it("explains a refused request without retrying it", async () => {
    const before = seen.length;
    await assert.rejects(
      requestIdToken({ url: `${base}/idtoken?api-version=2.0`, bearer: "wrong" }, "a", { sleep: noSleep }),
      /Could not get an OIDC token from the runner: 401/,
    );
    assert.equal(seen.length, before + 1);
  });
});

describe("resolveCredentials without a token", () => {
  it("fails at once in a GitHub job without id-token: write", async () => {
    await assert.rejects(
      resolveCredentials({
        region: "us-east-1",
        roleArn: "arn:aws:iam::123456789012:role/r",
        env: { GITHUB_ACTIONS: "true" },
      }),
      (e: Error & { problem?: string }) => e.problem === "missing-id-token-permission",
    );
  });
});

describe("refreshing", () => {
  it("reuses credentials until the margin, then fetches once for concurrent callers", async () => {
    const clock = new ManualClock(0);
    let fetched = 0;
    const provider = refreshing(
      async () => {
        fetched++;
        return {
          accessKeyId: `K${fetched}`,
          secretAccessKey: "s",
          expiration: new Date(clock.now().getTime() + 3600_000),
        };
      },
      clock,
      300_000,
    );
    assert.equal((await provider()).accessKeyId, "K1");
    clock.advance(3000_000);
    assert.equal((await provider()).accessKeyId, "K1");
    clock.advance(400_000);
    const [a, b] = await Promise.all([provider(), provider()]);
    assert.equal(a.accessKeyId, "K2");
    assert.equal(b.accessKeyId, "K2");
    assert.equal(fetched, 2);
  });
});
