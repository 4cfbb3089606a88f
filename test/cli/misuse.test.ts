// The commands' --help and misuse contract, through the real executable: usage on stdout with exit 0,
// the message then the usage on stderr with exit 2 (scripts outside keyship rely on both).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { keyship as keyshipRun } from "../support/cli.ts";

const noOperands = "Unexpected argument 'extra'. This command does not take positional arguments";

/** command words, module, the prefix of its parser messages, whether it takes operands */
const commands: [string[], string, string, boolean][] = [
  [["token"], "token.ts", "", false],
  [["job-env"], "job-env.ts", "", false],
  [["keys", "rotate"], "keys.ts", "", false],
  [["explain"], "explain.ts", "", false],
  [["audit"], "audit.ts", "", true],
  [["preflight"], "preflight.ts", "", true],
  [["deploy"], "deploy.ts", "keyship deploy: ", false],
  [["diff"], "diff.ts", "keyship diff: ", false],
  [["verify"], "verify.ts", "keyship verify: ", false],
  [["ecr", "login"], "ecr-login.ts", "keyship ecr login: ", false],
  [["rollback"], "rollback.ts", "keyship rollback: ", false],
  [["iam", "simulate"], "iam-simulate.ts", "", true],
];

let state: string;
before(async () => {
  state = await mkdtemp(join(tmpdir(), "keyship-cli-"));
});
after(async () => {
  await rm(state, { recursive: true, force: true });
});

for (const [words, file, prefix, operands] of commands) {
  test(`keyship ${words.join(" ")}: --help, -h, unknown options and operands`, async () => {
    const { usage } = (await import(`../../src/cli/${file}`)) as { usage: string };
    const [help, short, unknown, extra] = await Promise.all([
      keyshipRun([...words, "--help"]),
      keyshipRun([...words, "-h"]),
      keyshipRun([...words, "--bogus"]),
      keyshipRun([...words, "extra", "--help"]),
    ]);
    assert.deepEqual(help, { code: 0, stdout: usage, stderr: "" });
    assert.deepEqual(short, { code: 0, stdout: usage, stderr: "" });
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, "");
    assert.ok(unknown.stderr.startsWith(`${prefix}Unknown option '--bogus'`), unknown.stderr);
    assert.ok(unknown.stderr.endsWith(`\n\n${usage}`));
    if (operands) assert.deepEqual(extra, { code: 0, stdout: usage, stderr: "" });
    else assert.deepEqual(extra, { code: 2, stdout: "", stderr: `${prefix}${noOperands}\n\n${usage}` });
  });
}

/** command words, arguments, the misuse message its usage follows */
const missing: [string[], string[], string][] = [
  [["token"], ["--repo", "a/b"], "keyship token: --state and --repo are required"],
  [["job-env"], [], "keyship job-env: --state and --repo are required"],
  [["keys", "rotate"], [], "keyship keys rotate: --state is required"],
  [["explain"], ["--role", "r"], "keyship explain: --state, --role and --token or --repo are required"],
  [["audit"], [], "missing TARGET"],
  [["audit"], ["--format", "x", "a", "b"], "--format must be table, json or sarif\nname one TARGET"],
  [
    ["preflight"],
    ["a", "b", "--format", "x", "--state", "."],
    "name one WORKFLOW.yml\n--format must be table, json or sarif",
  ],
  [["deploy"], ["--cluster", "c"], "keyship deploy: missing --service, --task-definition, --region"],
  [["diff"], ["--env", "bad"], 'keyship diff: --env wants NAME=VALUE, got "bad"'],
  [
    ["verify"],
    ["--image", "i", "--container", "c"],
    "keyship verify: give --image/--image-from after the --container they are for",
  ],
  [["ecr", "login"], ["--for", "docker"], "keyship ecr login: missing --region"],
  [["ecr", "login"], ["--region", "r", "--for", "x"], "keyship ecr login: --for is docker, podman or both"],
  [["rollback"], ["--region", "r"], "keyship rollback: --region, --cluster and --service are required"],
];

for (const [words, args, message] of missing) {
  test(`keyship ${words.join(" ")} ${args.join(" ")}: exit 2 with the message and usage`, async () => {
    const file = commands.find(([w]) => w.join(" ") === words.join(" "))?.[1];
    const { usage } = (await import(`../../src/cli/${file}`)) as { usage: string };
    assert.deepEqual(await keyshipRun([...words, ...args]), {
      code: 2,
      stdout: "",
      stderr: `${message}\n\n${usage}`,
    });
  });
}

test("keyship deploy: --help wins over a later misuse the parser cannot see", async () => {
  const { usage } = (await import("../../src/cli/deploy.ts")) as { usage: string };
  assert.deepEqual(await keyshipRun(["deploy", "--help", "--env", "bad"]), {
    code: 0,
    stdout: usage,
    stderr: "",
  });
});

test("keyship token: a claim that is not key=value is misuse, without the usage", async () => {
  const r = await keyshipRun(["token", "--state", state, "--repo", "a/b", "--claim", "x"]);
  assert.deepEqual(r, { code: 2, stdout: "", stderr: "keyship token: --claim takes key=value, got 'x'\n" });
});
