// Immutable subjects through the CLI (github-oidc.md §6.2): --repo-created against the 2026-07-15 cutoff and
// --subject-format, for keyship token, job-env (the twin's runner endpoint mints the same sub from the request
// token), explain and run; bad values exit 2; a REST customization's use_immutable_subject still wins.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { defaultSubjectFormat, jobFor } from "../../src/oidc/claims.ts";
import { keyship } from "../support/cli.ts";
import { clientConfig, withTwin } from "../support/twin.ts";
import { webIdentityTrust } from "../support/web-identity-trust.ts";

const GH = "token.actions.githubusercontent.com";
const REPO = "example-org/sample-app";
const subOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as { sub: string }).sub;

describe("defaultSubjectFormat (pure)", () => {
  it("on or after the cutoff is immutable, before it legacy; explicit wins; cutoff configurable", () => {
    assert.equal(defaultSubjectFormat({}), "legacy");
    assert.equal(defaultSubjectFormat({ repositoryCreatedAt: "2026-07-15" }), "immutable");
    assert.equal(defaultSubjectFormat({ repositoryCreatedAt: "2026-07-14T23:59:59Z" }), "legacy");
    // 23:00 at UTC-05:00 is 04:00 UTC on the 15th.
    assert.equal(defaultSubjectFormat({ repositoryCreatedAt: "2026-07-14T23:00:00-05:00" }), "immutable");
    assert.equal(
      defaultSubjectFormat({ repositoryCreatedAt: "2026-08-01", subjectFormat: "legacy" }),
      "legacy",
    );
    assert.equal(
      defaultSubjectFormat({ repositoryCreatedAt: "2026-07-20" }, { immutableSubjectCutoff: "2026-08-01" }),
      "legacy",
    );
    assert.throws(() => defaultSubjectFormat({ repositoryCreatedAt: "2026-02-30" }), TypeError);
    assert.equal(jobFor({ repository: REPO, repositoryCreatedAt: "2027-01-01" }).subjectFormat, "immutable");
  });
});

describe("--repo-created and --subject-format", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let prefix: string;
  const token = async (...args: string[]) => {
    const r = await keyship(["token", "--state", twin.stateDir, "--audience", "sts.amazonaws.com", ...args]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  before(async () => {
    twin = await withTwin();
    const job = jobFor({ repository: REPO });
    prefix = `repo:example-org@${job.ownerId}/sample-app@${job.repositoryId}`;
    const iam = new IAMClient(clientConfig(twin));
    const provider = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
      )
    ).OpenIDConnectProviderArn!;
    await iam.send(
      new CreateRoleCommand({
        RoleName: "immutable-main",
        AssumeRolePolicyDocument: webIdentityTrust(provider, {
          StringEquals: { [`${GH}:sub`]: `${prefix}:ref:refs/heads/main` },
        }),
      }),
    );
    iam.destroy();
  });
  after(() => twin.dispose());

  it("keyship token: the date decides at the cutoff, the explicit format wins, neither is legacy", async () => {
    assert.equal(subOf(await token("--repo", REPO)), `repo:${REPO}:ref:refs/heads/main`);
    assert.equal(
      subOf(await token("--repo", REPO, "--repo-created", "2026-07-15")),
      `${prefix}:ref:refs/heads/main`,
    );
    assert.equal(
      subOf(await token("--repo", REPO, "--repo-created", "2026-07-14T23:59:59Z")),
      `repo:${REPO}:ref:refs/heads/main`,
    );
    assert.equal(
      subOf(await token("--repo", REPO, "--repo-created", "2026-09-01", "--subject-format", "legacy")),
      `repo:${REPO}:ref:refs/heads/main`,
    );
    assert.equal(
      subOf(await token("--repo", REPO, "--subject-format", "immutable", "--environment", "prod")),
      `${prefix}:environment:prod`,
    );
  });

  it("bad values exit 2 naming the flag, for token, job-env, explain and run", async () => {
    for (const [cmd, extra] of [
      ["token", []],
      ["job-env", []],
      ["explain", ["--role", "immutable-main"]],
    ] as const) {
      const date = await keyship([
        cmd,
        "--state",
        twin.stateDir,
        "--repo",
        REPO,
        ...extra,
        "--repo-created",
        "2026-02-30",
      ]);
      assert.equal(date.code, 2, `${cmd}: ${date.stdout}${date.stderr}`);
      assert.match(date.stderr, /--repo-created takes a date, YYYY-MM-DD or ISO 8601.*'2026-02-30'/);
      const fmt = await keyship([
        cmd,
        "--state",
        twin.stateDir,
        "--repo",
        REPO,
        ...extra,
        "--subject-format",
        "ids",
      ]);
      assert.equal(fmt.code, 2, `${cmd}: ${fmt.stdout}${fmt.stderr}`);
      assert.match(fmt.stderr, /--subject-format must be legacy or immutable, got 'ids'/);
    }
    const run = await keyship([
      "run",
      "no-such.yml",
      "--state",
      twin.stateDir,
      "--repo-created",
      "yesterday",
    ]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /keyship run: --repo-created takes a date/);
  });

  it("keyship job-env: the runner endpoint mints the chosen subject from the request token", async () => {
    const env = async (...args: string[]) => {
      const r = await keyship([
        "job-env",
        "--state",
        twin.stateDir,
        "--repo",
        REPO,
        "--url",
        twin.url,
        ...args,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const vars = Object.fromEntries(
        [...r.stdout.matchAll(/^export (\w+)='(.*)'$/gm)].map((m) => [m[1]!, m[2]!.replaceAll("'\\''", "'")]),
      );
      const url = new URL(vars.ACTIONS_ID_TOKEN_REQUEST_URL!);
      url.searchParams.set("audience", "sts.amazonaws.com");
      const res = await fetch(url, {
        headers: { Authorization: `Bearer ${vars.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
      });
      assert.equal(res.status, 200);
      return subOf(((await res.json()) as { value: string }).value);
    };
    assert.equal(await env("--repo-created", "2026-07-16T08:00:00Z"), `${prefix}:ref:refs/heads/main`);
    assert.equal(await env("--repo-created", "2025-01-01"), `repo:${REPO}:ref:refs/heads/main`);
    assert.equal(await env(), `repo:${REPO}:ref:refs/heads/main`);
  });

  it("keyship explain: a trust policy on the immutable sub allows only the immutable job", async () => {
    const ok = await keyship([
      "explain",
      "--state",
      twin.stateDir,
      "--role",
      "immutable-main",
      "--repo",
      REPO,
      "--repo-created",
      "2026-07-15",
    ]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`sub ${prefix}:ref:refs/heads/main`));
    const legacy = await keyship([
      "explain",
      "--state",
      twin.stateDir,
      "--role",
      "immutable-main",
      "--repo",
      REPO,
    ]);
    assert.equal(legacy.code, 1, legacy.stdout + legacy.stderr);
  });

  it("a repository customization's use_immutable_subject still wins over the flags", async () => {
    const put = await fetch(`${twin.url}/repos/example-org/pinned-legacy/actions/oidc/customization/sub`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ use_default: true, use_immutable_subject: false }),
    });
    assert.equal(put.status, 201);
    assert.equal(
      subOf(await token("--repo", "example-org/pinned-legacy", "--subject-format", "immutable")),
      "repo:example-org/pinned-legacy:ref:refs/heads/main",
    );
  });
});

describe("keyship run --repo-created", () => {
  it("the job's token, fetched from ACTIONS_ID_TOKEN_REQUEST_URL in a step, carries the immutable sub", {
    timeout: 120_000,
  }, async () => {
    const state = await mkdtemp(join(tmpdir(), "keyship-run-sub-"));
    const repo = await mkdtemp(join(tmpdir(), "keyship-run-sub-repo-"));
    await mkdir(join(repo, ".github/workflows"), { recursive: true });
    const workflow = join(repo, ".github/workflows/sub.yml");
    await writeFile(
      join(repo, "sub.mjs"),
      [
        "const url = process.env.ACTIONS_ID_TOKEN_REQUEST_URL + '&audience=sts.amazonaws.com';",
        "const res = await fetch(url, { headers: { authorization: 'Bearer ' + process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN } });",
        "const { value } = await res.json();",
        "console.log('sub=' + JSON.parse(Buffer.from(value.split('.')[1], 'base64url')).sub);",
      ].join("\n"),
    );
    await writeFile(
      workflow,
      `on: push
permissions: { id-token: write, contents: read }
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: node sub.mjs
`,
    );
    const job = jobFor({ repository: REPO });
    const run = (...extra: string[]) =>
      keyship(["run", workflow, "--state", state, "--repo", REPO, ...extra]);
    const immutable = await run("--repo-created", "2026-07-15");
    assert.equal(immutable.code, 0, `${immutable.stdout}\n${immutable.stderr}`);
    assert.match(
      immutable.stdout,
      new RegExp(`sub=repo:example-org@${job.ownerId}/sample-app@${job.repositoryId}:ref:refs/heads/main`),
    );
    const legacy = await run("--repo-created", "2026-07-15", "--subject-format", "legacy");
    assert.equal(legacy.code, 0, `${legacy.stdout}\n${legacy.stderr}`);
    assert.match(legacy.stdout, /sub=repo:example-org\/sample-app:ref:refs\/heads\/main/);
  });
});
