// `keyship run` on multi-job workflows through the real executable: --job with the jobs it needs, the final
// line naming matrix legs as GitHub shows them, and an invalid needs graph as a usage error (exit 2).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { keyship } from "../support/cli.ts";

async function cli(
  workflow: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const repo = await mkdtemp(join(tmpdir(), "keyship-run-repo-"));
  await mkdir(join(repo, ".github/workflows"), { recursive: true });
  const path = join(repo, ".github/workflows/w.yml");
  await writeFile(path, workflow);
  const state = await mkdtemp(join(tmpdir(), "keyship-run-state-"));
  return keyship(["run", path, "--state", state, ...args]);
}

const workflow = `
on: push
jobs:
  lint:
    steps:
      - run: echo lint-ran
  build:
    strategy:
      matrix:
        arch: [amd64, arm64]
    outputs:
      digest: \${{ steps.d.outputs.digest }}
    steps:
      - id: d
        run: echo "digest=sha256-\${{ matrix.arch }}" >> "$GITHUB_OUTPUT"
  deploy:
    needs: build
    steps:
      - run: echo "deploying \${{ needs.build.outputs.digest }}"
`;

test("--job runs the job after the jobs it needs, and nothing else", { timeout: 60_000 }, async () => {
  const r = await cli(workflow, ["--job", "deploy"]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /lint-ran/);
  assert.match(r.stdout, /\| deploying sha256-arm64/);
  assert.match(r.stdout, /\nJob\(s\) build \(amd64\), build \(arm64\), deploy succeeded\.\n$/);
});

test("a failed leg: the dependent is skipped and the final line names the leg", {
  timeout: 60_000,
}, async () => {
  const r = await cli(
    workflow.replace('run: echo "digest', 'run: test "${{ matrix.arch }}" = amd64 && echo "digest'),
  );
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /Job deploy skipped \(needs: build failure\)/);
  assert.match(r.stdout, /\nJob build \(arm64\) failed at "Run test .*"\.\n$/);
});

test("needs forming a cycle or naming an unknown job is exit 2 with the reason", {
  timeout: 60_000,
}, async () => {
  const cycle = await cli(
    "on: push\njobs:\n  a: { needs: b, steps: [ { run: 'true' } ] }\n  b: { needs: a, steps: [ { run: 'true' } ] }\n",
  );
  assert.equal(cycle.code, 2, cycle.stdout);
  assert.match(
    cycle.stderr,
    /job 'a' depends on job 'b' which creates a cycle in the dependency graph \(a → b → a\)/,
  );
  const unknown = await cli(workflow.replace("needs: build", "needs: [build, tests]"));
  assert.equal(unknown.code, 2, unknown.stdout);
  assert.match(unknown.stderr, /job 'deploy' depends on unknown job 'tests'/);
  assert.doesNotMatch(unknown.stdout, /lint-ran/);
});
