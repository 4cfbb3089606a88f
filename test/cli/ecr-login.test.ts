// `keyship ecr login` through the real executable against a twin: the login lands in podman's auth file (mode
// 0600), the password is never printed (masked in a GitHub job), and podman then pushes with that file alone.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { startTwin, type Twin } from "../../src/main.ts";
import { buildImage, dockerArchiveOf } from "../client/image/build-image.ts";

const keyship = join(import.meta.dirname, "../../bin/keyship");
const hasPodman = spawnSync("sh", ["-c", "command -v podman"]).status === 0;

let twin: Twin;
let dir: string;
let ecr: ECRClient;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyship-ecr-login-"));
  twin = await startTwin({ stateDir: join(dir, "state"), port: 0, log: () => {}, runtime: "simulated" });
  ecr = new ECRClient({ region: "us-east-1", endpoint: twin.url, credentials: twin.admin });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: "team/app" }));
});
after(() => twin.close());

async function login(extraEnv: Record<string, string>, args: string[]) {
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ENDPOINT_URL: twin.url,
    AWS_ACCESS_KEY_ID: twin.admin.accessKeyId,
    AWS_SECRET_ACCESS_KEY: twin.admin.secretAccessKey,
    ...extraEnv,
  };
  try {
    const r = await promisify(execFile)(process.execPath, [keyship, "ecr", "login", ...args], { env });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, out: (e.stdout ?? "") + (e.stderr ?? "") };
  }
}

function passwordOf(authFile: { auths: Record<string, { auth: string }> }, host: string): string {
  return Buffer.from(authFile.auths[host]!.auth, "base64").toString("utf8").split(":").slice(1).join(":");
}

test("the login is written to the auth file, 0600, and the password is not printed", async () => {
  const authFile = join(dir, "podman-auth.json");
  const r = await login({}, [
    "--region",
    "us-east-1",
    "--for",
    "podman",
    "--auth-file",
    authFile,
    "--print-host",
  ]);
  assert.equal(r.code, 0, r.out);
  const host = new URL(twin.url).host;
  assert.match(r.out, new RegExp(`^${host.replace(/\./g, "\\.")}$`, "m"));
  const written = JSON.parse(await readFile(authFile, "utf8"));
  const password = passwordOf(written, host);
  assert.ok(password.length > 20);
  assert.ok(!r.out.includes(password), "the password is not printed");
  assert.equal((await stat(authFile)).mode & 0o777, 0o600);

  // In a GitHub job the password is masked before anything else is written.
  const outputs = join(dir, "github-output");
  await writeFile(outputs, "");
  const job = await login({ GITHUB_ACTIONS: "true", GITHUB_OUTPUT: outputs }, [
    "--region",
    "us-east-1",
    "--for",
    "podman",
    "--auth-file",
    authFile,
  ]);
  assert.equal(job.code, 0, job.out);
  const again = passwordOf(JSON.parse(await readFile(authFile, "utf8")), host);
  assert.ok(job.out.includes(`::add-mask::${again}`), job.out);
  assert.match(await readFile(outputs, "utf8"), new RegExp(`^registry<<.*\\n${host}\\n`, "m"));
});

test("podman pushes to the twin's registry with nothing but the auth file keyship wrote", {
  skip: !hasPodman && "podman not installed",
  timeout: 60_000,
}, async () => {
  const authFile = join(dir, "push-auth.json");
  const r = await login({}, ["--region", "us-east-1", "--for", "podman", "--auth-file", authFile]);
  assert.equal(r.code, 0, r.out);
  const host = new URL(twin.url).host;
  const local = "localhost/keyship-ecr-login-test:v1";
  const tar = join(dir, "image.tar");
  await writeFile(
    tar,
    dockerArchiveOf(
      buildImage([{ path: "www/index.html", content: "ecr login\n" }], ["/bin/busybox", "httpd", "-f"]),
      local,
    ),
  );
  assert.equal(spawnSync("podman", ["load", "-q", "-i", tar]).status, 0, "podman load");
  try {
    // Asynchronously: the twin answering podman runs in this process.
    const push = async (file: string) => {
      try {
        await promisify(execFile)(
          "podman",
          ["push", "--tls-verify=false", "--authfile", file, local, `${host}/team/app:v1`],
          { env: { PATH: process.env.PATH, HOME: dir } },
        );
        return { status: 0, stderr: "" };
      } catch (err) {
        const e = err as { code?: number; stderr?: string };
        return { status: e.code ?? 1, stderr: e.stderr ?? "" };
      }
    };
    // Without the login the registry refuses the push; with it the push succeeds.
    const anonymous = join(dir, "empty-auth.json");
    await writeFile(anonymous, "{}\n");
    const refused = await push(anonymous);
    assert.notEqual(refused.status, 0, "an anonymous push is refused");
    assert.match(refused.stderr, /authentication required|unauthorized/i);
    const pushed = await push(authFile);
    assert.equal(pushed.status, 0, pushed.stderr);
    const images = await ecr.send(
      new DescribeImagesCommand({ repositoryName: "team/app", imageIds: [{ imageTag: "v1" }] }),
    );
    assert.match(images.imageDetails![0]!.imageDigest!, /^sha256:[0-9a-f]{64}$/);
  } finally {
    spawnSync("podman", ["rmi", "-f", local]);
  }
});
