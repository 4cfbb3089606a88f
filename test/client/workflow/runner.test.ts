// The local runner on workflows that need no AWS: contexts, env layering, command files, if:, masks,
// permissions → request-token variables, unknown actions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runLocal as run } from "./local-run.ts";

test("env layers, step outputs, GITHUB_ENV and GITHUB_PATH, if: and the github context", async () => {
  const { result, log } = await run(`
name: t
on: [push]
env: { LEVEL: workflow, A: a }
jobs:
  build:
    runs-on: ubuntu-latest
    env: { LEVEL: job }
    steps:
      - uses: actions/checkout@v4
      - id: one
        run: |
          cat hello.txt
          echo "greeting=hello \${{ github.repository }}" >> "$GITHUB_OUTPUT"
          { echo "multi<<EOF"; echo "line1"; echo "line2"; echo "EOF"; } >> "$GITHUB_OUTPUT"
          echo "FROM_STEP=exported" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool ran' > "$RUNNER_TEMP/bin/mytool" && chmod +x "$RUNNER_TEMP/bin/mytool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - env: { LEVEL: step }
        run: |
          echo "level=$LEVEL a=$A from=$FROM_STEP greeting=\${{ steps.one.outputs.greeting }}"
          echo "event=\${{ github.event_name }} ref=\${{ github.ref }} sha-length=\${#GITHUB_SHA}"
          mytool
          test "\${{ steps.one.outputs.multi }}" = "$(printf 'line1\\nline2')"
      - if: github.event_name == 'pull_request'
        run: echo should-not-run
      - name: masked
        run: |
          echo "::add-mask::sekret-value"
          echo "the value is sekret-value"
`);
  assert.equal(result.status, "success", log);
  assert.match(log, /hi from the repository/);
  assert.match(log, /level=step a=a from=exported greeting=hello example-org\/sample-app/);
  assert.match(log, /event=push ref=refs\/heads\/main sha-length=40/);
  assert.match(log, /tool ran/);
  assert.doesNotMatch(log, /\| should-not-run/);
  assert.match(log, /the value is \*\*\*/);
  assert.doesNotMatch(log, /sekret-value/);
  const steps = result.jobs[0]!.steps;
  assert.equal(steps[3]!.outcome, "skipped");
});

test("secrets are masked wherever they appear; GITHUB_STEP_SUMMARY is collected into the job's summary", async () => {
  const { result, log } = await run(
    `
on: push
jobs:
  j:
    steps:
      - env:
          FROM_ENV: \${{ secrets.DEPLOY_KEY }}
        run: |
          echo "direct \${{ secrets.DEPLOY_KEY }}"
          echo "through env $FROM_ENV"
          echo "### Deployed" >> "$GITHUB_STEP_SUMMARY"
      - run: |
          echo "| key | \${{ secrets.DEPLOY_KEY }} |" >> "$GITHUB_STEP_SUMMARY"
          echo "second step"
`,
    { secrets: { DEPLOY_KEY: "k-3x4mpl3-s3cr3t" } },
  );
  assert.equal(result.status, "success", log);
  assert.match(log, /direct \*\*\*/);
  assert.match(log, /through env \*\*\*/);
  assert.doesNotMatch(log, /k-3x4mpl3-s3cr3t/);
  assert.match(result.jobs[0]!.summary, /^### Deployed\n/);
  assert.match(
    result.jobs[0]!.summary,
    /\| key \| k-3x4mpl3-s3cr3t \|/,
    "the summary file holds what the step wrote",
  );
});

test("a failing step fails the job; later steps run only under failure() or always()", async () => {
  const { result, log } = await run(`
on: workflow_dispatch
jobs:
  j:
    steps:
      - run: exit 3
      - run: echo not-after-failure
      - if: failure()
        run: echo on-failure
      - if: always()
        run: echo always-ran
`);
  assert.equal(result.status, "failure");
  assert.equal(result.failure?.error, "Process completed with exit code 3.");
  assert.doesNotMatch(log, /\| not-after-failure/);
  assert.match(log, /on-failure/);
  assert.match(log, /always-ran/);
});

test("id-token: write gives the job ACTIONS_ID_TOKEN_REQUEST_*; without it they are absent", async () => {
  const probe = `echo "url=\${ACTIONS_ID_TOKEN_REQUEST_URL:-absent} token=\${ACTIONS_ID_TOKEN_REQUEST_TOKEN:+present}"`;
  const granted = await run(
    `
on: push
permissions: { id-token: write, contents: read }
jobs:
  j:
    steps:
      - run: ${JSON.stringify(probe)}
`,
    { endpoint: "http://127.0.0.1:4599" },
  );
  assert.match(
    granted.log,
    /url=http:\/\/127\.0\.0\.1:4599\/_apis\/distributedtask\/hubs\/Actions\/plans\/[^/]+\/jobs\/[^/]+\/idtoken\?api-version=2\.0 token=present/,
  );
  // a job-level block replaces the workflow's entirely
  const withheld = await run(`
on: push
permissions: { id-token: write }
jobs:
  j:
    permissions: { contents: read }
    steps:
      - run: ${JSON.stringify(probe)}
`);
  assert.match(withheld.log, /url=absent token=$/m);
});

test("an unknown action is an error naming it", async () => {
  const { result } = await run(`
on: push
jobs:
  j:
    steps:
      - uses: someone/something@v1
`);
  assert.equal(result.status, "failure");
  assert.match(result.failure!.error, /Unknown action 'someone\/something@v1'/);
});

test("a workflow not triggered by the event is refused", async () => {
  await assert.rejects(
    run(
      `
on: { push: { branches: [main] } }
jobs: { j: { steps: [ { run: "true" } ] } }
`,
      { event: "pull_request" },
    ),
    /not triggered by pull_request/,
  );
});
