// `keyship token` on a state dir that does not exist yet: the key is made on first use, --claim
// overrides any claim (times as now±N, JSON values), and the twin later started on that state publishes
// the key the token was signed with.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { tempDir, withTwin } from "../support/twin.ts";

const BIN = join(import.meta.dirname, "../../bin/keyship");
const keyship = (...args: string[]) =>
  promisify(execFile)(process.execPath, [BIN, ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

test("keyship token: a fresh state dir, claim overrides, verified against the twin's JWKS", async () => {
  const parent = await tempDir();
  const state = join(parent, "never-made");
  try {
    const before = Math.floor(Date.now() / 1000);
    const r = await keyship(
      "token",
      "--state",
      state,
      "--repo",
      "example-org/sample-app",
      "--environment",
      "production",
      "--audience",
      "sts.amazonaws.com",
      "--claim",
      "exp=now+60",
      "--claim",
      "nbf=now-5",
      "--claim",
      "iat=1700000000",
      "--claim",
      'https://aws.amazon.com/tags={"principal_tags":{"team":["blue"]}}',
      "--claim",
      "runner_environment=self-hosted",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith("\n"));
    const jwt = r.stdout.trim();
    const header = decodeProtectedHeader(jwt);
    assert.equal(header.alg, "RS256");
    assert.equal(header.typ, "JWT");
    assert.ok(header.kid);

    const twin = await withTwin({ stateDir: state });
    try {
      const jwks = await (await fetch(`${twin.url}/.well-known/jwks`)).json();
      const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
        issuer: "https://token.actions.githubusercontent.com",
        audience: "sts.amazonaws.com",
      });
      assert.equal(payload.sub, "repo:example-org/sample-app:environment:production");
      assert.ok(payload.exp! >= before + 60 && payload.exp! <= before + 70, `exp ${payload.exp}`);
      assert.ok(payload.nbf! >= before - 5 && payload.nbf! <= before + 5, `nbf ${payload.nbf}`);
      assert.equal(payload.iat, 1700000000);
      assert.deepEqual(payload["https://aws.amazon.com/tags"], { principal_tags: { team: ["blue"] } });
      assert.equal(payload.runner_environment, "self-hosted");
      assert.equal(payload.environment, "production");
    } finally {
      await twin.close();
    }

    const bad = await keyship("token", "--state", state, "--repo", "o/r", "--claim", "novalue");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--claim takes key=value, got 'novalue'/);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
