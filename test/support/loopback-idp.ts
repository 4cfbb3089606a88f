// Test support: another OIDC identity provider on loopback, as the "second issuer on loopback" tests build
// it: an ES384 key, a discovery document advertising its jwks_uri under the public issuer name, the key set,
// and a signer for its tokens. A twin maps the issuer to `base` (OidcOptions.verification.remote,
// `keyship up --trust-issuer ISS=URL`).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

export interface LoopbackIdp {
  iss: string;
  /** http://127.0.0.1:PORT, serving /.well-known/openid-configuration and /keys */
  base: string;
  /** a token of this issuer: iss, iat and exp (5 min) set, `claims` on top; `kid` to name another key */
  sign(claims: Record<string, unknown>, kid?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startLoopbackIdp(
  iss = "https://idp.example.test",
  kid = "loopback-1",
): Promise<LoopbackIdp> {
  const { privateKey, publicKey } = await generateKeyPair("ES384", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "ES384", use: "sig" };
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") {
      res.end(JSON.stringify({ issuer: iss, jwks_uri: `${iss}/keys` }));
    } else if (req.url === "/keys") res.end(JSON.stringify({ keys: [jwk] }));
    else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    iss,
    base,
    sign(claims, signedKid = kid) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: "ES384", kid: signedKid })
        .sign(privateKey);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
