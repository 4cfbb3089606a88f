// A job's environment: GITHUB_* in the runner's order, and with id-token the request variables that a
// running twin exchanges for an ID token carrying the job's claims.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jobEnv } from "../../src/oidc/job-env.ts";
import { withTwin } from "../support/twin.ts";

test("without id-token: GITHUB_* only, for the job's repository and ref", async () => {
  const twin = await withTwin();
  try {
    const env = await jobEnv({
      stateDir: twin.stateDir,
      job: { repository: "example-org/app", ref: "refs/tags/v1.2.0" },
      idToken: false,
    });
    assert.equal(Object.keys(env)[0], "CI");
    assert.equal(env.GITHUB_REPOSITORY, "example-org/app");
    assert.equal(env.GITHUB_REPOSITORY_OWNER, "example-org");
    assert.equal(env.GITHUB_REF_NAME, "v1.2.0");
    assert.equal(env.GITHUB_REF_TYPE, "tag");
    assert.equal(env.ACTIONS_ID_TOKEN_REQUEST_URL, undefined);
    assert.equal(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN, undefined);
  } finally {
    await twin.dispose();
  }
});

test("with id-token: the request URL and token get an ID token for this job from the twin", async () => {
  const twin = await withTwin();
  try {
    const env = await jobEnv({
      stateDir: twin.stateDir,
      job: { repository: "example-org/app", environment: "production" },
      url: twin.url,
    });
    const url = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL!);
    assert.equal(url.origin, twin.url);
    url.searchParams.set("audience", "sts.amazonaws.com");
    const res = await fetch(url, {
      headers: { Authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
    });
    assert.equal(res.status, 200);
    const { value } = (await res.json()) as { value: string };
    const claims = JSON.parse(Buffer.from(value.split(".")[1]!, "base64url").toString()) as Record<
      string,
      unknown
    >;
    assert.equal(claims.sub, "repo:example-org/app:environment:production");
    assert.equal(claims.aud, "sts.amazonaws.com");
    assert.equal(claims.sha, env.GITHUB_SHA);
  } finally {
    await twin.dispose();
  }
});
