// `keyship up` and `keyship env` as a user runs them: serve, answer health, print credentials
// that the aws CLI accepts, stop cleanly on SIGTERM and SIGINT, refuse bad flags with exit 2.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { aws, spawnTwin, tempDir } from "../support/twin.ts";

const bin = join(import.meta.dirname, "../../bin/keyship");
const run = promisify(execFile);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`up serves health and stops cleanly on ${signal}`, async () => {
    const state = await tempDir();
    const { url, child } = await spawnTwin(state, ["--account", "210987654321", "--region", "eu-central-1"]);
    const health = await (await fetch(`${url}/_keyship/health`)).json();
    assert.equal(health.status, "ok");
    assert.equal(health.account, "210987654321");
    assert.equal(health.region, "eu-central-1");
    assert.ok(new URL(url).hostname === "127.0.0.1", "binds loopback by default");
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill(signal);
    assert.equal(await exited, 0);
  });
}

test("env prints export lines the aws CLI can use, keys made once per state dir", async () => {
  const state = await tempDir();
  const { url, child } = await spawnTwin(state);
  try {
    // No --url: the URL the state is served on (port 0 picked one).
    const { stdout } = await run(process.execPath, [bin, "env", "--state", state]);
    const vars = Object.fromEntries(
      stdout
        .trim()
        .split("\n")
        .map((l) => /^export ([A-Z_]+)=(.*)$/.exec(l)!)
        .map((m) => [m[1], m[2]!.replace(/^'|'$/g, "")]),
    );
    assert.deepEqual(Object.keys(vars).sort(), [
      "AWS_ACCESS_KEY_ID",
      "AWS_DEFAULT_REGION",
      "AWS_ENDPOINT_URL",
      "AWS_REGION",
      "AWS_SECRET_ACCESS_KEY",
    ]);
    assert.equal(vars.AWS_ENDPOINT_URL, url);
    assert.match(vars.AWS_ACCESS_KEY_ID!, /^AKIA[A-Z0-9]{16}$/);
    assert.notEqual(vars.AWS_ACCESS_KEY_ID, "AKIAIOSFODNN7EXAMPLE");
    const again = await run(process.execPath, [bin, "env", "--state", state]);
    assert.equal(again.stdout, stdout, "the same state gives the same keys");
    const other = await tempDir();
    const elsewhere = await run(process.execPath, [bin, "env", "--state", other]);
    assert.doesNotMatch(
      elsewhere.stdout,
      new RegExp(vars.AWS_ACCESS_KEY_ID!),
      "another state has other keys",
    );
    const who = await aws(["sts", "get-caller-identity", "--output", "json"], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      ...vars,
    });
    assert.equal(who.code, 0, who.stderr);
    assert.match(JSON.parse(who.stdout).Arn, /:user\/keyship-admin$/);
  } finally {
    child.kill("SIGTERM");
  }
});

test("misuse exits 2 with usage; --help exits 0", async () => {
  const bad = await run(process.execPath, [bin, "up", "--port", "99999"]).catch((e) => e);
  assert.equal(bad.code, 2);
  const unknown = await run(process.execPath, [bin, "frobnicate"]).catch((e) => e);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  const help = await run(process.execPath, [bin, "up", "--help"]);
  assert.match(help.stdout, /Usage: keyship up/);
});
