// AssumeRoleWithWebIdentity through the STS service object: the hostile-token suite, trust-policy
// cases for every subject format, the response shape, sessions and the decision log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { exportSPKI, generateKeyPair, importJWK, SignJWT } from "jose";
import { uniqueIdAccount } from "../../src/core/ids.ts";
import { AwsError } from "../../src/http/aws-error.ts";
import { jobFor } from "../../src/oidc/claims.ts";
import { type LoopbackIdp, startLoopbackIdp } from "../support/loopback-idp.ts";
import { ACCOUNT, GH, type Harness, harness, PROVIDER_ARN, trustPolicy } from "./harness.ts";

const SEED_TRUST = trustPolicy({
  StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" },
  StringLike: { [`${GH}:sub`]: "repo:example-org/sample-app:*" },
});

async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp, status?: number) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected AwsError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    if (status !== undefined) assert.equal(err.status, status);
    return true;
  });
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

describe("AssumeRoleWithWebIdentity", () => {
  let h: Harness;
  let roleArn: string;
  const assume = (token: string, extra: Record<string, unknown> = {}) =>
    h.call("AssumeRoleWithWebIdentity", {
      RoleArn: roleArn,
      RoleSessionName: "GitHubActions",
      WebIdentityToken: token,
      ...extra,
    });

  before(async () => {
    h = await harness();
    roleArn = h.addRole("github-actions-deploy", SEED_TRUST);
  });
  after(() => h.close());

  it("answers with AWS's shape for a good token", async () => {
    const out = await assume(await h.token());
    assert.deepEqual(Object.keys(out), [
      "SubjectFromWebIdentityToken",
      "Audience",
      "AssumedRoleUser",
      "Credentials",
      "Provider",
    ]);
    assert.equal(out.SubjectFromWebIdentityToken, "repo:example-org/sample-app:ref:refs/heads/main");
    assert.equal(out.Audience, "sts.amazonaws.com");
    assert.equal(out.Provider, PROVIDER_ARN);
    const user = out.AssumedRoleUser as Record<string, string>;
    assert.equal(user.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/github-actions-deploy/GitHubActions`);
    assert.match(user.AssumedRoleId!, /^AROA[A-Z2-7]{17}:GitHubActions$/);
    assert.equal(uniqueIdAccount(user.AssumedRoleId!), ACCOUNT);
    const creds = out.Credentials as {
      AccessKeyId: string;
      SecretAccessKey: string;
      SessionToken: string;
      Expiration: Date;
    };
    assert.match(creds.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(uniqueIdAccount(creds.AccessKeyId), ACCOUNT);
    assert.equal(creds.SecretAccessKey.length, 40);
    assert.match(creds.SessionToken, /^IQoJb3JpZ2luX2Vj/);
    assert.equal(creds.Expiration.getTime(), h.clock.now().getTime() + 3600_000);
    // The session resolves to the assumed-role principal, opened from the token a client presents.
    const found = h.sts.credentials.lookup(creds.AccessKeyId, creds.SessionToken)!;
    assert.equal(found.secretAccessKey, creds.SecretAccessKey);
    assert.equal(found.sessionToken, creds.SessionToken);
    assert.equal(found.principal.type, "AssumedRole");
    assert.equal(found.principal.arn, user.Arn);
    assert.equal(found.principal.userId, user.AssumedRoleId);
    assert.deepEqual(found.principal.session?.webIdentity, {
      provider: PROVIDER_ARN,
      subject: "repo:example-org/sample-app:ref:refs/heads/main",
      audience: "sts.amazonaws.com",
    });
  });

  describe("hostile tokens, each refused with AWS's code", () => {
    const claims = () =>
      h.oidc.issuer.claims(jobFor({ repository: "example-org/sample-app" }), {
        audience: "sts.amazonaws.com",
      });

    it("alg none", async () => {
      const { kid } = await h.oidc.issuer.keys.signingKey();
      const t = `${b64({ alg: "none", kid, typ: "JWT" })}.${b64(claims())}.`;
      await rejects(assume(t), "InvalidIdentityToken", "The signature of the ID Token is invalid", 400);
    });
    it("HS256 signed with the issuer's public key", async () => {
      const { kid } = await h.oidc.issuer.keys.signingKey();
      const [jwk] = (await h.oidc.issuer.jwks()).keys;
      const pem = await exportSPKI(
        (await importJWK({ ...jwk }, "RS256", { extractable: true })) as CryptoKey,
      );
      for (const secret of [new TextEncoder().encode(pem), new TextEncoder().encode(jwk!.n)]) {
        const t = await new SignJWT(claims())
          .setProtectedHeader({ alg: "HS256", kid, typ: "JWT" })
          .sign(secret);
        await rejects(assume(t), "InvalidIdentityToken", "The signature of the ID Token is invalid");
      }
    });
    it("unknown kid", async () => {
      const { privateKey } = await generateKeyPair("RS256");
      const t = await new SignJWT(claims())
        .setProtectedHeader({ alg: "RS256", kid: "no-such-kid" })
        .sign(privateKey);
      await rejects(
        assume(t),
        "InvalidIdentityToken",
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
      );
    });
    it("right kid, foreign key", async () => {
      const { kid } = await h.oidc.issuer.keys.signingKey();
      const { privateKey } = await generateKeyPair("RS256");
      const t = await new SignJWT(claims())
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .sign(privateKey);
      await rejects(assume(t), "InvalidIdentityToken", "The signature of the ID Token is invalid");
    });
    it("right kid, foreign ES256 key", async () => {
      const { kid } = await h.oidc.issuer.keys.signingKey();
      const { privateKey } = await generateKeyPair("ES256");
      const t = await new SignJWT(claims()).setProtectedHeader({ alg: "ES256", kid }).sign(privateKey);
      // The kid names an RSA key: there is no ES256 key by that kid to verify with.
      await rejects(assume(t), "InvalidIdentityToken", /Couldn't retrieve verification key/);
    });
    it("foreign issuer", async () => {
      const t = await h.token({}, { iss: "https://evil.example.com" });
      await rejects(
        assume(t),
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://evil.example.com",
      );
    });
    it("wrong aud", async () => {
      await rejects(
        assume(await h.token({}, {}, "https://github.com/example-org")),
        "InvalidIdentityToken",
        "Incorrect token audience",
      );
    });
    it("missing aud", async () => {
      const c = claims();
      delete c.aud;
      await rejects(
        assume(await h.oidc.issuer.sign(c)),
        "InvalidIdentityToken",
        "Missing a required claim: aud",
      );
    });
    it("expired", async () => {
      const now = Math.floor(h.clock.now().getTime() / 1000);
      const t = await h.token({}, { iat: now - 1000, nbf: now - 1300, exp: now - 700 });
      await rejects(
        assume(t),
        "ExpiredTokenException",
        `Token expired: current date/time ${now} must be before the expiration date/time ${now - 700}`,
        400,
      );
    });
    it("nbf in the future", async () => {
      const now = Math.floor(h.clock.now().getTime() / 1000);
      await rejects(
        assume(await h.token({}, { nbf: now + 3600, exp: now + 7200 })),
        "InvalidIdentityToken",
        /not yet valid/,
      );
    });
    it("iat in the future", async () => {
      const now = Math.floor(h.clock.now().getTime() / 1000);
      await rejects(assume(await h.token({}, { iat: now + 3600, exp: now + 7200 })), "InvalidIdentityToken");
    });
    it("non-integer timestamps", async () => {
      const now = Math.floor(h.clock.now().getTime() / 1000);
      await rejects(assume(await h.token({}, { exp: `${now + 300}` })), "InvalidIdentityToken");
    });
    it("tampered payload", async () => {
      const [head, , sig] = (await h.token()).split(".");
      const forged = {
        ...claims(),
        sub: "repo:example-org/sample-app:ref:refs/heads/main",
        repository: "x/y",
      };
      await rejects(
        assume(`${head}.${b64(forged)}.${sig}`),
        "InvalidIdentityToken",
        "The signature of the ID Token is invalid",
      );
    });
    it("truncated", async () => {
      const t = await h.token();
      await rejects(assume(t.slice(0, t.lastIndexOf("."))), "InvalidIdentityToken", /not a valid JWT/);
      await rejects(
        assume(t.slice(0, t.length - 20)),
        "InvalidIdentityToken",
        "The signature of the ID Token is invalid",
      );
      await rejects(assume(t.slice(0, 40)), "InvalidIdentityToken", /not a valid JWT/);
    });
    it("oversize", async () => {
      await rejects(
        assume(await h.token({}, { pad: "x".repeat(20_000) })),
        "ValidationError",
        "1 validation error detected: Value '*** Sensitive Data Redacted ***' at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000",
      );
    });
    it("not a JWT at all", async () => {
      await rejects(assume("this is not a token"), "InvalidIdentityToken", /not a valid JWT/);
      await rejects(assume("a.b.c"), "InvalidIdentityToken", /not a valid JWT/);
      await rejects(
        assume(`${b64({ alg: "RS256" })}.${b64("[1,2]")}.x`),
        "InvalidIdentityToken",
        /not a valid JWT/,
      );
    });
  });

  describe("parameters", () => {
    it("validation errors in model order, with AWS's wording", async () => {
      await rejects(
        h.call("AssumeRoleWithWebIdentity", { RoleSessionName: "a b", WebIdentityToken: "abcd" }),
        "ValidationError",
        "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      );
      await rejects(
        assume("abcd", { DurationSeconds: "600" }),
        "ValidationError",
        /at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900/,
      );
    });
    it("an invalid role ARN", async () => {
      await rejects(
        h.call("AssumeRoleWithWebIdentity", {
          RoleArn: "arn:aws:iam::12345:role/x-long-enough",
          RoleSessionName: "s1",
          WebIdentityToken: await h.token(),
        }),
        "ValidationError",
        "Request ARN is invalid",
      );
    });
    it("a missing role is denied like a policy denial", async () => {
      await rejects(
        h.call("AssumeRoleWithWebIdentity", {
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/nope`,
          RoleSessionName: "s1",
          WebIdentityToken: await h.token(),
        }),
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        403,
      );
    });
    it("DurationSeconds over the role's MaxSessionDuration", async () => {
      await rejects(
        assume(await h.token(), { DurationSeconds: "7200" }),
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      );
      const long = h.addRole("long-session", SEED_TRUST, { maxSession: 43200 });
      const out = await h.call("AssumeRoleWithWebIdentity", {
        RoleArn: long,
        RoleSessionName: "s1",
        WebIdentityToken: await h.token(),
        DurationSeconds: "43200",
      });
      assert.equal(
        (out.Credentials as { Expiration: Date }).Expiration.getTime(),
        h.clock.now().getTime() + 43_200_000,
      );
    });
    it("session policies are validated and kept with the session", async () => {
      await rejects(assume(await h.token(), { Policy: "{not json" }), "MalformedPolicyDocument");
      await rejects(
        assume(await h.token(), { PolicyArns: [{ arn: `arn:aws:iam::${ACCOUNT}:policy/none-such` }] }),
        "MalformedPolicyDocument",
        `Policy arn:aws:iam::${ACCOUNT}:policy/none-such does not exist or is not attachable.`,
      );
      const policy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }],
      });
      const out = await assume(await h.token(), { Policy: policy });
      assert.equal(typeof out.PackedPolicySize, "number");
      const { AccessKeyId, SessionToken } = out.Credentials as { AccessKeyId: string; SessionToken: string };
      assert.equal(h.sts.credentials.lookup(AccessKeyId, SessionToken)!.principal.session!.policy, policy);
    });
    it("Policy and PolicyArns together are held to 2,048 characters of plaintext", async () => {
      // the length is checked before the ARNs are resolved
      const arns = Array.from(
        { length: 10 },
        (_, i) => `arn:aws:iam::${ACCOUNT}:policy/p${i}-${"x".repeat(30)}`,
      );
      const statement = { Effect: "Allow", Action: "ecr:*", Resource: "*" };
      const policy = (length: number) => {
        const base = JSON.stringify({ Version: "2012-10-17", Statement: [statement], Id: "" });
        return JSON.stringify({
          Version: "2012-10-17",
          Statement: [statement],
          Id: "i".repeat(length - base.length),
        });
      };
      const arnLength = arns.reduce((n, a) => n + a.length, 0);
      // every ARN is long enough that the inline policy alone stays under the limit
      assert.ok(policy(2048 - arnLength + 1).length <= 2048);
      await rejects(
        assume(await h.token(), {
          Policy: policy(2048 - arnLength + 1),
          PolicyArns: arns.map((arn) => ({ arn })),
        }),
        "ValidationError",
        `The session policies (Policy and PolicyArns together) are 2049 characters of plaintext; they cannot exceed 2048.`,
      );
    });
  });

  describe("session tags and source identity in the token meet AssumeRole's constraints", () => {
    const tagging = () =>
      h.addRole(
        `tagging-${Math.random().toString(36).slice(2, 8)}`,
        trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:example-org/sample-app:*" } }, [
          {
            Effect: "Allow",
            Principal: { Federated: PROVIDER_ARN },
            Action: ["sts:TagSession", "sts:SetSourceIdentity"],
          },
        ]),
      );
    const withClaims = async (claims: Record<string, unknown>) =>
      h.call("AssumeRoleWithWebIdentity", {
        RoleArn: tagging(),
        RoleSessionName: "s1",
        WebIdentityToken: await h.token({}, claims),
      });
    const tags = (principalTags: Record<string, string[]>, transitive: string[] = []) => ({
      "https://aws.amazon.com/tags": { principal_tags: principalTags, transitive_tag_keys: transitive },
    });

    it("refuses a tag key outside the model's pattern or length, and a value over 256", async () => {
      await rejects(withClaims(tags({ "bad key!": ["x"] })), "ValidationError", /Session tag key 'bad key!'/);
      await rejects(withClaims(tags({ ["k".repeat(129)]: ["x"] })), "ValidationError", /Session tag key/);
      await rejects(
        withClaims(tags({ team: ["v".repeat(257)] })),
        "ValidationError",
        /Session tag value of 'team'/,
      );
      await rejects(withClaims(tags({ team: ["a"] }, ["bad key!"])), "ValidationError", /Transitive tag key/);
    });

    it("refuses more than 50 tags, and keys that differ only in case", async () => {
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, ["v"]]));
      await rejects(withClaims(tags(many)), "ValidationError", /more than 50 session tags/);
      await rejects(
        withClaims(tags({ Team: ["a"], team: ["b"] })),
        "ValidationError",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
      );
    });

    it("accepts tags at the limits: 50 of them, a 128-character key, a 256-character value", async () => {
      // 50 tags, one of them with the longest key and value (all at full length would pass 20,000
      // characters of token)
      const full = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, ["v"]]));
      full["k".repeat(128)] = ["v".repeat(256)];
      // the packed size of that many tags is over AWS's limit: raise the twin's for this call only
      const wide = await harness({ sts: { packedPolicyLimitBytes: 1 << 20 } });
      try {
        const arn = wide.addRole(
          "tags-at-limits",
          trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:example-org/sample-app:*" } }, [
            { Effect: "Allow", Principal: { Federated: PROVIDER_ARN }, Action: "sts:TagSession" },
          ]),
        );
        const out = await wide.call("AssumeRoleWithWebIdentity", {
          RoleArn: arn,
          RoleSessionName: "s1",
          WebIdentityToken: await wide.token({}, tags(full)),
        });
        assert.ok(out.Credentials);
      } finally {
        await wide.close();
      }
    });

    it("refuses a source identity outside 2–64 characters of the pattern, or starting with aws:", async () => {
      const claim = "https://aws.amazon.com/source_identity";
      for (const bad of ["aws:deployer", "AWS:x1", "a", "has space", "s".repeat(65)]) {
        await rejects(withClaims({ [claim]: bad }), "ValidationError", /source_identity claim must be 2-64/);
      }
      const out = await withClaims({ [claim]: "octocat@example" });
      assert.equal(out.SourceIdentity, "octocat@example");
    });
  });

  describe("trust policy", () => {
    const seedCases: [string, Parameters<typeof jobFor>[0], boolean][] = [
      ["push to main", { repository: "example-org/sample-app" }, true],
      ["tag", { repository: "example-org/sample-app", ref: "refs/tags/v1.2.0" }, true],
      ["pull request", { repository: "example-org/sample-app", event: "pull_request" }, true],
      ["environment", { repository: "example-org/sample-app", environment: "production" }, true],
      ["prefix collision sample-app-evil", { repository: "example-org/sample-app-evil" }, false],
      ["other org", { repository: "evil-org/sample-app" }, false],
      ["org prefix collision", { repository: "example-org-evil/sample-app" }, false],
    ];
    for (const [name, job, allowed] of seedCases) {
      it(`seed policy repo:example-org/sample-app:* — ${name}: ${allowed ? "allowed" : "denied"}`, async () => {
        const p = assume(await h.token(job));
        if (allowed) await p;
        else await rejects(p, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403);
      });
    }

    it("immutable subjects need the ids in the pattern", async () => {
      const job = jobFor({ repository: "example-org/sample-app", subjectFormat: "immutable" });
      const sub = `repo:example-org@${job.ownerId}/sample-app@${job.repositoryId}:ref:refs/heads/main`;
      const arn = h.addRole("immutable-role", trustPolicy({ StringEquals: { [`${GH}:sub`]: sub } }));
      const token = await h.oidc.issuer.mint(job, { audience: "sts.amazonaws.com" });
      const out = await h.call("AssumeRoleWithWebIdentity", {
        RoleArn: arn,
        RoleSessionName: "s1",
        WebIdentityToken: token,
      });
      assert.equal(out.SubjectFromWebIdentityToken, sub);
      await rejects(assume(token), "AccessDenied");
    });

    it("exact main-branch policy denies a pull request, and the log explains it down to the claim", async () => {
      const arn = h.addRole(
        "main-only",
        trustPolicy({ StringEquals: { [`${GH}:sub`]: "repo:example-org/sample-app:ref:refs/heads/main" } }),
      );
      const token = await h.token({ event: "pull_request" });
      await rejects(
        h.call("AssumeRoleWithWebIdentity", { RoleArn: arn, RoleSessionName: "s1", WebIdentityToken: token }),
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
      );
      const [last] = h.decisions.query({ action: "sts:AssumeRoleWithWebIdentity", limit: 1 });
      assert.equal(last!.decision, "implicitDeny");
      assert.equal(last!.principal, PROVIDER_ARN);
      assert.match(
        last!.explanation!,
        /token\.actions\.githubusercontent\.com:sub was 'repo:example-org\/sample-app:pull_request'; StringEquals requires 'repo:example-org\/sample-app:ref:refs\/heads\/main'/,
      );
      const recorded = (last!.context as { token: Record<string, unknown> }).token;
      assert.equal(recorded.sub, "repo:example-org/sample-app:pull_request");
      assert.equal(recorded.event_name, "pull_request");
    });

    it("GitHub's 2026 condition keys: repository, job_workflow_ref, environment", async () => {
      const arn = h.addRole(
        "by-claims",
        trustPolicy({
          StringEquals: {
            [`${GH}:repository`]: "example-org/sample-app",
            [`${GH}:environment`]: "production",
            [`${GH}:aud`]: "sts.amazonaws.com",
          },
          StringLike: {
            [`${GH}:job_workflow_ref`]: "example-org/sample-app/.github/workflows/*@refs/heads/main",
          },
        }),
      );
      const ok = await h.token({ environment: "production" });
      await h.call("AssumeRoleWithWebIdentity", {
        RoleArn: arn,
        RoleSessionName: "s1",
        WebIdentityToken: ok,
      });
      await rejects(
        h.call("AssumeRoleWithWebIdentity", {
          RoleArn: arn,
          RoleSessionName: "s1",
          WebIdentityToken: await h.token(),
        }),
        "AccessDenied",
      );
    });

    it("Action sts:AssumeRole does not allow AssumeRoleWithWebIdentity", async () => {
      const arn = h.addRole(
        "wrong-action",
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Federated: PROVIDER_ARN }, Action: "sts:AssumeRole" }],
        }),
      );
      await rejects(
        h.call("AssumeRoleWithWebIdentity", {
          RoleArn: arn,
          RoleSessionName: "s1",
          WebIdentityToken: await h.token(),
        }),
        "AccessDenied",
      );
    });

    it("session tags from the token need sts:TagSession", async () => {
      const tagsClaim = {
        "https://aws.amazon.com/tags": {
          principal_tags: { Project: ["Automation"] },
          transitive_tag_keys: ["Project"],
        },
      };
      const without = h.addRole("no-tag-session", SEED_TRUST);
      await rejects(
        h.call("AssumeRoleWithWebIdentity", {
          RoleArn: without,
          RoleSessionName: "s1",
          WebIdentityToken: await h.token({}, tagsClaim),
        }),
        "AccessDenied",
      );
      const withTags = h.addRole(
        "tag-session",
        trustPolicy({ StringLike: { [`${GH}:sub`]: "repo:example-org/sample-app:*" } }, [
          { Effect: "Allow", Principal: { Federated: PROVIDER_ARN }, Action: "sts:TagSession" },
        ]),
      );
      const out = await h.call("AssumeRoleWithWebIdentity", {
        RoleArn: withTags,
        RoleSessionName: "s1",
        WebIdentityToken: await h.token({}, tagsClaim),
      });
      const { AccessKeyId, SessionToken } = out.Credentials as { AccessKeyId: string; SessionToken: string };
      const session = h.sts.credentials.lookup(AccessKeyId, SessionToken)!.principal.session!;
      assert.deepEqual(session.tags, { Project: "Automation" });
      assert.deepEqual(session.transitiveTagKeys, ["Project"]);
      assert.equal(typeof out.PackedPolicySize, "number");
    });
  });
});

describe("a second issuer on loopback", () => {
  let h: Harness;
  let idp: LoopbackIdp;

  before(async () => {
    idp = await startLoopbackIdp("https://idp.example.test", "second-1");
    h = await harness({ oidc: { verification: { remote: { [idp.iss]: idp.base } } } });
    h.iam.insertOidcProvider({
      Url: "idp.example.test",
      Arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.test`,
      ClientIDList: ["my-app"],
      ThumbprintList: [],
      CreateDate: h.clock.now(),
    });
  });
  after(async () => {
    await h.close();
    await idp.close();
  });

  it("verifies through its discovery document and jwks_uri; its own condition keys apply", async () => {
    const arn = h.addRole(
      "second-issuer-role",
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.test` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { "idp.example.test:aud": "my-app", "idp.example.test:sub": "user-42" },
              "ForAnyValue:StringEquals": { "idp.example.test:amr": "mfa" },
            },
          },
        ],
      }),
    );
    // the twin's clock, not the machine's, decides expiry here
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const sign = (claims: Record<string, unknown>, kid?: string) =>
      idp.sign(
        {
          aud: ["other", "my-app"],
          sub: "user-42",
          amr: ["pwd", "mfa"],
          iat: now,
          exp: now + 300,
          ...claims,
        },
        kid,
      );
    const out = await h.call("AssumeRoleWithWebIdentity", {
      RoleArn: arn,
      RoleSessionName: "s1",
      WebIdentityToken: await sign({}),
    });
    assert.equal(out.Audience, "my-app");
    assert.equal(out.Provider, `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.test`);
    await rejects(
      h.call("AssumeRoleWithWebIdentity", {
        RoleArn: arn,
        RoleSessionName: "s1",
        WebIdentityToken: await sign({ amr: ["pwd"] }),
      }),
      "AccessDenied",
    );
    await rejects(
      h.call("AssumeRoleWithWebIdentity", {
        RoleArn: arn,
        RoleSessionName: "s1",
        WebIdentityToken: await sign({}, "rotated-away"),
      }),
      "InvalidIdentityToken",
      /Couldn't retrieve verification key/,
    );
    // GitHub's condition keys are not added for other issuers.
    await rejects(
      h.call("AssumeRoleWithWebIdentity", {
        RoleArn: roleArnFor(h, "gh-keys-only"),
        RoleSessionName: "s1",
        WebIdentityToken: await sign({ repository: "example-org/sample-app" }),
      }),
      "AccessDenied",
    );
  });
});

function roleArnFor(h: Harness, name: string): string {
  return h.addRole(
    name,
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.test` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { "idp.example.test:repository": "example-org/sample-app" } },
        },
      ],
    }),
  );
}
