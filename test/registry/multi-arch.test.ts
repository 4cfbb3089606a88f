// Multi-arch images through skopeo: an OCI image index (built here as an OCI layout) pushed with
// `skopeo copy --all`, converted to a Docker manifest list on the way, and pulled back byte for byte.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { gzipSync } from "node:zlib";
import { BatchGetImageCommand, DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { tar } from "../../src/client/demo/tiny-image.ts";
import { createRepo, OCI_INDEX, type RegistryFixture, reg, startRegistryTwin } from "./fixture.ts";

const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

function skopeo(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile("skopeo", args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** An OCI layout whose index.json tags `multi` → an image index of linux/amd64 and linux/arm64 images. */
function writeMultiArchLayout(dir: string): { indexDigest: string; childDigests: string[] } {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const put = (b: Buffer) => {
    writeFileSync(join(dir, "blobs", "sha256", sha(b).slice(7)), b);
    return { digest: sha(b), size: b.length };
  };
  const platforms = [
    { architecture: "amd64", os: "linux" },
    { architecture: "arm64", os: "linux", variant: "v8" },
  ];
  const children = platforms.map((p) => {
    const layerTar = tar([
      { path: "arch.txt", data: Buffer.from(`${p.architecture}\n`), mode: 0o644, dir: false },
    ]);
    const layer = put(gzipSync(layerTar));
    const config = put(
      Buffer.from(
        JSON.stringify({ ...p, config: {}, rootfs: { type: "layers", diff_ids: [sha(layerTar)] } }),
      ),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
      }),
    );
    return {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      ...put(manifest),
      platform: p,
    };
  });
  const index = put(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children })),
  );
  writeFileSync(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: OCI_INDEX, ...index, annotations: { "org.opencontainers.image.ref.name": "multi" } },
      ],
    }),
  );
  return { indexDigest: index.digest, childDigests: children.map((c) => c.digest) };
}

let f: RegistryFixture;
let layout: string;
let built: { indexDigest: string; childDigests: string[] };

before(async () => {
  const which = spawnSync("sh", ["-c", "command -v skopeo"]);
  if (which.status !== 0) throw new Error("skopeo is not installed: .ci/run must apt-get install it");
  f = await startRegistryTwin();
  await createRepo(f, "multi");
  layout = mkdtempSync(join(tmpdir(), "keyship-multi-"));
  built = writeMultiArchLayout(layout);
});

after(async () => {
  await f?.close();
});

it("skopeo copy --all pushes an OCI index with both platforms; the index and children are pullable", async () => {
  const push = await skopeo([
    "copy",
    "--all",
    "--dest-tls-verify=false",
    "--dest-creds",
    `AWS:${f.password}`,
    `oci:${layout}:multi`,
    `docker://${f.host}/multi:v1`,
  ]);
  assert.equal(push.code, 0, push.stderr);
  const r = await reg(f, "/v2/multi/manifests/v1", { headers: { accept: OCI_INDEX } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), OCI_INDEX);
  assert.equal(r.headers.get("docker-content-digest"), built.indexDigest, "stored byte-exact");
  for (const child of built.childDigests) {
    assert.equal((await reg(f, `/v2/multi/manifests/${child}`, { method: "HEAD" })).status, 200);
  }
  // ECR's view: the index is the tagged image, each platform an untagged image of its own
  const images = await f.ecr.send(new DescribeImagesCommand({ repositoryName: "multi" }));
  const byDigest = new Map(images.imageDetails!.map((d) => [d.imageDigest!, d]));
  assert.deepEqual(byDigest.get(built.indexDigest)?.imageTags, ["v1"]);
  assert.equal(byDigest.get(built.indexDigest)?.imageManifestMediaType, OCI_INDEX);
  for (const child of built.childDigests) assert.ok(byDigest.has(child), `platform image ${child}`);
  const got = await f.ecr.send(
    new BatchGetImageCommand({ repositoryName: "multi", imageIds: [{ imageTag: "v1" }] }),
  );
  assert.equal(got.images![0]!.imageId!.imageDigest, built.indexDigest);

  // and back: every platform, the same index digest
  const back = mkdtempSync(join(tmpdir(), "keyship-multi-back-"));
  const pull = await skopeo([
    "copy",
    "--all",
    "--src-tls-verify=false",
    "--src-creds",
    `AWS:${f.password}`,
    `docker://${f.host}/multi:v1`,
    `oci:${back}:pulled`,
  ]);
  assert.equal(pull.code, 0, pull.stderr);
  const index = JSON.parse(readFileSync(join(back, "index.json"), "utf8"));
  assert.equal(index.manifests[0].digest, built.indexDigest);
  for (const arch of ["amd64", "arm64"]) {
    const inspect = await skopeo([
      "inspect",
      "--tls-verify=false",
      "--creds",
      `AWS:${f.password}`,
      "--override-arch",
      arch,
      `docker://${f.host}/multi:v1`,
    ]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).Architecture, arch);
  }
});

it("skopeo copy --all --format v2s2 pushes a Docker manifest list", async () => {
  const push = await skopeo([
    "copy",
    "--all",
    "--format",
    "v2s2",
    "--dest-tls-verify=false",
    "--dest-creds",
    `AWS:${f.password}`,
    `oci:${layout}:multi`,
    `docker://${f.host}/multi:list`,
  ]);
  assert.equal(push.code, 0, push.stderr);
  const r = await reg(f, "/v2/multi/manifests/list", { headers: { accept: DOCKER_LIST } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), DOCKER_LIST);
  const list = (await r.json()) as { mediaType: string; manifests: { digest: string; mediaType: string }[] };
  assert.equal(list.mediaType, DOCKER_LIST);
  assert.equal(list.manifests.length, 2);
  for (const m of list.manifests) {
    assert.equal(m.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    const child = await reg(f, `/v2/multi/manifests/${m.digest}`, {
      headers: { accept: m.mediaType },
    });
    assert.equal(child.status, 200);
    assert.equal(child.headers.get("content-type"), m.mediaType);
  }
});
