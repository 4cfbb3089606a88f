// Hostile connections rather than hostile content: clients that hang up mid-body, raw request lines
// Node accepts but no SDK sends (absolute-form, asterisk-form, bad chunking), and a burst of
// concurrent garbage. None is an InternalFailure in the log; the twin keeps answering.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { withTwin } from "../support/twin.ts";
import { assertAlive, ECR_TARGET, FORM, pick, prng, send } from "./wire.ts";

describe("hostile connections", () => {
  const lines: string[] = [];
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let port: number;
  before(async () => {
    twin = await withTwin({ log: (l) => lines.push(l) });
    port = Number(new URL(twin.url).port);
  });
  after(() => twin.dispose());

  /** Writes raw bytes, optionally hangs up after `hangUpMs`, and returns whatever came back. */
  function raw(text: string, hangUpMs = 300): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1");
      let out = "";
      socket.on("data", (d) => {
        out += d;
      });
      socket.on("close", () => resolve(out));
      socket.on("error", () => resolve(out));
      socket.write(text);
      setTimeout(() => socket.destroy(), hangUpMs);
    });
  }

  test("a client that hangs up mid-body is not an internal failure", async () => {
    for (const head of [
      `POST / HTTP/1.1\r\nHost: x\r\nx-amz-target: ${ECR_TARGET}.ListImages\r\nContent-Length: 500\r\n\r\n{`,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 500\r\n\r\nAction=ListUsers`,
      "PUT /orgs/o/actions/oidc/customization/sub HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{",
      "PATCH /v2/r/blobs/uploads/x HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nabc",
    ]) {
      await raw(head, 100);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      lines.filter((l) => /InternalFailure|failed/.test(l)).map((l) => l.split("\n")[0]),
      [],
    );
    await assertAlive(twin);
  });

  test("request lines and framing no SDK sends: a 4xx or a closed connection", async () => {
    for (const request of [
      "GET http://evil.example/v2/ HTTP/1.1\r\nHost: x\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
      "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /v2/../_keyship/health HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
      "GET /?Action=GetCallerIdentity HTTP/1.1\r\nHost: [::1\r\n\r\n",
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nAction=x\r\n0\r\n\r\n`,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
      "\x00\x01\x02\x03\r\n\r\n",
      `GET /${"a".repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: x\r\n${"X-Pad: y\r\n".repeat(3000)}\r\n`,
    ]) {
      const out = await raw(request);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(out)?.[1] ?? "0");
      assert.ok(
        status === 0 || (status >= 400 && status < 500),
        `${JSON.stringify(request.slice(0, 60))}: ${out.slice(0, 120)}`,
      );
    }
    assert.deepEqual(
      lines.filter((l) => /InternalFailure/.test(l)),
      [],
    );
    await assertAlive(twin);
  });

  test("200 concurrent garbage requests across every door", async () => {
    const rand = prng(0xc0c0);
    const doors = [
      () => ({
        method: "POST",
        path: "/",
        headers: { "content-type": FORM },
        body: `Action=${pick(rand, ["ListUsers", "AssumeRole", "", "x"])}&Version=2010-05-08`,
      }),
      () => ({
        method: "POST",
        path: "/",
        headers: { "x-amz-target": `${ECR_TARGET}.ListImages`, "content-type": "application/x-amz-json-1.1" },
        body: pick(rand, ["{", "{}", "[]", "null"]),
      }),
      () => ({
        method: pick(rand, ["GET", "PUT", "PATCH", "DELETE", "POST"]),
        path: pick(rand, ["/v2/", "/v2/a/tags/list", "/v2/a/blobs/uploads/", "/v2/%2e%2e/manifests/x"]),
        headers: { authorization: pick(rand, ["Basic x", "Bearer y", ""]) },
        body: "zz",
      }),
      () => ({
        method: "GET",
        path: "/_apis/distributedtask/hubs/Actions/plans/p/jobs/j/idtoken?audience=x",
        headers: { authorization: "Bearer a.b.c" },
        body: undefined,
      }),
      () => ({
        method: "PUT",
        path: "/repos/o/r/actions/oidc/customization/sub",
        headers: {},
        body: pick(rand, ["{", "{}", '{"use_default":1}']),
      }),
      () => ({
        method: "GET",
        path: pick(rand, ["/_keyship/health", "/_keyship/decisions?limit=x", "/.well-known/jwks", "/nope"]),
        headers: {},
        body: undefined,
      }),
    ];
    const results = await Promise.all(
      Array.from({ length: 200 }, () => {
        const r = pick(rand, doors)();
        return send(twin.url, { ...r, timeout: 20_000 });
      }),
    );
    for (const res of results) assert.ok(res.status < 500, `${res.status} ${res.text.slice(0, 200)}`);
    assert.deepEqual(
      lines.filter((l) => /InternalFailure/.test(l)),
      [],
    );
    await assertAlive(twin);
  });
});
