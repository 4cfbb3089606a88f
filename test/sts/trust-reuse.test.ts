// STS reuses an allowed trust decision only for requests that agree on everything the role's trust
// policy reads (trust-decision.ts). Each case first gets an allowance, then changes one input the
// policy reads and expects the engine's new answer; every call is logged with its own request.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AwsError } from "../../src/http/aws-error.ts";
import { GH, type Harness, harness, PROVIDER_ARN, trustPolicy } from "./harness.ts";

async function assume(h: Harness, roleArn: string, token: string, sessionName = "deploy") {
  try {
    await h.call("AssumeRoleWithWebIdentity", {
      RoleArn: roleArn,
      RoleSessionName: sessionName,
      WebIdentityToken: token,
    });
    return "allowed";
  } catch (err) {
    if (err instanceof AwsError) return err.code;
    throw err;
  }
}

describe("trust decisions reused only when the policy cannot tell the requests apart", () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it("the same token twice: allowed twice, each call logged with its own request and the token's claims", async () => {
    const arn = h.addRole(
      "twice",
      trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:example-org/sample-app:*" } }),
    );
    const token = await h.token();
    assert.equal(await assume(h, arn, token), "allowed");
    assert.equal(await assume(h, arn, token), "allowed");
    const logged = h.decisions.query({ principal: PROVIDER_ARN, limit: 2 });
    assert.equal(logged.length, 2);
    assert.notEqual(logged[0]!.requestId, logged[1]!.requestId);
    for (const r of logged) {
      assert.equal(r.resource, arn);
      assert.equal(r.decision, "allowed");
      assert.equal(
        (r.context?.token as { sub?: string } | undefined)?.sub,
        "repo:example-org/sample-app:ref:refs/heads/main",
      );
      assert.equal(r.context?.["sts:RoleSessionName"], "deploy");
    }
  });

  it("another subject under the same role is judged on its own", async () => {
    const arn = h.addRole(
      "subject",
      trustPolicy({ StringEquals: { [`${GH}:sub`]: "repo:example-org/sample-app:ref:refs/heads/main" } }),
    );
    assert.equal(await assume(h, arn, await h.token()), "allowed");
    const pr = await h.token({ event: "pull_request" });
    assert.equal(await assume(h, arn, pr), "AccessDenied");
  });

  it("a session name the policy reads changes the answer; one it does not read is logged as given", async () => {
    const arn = h.addRole("named", trustPolicy({ StringEquals: { "sts:RoleSessionName": "deploy" } }));
    const token = await h.token();
    assert.equal(await assume(h, arn, token, "deploy"), "allowed");
    assert.equal(await assume(h, arn, token, "other"), "AccessDenied");
    const free = h.addRole("free", trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:example-org/*" } }));
    assert.equal(await assume(h, free, token, "first"), "allowed");
    assert.equal(await assume(h, free, token, "second"), "allowed");
    const [latest] = h.decisions.query({ principal: PROVIDER_ARN, limit: 1 });
    assert.equal(latest?.context?.["sts:RoleSessionName"], "second");
  });

  it("a trust policy changed after an allowance decides the next call", async () => {
    const arn = h.addRole("changed", trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:example-org/*" } }));
    const token = await h.token();
    assert.equal(await assume(h, arn, token), "allowed");
    h.iam.updateRole("changed", {
      trust: trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:other-org/*" } }),
    });
    assert.equal(await assume(h, arn, token), "AccessDenied");
    h.iam.updateRole("changed", {
      trust: trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:example-org/*" } }),
    });
    assert.equal(await assume(h, arn, token), "allowed");
  });

  it("the same token matched to another audience by the provider is judged by that audience", async () => {
    const arn = h.addRole("audience", trustPolicy({ StringEquals: { [`${GH}:aud`]: "second" } }));
    const token = await h.token({}, { aud: ["sts.amazonaws.com", "second"] });
    assert.equal(await assume(h, arn, token), "AccessDenied");
    h.iam.updateOidcProvider(PROVIDER_ARN, ["second"], []);
    try {
      assert.equal(await assume(h, arn, token), "allowed");
    } finally {
      h.iam.updateOidcProvider(PROVIDER_ARN, ["sts.amazonaws.com"], []);
    }
  });

  it("session tags from the token are judged for sts:TagSession each time they are asked for", async () => {
    const tagged = { "https://aws.amazon.com/tags": { principal_tags: { team: ["blue"] } } };
    const arn = h.addRole("tagging", trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:example-org/*" } }));
    const token = await h.token({}, tagged);
    assert.equal(await assume(h, arn, token), "AccessDenied", "no statement allows sts:TagSession");
    h.iam.updateRole("tagging", {
      trust: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: PROVIDER_ARN },
            Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            Condition: { StringEquals: { "aws:RequestTag/team": "blue" } },
          },
        ],
      }),
    });
    assert.equal(await assume(h, arn, token), "allowed");
    assert.equal(await assume(h, arn, token), "allowed");
    const green = await h.token(
      {},
      { "https://aws.amazon.com/tags": { principal_tags: { team: ["green"] } } },
    );
    assert.equal(await assume(h, arn, green), "AccessDenied");
  });

  it("a policy that reads the clock is evaluated on every call", async () => {
    const until = new Date(h.clock.now().getTime() + 60_000).toISOString();
    const arn = h.addRole(
      "clocked",
      trustPolicy({
        DateLessThan: { "aws:CurrentTime": until },
        StringLike: { [`${GH}:sub`]: "repo:example-org/*" },
      }),
    );
    const token = await h.token({}, { exp: Math.floor(h.clock.now().getTime() / 1000) + 3600 });
    assert.equal(await assume(h, arn, token), "allowed");
    h.clock.advance(120_000);
    assert.equal(await assume(h, arn, token), "AccessDenied");
  });

  it("a denial after reuse is explained with the claim that failed", async () => {
    const arn = h.addRole(
      "explained",
      trustPolicy({ StringEquals: { [`${GH}:sub`]: "repo:example-org/sample-app:ref:refs/heads/main" } }),
    );
    assert.equal(await assume(h, arn, await h.token()), "allowed");
    const tag = await h.token({ ref: "refs/tags/v1" });
    assert.equal(await assume(h, arn, tag), "AccessDenied");
    const [denied] = h.decisions.query({ denied: true, limit: 1 });
    assert.equal(denied?.resource, arn);
    assert.match(denied?.explanation ?? "", /repo:example-org\/sample-app:ref:refs\/tags\/v1/);
  });
});
