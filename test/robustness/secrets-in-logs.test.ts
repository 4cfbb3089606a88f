// No secret reaches a log: a twin whose log lines are captured runs a session of good and bad calls
// that carry secret keys, session tokens, ID tokens, runner request tokens and registry passwords
// (in headers, parameters, bodies, URLs, and through internal failures), and none of them, in any
// encoding, appears in a log line or in the decision log. "never log secrets or tokens".
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { jobEnv } from "../../src/cli/job-env.ts";
import { systemClock } from "../../src/core/clock.ts";
import { randomIds } from "../../src/core/ids.ts";
import { jobFor } from "../../src/oidc/claims.ts";
import { withStateIssuer } from "../../src/oidc/component.ts";
import { withTwin } from "../support/twin.ts";
import { ECR_TARGET, ECS_TARGET, FORM, json, query, send, sendSigned } from "./wire.ts";

const GH = "token.actions.githubusercontent.com";

describe("secrets never reach the logs", () => {
  const lines: string[] = [];
  let twin: Awaited<ReturnType<typeof withTwin>>;
  before(async () => {
    twin = await withTwin({ log: (l) => lines.push(l) });
  });
  after(() => twin.dispose());

  test("a session of good and failing calls with secrets in them logs none of them", async () => {
    const secrets = new Map<string, string>();
    const admin = twin.admin;
    secrets.set("admin secret", admin.secretAccessKey);

    // An IAM user and its key.
    const user = await query(twin.url, "iam", "Action=CreateUser&Version=2010-05-08&UserName=dev", admin);
    assert.equal(user.status, 200, user.text);
    const keyRes = await query(
      twin.url,
      "iam",
      "Action=CreateAccessKey&Version=2010-05-08&UserName=dev",
      admin,
    );
    const userKey = {
      accessKeyId: /<AccessKeyId>([^<]+)/.exec(keyRes.text)![1]!,
      secretAccessKey: /<SecretAccessKey>([^<]+)/.exec(keyRes.text)![1]!,
    };
    secrets.set("user secret", userKey.secretAccessKey);
    // The user is allowed nothing: an AccessDenied, recorded in the decision log.
    assert.equal((await query(twin.url, "iam", "Action=ListRoles&Version=2010-05-08", userKey)).status, 403);

    // A web identity session.
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::${twin.accountId}:oidc-provider/${GH}` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" },
            StringLike: { [`${GH}:sub`]: "repo:example-org/app:*" },
          },
        },
      ],
    });
    await query(
      twin.url,
      "iam",
      `Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=${encodeURIComponent(`https://${GH}`)}&ClientIDList.member.1=sts.amazonaws.com`,
      admin,
    );
    await query(
      twin.url,
      "iam",
      `Action=CreateRole&Version=2010-05-08&RoleName=deploy&AssumeRolePolicyDocument=${encodeURIComponent(trust)}`,
      admin,
    );
    const idToken = await withStateIssuer(
      twin.stateDir,
      { clock: systemClock, ids: randomIds },
      `https://${GH}`,
      (issuer) => issuer.mint(jobFor({ repository: "example-org/app" }), { audience: "sts.amazonaws.com" }),
    );
    secrets.set("ID token", idToken);
    const assumeBody = (token: string) =>
      `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(`arn:aws:iam::${twin.accountId}:role/deploy`)}&RoleSessionName=session1&WebIdentityToken=${encodeURIComponent(token)}`;
    const assumed = await send(twin.url, {
      method: "POST",
      headers: { "content-type": FORM },
      body: assumeBody(idToken),
    });
    assert.equal(assumed.status, 200, assumed.text);
    const session = {
      accessKeyId: /<AccessKeyId>([^<]+)/.exec(assumed.text)![1]!,
      secretAccessKey: /<SecretAccessKey>([^<]+)/.exec(assumed.text)![1]!,
      sessionToken: /<SessionToken>([^<]+)/.exec(assumed.text)![1]!,
    };
    secrets.set("session secret", session.secretAccessKey);
    secrets.set("session token", session.sessionToken);
    // Tampered tokens and session credentials.
    for (const t of [`${idToken}x`, idToken.slice(0, -5), idToken.replace(".", "..")]) {
      await send(twin.url, { method: "POST", headers: { "content-type": FORM }, body: assumeBody(t) });
    }
    await query(twin.url, "sts", "Action=GetCallerIdentity&Version=2011-06-15", session);
    await query(twin.url, "sts", "Action=GetCallerIdentity&Version=2011-06-15", {
      ...session,
      sessionToken: `${session.sessionToken}tampered`,
    });
    await query(twin.url, "sts", "Action=GetCallerIdentity&Version=2011-06-15", {
      ...session,
      secretAccessKey: admin.secretAccessKey,
    });

    // The runner's token request endpoint.
    const env = await jobEnv({
      stateDir: twin.stateDir,
      job: { repository: "example-org/app" },
      url: twin.url,
    });
    const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN!;
    secrets.set("request token", requestToken);
    const tokenUrl = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL!);
    const minted = await send(twin.url, {
      path: `${tokenUrl.pathname}${tokenUrl.search}&audience=sts.amazonaws.com`,
      headers: { authorization: `Bearer ${requestToken}` },
    });
    assert.equal(minted.status, 200, minted.text);
    secrets.set("minted ID token", JSON.parse(minted.text).value);
    await send(twin.url, {
      path: `${tokenUrl.pathname}${tokenUrl.search}`,
      headers: { authorization: `Bearer ${requestToken}x` },
    });

    // ECR and the registry.
    const auth = await json(twin.url, "ecr", `${ECR_TARGET}.GetAuthorizationToken`, "{}", admin);
    const registryToken = JSON.parse(auth.text).authorizationData[0].authorizationToken as string;
    const password = Buffer.from(registryToken, "base64").toString().slice("AWS:".length);
    secrets.set("registry token", registryToken);
    secrets.set("registry password", password);
    await json(twin.url, "ecr", `${ECR_TARGET}.CreateRepository`, '{"repositoryName":"app"}', admin);
    for (const authorization of [
      `Basic ${registryToken}`,
      `Basic ${registryToken}AAAA`,
      `Basic ${Buffer.from(`AWS:${password}x`).toString("base64")}`,
      `Bearer ${password}`,
    ]) {
      await send(twin.url, { path: "/v2/app/tags/list", headers: { authorization } });
      await send(twin.url, { path: "/v2/app/manifests/latest", headers: { authorization } });
    }

    // The decision log records what callers name, as CloudTrail records request parameters; so it is
    // checked before the calls below put secrets into resource names on purpose.
    const decisions = await send(twin.url, { path: "/_keyship/decisions?limit=1000" });
    assert.equal(decisions.status, 200);

    // Secrets where they do not belong: in parameters, garbage headers, bodies, paths and failures.
    for (const [, secret] of secrets) {
      const enc = encodeURIComponent(secret.slice(0, 3000));
      await query(twin.url, "iam", `Action=CreateUser&Version=2010-05-08&UserName=${enc}`, admin);
      await query(twin.url, "iam", `Action=GetRole&Version=2010-05-08&RoleName.member.1=${enc}`, admin);
      await send(twin.url, {
        method: "POST",
        headers: {
          "content-type": FORM,
          authorization: `AWS4-HMAC-SHA256 Credential=${secret.slice(0, 200)}`,
        },
        body: "Action=ListUsers&Version=2010-05-08",
      });
      await json(
        twin.url,
        "ecs",
        `${ECS_TARGET}.DescribeClusters`,
        JSON.stringify({ clusters: 42, include: [secret] }),
        admin,
      );
      await json(
        twin.url,
        "ecs",
        `${ECS_TARGET}.ListTaskDefinitions`,
        JSON.stringify({ status: [secret] }),
        admin,
      );
      await json(
        twin.url,
        "ecr",
        `${ECR_TARGET}.CreateRepository`,
        JSON.stringify({ repositoryName: secret }),
        admin,
      );
      await send(twin.url, {
        path: `/v2/${enc}/manifests/${enc}`,
        headers: { authorization: `Basic ${registryToken}` },
      });
      await sendSigned(twin.url, {
        service: "ecs",
        keys: admin,
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": `${ECS_TARGET}.${secret.slice(0, 50)}`,
        },
        body: "{",
      });
    }
    // A task that runs: the scheduler pulls from the registry with credentials of its own.
    const td = await json(
      twin.url,
      "ecs",
      `${ECS_TARGET}.RegisterTaskDefinition`,
      JSON.stringify({
        family: "web",
        containerDefinitions: [
          {
            name: "web",
            image: `${twin.accountId}.dkr.ecr.us-east-1.amazonaws.com/app:missing`,
            memory: 128,
          },
        ],
      }),
      admin,
    );
    assert.equal(td.status, 200, td.text);
    await json(twin.url, "ecs", `${ECS_TARGET}.CreateCluster`, '{"clusterName":"c"}', admin);
    await json(twin.url, "ecs", `${ECS_TARGET}.RunTask`, '{"cluster":"c","taskDefinition":"web"}', admin);
    await new Promise((r) => setTimeout(r, 500));

    const haystacks = [
      { name: "log", text: lines.join("\n") },
      { name: "decision log", text: decisions.text },
    ];
    for (const [name, secret] of secrets) {
      const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")];
      // Long tokens: any 40-character run of them counts, so a truncated copy is caught too.
      if (secret.length > 80) forms.push(secret.slice(20, 60), secret.slice(-40));
      for (const { name: where, text } of haystacks) {
        for (const form of forms) {
          const at = text.indexOf(form);
          assert.equal(
            at,
            -1,
            `${name} appears in the ${where}: ${text.slice(Math.max(0, at - 300), at + 100)}`,
          );
        }
      }
    }
    assert.ok(decisions.text.length > 100, "the decision log recorded the session");
  });
});
