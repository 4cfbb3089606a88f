// The docker/podman auth file writer: merges, keeps other members, 0600, paths from the environment.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { authFilePath, writeAuthEntry } from "../../../src/client/image/auth-file.ts";

describe("auth file", () => {
  it("resolves docker and podman paths from the environment", () => {
    assert.equal(authFilePath("docker", { DOCKER_CONFIG: "/d" }), "/d/config.json");
    assert.equal(authFilePath("docker", { HOME: "/h" }), "/h/.docker/config.json");
    assert.equal(
      authFilePath("podman", { REGISTRY_AUTH_FILE: "/a.json", XDG_RUNTIME_DIR: "/run/user/1" }),
      "/a.json",
    );
    assert.equal(
      authFilePath("podman", { XDG_RUNTIME_DIR: "/run/user/1" }),
      "/run/user/1/containers/auth.json",
    );
  });
  it("adds an entry, keeps the rest, reports a credential helper, writes 0600", async () => {
    const dir = await mkdtemp(join(tmpdir(), "keyship-auth-"));
    try {
      const path = join(dir, "sub", "config.json");
      assert.deepEqual(await writeAuthEntry(path, "r.example:5000", "AWS", "p:w"), {});
      await writeFile(path, JSON.stringify({ auths: { other: { auth: "x" } }, credsStore: "desktop" }));
      assert.deepEqual(await writeAuthEntry(path, "r.example:5000", "AWS", "p:w"), { shadowedBy: "desktop" });
      const config = JSON.parse(await readFile(path, "utf8"));
      assert.equal(config.auths.other.auth, "x");
      assert.equal(Buffer.from(config.auths["r.example:5000"].auth, "base64").toString(), "AWS:p:w");
      assert.equal((await stat(path)).mode & 0o777, 0o600);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
