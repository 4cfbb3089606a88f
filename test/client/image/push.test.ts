// The push client and the image sources against a real OCI registry: Debian's docker-registry (distribution 2.8)
// on loopback when installed. The twin's registry is covered by the deploy end-to-end tests.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDaemonImage } from "../../../src/client/image/daemon.ts";
import { openDockerArchive } from "../../../src/client/image/docker-archive.ts";
import { openOciArchive, openOciLayout } from "../../../src/client/image/oci-layout.ts";
import { manifestExists, type PushProgress, pushImage } from "../../../src/client/image/push.ts";
import { RegistryClient } from "../../../src/client/image/registry-client.ts";
import { buildImage, dockerArchiveOf, ociArchiveOf, writeOciLayout } from "./build-image.ts";

const hasPodman = spawnSync("sh", ["-c", "command -v podman"]).status === 0;
const hasRegistry = spawnSync("sh", ["-c", "command -v docker-registry"]).status === 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe("push client against docker-registry", {
  skip: !hasRegistry && "docker-registry not installed",
}, () => {
  let dir: string;
  let proc: ReturnType<typeof spawn>;
  let client: RegistryClient;
  const image = buildImage([{ path: "www/index.html", content: "hello\n" }], ["/bin/busybox", "httpd", "-f"]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "keyship-push-"));
    const port = await freePort();
    await writeFile(
      join(dir, "config.yml"),
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    proc = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
    client = new RegistryClient({ baseUrl: `http://127.0.0.1:${port}` });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await client.send("GET", "/v2/")).status === 200) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    proc.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it("pushes an OCI layout, then skips every blob on a second push", async () => {
    const layout = join(dir, "layout");
    await writeOciLayout(layout, image);
    const source = await openOciLayout(layout);
    const progress: PushProgress[] = [];
    const first = await pushImage(client, source, {
      repository: "team/app",
      tag: "v1",
      onProgress: (p) => progress.push(p),
    });
    assert.equal(first.digest, image.manifestDigest);
    assert.deepEqual(
      first.blobs.map((b) => b.outcome),
      ["uploaded", "uploaded"],
    );
    assert.ok(progress.some((p) => p.state === "uploading" && p.sent > 0));
    assert.equal(await manifestExists(client, "team/app", "v1"), "exists");
    assert.equal(await manifestExists(client, "team/app", "v2"), "missing");
    const second = await pushImage(client, await openOciLayout(layout, "latest"), {
      repository: "team/app",
      tag: "v1",
    });
    assert.deepEqual(
      second.blobs.map((b) => b.outcome),
      ["exists", "exists"],
    );
    assert.equal(second.bytesSent, 0);
  });

  it("mounts blobs from another repository of the same registry", async () => {
    const tar = join(dir, "oci.tar");
    await writeFile(tar, ociArchiveOf(image));
    const r = await pushImage(client, await openOciArchive(tar), {
      repository: "other/app",
      tag: "v1",
      mountFrom: "team/app",
    });
    assert.deepEqual(
      r.blobs.map((b) => b.outcome),
      ["mounted", "mounted"],
    );
    assert.equal(r.digest, image.manifestDigest);
  });

  it("pushes a docker-archive with deterministic compression (same digest twice)", async () => {
    const tar = join(dir, "docker.tar");
    await writeFile(tar, dockerArchiveOf(image));
    const s1 = await openDockerArchive(tar);
    const r1 = await pushImage(client, s1, { repository: "team/docker", tag: "v1" });
    await s1.close();
    const s2 = await openDockerArchive(tar, "app:latest");
    const r2 = await pushImage(client, s2, { repository: "team/docker", tag: "v1" });
    await s2.close();
    assert.equal(r1.digest, r2.digest);
    assert.equal(r1.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.deepEqual(
      r2.blobs.map((b) => b.outcome),
      ["exists", "exists"],
    );
  });

  it("pushes an image from a Podman daemon through the Docker Engine API", {
    skip: !hasPodman && "podman not installed",
  }, async () => {
    const sock = join(dir, "podman.sock");
    const tar = join(dir, "for-podman.tar");
    const image = buildImage(
      [{ path: "www/index.html", content: "daemon\n" }],
      ["/bin/busybox", "httpd", "-f"],
      "daemon",
    );
    await writeFile(tar, dockerArchiveOf(image, "localhost/keyship-push-test:daemon"));
    const service = spawn("podman", ["system", "service", "--time=0", `unix://${sock}`], { stdio: "ignore" });
    try {
      assert.equal(spawnSync("podman", ["load", "-q", "-i", tar]).status, 0, "podman load");
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      const source = await openDaemonImage("localhost/keyship-push-test:daemon", {
        DOCKER_HOST: `unix://${sock}`,
      });
      const r = await pushImage(client, source, { repository: "team/daemon", tag: "v1" });
      await source.close();
      assert.equal(r.blobs.length, 2);
      assert.equal(await manifestExists(client, "team/daemon", "v1"), "exists");
    } finally {
      service.kill();
      spawnSync("podman", ["rmi", "-f", "localhost/keyship-push-test:daemon"]);
    }
  });

  it("names the missing image in an archive", async () => {
    const tar = join(dir, "docker2.tar");
    await writeFile(tar, dockerArchiveOf(image));
    await assert.rejects(openDockerArchive(tar, "nope:1"), /no image tagged "nope:1"/);
    await assert.rejects(openOciLayout(join(dir, "layout"), "nope"), /no image named "nope"/);
  });
});
