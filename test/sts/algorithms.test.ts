// AssumeRoleWithWebIdentity accepts tokens signed with RS256/384/512 and ES256/384/512 only (sts.md §2.3):
// a second issuer on loopback publishes one key per algorithm; PS256 and EdDSA tokens, though validly
// signed by a published key, are refused with InvalidIdentityToken.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { AwsError } from "../../src/http/aws-error.ts";
import { ACCOUNT, type Harness, harness } from "./harness.ts";

const ISS = "https://algs.example.test";
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/algs.example.test`;
const ACCEPTED = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];
const REFUSED = ["PS256", "EdDSA"];

describe("web identity token signature algorithms", () => {
  let h: Harness;
  let server: Server;
  let roleArn: string;
  const keys = new Map<string, CryptoKey>();

  before(async () => {
    const jwks: object[] = [];
    for (const alg of [...ACCEPTED, ...REFUSED]) {
      const pair = await generateKeyPair(alg, { extractable: true });
      keys.set(alg, pair.privateKey);
      jwks.push({ ...(await exportJWK(pair.publicKey)), kid: `k-${alg}`, alg, use: "sig" });
    }
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/.well-known/openid-configuration")
        res.end(JSON.stringify({ issuer: ISS, jwks_uri: `${ISS}/keys` }));
      else if (req.url === "/keys") res.end(JSON.stringify({ keys: jwks }));
      else {
        res.statusCode = 404;
        res.end("{}");
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await harness({ oidc: { verification: { remote: { [ISS]: base } } } });
    h.iam.insertOidcProvider({
      Url: "algs.example.test",
      Arn: PROVIDER,
      ClientIDList: ["app"],
      ThumbprintList: [],
      CreateDate: h.clock.now(),
    });
    roleArn = h.addRole(
      "algs",
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: PROVIDER },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { "algs.example.test:aud": "app" } },
          },
        ],
      }),
    );
  });
  after(async () => {
    await h.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const assume = async (alg: string) => {
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const token = await new SignJWT({ iss: ISS, aud: "app", sub: "user-1", iat: now, exp: now + 300 })
      .setProtectedHeader({ alg, kid: `k-${alg}` })
      .sign(keys.get(alg)!);
    return h.call("AssumeRoleWithWebIdentity", {
      RoleArn: roleArn,
      RoleSessionName: "s1",
      WebIdentityToken: token,
    });
  };

  for (const alg of ACCEPTED) {
    it(`${alg}: accepted`, async () => {
      const out = await assume(alg);
      assert.equal(out.SubjectFromWebIdentityToken, "user-1");
      assert.equal(out.Provider, PROVIDER);
    });
  }
  for (const alg of REFUSED) {
    it(`${alg}: InvalidIdentityToken`, async () => {
      await assert.rejects(assume(alg), (e: unknown) => {
        assert.ok(e instanceof AwsError, String(e));
        assert.equal(e.code, "InvalidIdentityToken");
        assert.equal(e.status, 400);
        return true;
      });
    });
  }
});
