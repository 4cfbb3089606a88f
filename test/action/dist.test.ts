// The GitHub Action as GitHub loads it: action.yml is valid YAML declaring a node24 JavaScript action whose
// committed bundle exists, is current (rebuilt from action/main.ts it is byte for byte the same), and runs
// without node_modules.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { parse } from "yaml";

const root = join(import.meta.dirname, "../..");
const run = promisify(execFile);

test("action.yml: valid YAML, runs.using node24, main is the committed bundle, every input described", async () => {
  const doc = parse(await readFile(join(root, "action.yml"), "utf8"), { strict: true, uniqueKeys: true });
  assert.equal(doc.runs.using, "node24");
  assert.equal(doc.runs.main, "action/dist/index.js");
  const { stdout } = await run("git", ["ls-files", "--error-unmatch", doc.runs.main], { cwd: root });
  assert.equal(stdout.trim(), "action/dist/index.js", "the bundle is committed, not ignored");
  for (const [name, spec] of Object.entries(doc.inputs as Record<string, { description?: string }>))
    assert.ok(spec.description, `input ${name} has a description`);
  assert.deepEqual(Object.keys(doc.outputs).sort(), ["deployment-id", "image-digest", "task-definition-arn"]);
});

test("the committed bundle is what scripts/build-action.mjs builds from the sources now", {
  timeout: 60_000,
}, async () => {
  const out = join(await mkdtemp(join(tmpdir(), "keyship-action-dist-")), "index.js");
  await run(process.execPath, [join(root, "scripts/build-action.mjs"), out], { cwd: root });
  const fresh = await readFile(out);
  const committed = await readFile(join(root, "action/dist/index.js"));
  assert.ok(
    fresh.equals(committed),
    "action/dist/index.js is stale: run `node scripts/build-action.mjs` and commit action/dist",
  );
});

test("the bundle runs without node_modules and fails a step as an Actions error annotation", async () => {
  const dir = await mkdtemp(join(tmpdir(), "keyship-action-alone-"));
  await copyFile(join(root, "action/dist/index.js"), join(dir, "index.js"));
  const r = await run(process.execPath, [join(dir, "index.js")], {
    cwd: dir,
    env: { PATH: process.env.PATH, AWS_REGION: "ap-northeast-1" },
  }).then(
    () => ({ code: 0, stdout: "" }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^::error title=keyship deploy::Input required and not supplied: cluster$/m);
});
