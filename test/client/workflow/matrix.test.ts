// strategy.matrix: expansion checked against the examples of GitHub's documentation
// (https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/running-variations-of-jobs-in-a-workflow),
// and matrix jobs through the local runner: legs, names, the matrix and strategy contexts, fail-fast, outputs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { interpolate } from "../../../src/client/workflow/expression.ts";
import { expandMatrix } from "../../../src/client/workflow/matrix.ts";
import { runLocal as run } from "./local-run.ts";

const expand = (yaml: string, contexts = {}) =>
  expandMatrix(parse(yaml), (t) => interpolate(t, { contexts }), "w.yml: jobs.j");

test("the product of the vectors, in the order the keys are written", () => {
  assert.deepEqual(expand("version: [10, 12, 14]\nos: [ubuntu-latest, windows-latest]"), [
    { version: 10, os: "ubuntu-latest" },
    { version: 10, os: "windows-latest" },
    { version: 12, os: "ubuntu-latest" },
    { version: 12, os: "windows-latest" },
    { version: 14, os: "ubuntu-latest" },
    { version: 14, os: "windows-latest" },
  ]);
});

test("docs, 'Expanding or adding matrix configurations': include merges where it contradicts no original value", () => {
  assert.deepEqual(
    expand(`
fruit: [apple, pear]
animal: [cat, dog]
include:
  - color: green
  - color: pink
    animal: cat
  - fruit: apple
    shape: circle
  - fruit: banana
  - fruit: banana
    animal: cat
`),
    [
      { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
      { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
      { fruit: "pear", animal: "cat", color: "pink" },
      { fruit: "pear", animal: "dog", color: "green" },
      { fruit: "banana" },
      { fruit: "banana", animal: "cat" },
    ],
  );
  // "Example: Expanding configurations": only windows-latest/16 gets npm 6
  assert.deepEqual(
    expand(
      "os: [windows-latest, ubuntu-latest]\nnode: [14, 16]\ninclude:\n  - os: windows-latest\n    node: 16\n    npm: 6",
    ),
    [
      { os: "windows-latest", node: 14 },
      { os: "windows-latest", node: 16, npm: 6 },
      { os: "ubuntu-latest", node: 14 },
      { os: "ubuntu-latest", node: 16 },
    ],
  );
  // an include entry that contradicts every original leg is a leg of its own
  assert.deepEqual(
    expand(
      "os: [windows-latest, ubuntu-latest]\nversion: [12, 14, 16]\ninclude:\n  - os: windows-latest\n    version: 17\n",
    ).at(-1),
    { os: "windows-latest", version: 17 },
  );
});

test("docs, 'Excluding matrix configurations': an entry drops every leg matching all its keys", () => {
  const legs = expand(`
os: [macos-latest, windows-latest]
version: [12, 14, 16]
environment: [staging, production]
exclude:
  - os: macos-latest
    version: 12
    environment: production
  - os: windows-latest
    version: 16
`);
  assert.equal(legs.length, 9, "12 combinations, 1 and 2 excluded");
  assert.ok(!legs.some((l) => l.os === "windows-latest" && l.version === 16));
  assert.ok(!legs.some((l) => l.os === "macos-latest" && l.version === 12 && l.environment === "production"));
  assert.ok(legs.some((l) => l.os === "macos-latest" && l.version === 12 && l.environment === "staging"));
  // exclude runs before include, so an include can bring an excluded combination back
  assert.deepEqual(expand("a: [1, 2]\nexclude: [{ a: 2 }]\ninclude: [{ a: 2, b: x }]"), [
    { a: 1 },
    { a: 2, b: "x" },
  ]);
});

test("include alone, values from expressions, and matrices without legs", () => {
  assert.deepEqual(expand("include:\n  - site: production\n  - site: staging"), [
    { site: "production" },
    { site: "staging" },
  ]);
  assert.deepEqual(
    expand("${{ fromJSON(needs.setup.outputs.m) }}", { needs: { setup: { outputs: { m: '{"n":[1,2]}' } } } }),
    [{ n: 1 }, { n: 2 }],
  );
  assert.deepEqual(expand("n: ${{ fromJSON('[3]') }}"), [{ n: 3 }]);
  assert.throws(() => expand("n: []"), /matrix vector 'n' does not contain any values/);
  assert.throws(() => expand("n: [1]\nexclude: [{ n: 1 }]"), /every combination is excluded/);
});

test("matrix legs: names, runs-on, env, with, step if, and the strategy context", async () => {
  const { result, log } = await run(`
on: push
jobs:
  build:
    runs-on: \${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-22.04, ubuntu-24.04]
        flavour: [a, b]
        exclude:
          - os: ubuntu-24.04
            flavour: b
    env:
      TARGET: \${{ matrix.os }}-\${{ matrix.flavour }}
    steps:
      - uses: actions/checkout@v4
        with:
          path: src-\${{ matrix.flavour }}
      - run: |
          test -f "src-\${{ matrix.flavour }}/hello.txt"
          echo "leg target=$TARGET index=\${{ strategy.job-index }}/\${{ strategy.job-total }} fail-fast=\${{ strategy.fail-fast }} max-parallel=\${{ strategy.max-parallel }} github.job=\${{ github.job }}"
      - if: matrix.flavour == 'b'
        run: echo "only-b on \${{ matrix.os }}"
  deploy:
    name: deploy to \${{ matrix.site }}
    strategy:
      max-parallel: 1
      matrix:
        site: [staging, production]
    steps:
      - run: echo "deploying \${{ matrix.site }} max-parallel=\${{ strategy.max-parallel }}"
`);
  assert.equal(result.status, "success", log);
  assert.deepEqual(
    result.jobs.map((j) => [j.job, j.id, j.runsOn]),
    [
      ["build (ubuntu-22.04, a)", "build", "ubuntu-22.04"],
      ["build (ubuntu-22.04, b)", "build", "ubuntu-22.04"],
      ["build (ubuntu-24.04, a)", "build", "ubuntu-24.04"],
      ["deploy to staging", "deploy", undefined],
      ["deploy to production", "deploy", undefined],
    ],
  );
  assert.match(log, /^Job build \(ubuntu-22\.04, b\) for example-org\/sample-app/m);
  assert.match(
    log,
    /\| leg target=ubuntu-22.04-a index=0\/3 fail-fast=true max-parallel=3 github\.job=build/,
  );
  assert.match(log, /\| leg target=ubuntu-22.04-b index=1\/3/);
  assert.match(log, /\| leg target=ubuntu-24.04-a index=2\/3/);
  assert.match(log, /Copied .* into .*\/workspace\/src-b/);
  assert.deepEqual(log.match(/\| only-b on .*/g), ["| only-b on ubuntu-22.04"]);
  assert.match(log, /\| deploying staging max-parallel=1/);
  assert.match(log, /\| deploying production/);
  assert.deepEqual(result.jobs[1]!.matrix, { os: "ubuntu-22.04", flavour: "b" });
});

test("fail-fast: a failed leg cancels the legs not yet run, and dependents see the job failed", async () => {
  const workflow = (failFast: string) => `
on: push
jobs:
  test:
    strategy:
      ${failFast}
      matrix:
        n: [1, 2, 3]
    outputs:
      last: \${{ steps.o.outputs.n }}
    steps:
      - id: o
        run: |
          echo "n=\${{ matrix.n }}" >> "$GITHUB_OUTPUT"
          echo "leg \${{ matrix.n }} ran"
          test "\${{ matrix.n }}" != 2
  report:
    needs: test
    if: always()
    steps:
      - run: echo "report result=\${{ needs.test.result }} last=\${{ needs.test.outputs.last }}"
`;
  const fast = await run(workflow(""));
  assert.equal(fast.result.status, "failure");
  assert.equal(fast.result.failure?.job, "test (2)");
  assert.deepEqual(
    fast.result.jobs.map((j) => [j.job, j.status]),
    [
      ["test (1)", "success"],
      ["test (2)", "failure"],
      ["test (3)", "cancelled"],
      ["report", "success"],
    ],
  );
  assert.doesNotMatch(fast.log, /leg 3 ran/);
  assert.match(fast.log, /Job test \(3\) cancelled \(fail-fast: test \(2\) failed\)/);
  assert.match(fast.log, /\| report result=failure last=2/, "the last leg to set an output wins");

  const slow = await run(workflow("fail-fast: false"));
  assert.deepEqual(
    slow.result.jobs.map((j) => j.status),
    ["success", "failure", "success", "success"],
  );
  assert.match(slow.log, /\| leg 3 ran/);
  assert.match(slow.log, /\| report result=failure last=3/);
});

test("a matrix built from a needed job's output", async () => {
  const { result, log } = await run(`
on: push
jobs:
  plan:
    outputs:
      sites: \${{ steps.p.outputs.sites }}
    steps:
      - id: p
        run: echo 'sites=["eu","us"]' >> "$GITHUB_OUTPUT"
  deploy:
    needs: plan
    strategy:
      matrix:
        site: \${{ fromJSON(needs.plan.outputs.sites) }}
    steps:
      - run: echo "deploy \${{ matrix.site }}"
`);
  assert.equal(result.status, "success", log);
  assert.deepEqual(
    result.jobs.map((j) => j.job),
    ["plan", "deploy (eu)", "deploy (us)"],
  );
});
