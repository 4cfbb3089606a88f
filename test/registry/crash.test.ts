// Durability: `kill -9` in the middle of a streamed upload leaves no partial blob visible, and the
// upload session survives the restart and resumes where the bytes on disk end (ecr-registry.md §9).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, it } from "node:test";
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { killHard } from "../support/twin.ts";

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

async function spawnTwin(
  stateDir: string,
): Promise<{ child: ChildProcess; url: string; admin: { accessKeyId: string; secretAccessKey: string } }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "twin-process.ts"), stateDir],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`twin exited with ${code}`)));
  });
  return { child, ...JSON.parse(line) };
}

/** Every published blob is whole: its content hashes to its name. */
function assertBlobsWhole(stateDir: string): string[] {
  const names: string[] = [];
  const root = join(stateDir, "blobs", "sha256");
  let prefixes: string[] = [];
  try {
    prefixes = readdirSync(root);
  } catch {
    return names;
  }
  for (const p of prefixes) {
    for (const hex of readdirSync(join(root, p))) {
      const actual = createHash("sha256")
        .update(readFileSync(join(root, p, hex)))
        .digest("hex");
      assert.equal(actual, hex, `blob ${hex} is whole`);
      names.push(`sha256:${hex}`);
    }
  }
  return names;
}

it("kill -9 during a streamed upload: nothing partial is visible; the session resumes after restart", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "keyship-crash-"));
  const first = await spawnTwin(stateDir);
  const ecr = new ECRClient({ endpoint: first.url, region: "us-east-1", credentials: first.admin });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: "crash" }));
  const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!
    .authorizationToken!;
  ecr.destroy();
  const auth = { authorization: `Basic ${token}` };

  const blob = randomBytes(8 * 1024 * 1024);
  const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
  const start = await fetch(`${first.url}/v2/crash/blobs/uploads/`, { method: "POST", headers: auth });
  assert.equal(start.status, 202);
  const location = start.headers.get("location")!;
  const uuid = location.split("/").pop()!;

  // A streamed PATCH (chunked, no Content-Range) that sends 3 MiB of 8 and then stalls.
  const req = request(`${first.url}${location}`, {
    method: "PATCH",
    headers: { ...auth, "transfer-encoding": "chunked" },
  });
  req.on("error", () => {});
  req.write(blob.subarray(0, 3 * 1024 * 1024));
  const uploadFile = join(stateDir, "uploads", uuid);
  for (let i = 0; i < 200; i++) {
    if ((statSync(uploadFile, { throwIfNoEntry: false })?.size ?? 0) >= 3 * 1024 * 1024) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await killHard(first.child);
  req.destroy();

  const partial = statSync(uploadFile).size;
  assert.ok(partial > 0 && partial < blob.length, `upload file holds ${partial} bytes`);
  assert.ok(!assertBlobsWhole(stateDir).includes(digest), "the unfinished blob is not published");

  const second = await spawnTwin(stateDir);
  const status = await fetch(`${second.url}${location}`, { headers: auth });
  assert.equal(status.status, 204, "the session survived the restart");
  const range = status.headers.get("range")!;
  const offset = Number(range.split("-")[1]) + 1;
  assert.equal(offset, partial);
  const head = await fetch(`${second.url}/v2/crash/blobs/${digest}`, { method: "HEAD", headers: auth });
  assert.equal(head.status, 404);

  const rest = await fetch(`${second.url}${location}`, {
    method: "PATCH",
    headers: {
      ...auth,
      "content-range": `${offset}-${blob.length - 1}`,
      "content-type": "application/octet-stream",
    },
    body: new Uint8Array(blob.subarray(offset)),
  });
  assert.equal(rest.status, 202);
  const done = await fetch(`${second.url}${location}?digest=${digest}`, { method: "PUT", headers: auth });
  assert.equal(done.status, 201, await done.text());
  const got = Buffer.from(
    await (await fetch(`${second.url}/v2/crash/blobs/${digest}`, { headers: auth })).arrayBuffer(),
  );
  assert.ok(got.equals(blob), "the resumed blob is byte-exact");
  assert.ok(assertBlobsWhole(stateDir).includes(digest));
  second.child.kill("SIGKILL");
});
