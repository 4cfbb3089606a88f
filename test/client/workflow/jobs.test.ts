// Multi-job workflows through the local runner: needs order, job outputs as needs.<job>.outputs, results,
// jobs skipped after a failure unless their if: says otherwise, invalid graphs, and --job with its needs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runLocal as run } from "./local-run.ts";

// Written out of order on purpose: the file lists the last job first.
const chain = `
on: push
jobs:
  deploy:
    needs: [build, test]
    steps:
      - run: |
          echo "deploy image=\${{ needs.build.outputs.image }} tested=\${{ needs.test.outputs.verdict }}"
          echo "results build=\${{ needs.build.result }} test=\${{ needs.test.result }}"
          echo "not needed directly: [\${{ needs.setup.outputs.version }}]"
  test:
    needs: build
    outputs:
      verdict: \${{ steps.t.outputs.verdict }}
    steps:
      - id: t
        run: |
          echo "testing \${{ needs.build.outputs.image }}"
          echo "verdict=passed-\${{ needs.build.outputs.tag }}" >> "$GITHUB_OUTPUT"
  build:
    outputs:
      image: registry/app:\${{ steps.b.outputs.tag }}
      tag: \${{ steps.b.outputs.tag }}
      empty: \${{ steps.b.outputs.nothing }}
    steps:
      - id: b
        run: echo "tag=v42" >> "$GITHUB_OUTPUT"
`;

test("jobs run after the jobs they need, which see their outputs and results", async () => {
  const { result, log } = await run(chain);
  assert.equal(result.status, "success", log);
  assert.deepEqual(
    result.jobs.map((j) => j.job),
    ["build", "test", "deploy"],
  );
  assert.deepEqual(
    result.jobs[0]!.outputs,
    { image: "registry/app:v42", tag: "v42" },
    "an empty output is not set",
  );
  assert.deepEqual(result.jobs[1]!.outputs, { verdict: "passed-v42" });
  assert.match(log, /\| testing registry\/app:v42/);
  assert.match(log, /\| deploy image=registry\/app:v42 tested=passed-v42/);
  assert.match(log, /\| results build=success test=success/);
  assert.match(log, /\| not needed directly: \[\]/, "only the jobs named in needs are in the context");
  assert.ok(
    log.indexOf("Job build ") < log.indexOf("Job test ") &&
      log.indexOf("Job test ") < log.indexOf("Job deploy "),
  );
});

test("--job runs the named job and, first, every job it needs", async () => {
  const { result, log } = await run(chain, { job: "test" });
  assert.equal(result.status, "success", log);
  assert.deepEqual(
    result.jobs.map((j) => j.job),
    ["build", "test"],
  );
  const alone = await run(chain, { job: "build" });
  assert.deepEqual(
    alone.result.jobs.map((j) => j.job),
    ["build"],
  );
});

test("after a failure, dependents are skipped unless their if: uses a status function", async () => {
  const { result, log } = await run(`
on: push
jobs:
  build:
    outputs:
      partial: \${{ steps.p.outputs.v }}
    steps:
      - id: p
        run: echo "v=before-failure" >> "$GITHUB_OUTPUT"
      - name: Compile
        run: exit 4
  independent:
    steps:
      - run: echo independent-ran
  deploy:
    needs: build
    steps:
      - run: echo deploy-ran
  after-deploy:
    needs: deploy
    if: always()
    steps:
      - run: echo "after-deploy sees deploy=\${{ needs.deploy.result }}"
  gated:
    needs: after-deploy
    if: failure()
    steps:
      - run: echo "gated ran because an ancestor failed"
  report:
    needs: [build, independent]
    if: always()
    steps:
      - run: echo "report build=\${{ needs.build.result }} partial=\${{ needs.build.outputs.partial }} independent=\${{ needs.independent.result }}"
  notify:
    needs: build
    if: needs.build.result == 'failure'
    steps:
      - run: echo notify-ran
  on-failure:
    needs: build
    if: \${{ failure() }}
    steps:
      - run: echo on-failure-ran
`);
  assert.equal(result.status, "failure");
  assert.deepEqual(result.failure, {
    job: "build",
    step: "Compile",
    error: "Process completed with exit code 4.",
  });
  const status = Object.fromEntries(result.jobs.map((j) => [j.job, j.status]));
  assert.deepEqual(status, {
    build: "failure",
    independent: "success",
    deploy: "skipped",
    "after-deploy": "success",
    gated: "success",
    report: "success",
    notify: "skipped",
    "on-failure": "success",
  });
  assert.match(log, /\| independent-ran/, "a job that needs nothing that failed still runs");
  assert.doesNotMatch(log, /\| deploy-ran/);
  assert.match(log, /Job deploy skipped \(needs: build failure\)/);
  assert.match(log, /\| after-deploy sees deploy=skipped/);
  assert.match(log, /\| gated ran because an ancestor failed/);
  assert.match(log, /\| report build=failure partial=before-failure independent=success/);
  assert.doesNotMatch(log, /\| notify-ran/, "without a status function the condition is success() && (...)");
  assert.match(log, /\| on-failure-ran/);
});

test("a job whose need was skipped is skipped too; a job if: sees the needs context", async () => {
  const { result, log } = await run(`
on: push
jobs:
  check:
    outputs:
      go: \${{ steps.c.outputs.go }}
    steps:
      - id: c
        run: echo "go=no" >> "$GITHUB_OUTPUT"
  deploy:
    needs: check
    if: needs.check.outputs.go == 'yes'
    steps:
      - run: echo deploy-ran
  smoke:
    needs: deploy
    steps:
      - run: echo smoke-ran
`);
  assert.equal(result.status, "success", log);
  assert.deepEqual(
    result.jobs.map((j) => [j.job, j.status]),
    [
      ["check", "success"],
      ["deploy", "skipped"],
      ["smoke", "skipped"],
    ],
  );
  assert.match(log, /Job deploy skipped \(if: needs\.check\.outputs\.go == 'yes'\)/);
  assert.match(log, /Job smoke skipped \(needs: deploy skipped\)/);
  assert.doesNotMatch(log, /-ran/);
});

test("an output holding a secret, or whose expression fails, is withheld from dependents", async () => {
  const { result, log } = await run(
    `
on: push
jobs:
  a:
    outputs:
      leak: \${{ secrets.KEY }}
      fine: ok
      broken: \${{ fromJSON('not json') }}
    steps:
      - run: "true"
  b:
    needs: a
    steps:
      - run: echo "leak=[\${{ needs.a.outputs.leak }}] fine=\${{ needs.a.outputs.fine }}"
`,
    { secrets: { KEY: "s3cr3t-value" } },
  );
  assert.equal(result.status, "success", log);
  assert.deepEqual(result.jobs[0]!.outputs, { fine: "ok" });
  assert.match(log, /Skip output 'leak' since it may contain secret/);
  assert.match(log, /warning: output 'broken': Error parsing fromJson/);
  assert.match(log, /\| leak=\[\] fine=ok/);
});

test("needs naming an unknown job, or making a cycle, is refused before any job runs", async () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  await assert.rejects(
    run(
      `
on: push
jobs:
  a: { steps: [ { run: echo a-ran } ] }
  b: { needs: [a, nope], steps: [ { run: "true" } ] }
`,
      { log },
    ),
    (err: Error) => {
      assert.equal(err.name, "WorkflowError");
      assert.match(err.message, /job 'b' depends on unknown job 'nope'/);
      return true;
    },
  );
  await assert.rejects(
    run(
      `
on: push
jobs:
  start: { steps: [ { run: echo start-ran } ] }
  a: { needs: [start, c], steps: [ { run: "true" } ] }
  b: { needs: a, steps: [ { run: "true" } ] }
  c: { needs: b, steps: [ { run: "true" } ] }
`,
      { log },
    ),
    (err: Error) => {
      assert.equal(err.name, "WorkflowError");
      assert.match(
        err.message,
        /job 'a' depends on job 'c' which creates a cycle in the dependency graph \(a → c → b → a\)/,
      );
      return true;
    },
  );
  await assert.rejects(run("on: push\njobs:\n  a: { needs: a, steps: [ { run: 'true' } ] }\n"), /\(a → a\)/);
  assert.deepEqual(lines, []);
});
