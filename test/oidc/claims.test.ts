// Claims and subject formats for simulated jobs (github-oidc.md §5–§6).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ClaimTimes, claimsFor, jobFor, MissingClaimError, subjectFor } from "../../src/oidc/claims.ts";

const times: ClaimTimes = {
  issuer: "https://token.actions.githubusercontent.com",
  audience: "sts.amazonaws.com",
  iat: 1795000000,
  ttlSeconds: 300,
  nbfSkewSeconds: 300,
  jti: "3f0c1d9e-5b7a-4c2e-9f1a-2b3c4d5e6f70",
};

const repo = "example-org/sample-app";

describe("default subject", () => {
  const cases: [string, Parameters<typeof jobFor>[0], string][] = [
    ["push to main", { repository: repo }, "repo:example-org/sample-app:ref:refs/heads/main"],
    [
      "workflow_dispatch",
      { repository: repo, event: "workflow_dispatch" },
      "repo:example-org/sample-app:ref:refs/heads/main",
    ],
    [
      "tag",
      { repository: repo, ref: "refs/tags/v1.2.0" },
      "repo:example-org/sample-app:ref:refs/tags/v1.2.0",
    ],
    ["pull request", { repository: repo, event: "pull_request" }, "repo:example-org/sample-app:pull_request"],
    [
      "pull_request_target",
      { repository: repo, event: "pull_request_target" },
      "repo:example-org/sample-app:pull_request",
    ],
    [
      "environment wins over pull request",
      { repository: repo, event: "pull_request", environment: "production" },
      "repo:example-org/sample-app:environment:production",
    ],
    [
      "environment",
      { repository: repo, environment: "production" },
      "repo:example-org/sample-app:environment:production",
    ],
    [
      "colon in branch is escaped",
      { repository: repo, ref: "refs/heads/release:2026" },
      "repo:example-org/sample-app:ref:refs/heads/release%3A2026",
    ],
    [
      "colon in environment is escaped",
      { repository: "octo-org/octo-repo", environment: "Production:V1" },
      "repo:octo-org/octo-repo:environment:Production%3AV1",
    ],
  ];
  for (const [name, input, sub] of cases) {
    it(name, () => assert.equal(claimsFor(jobFor(input), times).sub, sub));
  }
});

describe("claim set", () => {
  it("has GitHub's members, types and alphabetical order", () => {
    const c = claimsFor(jobFor({ repository: repo, environment: "production" }), times);
    assert.deepEqual(Object.keys(c), Object.keys(c).sort());
    for (const [k, v] of Object.entries(c)) {
      if (k === "iat" || k === "nbf" || k === "exp") assert.equal(typeof v, "number", k);
      else assert.equal(typeof v, "string", k);
    }
    assert.equal(c.exp, 1795000300);
    assert.equal(c.nbf, 1794999700);
    assert.equal(c.ref_protected, "true");
    assert.equal(c.ref_type, "branch");
    assert.equal(c.repository_owner, "example-org");
    assert.equal(c.job_workflow_ref, "example-org/sample-app/.github/workflows/deploy.yml@refs/heads/main");
    assert.match(String(c.repository_id), /^\d+$/);
    assert.ok(c.environment_node_id);
    for (const k of [
      "actor",
      "actor_id",
      "base_ref",
      "head_ref",
      "run_id",
      "run_attempt",
      "check_run_id",
      "sha",
    ]) {
      assert.ok(k in c, k);
    }
  });
  it("omits environment claims without an environment, and tags get ref_type tag", () => {
    const c = claimsFor(jobFor({ repository: repo, ref: "refs/tags/v1" }), times);
    assert.equal(c.environment, undefined);
    assert.equal(c.environment_node_id, undefined);
    assert.equal(c.ref_type, "tag");
  });
  it("pull requests carry head_ref/base_ref and a merge ref", () => {
    const c = claimsFor(jobFor({ repository: repo, event: "pull_request", pullRequestNumber: 7 }), times);
    assert.equal(c.ref, "refs/pull/7/merge");
    assert.equal(c.head_ref, "feature");
    assert.equal(c.base_ref, "main");
  });
  it("ids are stable per repository", () => {
    assert.equal(
      jobFor({ repository: repo }).repositoryId,
      jobFor({ repository: repo, ref: "refs/tags/x" }).repositoryId,
    );
    assert.notEqual(
      jobFor({ repository: repo }).repositoryId,
      jobFor({ repository: `${repo}-evil` }).repositoryId,
    );
  });
});

describe("immutable and customized subjects", () => {
  const job = jobFor({ repository: repo, environment: "production" });
  const claims = claimsFor(job, times);
  const prefix = `repo:example-org@${job.ownerId}/sample-app@${job.repositoryId}`;

  it("immutable format via the repository's own format", () => {
    const j = { ...job, subjectFormat: "immutable" as const };
    assert.equal(subjectFor(j, claims), `${prefix}:environment:production`);
  });
  it("immutable via the repo setting, falling back to the org", () => {
    assert.equal(
      subjectFor(job, claims, { repo: { useDefault: true, useImmutableSubject: true } }),
      `${prefix}:environment:production`,
    );
    assert.equal(
      subjectFor(job, claims, { org: { useImmutableSubject: true } }),
      `${prefix}:environment:production`,
    );
    assert.equal(
      subjectFor(job, claims, {
        org: { useImmutableSubject: true },
        repo: { useDefault: true, useImmutableSubject: false },
      }),
      "repo:example-org/sample-app:environment:production",
    );
  });
  it("an org template applies only after the repo opts in with use_default false", () => {
    const org = { includeClaimKeys: ["repository_owner", "repository_visibility"] };
    assert.equal(subjectFor(job, claims, { org }), "repo:example-org/sample-app:environment:production");
    assert.equal(
      subjectFor(job, claims, { org, repo: { useDefault: false } }),
      "repository_owner:example-org:repository_visibility:private",
    );
    assert.equal(
      subjectFor(job, claims, { org, repo: { useDefault: true } }),
      "repo:example-org/sample-app:environment:production",
    );
  });
  it("repo template with repo, context and job_workflow_ref", () => {
    const sub = subjectFor(job, claims, {
      repo: { useDefault: false, includeClaimKeys: ["repo", "context", "job_workflow_ref"] },
    });
    assert.equal(
      sub,
      "repo:example-org/sample-app:environment:production:job_workflow_ref:example-org/sample-app/.github/workflows/deploy.yml@refs/heads/main",
    );
  });
  it("repo+context reproduces the default", () => {
    assert.equal(
      subjectFor(job, claims, { repo: { useDefault: false, includeClaimKeys: ["repo", "context"] } }),
      claims.sub,
    );
  });
  it("immutable ids cannot be removed by a template", () => {
    const sub = subjectFor(job, claims, {
      repo: {
        useDefault: false,
        includeClaimKeys: ["repository_owner_id", "context"],
        useImmutableSubject: true,
      },
    });
    assert.equal(sub, `${prefix}:repository_owner_id:${job.ownerId}:environment:production`);
  });
  it("empty claims render as key:", () => {
    const sub = subjectFor(job, claims, {
      repo: { useDefault: false, includeClaimKeys: ["repo", "head_ref"] },
    });
    assert.equal(sub, "repo:example-org/sample-app:head_ref:");
  });
  it("a template naming a missing claim fails with GitHub's message", () => {
    const noEnv = jobFor({ repository: repo });
    assert.throws(
      () =>
        claimsFor(noEnv, times, { repo: { useDefault: false, includeClaimKeys: ["repo", "environment"] } }),
      (err: unknown) =>
        err instanceof MissingClaimError && err.message === "an environment is required and must be provided",
    );
  });
});
