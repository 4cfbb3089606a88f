// `keyship up --runtime auto|docker|simulated` says which ECS task runtime it chose.
// The docker cases need a Docker Engine API socket (Podman's: `bash .ci/containers-setup`).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { detectSocket } from "../../src/ecs/runtime/docker-api.ts";
import { tempDir } from "../support/twin.ts";

const bin = join(import.meta.dirname, "../../bin/keyship");

/** Runs `keyship up --runtime <choice>` until its first line, then stops it; returns that line. */
async function firstLine(choice: string): Promise<{ line: string; code: number | null; stderr: string }> {
  const state = await tempDir();
  const child = spawn(process.execPath, [bin, "up", "--port", "0", "--state", state, "--runtime", choice], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const line = await new Promise<string>((resolve) => {
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    void exited.then(() => resolve(out));
  });
  if (child.exitCode === null) child.kill("SIGTERM");
  const code = await exited;
  await rm(state, { recursive: true, force: true });
  return { line, code, stderr };
}

test("up --runtime simulated says so", async () => {
  const { line, code } = await firstLine("simulated");
  assert.match(line, /^keyship http:\/\/127\.0\.0\.1:\d+ \(.*ECS runtime: simulated\)$/);
  assert.equal(code, 0);
});

test("up --runtime docker and --runtime auto say docker when an engine answers", async () => {
  assert.ok(await detectSocket(), "a Docker Engine API socket is required (bash .ci/containers-setup)");
  for (const choice of ["docker", "auto"]) {
    const { line, code } = await firstLine(choice);
    assert.match(line, /ECS runtime: docker\)$/, choice);
    assert.equal(code, 0);
  }
});

test("up --runtime with another value is misuse (exit 2)", async () => {
  const { code, stderr } = await firstLine("kubernetes");
  assert.equal(code, 2);
  assert.match(stderr, /--runtime must be auto, docker or simulated/);
});
