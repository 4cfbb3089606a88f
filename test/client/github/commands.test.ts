// Workflow command and environment file formats, as the runner parses them.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  command,
  fileEntry,
  getBooleanInput,
  getInput,
  maskCommands,
  setOutput,
} from "../../../src/client/github/commands.ts";

describe("workflow commands", () => {
  it("escapes data and properties", () => {
    assert.equal(
      command("warning", "50%\nnext", { title: "a:b,c" }),
      "::warning title=a%3Ab%2Cc::50%25%0Anext",
    );
  });
  it("masks every line of a multi-line secret", () => {
    assert.deepEqual(maskCommands("a\nb\n"), ["::add-mask::a", "::add-mask::b"]);
  });
  it("writes heredoc outputs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "keyship-gh-"));
    const file = join(dir, "out");
    setOutput({ env: { GITHUB_OUTPUT: file }, write: () => {} }, "digest", "sha256:x");
    assert.match(
      await readFile(file, "utf8"),
      /^digest<<ghadelimiter_[0-9a-f-]+\nsha256:x\nghadelimiter_[0-9a-f-]+\n$/,
    );
    assert.equal(fileEntry("a", "b", "D"), "a<<D\nb\nD\n");
    await rm(dir, { recursive: true });
  });
  it("reads inputs like @actions/core", () => {
    const env = { "INPUT_ROLE-ARN": "  arn  ", INPUT_WAIT: "True", INPUT_BAD: "yes" };
    assert.equal(getInput(env, "role-arn"), "arn");
    assert.equal(getBooleanInput(env, "wait"), true);
    assert.throws(() => getBooleanInput(env, "bad"), /YAML 1.2/);
  });
});
