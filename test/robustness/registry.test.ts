// Hostile OCI Distribution requests against the twin's /v2/: bad names, path traversal, bad digests,
// bad Content-Range, oversize and invalid manifests, wrong media types, missing blobs, missing or
// garbage Basic auth. Each answer is the OCI error document with the status the distribution-spec
// (and ECR, ecr-registry.md §5.2, §6) gives; nothing is written outside the state dir.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir, withTwin } from "../support/twin.ts";
import { assertAlive, assertOciError, ECR_TARGET, json, pick, prng, type RawResponse, send } from "./wire.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("OCI registry robustness", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let parent: string;
  let auth: string;
  const repo = "robust/app";
  const config = Buffer.from(
    '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
  );

  before(async () => {
    // The state dir sits alone in a parent directory, so anything written beside it is visible.
    parent = await tempDir("keyship-robust-registry-");
    await mkdir(join(parent, "state"));
    twin = await withTwin({ stateDir: join(parent, "state") });
    const token = await json(twin.url, "ecr", `${ECR_TARGET}.GetAuthorizationToken`, "{}", twin.admin);
    assert.equal(token.status, 200, token.text);
    auth = `Basic ${JSON.parse(token.text).authorizationData[0].authorizationToken}`;
    const created = await json(
      twin.url,
      "ecr",
      `${ECR_TARGET}.CreateRepository`,
      JSON.stringify({ repositoryName: repo }),
      twin.admin,
    );
    assert.equal(created.status, 200, created.text);
    const put = await reg("POST", `/v2/${repo}/blobs/uploads/?digest=${sha256(config)}`, config);
    assert.equal(put.status, 201, put.text);
  });
  after(async () => {
    await twin.dispose();
    await rm(parent, { recursive: true, force: true });
  });

  function reg(
    method: string,
    path: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> {
    return send(twin.url, { method, path, body, headers: { authorization: auth, ...headers } });
  }

  function manifest(layers: string[], extra: Record<string, unknown> = {}): string {
    return JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: layers.map((digest) => ({
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest,
        size: 10,
      })),
      ...extra,
    });
  }

  test("missing or garbage Basic auth: ECR's 401 challenge, never access", async () => {
    const rand = prng(0x0c1);
    const garbage = [
      undefined,
      "",
      "Basic",
      "Basic ",
      "Basic !!!!",
      "Basic ====",
      `Basic ${Buffer.from("AWS").toString("base64")}`,
      `Basic ${Buffer.from("AWS:").toString("base64")}`,
      `Basic ${Buffer.from("AWS:not-a-token").toString("base64")}`,
      `Basic ${Buffer.from("root:hunter2").toString("base64")}`,
      `Basic ${Buffer.from(`AWS:${"A".repeat(4000)}`).toString("base64")}`,
      `Bearer ${auth.slice(6)}`,
      `basic${auth.slice(5)}x`,
      `${auth.slice(0, -4)}AAAA`,
      `Basic ${Buffer.from("AWS:é日本🔑", "utf8").toString("latin1")}`,
      ...Array.from({ length: 40 }, () => {
        const n = 1 + Math.floor(rand() * 200);
        return `Basic ${Array.from({ length: n }, () => pick(rand, [..."ABCDEFabcdef0123+/=_-"])).join("")}`;
      }),
    ];
    for (const a of garbage) {
      for (const path of ["/v2/", `/v2/${repo}/tags/list`, `/v2/${repo}/manifests/latest`]) {
        const res = await send(twin.url, { path, headers: a === undefined ? {} : { authorization: a } });
        assert.equal(res.status, 401, `${a}: ${res.status} ${res.text}`);
        assert.match(
          String(res.headers["www-authenticate"]),
          /^Basic realm="http:\/\/[^"]+\/",service="ecr\.amazonaws\.com"$/,
        );
        assert.equal(res.text, "Not Authorized\n");
      }
    }
    await assertAlive(twin);
  });

  test("bad repository names: NAME_INVALID (or not found), never a 5xx", async () => {
    for (const name of [
      "UPPER",
      "a..b",
      "-lead",
      "trail-",
      "a//b",
      "a%20b",
      "x".repeat(300),
      "a%00b",
      "%F0%9F%94%91",
      "a%2Fb",
      "ns/%2e%2e/x",
    ]) {
      for (const [method, tail] of [
        ["GET", "tags/list"],
        ["GET", "manifests/latest"],
        ["PUT", "manifests/latest"],
        ["POST", "blobs/uploads/"],
        ["HEAD", `blobs/${sha256("x")}`],
      ] as const) {
        const res = await reg(method, `/v2/${name}/${tail}`, method === "PUT" ? manifest([]) : undefined, {
          "content-type": OCI_MANIFEST,
        });
        if (method === "HEAD") {
          assert.ok(res.status >= 400 && res.status < 500, `${name} ${tail}: ${res.status}`);
          continue;
        }
        const err = assertOciError(res, {}, `${method} ${name}/${tail}`);
        assert.match(err.code, /^(NAME_INVALID|NAME_UNKNOWN|NOT_FOUND)$/, `${name}/${tail}: ${res.text}`);
      }
    }
    await assertAlive(twin);
  });

  test("path traversal attempts stay inside the state dir", async () => {
    const digest = sha256("escape");
    const paths = [
      "/v2/../../../../etc/passwd/manifests/latest",
      `/v2/${repo}/blobs/../../../../../escaped`,
      `/v2/${repo}/blobs/%2e%2e%2f%2e%2e%2fescaped`,
      `/v2/${repo}/blobs/sha256:..%2f..%2f..%2fescaped`,
      `/v2/${repo}/blobs/uploads/..%2f..%2f..%2fescaped`,
      `/v2/${repo}/blobs/uploads/%2e%2e/%2e%2e/escaped`,
      `/v2/%2e%2e%2f%2e%2e%2fescaped/blobs/uploads/`,
      `/v2/${repo}/manifests/..%2f..%2fescaped`,
      `/v2/${repo}/manifests/%2e%2e`,
      `/v2/${repo}%2f..%2f..%2f..%2fescaped/tags/list`,
      `/v2/${repo}/blobs/uploads/?digest=sha256:..%2F..%2Fescaped`,
      `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent("sha256:../../escaped")}&from=..%2F..`,
    ];
    for (const path of paths) {
      for (const method of ["GET", "PUT", "PATCH", "POST", "DELETE"]) {
        const res = await reg(method, path, "escaped-bytes", { "content-type": "application/octet-stream" });
        if (res.status === 202 && method === "POST") continue; // a fresh upload session: harmless
        if (res.status === 405) {
          assertOciError(res, { code: "UNSUPPORTED" }, `${method} ${path}`);
          continue;
        }
        assertOciError(res, {}, `${method} ${path}`);
      }
    }
    // A real upload then completed under a traversal digest: refused, and no file escapes.
    const start = await reg("POST", `/v2/${repo}/blobs/uploads/`);
    assert.equal(start.status, 202, start.text);
    const location = String(start.headers.location);
    const done = await reg("PUT", `${location}?digest=sha256:..%2F..%2F..%2Fescaped`, "escaped-bytes");
    assertOciError(done, { code: "DIGEST_INVALID", status: 400 });
    const ok = await reg("PUT", `${location}?digest=${digest}`, "escape");
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(await readdir(parent), ["state"]);
    assert.equal(await walk(parent).then((files) => files.some((f) => f.includes("escaped"))), false);
    await assertAlive(twin);
  });

  test("bad digests: DIGEST_INVALID", async () => {
    for (const d of [
      "sha256:xyz",
      "sha256:",
      `sha256:${"a".repeat(63)}`,
      `sha256:${"A".repeat(64)}`,
      `sha256:${"a".repeat(65)}`,
      `md5:${"a".repeat(32)}`,
      `sha512:${"a".repeat(64)}`,
      `SHA256:${"a".repeat(64)}`,
      "sha256:%00",
      ":",
    ]) {
      const enc = encodeURIComponent(d);
      assertOciError(
        await reg("GET", `/v2/${repo}/blobs/${enc}`),
        { code: "DIGEST_INVALID", status: 400 },
        d,
      );
      assertOciError(await reg("POST", `/v2/${repo}/blobs/uploads/?digest=${enc}`, "x"), { status: 400 }, d);
      assertOciError(await reg("DELETE", `/v2/${repo}/manifests/${enc}`), {}, d);
      const put = await reg("PUT", `/v2/${repo}/manifests/${enc}`, manifest([]), {
        "content-type": OCI_MANIFEST,
      });
      assertOciError(put, { status: 400 }, `PUT manifest ${d}`);
    }
    await assertAlive(twin);
  });

  test("bad Content-Range: 416 with the upload's current Range", async () => {
    const start = await reg("POST", `/v2/${repo}/blobs/uploads/`);
    const location = String(start.headers.location);
    const first = await reg("PATCH", location, "abcd", { "content-range": "0-3" });
    assert.equal(first.status, 202, first.text);
    for (const range of [
      "bytes=abc",
      "5-2",
      "10-13",
      "-1-2",
      "0-99999999999999999999",
      "x",
      "0-3/4/5",
      Buffer.from("٠-٣").toString("latin1"),
    ]) {
      const res = await reg("PATCH", location, "efgh", { "content-range": range });
      assert.ok(res.status === 416 || res.status === 400, `${range}: ${res.status} ${res.text}`);
      assertOciError(res, {}, range);
      if (res.status === 416) assert.equal(res.headers.range, "0-3", range);
    }
    // The session survived: the next ordered chunk still lands.
    const next = await reg("PATCH", location, "efgh", { "content-range": "4-7" });
    assert.equal(next.status, 202, next.text);
    assert.equal(next.headers.range, "0-7");
    await assertAlive(twin);
  });

  test("oversize, invalid and mistyped manifests", async () => {
    const put = (body: string | Buffer, contentType = OCI_MANIFEST, ref = "bad") =>
      reg("PUT", `/v2/${repo}/manifests/${ref}`, body, { "content-type": contentType });
    const oversize = await put(manifest([], { annotations: { pad: "x".repeat(5 * 1024 * 1024) } })).catch(
      (err: Error) => err,
    );
    // An oversize body may be cut off mid-upload; if an answer arrives it is the OCI error.
    if (!(oversize instanceof Error)) assertOciError(oversize, { code: "MANIFEST_INVALID", status: 413 });
    for (const body of [
      "{",
      "[]",
      "null",
      "42",
      '"x"',
      "{}",
      '{"schemaVersion":"2"}',
      '{"schemaVersion":2}',
      "\u0000",
    ]) {
      assertOciError(await put(body), { code: "MANIFEST_INVALID", status: 400 }, body);
    }
    assertOciError(await put(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), {
      code: "MANIFEST_INVALID",
      status: 400,
    });
    // A manifest whose mediaType disagrees with Content-Type, or an unknown type.
    // (application/json counts as "no type given": the body's mediaType decides, ecr/manifest.ts.)
    for (const ct of ["text/plain", "application/vnd.docker.distribution.manifest.v2+json", "x/y; a=b"]) {
      const res = await put(manifest([]), ct);
      assertOciError(res, { code: "MANIFEST_INVALID", status: 400 }, ct);
    }
    const wrongConfig = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: "sha256:nothex", size: -1 },
      layers: "not-a-list",
    });
    assertOciError(await put(wrongConfig), { code: "MANIFEST_INVALID", status: 400 });
    const protoManifest = manifest([], {
      __proto__: { polluted: "yes" },
      constructor: { prototype: { polluted: 1 } },
    });
    const protoRes = await put(protoManifest);
    assert.ok(protoRes.status === 201 || (protoRes.status >= 400 && protoRes.status < 500), protoRes.text);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await assertAlive(twin);
  });

  test("a manifest referencing missing blobs: MANIFEST_BLOB_UNKNOWN", async () => {
    const missing = sha256("never uploaded");
    const res = await reg("PUT", `/v2/${repo}/manifests/v1`, manifest([missing]), {
      "content-type": OCI_MANIFEST,
    });
    const err = assertOciError(res, { code: "MANIFEST_BLOB_UNKNOWN", status: 400 });
    assert.ok(err.message.length > 0);
    // Nothing was tagged.
    assertOciError(await reg("GET", `/v2/${repo}/manifests/v1`), { code: "MANIFEST_UNKNOWN", status: 404 });
    // The same manifest without the missing layer is accepted: the refusal was about the blob.
    const fine = await reg("PUT", `/v2/${repo}/manifests/v1`, manifest([]), { "content-type": OCI_MANIFEST });
    assert.equal(fine.status, 201, fine.text);
    await assertAlive(twin);
  });

  test("odd methods and query parameters: UNSUPPORTED or a clean answer", async () => {
    for (const [method, path] of [
      ["POST", "/v2/"],
      ["DELETE", "/v2/_catalog"],
      ["PATCH", `/v2/${repo}/tags/list`],
      ["POST", `/v2/${repo}/manifests/latest`],
      ["OPTIONS", `/v2/${repo}/blobs/${sha256("x")}`],
      ["GET", `/v2/${repo}/tags/list?n=-1`],
      ["GET", `/v2/${repo}/tags/list?n=abc`],
      ["GET", `/v2/${repo}/tags/list?n=99999999999999999999999`],
      ["GET", `/v2/_catalog?n=-5&last=%FF`],
      ["GET", `/v2/${repo}/referrers/not-a-digest`],
      ["GET", `/v2/${repo}/blobs/${sha256(config)}?x=%ZZ`],
    ] as const) {
      const res = await reg(method, path);
      assert.ok(res.status < 500, `${method} ${path}: ${res.status} ${res.text}`);
      if (res.status >= 400) assertOciError(res, {}, `${method} ${path}`);
    }
    const ranged = await reg("GET", `/v2/${repo}/blobs/${sha256(config)}`, undefined, {
      range: "bytes=99999-",
    });
    assert.equal(ranged.status, 416);
    await assertAlive(twin);
  });
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}
