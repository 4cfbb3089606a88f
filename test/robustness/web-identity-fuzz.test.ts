// AssumeRoleWithWebIdentity with malformed tokens of many shapes (test/sts covers the named cases;
// this fuzzes): structural garbage, tampered and truncated real tokens, foreign keys, alg none,
// claim edge cases minted with the twin's own key. Every one is refused with STS's codes (sts.md
// §2.4, §2.11) in awsQuery XML, 4xx, never credentials and never a 5xx.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateKeyPair, SignJWT } from "jose";
import { systemClock } from "../../src/core/clock.ts";
import { randomIds } from "../../src/core/ids.ts";
import { type Claims, jobFor } from "../../src/oidc/claims.ts";
import { withStateIssuer } from "../../src/oidc/component.ts";
import { withTwin } from "../support/twin.ts";
import { assertAlive, assertQueryError, FORM, pick, prng, query, send } from "./wire.ts";

const GH = "token.actions.githubusercontent.com";
const REJECTED =
  /^(InvalidIdentityToken|ExpiredTokenException|IDPRejectedClaim|AccessDenied|ValidationError|InvalidParameterValue)$/;
const B64URL = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"];
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

describe("AssumeRoleWithWebIdentity fuzz", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let roleArn: string;
  let good: string;
  // Claims of the wrong type (null, arrays) on purpose: the cast lets the fuzz say so.
  const mint = (overrides: Record<string, unknown> = {}, audience = "sts.amazonaws.com") =>
    withStateIssuer(twin.stateDir, { clock: systemClock, ids: randomIds }, `https://${GH}`, (issuer) =>
      issuer.mint(jobFor({ repository: "example-org/app" }), { audience, overrides: overrides as Claims }),
    );

  before(async () => {
    twin = await withTwin();
    const provider = await query(
      twin.url,
      "iam",
      `Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=${encodeURIComponent(`https://${GH}`)}&ClientIDList.member.1=sts.amazonaws.com`,
      twin.admin,
    );
    assert.equal(provider.status, 200, provider.text);
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
    const role = await query(
      twin.url,
      "iam",
      `Action=CreateRole&Version=2010-05-08&RoleName=deploy&AssumeRolePolicyDocument=${encodeURIComponent(trust)}`,
      twin.admin,
    );
    assert.equal(role.status, 200, role.text);
    roleArn = `arn:aws:iam::${twin.accountId}:role/deploy`;
    good = await mint();
  });
  after(() => twin.dispose());

  /** The unsigned call, exactly as the SDK sends it. */
  const assume = (token: string) =>
    send(twin.url, {
      method: "POST",
      headers: { "content-type": FORM },
      body: `Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(roleArn)}&RoleSessionName=fuzz&WebIdentityToken=${encodeURIComponent(token)}`,
    });

  test("the genuine token is accepted (the baseline)", async () => {
    const res = await assume(good);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<AccessKeyId>ASIA/);
  });

  test("structural garbage and tampered real tokens: refused, never credentials", async () => {
    const rand = prng(0x57a5);
    const [h, p, s] = good.split(".") as [string, string, string];
    const seg = (max: number) =>
      Array.from({ length: Math.floor(rand() * max) }, () => pick(rand, B64URL)).join("");
    const shapes: string[] = [
      "",
      ".",
      "..",
      "...",
      "a",
      "a.b",
      "a.b.c",
      "a.b.c.d.e",
      `${h}.${p}`,
      `${h}.${p}.`,
      `${h}..${s}`,
      `.${p}.${s}`,
      `${h}.${p}.${s}.`,
      `${h}.${p}.${s}.${s}`,
      `${b64({ alg: "none", typ: "JWT" })}.${p}.`,
      `${b64({ alg: "none" })}.${p}.${s}`,
      `${b64({ alg: "HS256", kid: "x" })}.${p}.${s}`,
      `${b64({ alg: "RS256", kid: "../../../etc/passwd" })}.${p}.${s}`,
      `${b64({ alg: "RS256", jku: "http://127.0.0.1:1/jwks" })}.${p}.${s}`,
      `${b64("not json")}.${p}.${s}`,
      `${h}.${b64("not json")}.${s}`,
      `${h}.${b64([])}.${s}`,
      `${h}.${b64(null)}.${s}`,
      `${h}.${b64(42)}.${s}`,
      `${h}.${b64({ __proto__: { polluted: 1 }, iss: `https://${GH}` })}.${s}`,
      `${h}.${p}.${"A".repeat(s.length)}`,
      `${h.toUpperCase()}.${p}.${s}`,
      good.replace(/\./g, ".."),
      ` ${good}`,
      `${good} `,
      `${good}\n`,
      `Bearer ${good}`,
      Buffer.from(`${h}.${p}.é日本🔑`).toString("latin1"),
      "x".repeat(20_001),
      `${h}.${"A".repeat(30_000)}.${s}`,
      ...Array.from({ length: 60 }, () => {
        let i = Math.floor(rand() * good.length);
        while (good[i] === ".") i = Math.floor(rand() * good.length);
        let c = pick(rand, B64URL);
        while (c === good[i]) c = pick(rand, B64URL);
        return good.slice(0, i) + c + good.slice(i + 1);
      }),
      ...Array.from({ length: 30 }, () => good.slice(0, Math.floor(rand() * good.length))),
      ...Array.from({ length: 30 }, () => `${seg(80)}.${seg(300)}.${seg(400)}`),
    ];
    let refused = 0;
    for (const token of shapes) {
      const res = await assume(token);
      // A flipped last base64url character can leave the decoded bytes unchanged.
      if (res.status === 200 && sameBytes(token, good)) continue;
      assert.doesNotMatch(res.text, /<AccessKeyId>/, `credentials for ${token.slice(0, 80)}`);
      assertQueryError(res, { code: REJECTED }, token.slice(0, 80));
      refused++;
    }
    assert.ok(refused > 150, `only ${refused} refusals`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    await assertAlive(twin);
  });

  test("claims edge cases signed with the twin's own key, and tokens signed by a foreign key", async () => {
    const now = Math.floor(Date.now() / 1000);
    const minted = [
      await mint({ exp: 1 }),
      // 60 s of skew are allowed (sts.md §2.4, sts.webIdentity.clockSkewSeconds).
      await mint({ exp: now - 120 }),
      await mint({ nbf: now + 3600 }),
      await mint({ iat: now + 3600 }),
      await mint({ exp: "tomorrow" }),
      await mint({ iat: 1.5 }),
      await mint({ exp: null }),
      await mint({ iss: "https://evil.example" }),
      await mint({ iss: `https://${GH}/` }),
      await mint({ iss: 42 }),
      await mint({ sub: "repo:other-org/app:ref:refs/heads/main" }),
      await mint({ sub: ["repo:example-org/app:ref:refs/heads/main"] }),
      await mint({ sub: null }),
      await mint({ aud: ["other"] }),
      await mint({ aud: 42 }),
      await mint({}, "someone-else"),
    ];
    const { privateKey } = await generateKeyPair("RS256");
    const payload = JSON.parse(Buffer.from(good.split(".")[1]!, "base64url").toString()) as Record<
      string,
      unknown
    >;
    const header = JSON.parse(Buffer.from(good.split(".")[0]!, "base64url").toString()) as Record<
      string,
      unknown
    >;
    minted.push(
      await new SignJWT(payload)
        .setProtectedHeader({ alg: "RS256", kid: String(header.kid) })
        .sign(privateKey),
      await new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: "unknown" }).sign(privateKey),
      await new SignJWT(payload)
        .setProtectedHeader({ alg: "HS256" })
        .sign(new TextEncoder().encode("secret")),
    );
    for (const [i, token] of minted.entries()) {
      const res = await assume(token);
      assert.doesNotMatch(res.text, /<AccessKeyId>/, `#${i} got credentials`);
      assertQueryError(res, { code: REJECTED }, `#${i}`);
    }
    await assertAlive(twin);
  });
});

function sameBytes(a: string, b: string): boolean {
  const bytes = (t: string) => t.split(".").map((s) => Buffer.from(s, "base64url").toString("hex"));
  return a.split(".").length === 3 && JSON.stringify(bytes(a)) === JSON.stringify(bytes(b));
}
