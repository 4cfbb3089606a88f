// Real container clients against the twin's registry under ECR auth: skopeo, podman, buildah
// (installed by .ci/run). A missing tool fails the test loudly: these are the point of the registry.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import {
  createRepo,
  ecrClient,
  loginOf,
  type RegistryFixture,
  reg,
  startRegistryTwin,
  userWith,
} from "./fixture.ts";

function requireTool(tool: string): void {
  const which = spawnSync("sh", ["-c", `command -v ${tool}`]);
  if (which.status !== 0)
    throw new Error(`${tool} is not installed: .ci/run must apt-get install it (DESIGN.md §5)`);
}

async function sh(
  cmd: string,
  args: string[],
  input?: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

let f: RegistryFixture;
const image = `localhost/keyship-test-busybox:${process.pid}`;
let work: string;

before(async () => {
  for (const tool of ["skopeo", "podman", "buildah"]) requireTool(tool);
  if (!existsSync("/bin/busybox")) throw new Error("/bin/busybox missing: apt-get install busybox-static");
  f = await startRegistryTwin();
  await createRepo(f, "app");
  await createRepo(f, "frozen", true);
  // An image FROM scratch with the static busybox: what the seed scenario deploys.
  work = mkdtempSync(join(tmpdir(), "keyship-build-"));
  copyFileSync("/bin/busybox", join(work, "busybox"));
  writeFileSync(
    join(work, "Containerfile"),
    'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/"]\n',
  );
  const built = await sh("podman", ["build", "-q", "-t", image, work]);
  assert.equal(built.code, 0, built.stderr);
});

after(async () => {
  await sh("podman", ["rmi", "-f", image]);
  await sh("podman", ["logout", "--all"]);
  await f?.close();
});

describe("real clients", () => {
  it("skopeo pushes with --dest-creds AWS:<get-login-password> and pulls the same image back", async () => {
    const push = await sh("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      "--dest-creds",
      `AWS:${f.password}`,
      `containers-storage:${image}`,
      `docker://${f.host}/app:skopeo`,
    ]);
    assert.equal(push.code, 0, push.stderr);
    const out = await f.ecr.send(
      new DescribeImagesCommand({ repositoryName: "app", imageIds: [{ imageTag: "skopeo" }] }),
    );
    const digest = out.imageDetails![0]!.imageDigest!;
    const dir = mkdtempSync(join(tmpdir(), "keyship-pull-"));
    const pull = await sh("skopeo", [
      "copy",
      "--src-tls-verify=false",
      "--src-creds",
      `AWS:${f.password}`,
      `docker://${f.host}/app:skopeo`,
      `oci:${dir}:pulled`,
    ]);
    assert.equal(pull.code, 0, pull.stderr);
    const inspect = await sh("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      `AWS:${f.password}`,
      `docker://${f.host}/app@${digest}`,
    ]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(JSON.parse(inspect.stdout).Digest, digest);
  });

  it("skopeo with a wrong password is refused", async () => {
    const r = await sh("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      "--dest-creds",
      "AWS:not-the-password",
      `containers-storage:${image}`,
      `docker://${f.host}/app:wrong`,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unauthorized|authentication required/i);
    assert.equal((await reg(f, "/v2/app/manifests/wrong")).status, 404);
  });

  it("podman login / push / pull", async () => {
    const login = await sh(
      "podman",
      ["login", "--tls-verify=false", "-u", "AWS", "--password-stdin", f.host],
      f.password,
    );
    assert.equal(login.code, 0, login.stderr);
    const push = await sh("podman", ["push", "--tls-verify=false", image, `${f.host}/app:podman`]);
    assert.equal(push.code, 0, push.stderr);
    await sh("podman", ["rmi", "-f", `${f.host}/app:podman`]);
    const pull = await sh("podman", ["pull", "--tls-verify=false", `${f.host}/app:podman`]);
    assert.equal(pull.code, 0, pull.stderr);
    const images = await sh("podman", ["image", "exists", `${f.host}/app:podman`]);
    assert.equal(images.code, 0);
    await sh("podman", ["rmi", "-f", `${f.host}/app:podman`]);
    await sh("podman", ["logout", f.host]);
  });

  it("buildah push and pull", async () => {
    const r = await sh("buildah", [
      "push",
      "--tls-verify=false",
      "--creds",
      `AWS:${f.password}`,
      image,
      `docker://${f.host}/app:buildah`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await reg(f, "/v2/app/manifests/buildah")).status, 200);
    const pulled = `${f.host}/app:buildah`;
    await sh("buildah", ["rmi", "-f", pulled]);
    const pull = await sh("buildah", ["pull", "--tls-verify=false", "--creds", `AWS:${f.password}`, pulled]);
    assert.equal(pull.code, 0, pull.stderr);
    const id = pull.stdout.trim().split("\n").pop()!;
    const inspect = await sh("buildah", [
      "inspect",
      "--type",
      "image",
      "--format",
      "{{.FromImageID}}",
      pulled,
    ]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(inspect.stdout.trim(), id);
    await sh("buildah", ["rmi", "-f", pulled]);
    const wrong = await sh("buildah", ["pull", "--tls-verify=false", "--creds", "AWS:wrong", pulled]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /unauthorized|authentication required/i);
    await sh("buildah", ["rmi", "-f", pulled]);
  });

  it("a principal without push rights is refused", async () => {
    const reader = await userWith(
      f,
      "skopeo-reader",
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    );
    const { password } = await loginOf(ecrClient(f.twin, reader));
    const push = await sh("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      "--dest-creds",
      `AWS:${password}`,
      `containers-storage:${image}`,
      `docker://${f.host}/app:reader`,
    ]);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /denied|not authorized/i);
    const pull = await sh("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      `AWS:${password}`,
      `docker://${f.host}/app:skopeo`,
    ]);
    assert.equal(pull.code, 0, pull.stderr);
  });

  it("an immutable tag is not overwritten", async () => {
    const first = await sh("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      "--dest-creds",
      `AWS:${f.password}`,
      `containers-storage:${image}`,
      `docker://${f.host}/frozen:v1`,
    ]);
    assert.equal(first.code, 0, first.stderr);
    const before = (await reg(f, "/v2/frozen/manifests/v1")).headers.get("docker-content-digest");
    // Same image, other manifest format: a different digest for the same tag.
    const again = await sh("skopeo", [
      "copy",
      "--format",
      "oci",
      "--dest-tls-verify=false",
      "--dest-creds",
      `AWS:${f.password}`,
      `containers-storage:${image}`,
      `docker://${f.host}/frozen:v1`,
    ]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /cannot be overwritten because the repository is immutable/);
    assert.equal((await reg(f, "/v2/frozen/manifests/v1")).headers.get("docker-content-digest"), before);
  });
});
