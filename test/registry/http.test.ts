// The /v2/ registry over plain HTTP: every endpoint, its success shape and its errors
// (ecr-registry.md §5.2, §6), against a live twin.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeImagesCommand, PutAccountSettingCommand } from "@aws-sdk/client-ecr";
import {
  createRepo,
  DOCKER_MANIFEST,
  imageManifest,
  OCI_INDEX,
  OCI_MANIFEST,
  pushBlob,
  putManifest,
  type RegistryFixture,
  reg,
  sha256,
  startRegistryTwin,
} from "./fixture.ts";

let f: RegistryFixture;
before(async () => {
  f = await startRegistryTwin();
  await createRepo(f, "app");
  await createRepo(f, "team/worker");
  await createRepo(f, "other");
  await createRepo(f, "locked", true);
});
after(() => f.close());

const errorOf = async (r: Response) =>
  ((await r.json()) as { errors: { code: string; message: string }[] }).errors[0]!;

describe("authentication", () => {
  it("challenges with ECR's Basic realm and a plain-text body", async () => {
    const r = await reg(f, "/v2/", { basic: null });
    assert.equal(r.status, 401);
    assert.equal(
      r.headers.get("www-authenticate"),
      `Basic realm="${f.twin.url}/",service="ecr.amazonaws.com"`,
    );
    assert.equal(r.headers.get("docker-distribution-api-version"), "registry/2.0");
    assert.equal(await r.text(), "Not Authorized\n");
    assert.equal((await reg(f, "/v2/app/tags/list", { basic: null })).status, 401);
  });

  it("accepts the authorizationToken as Basic credentials", async () => {
    const r = await reg(f, "/v2/");
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), {});
  });

  it("refuses a wrong password, a wrong user and a forged token with 401", async () => {
    const forged = `${f.password.slice(0, -2)}${f.password.endsWith("xx") ? "yy" : "xx"}`;
    for (const pair of ["AWS:wrong", `admin:${f.password}`, `AWS:${forged}`]) {
      const r = await reg(f, "/v2/", { basic: Buffer.from(pair).toString("base64") });
      assert.equal(r.status, 401, pair.split(":")[0]);
    }
  });
});

describe("blobs and uploads", () => {
  it("monolithic POST ?digest= creates the blob; HEAD and GET serve it with its digest", async () => {
    const digest = await pushBlob(f, "app", "hello blob");
    const head = await reg(f, `/v2/app/blobs/${digest}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "10");
    assert.equal(head.headers.get("docker-content-digest"), digest);
    const get = await reg(f, `/v2/app/blobs/${digest}`);
    assert.equal(await get.text(), "hello blob");
    const range = await reg(f, `/v2/app/blobs/${digest}`, { headers: { range: "bytes=6-" } });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get("content-range"), "bytes 6-9/10");
    assert.equal(await range.text(), "blob");
    const bad = await reg(f, `/v2/app/blobs/${digest}`, { headers: { range: "bytes=50-60" } });
    assert.equal(bad.status, 416);
  });

  it("a blob is visible only in repositories it is linked to", async () => {
    const digest = await pushBlob(f, "app", "only in app");
    const r = await reg(f, `/v2/other/blobs/${digest}`);
    assert.equal(r.status, 404);
    assert.equal((await errorOf(r)).code, "BLOB_UNKNOWN");
    assert.equal((await reg(f, `/v2/other/blobs/${digest}`, { method: "HEAD" })).status, 404);
  });

  it("POST → streamed PATCH (no Content-Range) → PUT ?digest= with an empty body", async () => {
    const body = Buffer.alloc(300_000, 7);
    const start = await reg(f, "/v2/app/blobs/uploads/", { method: "POST" });
    assert.equal(start.status, 202);
    const location = start.headers.get("location")!;
    assert.match(location, /^\/v2\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(start.headers.get("range"), "0-0");
    assert.equal(start.headers.get("docker-upload-uuid"), location.split("/").pop());
    const patch = await reg(f, location, { method: "PATCH", body: new Uint8Array(body) });
    assert.equal(patch.status, 202);
    assert.equal(patch.headers.get("range"), `0-${body.length - 1}`);
    const status = await reg(f, location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get("range"), `0-${body.length - 1}`);
    const done = await reg(f, `${location}?digest=${sha256(body)}`, { method: "PUT" });
    assert.equal(done.status, 201);
    assert.equal(done.headers.get("location"), `/v2/app/blobs/${sha256(body)}`);
    assert.equal(done.headers.get("docker-content-digest"), sha256(body));
    assert.equal((await reg(f, location)).status, 404, "the finished session is gone");
  });

  it("chunked upload: ordered chunks, 416 for an out-of-order or repeated chunk, final chunk on PUT", async () => {
    const body = Buffer.from("0123456789abcdefghij");
    const location = (await reg(f, "/v2/app/blobs/uploads/", { method: "POST" })).headers.get("location")!;
    const chunk = (from: number, to: number) =>
      reg(f, location, {
        method: "PATCH",
        body: new Uint8Array(body.subarray(from, to + 1)),
        headers: { "content-range": `${from}-${to}`, "content-type": "application/octet-stream" },
      });
    assert.equal((await chunk(0, 9)).status, 202);
    const repeated = await chunk(0, 9);
    assert.equal(repeated.status, 416);
    assert.equal(repeated.headers.get("range"), "0-9");
    assert.equal((await chunk(12, 15)).status, 416);
    const last = await reg(f, `${location}?digest=${sha256(body)}`, {
      method: "PUT",
      body: new Uint8Array(body.subarray(10)),
      headers: { "content-range": "10-19", "content-type": "application/octet-stream" },
    });
    assert.equal(last.status, 201);
    assert.equal(await (await reg(f, `/v2/app/blobs/${sha256(body)}`)).text(), body.toString());
  });

  it("a wrong digest at close is DIGEST_INVALID and discards the session; a missing one keeps it", async () => {
    const location = (await reg(f, "/v2/app/blobs/uploads/", { method: "POST" })).headers.get("location")!;
    await reg(f, location, { method: "PATCH", body: "abc" });
    const missing = await reg(f, location, { method: "PUT" });
    assert.equal(missing.status, 400);
    assert.equal((await errorOf(missing)).code, "DIGEST_INVALID");
    assert.equal((await reg(f, location)).status, 204);
    const wrong = await reg(f, `${location}?digest=${sha256("abd")}`, { method: "PUT" });
    assert.equal(wrong.status, 400);
    assert.equal((await errorOf(wrong)).code, "DIGEST_INVALID");
    assert.equal((await reg(f, location)).status, 404);
    assert.equal((await reg(f, `/v2/app/blobs/${sha256("abd")}`, { method: "HEAD" })).status, 404);
    const post = await reg(f, `/v2/app/blobs/uploads/?digest=${sha256("x")}`, { method: "POST", body: "y" });
    assert.equal(post.status, 400);
    assert.equal((await errorOf(post)).code, "DIGEST_INVALID");
  });

  it("monolithic PUT to the session, sha512 digests, empty blobs, cancel", async () => {
    const location = (await reg(f, "/v2/app/blobs/uploads/", { method: "POST" })).headers.get("location")!;
    const { createHash } = await import("node:crypto");
    const d512 = `sha512:${createHash("sha512").update("five twelve").digest("hex")}`;
    assert.equal(
      (await reg(f, `${location}?digest=${d512}`, { method: "PUT", body: "five twelve" })).status,
      201,
    );
    assert.equal(await (await reg(f, `/v2/app/blobs/${d512}`)).text(), "five twelve");
    const empty = await pushBlob(f, "app", "");
    const head = await reg(f, `/v2/app/blobs/${empty}`, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), "0");
    const cancel = (await reg(f, "/v2/app/blobs/uploads/", { method: "POST" })).headers.get("location")!;
    assert.equal((await reg(f, cancel, { method: "DELETE" })).status, 204);
    const gone = await reg(f, cancel, { method: "PATCH", body: "x" });
    assert.equal(gone.status, 404);
    assert.equal((await errorOf(gone)).code, "BLOB_UPLOAD_UNKNOWN");
  });

  it("an upload session belongs to its repository", async () => {
    const location = (await reg(f, "/v2/app/blobs/uploads/", { method: "POST" })).headers.get("location")!;
    const r = await reg(f, location.replace("/v2/app/", "/v2/other/"));
    assert.equal(r.status, 404);
    assert.equal((await errorOf(r)).code, "BLOB_UPLOAD_UNKNOWN");
  });

  it("cross-repository mount: 202 while mounting is off or the blob is unreferenced, 201 once allowed", async () => {
    const { manifest, layerDigest } = await imageManifest(f, "app", "mount-source");
    const before = await reg(f, `/v2/other/blobs/uploads/?mount=${layerDigest}&from=app`, { method: "POST" });
    assert.equal(before.status, 202, "BLOB_MOUNTING is DISABLED by default");
    await f.ecr.send(new PutAccountSettingCommand({ name: "BLOB_MOUNTING", value: "ENABLED" }));
    const unreferenced = await reg(f, `/v2/other/blobs/uploads/?mount=${layerDigest}&from=app`, {
      method: "POST",
    });
    assert.equal(unreferenced.status, 202, "only blobs referenced by a manifest mount");
    assert.equal((await putManifest(f, "app", "mount", manifest)).status, 201);
    const mounted = await reg(f, `/v2/other/blobs/uploads/?mount=${layerDigest}&from=app`, {
      method: "POST",
    });
    assert.equal(mounted.status, 201);
    assert.equal(mounted.headers.get("location"), `/v2/other/blobs/${layerDigest}`);
    assert.equal((await reg(f, `/v2/other/blobs/${layerDigest}`, { method: "HEAD" })).status, 200);
    const missing = await reg(f, `/v2/other/blobs/uploads/?mount=${sha256("nothing")}&from=app`, {
      method: "POST",
    });
    assert.equal(missing.status, 202);
    await f.ecr.send(new PutAccountSettingCommand({ name: "BLOB_MOUNTING", value: "DISABLED" }));
  });

  it("blob DELETE is unsupported, as on ECR", async () => {
    const digest = await pushBlob(f, "app", "keep me");
    const r = await reg(f, `/v2/app/blobs/${digest}`, { method: "DELETE" });
    assert.equal(r.status, 405);
    assert.equal((await errorOf(r)).code, "UNSUPPORTED");
  });
});

describe("manifests", () => {
  it("PUT by tag → 201 with Location and digest; GET/HEAD by tag and digest serve the exact bytes", async () => {
    const { manifest, digest } = await imageManifest(f, "app", "m1");
    const put = await putManifest(f, "app", "v1", manifest);
    assert.equal(put.status, 201);
    assert.equal(put.headers.get("docker-content-digest"), digest);
    assert.equal(put.headers.get("location"), `/v2/app/manifests/${digest}`);
    for (const ref of ["v1", digest]) {
      const get = await reg(f, `/v2/app/manifests/${ref}`, { headers: { accept: OCI_MANIFEST } });
      assert.equal(get.status, 200);
      assert.equal(get.headers.get("content-type"), OCI_MANIFEST);
      assert.equal(get.headers.get("docker-content-digest"), digest);
      assert.equal(await get.text(), manifest);
      const head = await reg(f, `/v2/app/manifests/${ref}`, { method: "HEAD" });
      assert.equal(head.headers.get("content-length"), String(Buffer.byteLength(manifest)));
    }
    const images = await f.ecr.send(
      new DescribeImagesCommand({ repositoryName: "app", imageIds: [{ imageTag: "v1" }] }),
    );
    assert.equal(images.imageDetails![0]!.imageDigest, digest, "the API sees what the registry stored");
  });

  it("by tag, a type the client does not accept is unknown; by digest it is served as stored", async () => {
    const { manifest, digest } = await imageManifest(f, "app", "m-neg");
    await putManifest(f, "app", "neg", manifest);
    assert.equal(
      (await reg(f, "/v2/app/manifests/neg", { headers: { accept: DOCKER_MANIFEST } })).status,
      404,
    );
    assert.equal(
      (await reg(f, `/v2/app/manifests/${digest}`, { headers: { accept: DOCKER_MANIFEST } })).status,
      200,
    );
  });

  it("Docker schema 2, manifest lists and OCI indexes (children must exist)", async () => {
    const docker = await imageManifest(f, "app", "docker", DOCKER_MANIFEST);
    assert.equal((await putManifest(f, "app", "docker", docker.manifest, DOCKER_MANIFEST)).status, 201);
    const child = await imageManifest(f, "app", "child");
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: OCI_MANIFEST,
          digest: child.digest,
          size: Buffer.byteLength(child.manifest),
          platform: { os: "linux", architecture: "amd64" },
        },
      ],
    });
    const missing = await putManifest(f, "app", "multi", index, OCI_INDEX);
    assert.equal(missing.status, 400);
    assert.equal((await errorOf(missing)).code, "MANIFEST_BLOB_UNKNOWN");
    assert.equal((await putManifest(f, "app", child.digest, child.manifest)).status, 201);
    assert.equal((await putManifest(f, "app", "multi", index, OCI_INDEX)).status, 201);
    const list = index.replace(OCI_INDEX, "application/vnd.docker.distribution.manifest.list.v2+json");
    assert.equal(
      (await putManifest(f, "app", "list", list, "application/vnd.docker.distribution.manifest.list.v2+json"))
        .status,
      201,
    );
    const del = await reg(f, `/v2/app/manifests/${child.digest}`, { method: "DELETE" });
    assert.equal(del.status, 409, "an image an index lists is not deleted");
  });

  it("rejects missing blobs, invalid JSON, a mismatched media type and a wrong digest", async () => {
    const { manifest } = await imageManifest(f, "app", "bad");
    const foreign = await imageManifest(f, "other", "elsewhere");
    const r1 = await putManifest(f, "app", "x", foreign.manifest);
    assert.equal(r1.status, 400);
    assert.equal((await errorOf(r1)).code, "MANIFEST_BLOB_UNKNOWN");
    const r2 = await putManifest(f, "app", "x", "{not json");
    assert.equal((await errorOf(r2)).code, "MANIFEST_INVALID");
    const r3 = await putManifest(f, "app", "x", manifest, DOCKER_MANIFEST);
    assert.equal((await errorOf(r3)).code, "MANIFEST_INVALID");
    const r4 = await putManifest(f, "app", sha256("other bytes"), manifest);
    assert.equal((await errorOf(r4)).code, "DIGEST_INVALID");
    const big = await putManifest(f, "app", "big", "x".repeat(4 * 1024 * 1024 + 1));
    assert.equal(big.status, 413);
  });

  it("unknown manifest: MANIFEST_UNKNOWN in ECR's words; unknown repository: NAME_UNKNOWN", async () => {
    const r = await reg(f, "/v2/app/manifests/nope");
    assert.equal(r.status, 404);
    assert.deepEqual(await errorOf(r), {
      code: "MANIFEST_UNKNOWN",
      message: "Requested image not found",
      detail: { reference: "nope" },
    });
    const n = await reg(f, "/v2/ghost/manifests/latest");
    assert.equal(n.status, 404);
    const e = await errorOf(n);
    assert.equal(e.code, "NAME_UNKNOWN");
    assert.equal(
      e.message,
      "The repository with name 'ghost' does not exist in the registry with id '123456789012'",
    );
    const push = await reg(f, "/v2/ghost/blobs/uploads/", { method: "POST" });
    assert.equal(push.status, 404, "pushing never creates a repository");
    const invalid = await reg(f, "/v2/Bad_Name/tags/list");
    assert.equal((await errorOf(invalid)).code, "NAME_INVALID");
  });

  it("an immutable tag is never overwritten: TAG_INVALID with ECR's text", async () => {
    const a = await imageManifest(f, "locked", "a");
    const b = await imageManifest(f, "locked", "b");
    assert.equal((await putManifest(f, "locked", "v1", a.manifest)).status, 201);
    for (const m of [b.manifest, a.manifest]) {
      const r = await putManifest(f, "locked", "v1", m);
      assert.equal(r.status, 400);
      assert.deepEqual(await errorOf(r), {
        code: "TAG_INVALID",
        message:
          "The image tag 'v1' already exists in the 'locked' repository and cannot be overwritten because the repository is immutable.",
      });
    }
    assert.equal(await (await reg(f, "/v2/locked/manifests/v1")).text(), a.manifest);
  });

  it("a mutable tag moves; re-pushing the same manifest is idempotent", async () => {
    const a = await imageManifest(f, "app", "move-a");
    const b = await imageManifest(f, "app", "move-b");
    assert.equal((await putManifest(f, "app", "moving", a.manifest)).status, 201);
    assert.equal((await putManifest(f, "app", "moving", a.manifest)).status, 201);
    assert.equal((await putManifest(f, "app", "moving", b.manifest)).status, 201);
    assert.equal((await reg(f, "/v2/app/manifests/moving")).headers.get("docker-content-digest"), b.digest);
    assert.equal(
      (await reg(f, `/v2/app/manifests/${a.digest}`)).status,
      200,
      "the old image stays, untagged",
    );
  });

  it("DELETE by tag removes the tag; by digest removes the image and its tags", async () => {
    const m = await imageManifest(f, "app", "del");
    await putManifest(f, "app", "del1", m.manifest);
    await putManifest(f, "app", "del2", m.manifest);
    assert.equal((await reg(f, "/v2/app/manifests/del1", { method: "DELETE" })).status, 202);
    assert.equal((await reg(f, "/v2/app/manifests/del1")).status, 404);
    assert.equal((await reg(f, "/v2/app/manifests/del2")).status, 200);
    assert.equal((await reg(f, `/v2/app/manifests/${m.digest}`, { method: "DELETE" })).status, 202);
    assert.equal((await reg(f, "/v2/app/manifests/del2")).status, 404);
    assert.equal((await reg(f, `/v2/app/manifests/${m.digest}`)).status, 404);
    assert.equal((await reg(f, `/v2/app/manifests/${m.digest}`, { method: "DELETE" })).status, 404);
  });
});

describe("discovery", () => {
  it("tags list in byte order with n/last pagination and a Link header", async () => {
    const m = await imageManifest(f, "team/worker", "tags");
    for (const t of ["b", "a", "C", "c"])
      assert.equal((await putManifest(f, "team/worker", t, m.manifest)).status, 201);
    const all = await reg(f, "/v2/team/worker/tags/list");
    assert.deepEqual(await all.json(), { name: "team/worker", tags: ["C", "a", "b", "c"] });
    const p1 = await reg(f, "/v2/team/worker/tags/list?n=2");
    assert.deepEqual(await p1.json(), { name: "team/worker", tags: ["C", "a"] });
    assert.equal(p1.headers.get("link"), '</v2/team/worker/tags/list?n=2&last=a>; rel="next"');
    const p2 = await reg(f, "/v2/team/worker/tags/list?n=2&last=a");
    assert.deepEqual(await p2.json(), { name: "team/worker", tags: ["b", "c"] });
    assert.equal(p2.headers.get("link"), null);
    const zero = await reg(f, "/v2/team/worker/tags/list?n=0");
    assert.deepEqual(await zero.json(), { name: "team/worker", tags: [] });
  });

  it("referrers: an OCI index, empty for an unknown subject, filtered by artifactType", async () => {
    const subject = await imageManifest(f, "app", "subject");
    await putManifest(f, "app", "subject", subject.manifest);
    const empty = await reg(f, `/v2/app/referrers/${sha256("nothing refers")}`);
    assert.equal(empty.status, 200);
    assert.equal(empty.headers.get("content-type"), OCI_INDEX);
    assert.deepEqual(await empty.json(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    const emptyConfig = await pushBlob(f, "app", "{}");
    const artifact = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/vnd.example.sbom",
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: emptyConfig, size: 2 },
      layers: [],
      subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: Buffer.byteLength(subject.manifest) },
      annotations: { "org.example": "yes" },
    });
    const put = await putManifest(f, "app", sha256(artifact), artifact);
    assert.equal(put.status, 201);
    assert.equal(put.headers.get("oci-subject"), subject.digest);
    const list = (await (await reg(f, `/v2/app/referrers/${subject.digest}`)).json()) as {
      manifests: unknown[];
    };
    assert.deepEqual(list.manifests, [
      {
        mediaType: OCI_MANIFEST,
        digest: sha256(artifact),
        size: Buffer.byteLength(artifact),
        artifactType: "application/vnd.example.sbom",
        annotations: { "org.example": "yes" },
      },
    ]);
    const filtered = await reg(f, `/v2/app/referrers/${subject.digest}?artifactType=application/other`);
    assert.equal(filtered.headers.get("oci-filters-applied"), "artifactType");
    assert.deepEqual(((await filtered.json()) as { manifests: unknown[] }).manifests, []);
    assert.equal((await reg(f, "/v2/app/referrers/sha256:xyz")).status, 400);
  });

  it("catalog lists the repositories", async () => {
    const r = await reg(f, "/v2/_catalog");
    const { repositories } = (await r.json()) as { repositories: string[] };
    assert.deepEqual(repositories, ["app", "locked", "other", "team/worker"]);
  });
});
