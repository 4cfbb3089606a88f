// README's "The twin" section, run as a user would: keyship up, keyship env, the aws CLI creating
// the OIDC provider and role, keyship token into a file, assume-role-with-web-identity from the
// file (trailing newline and all), a foreign repository denied, and keyship decisions explaining it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { aws, spawnTwin, tempDir } from "../support/twin.ts";

const bin = join(import.meta.dirname, "../../bin/keyship");
const keyship = (...args: string[]) => promisify(execFile)(process.execPath, [bin, ...args]);

test("the README's twin walkthrough works as written", async () => {
  const dir = await tempDir();
  const state = join(dir, ".keyship");
  const { url, child } = await spawnTwin(state);
  try {
    const { stdout: exports } = await keyship("env", "--state", state, "--url", url);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, AWS_CONFIG_FILE: "/dev/null" };
    for (const m of exports.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) env[m[1]!] = m[2]!.replace(/^'|'$/g, "");
    const trust = join(dir, "trust.json");
    await writeFile(
      trust,
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: {
              Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
              StringLike: { "token.actions.githubusercontent.com:sub": "repo:example-org/sample-app:*" },
            },
          },
        ],
      }),
    );
    const provider = await aws(
      [
        "iam",
        "create-open-id-connect-provider",
        "--url",
        "https://token.actions.githubusercontent.com",
        "--client-id-list",
        "sts.amazonaws.com",
      ],
      env,
    );
    assert.equal(provider.code, 0, provider.stderr);
    const role = await aws(
      ["iam", "create-role", "--role-name", "deploy", "--assume-role-policy-document", `file://${trust}`],
      env,
    );
    assert.equal(role.code, 0, role.stderr);

    const good = join(dir, "token.jwt");
    const minted = await keyship(
      "token",
      "--state",
      state,
      "--repo",
      "example-org/sample-app",
      "--audience",
      "sts.amazonaws.com",
    );
    await writeFile(good, minted.stdout);
    assert.ok(minted.stdout.endsWith("\n"), "printed with a newline, as a shell redirect keeps it");
    const assumed = await aws(
      [
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        "arn:aws:iam::123456789012:role/deploy",
        "--role-session-name",
        "gha",
        "--web-identity-token",
        `file://${good}`,
        "--output",
        "json",
      ],
      env,
    );
    assert.equal(assumed.code, 0, assumed.stderr);
    const out = JSON.parse(assumed.stdout);
    assert.equal(out.AssumedRoleUser.Arn, "arn:aws:sts::123456789012:assumed-role/deploy/gha");
    assert.equal(out.SubjectFromWebIdentityToken, "repo:example-org/sample-app:ref:refs/heads/main");

    const bad = join(dir, "bad.jwt");
    await writeFile(
      bad,
      (await keyship("token", "--state", state, "--repo", "other-org/app", "--audience", "sts.amazonaws.com"))
        .stdout,
    );
    const denied = await aws(
      [
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        "arn:aws:iam::123456789012:role/deploy",
        "--role-session-name",
        "gha",
        "--web-identity-token",
        `file://${bad}`,
      ],
      env,
    );
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /\(AccessDenied\).*Not authorized to perform sts:AssumeRoleWithWebIdentity/);
    const { stdout: trace } = await keyship("decisions", "--state", state, "--denied", "--limit", "1");
    assert.match(trace, /sts:AssumeRoleWithWebIdentity on arn:aws:iam::123456789012:role\/deploy/);
    assert.match(trace, /repo:other-org\/app:ref:refs\/heads\/main/);
    assert.match(trace, /repo:example-org\/sample-app:\*/);
  } finally {
    child.kill("SIGTERM");
  }
});
