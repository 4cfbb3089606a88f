// Hostile requests to the OIDC issuer's HTTP surface: the runner's token request endpoint with
// garbage, foreign, tampered and truncated bearers, odd audiences and methods; GitHub's subject
// customization REST paths with invalid JSON and wrong types. Answers are GitHub's JSON errors
// (github-oidc.md §6.3, §8.3): 401 Bad credentials, 400, 422 Validation Failed, 404 — never a 5xx.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { jobEnv } from "../../src/cli/job-env.ts";
import { withTwin } from "../support/twin.ts";
import { assertAlive, pick, prng, type RawResponse, send } from "./wire.ts";

const B64URL = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"];
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

function githubError(res: RawResponse, status: number, message: string | RegExp, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.match(String(res.headers["content-type"]), /^application\/json/, what);
  const body = JSON.parse(res.text) as { message?: unknown };
  if (typeof message === "string") assert.equal(body.message, message, `${what}: ${res.text}`);
  else assert.match(String(body.message), message, `${what}: ${res.text}`);
}

describe("OIDC endpoints robustness", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let requestUrl: URL;
  let requestToken: string;
  before(async () => {
    twin = await withTwin();
    const env = await jobEnv({
      stateDir: twin.stateDir,
      job: { repository: "example-org/app" },
      url: twin.url,
    });
    requestUrl = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL!);
    requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN!;
  });
  after(() => twin.dispose());

  const tokenPath = (extra = "") => `${requestUrl.pathname}${requestUrl.search}${extra}`;
  const ask = (bearer: string | undefined, extra = "&audience=sts.amazonaws.com", method = "GET") =>
    send(twin.url, {
      method,
      path: tokenPath(extra),
      headers: bearer === undefined ? {} : { authorization: bearer },
    });

  test("the genuine request token works (the baseline the refusals below differ from)", async () => {
    const res = await ask(`Bearer ${requestToken}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse(res.text).count, 1);
  });

  test("garbage, foreign, tampered and truncated bearers: 401 Bad credentials", async () => {
    const rand = prng(0x01dc);
    const [h, p, s] = requestToken.split(".") as [string, string, string];
    const idToken = JSON.parse((await ask(`Bearer ${requestToken}`)).text).value as string;
    const flip = (text: string, i: number) => {
      let c = pick(rand, B64URL);
      while (c === text[i]) c = pick(rand, B64URL);
      return text.slice(0, i) + c + text.slice(i + 1);
    };
    const bearers = [
      "",
      "Bearer",
      "Bearer ",
      "Basic abc",
      `bearer  ${requestToken} extra`,
      `Bearer ${h}.${p}`,
      `Bearer ${h}.${p}.`,
      `Bearer ${h}..${s}`,
      `Bearer .${p}.${s}`,
      `Bearer ${b64({ alg: "none", typ: "JWT" })}.${p}.`,
      `Bearer ${b64({ alg: "HS512", typ: "JWT" })}.${p}.${s}`,
      `Bearer ${b64({ alg: "RS256", typ: "JWT" })}.${p}.${s}`,
      `Bearer ${h}.${b64({ job: { repository: "example-org/app" }, plan: "x", jobId: "y" })}.${s}`,
      `Bearer ${h}.${b64([])}.${s}`,
      `Bearer ${h}.${b64(null)}.${s}`,
      `Bearer ${h}.${p}.${s}.${s}`,
      // The ID token the endpoint itself issued is not a request token.
      `Bearer ${idToken}`,
      `Bearer ${"A".repeat(8000)}`,
      `Bearer ${Buffer.from("é.日本.🔑").toString("latin1")}`,
      ...Array.from(
        { length: 40 },
        () => `Bearer ${flip(requestToken, Math.floor(rand() * requestToken.length))}`,
      ),
      ...Array.from(
        { length: 20 },
        () => `Bearer ${requestToken.slice(0, Math.floor(rand() * requestToken.length))}`,
      ),
      ...Array.from({ length: 20 }, () => {
        const seg = () => Array.from({ length: Math.floor(rand() * 60) }, () => pick(rand, B64URL)).join("");
        return `Bearer ${seg()}.${seg()}.${seg()}`;
      }),
    ];
    for (const bearer of bearers) {
      const res = await ask(bearer);
      // A flip in base64url's last character may leave the decoded bytes unchanged; then it is the token.
      if (res.status === 200 && bearer.startsWith("Bearer ") && sameBytes(bearer.slice(7), requestToken))
        continue;
      githubError(res, 401, "Bad credentials", bearer.slice(0, 80));
    }
    await assertAlive(twin);
  });

  test("audience: absent means the owner URL; invalid ones are 400", async () => {
    const bearer = `Bearer ${requestToken}`;
    const none = await ask(bearer, "");
    assert.equal(none.status, 200, none.text);
    const aud = JSON.parse(
      Buffer.from(JSON.parse(none.text).value.split(".")[1], "base64url").toString(),
    ).aud;
    assert.equal(aud, "https://github.com/example-org");
    for (const bad of ["a".repeat(257), "%ZZ", "%", "a%00b", "a%0Ab", "%7F"]) {
      githubError(await ask(bearer, `&audience=${bad}`), 400, "Invalid audience", bad.slice(0, 20));
    }
    await assertAlive(twin);
  });

  test("wrong methods on the token, discovery and JWKS paths: 404, never a 5xx", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      for (const path of [tokenPath(), "/.well-known/openid-configuration", "/.well-known/jwks"]) {
        const res = await send(twin.url, {
          method,
          path,
          headers: { authorization: `Bearer ${requestToken}`, "content-type": "application/json" },
          body: "{}",
        });
        assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${res.text}`);
        assert.doesNotMatch(res.text, /"value"/, "no token minted");
      }
    }
    const head = await send(twin.url, { method: "HEAD", path: "/.well-known/jwks" });
    assert.ok(head.status === 200 || head.status === 404, String(head.status));
    await assertAlive(twin);
  });

  test("subject customization PUT: invalid JSON 400, wrong types 422, state unchanged", async () => {
    const repoPath = "/repos/example-org/app/actions/oidc/customization/sub";
    const orgPath = "/orgs/example-org/actions/oidc/customization/sub";
    const before = await send(twin.url, { path: repoPath });
    assert.equal(before.status, 200, before.text);
    const put = (path: string, body: string | Buffer) =>
      send(twin.url, { method: "PUT", path, headers: { "content-type": "application/json" }, body });
    for (const path of [repoPath, orgPath]) {
      for (const body of ["{", "nope", "[]", "null", "42", '"x"', Buffer.from([0x7b, 0xff, 0x7d])]) {
        githubError(await put(path, body), 400, "Problems parsing JSON", `${path} ${body}`);
      }
      githubError(await put(path, `{"a":"${"x".repeat(70_000)}"}`), 400, "Problems parsing JSON", "oversize");
      for (const body of [
        { use_default: "false", include_claim_keys: ["repo"] },
        { use_default: false, include_claim_keys: "repo" },
        { use_default: false, include_claim_keys: [1, 2] },
        { use_default: false, include_claim_keys: ["repo", "repo"] },
        { use_default: false, include_claim_keys: ["re po"] },
        { use_default: false, include_claim_keys: [{ __proto__: { polluted: 1 } }] },
        { use_default: false, include_claim_keys: ["a".repeat(100).replace(/a/g, "\u00e9")] },
      ]) {
        const res = await put(path, JSON.stringify(body));
        if (path === orgPath && "use_default" in body && Array.isArray(body.include_claim_keys)) {
          // Orgs have no use_default; only the keys are checked there.
          if (res.status === 201) continue;
        }
        githubError(res, 422, "Validation Failed", `${path} ${JSON.stringify(body)}`);
      }
      const proto = await put(
        path,
        '{"__proto__":{"polluted":"yes","use_default":true},"include_claim_keys":["repo"]}',
      );
      assert.ok(proto.status === 201 || proto.status === 422, proto.text);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }
    // The refused writes left the repository's customization as it was.
    const afterRes = await send(twin.url, { path: repoPath });
    assert.deepEqual(
      JSON.parse(afterRes.text).include_claim_keys,
      JSON.parse(before.text).include_claim_keys,
    );
    for (const method of ["POST", "DELETE", "PATCH"]) {
      const res = await send(twin.url, { method, path: repoPath, body: "{}" });
      assert.equal(res.status, 404, `${method}: ${res.text}`);
    }
    await assertAlive(twin);
  });
});

/** Whether two base64url texts decode to the same bytes (a flipped last character may not matter). */
function sameBytes(a: string, b: string): boolean {
  const bytes = (t: string) => t.split(".").map((s) => Buffer.from(s, "base64url").toString("hex"));
  return JSON.stringify(bytes(a)) === JSON.stringify(bytes(b));
}
