// Keys, token minting, discovery/JWKS and signature verification for local and remote issuers.
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from "jose";
import { ManualClock } from "../../src/core/clock.ts";
import { randomIds } from "../../src/core/ids.ts";
import { jobFor } from "../../src/oidc/claims.ts";
import { Issuer } from "../../src/oidc/issuer.ts";
import { KeyStore, uuidV5 } from "../../src/oidc/keys.ts";
import { KeyResolver, parseJwt } from "../../src/oidc/verify.ts";

const job = jobFor({ repository: "example-org/sample-app" });

describe("KeyStore", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "keyship-keys-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("creates one key on first use, mode 0600, stable across instances", async () => {
    const clock = new ManualClock();
    const a = new KeyStore(dir, { clock });
    const keys = await a.publicKeys();
    assert.equal(keys.length, 1);
    assert.deepEqual(Object.keys(keys[0]!), ["kty", "alg", "use", "kid", "n", "e"]);
    assert.equal(keys[0]!.e, "AQAB");
    assert.match(keys[0]!.kid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(statSync(join(dir, "oidc", "keys.json")).mode & 0o777, 0o600);
    const b = new KeyStore(dir, { clock });
    assert.deepEqual(await b.publicKeys(), keys);
  });

  it("rotation signs with the new key and keeps the old one published for the overlap", async () => {
    const clock = new ManualClock();
    const store = new KeyStore(dir, { clock, rotationOverlapSeconds: 600 });
    const before = (await store.signingKey()).kid;
    // Another process (keyship keys rotate) rotates: this instance picks the change up from disk.
    const other = new KeyStore(dir, { clock, rotationOverlapSeconds: 600 });
    const { kid, retired } = await other.rotate();
    assert.deepEqual(retired, [before]);
    assert.equal((await store.signingKey()).kid, kid);
    assert.deepEqual(
      (await store.publicKeys()).map((k) => k.kid),
      [kid, before],
    );
    clock.advance(601_000);
    assert.deepEqual(
      (await store.publicKeys()).map((k) => k.kid),
      [kid],
    );
  });

  it("the overlap is recorded at rotation: a reader with another overlap honours it; old files keep the reader's", async () => {
    const clock = new ManualClock();
    const keysDir = await mkdtemp(join(tmpdir(), "keyship-keys-until-"));
    try {
      const reader = new KeyStore(keysDir, { clock }); // a twin: default overlap, a day
      const first = (await reader.signingKey()).kid;
      const rotator = new KeyStore(keysDir, { clock, rotationOverlapSeconds: 7200 });
      const { kid: second, publishUntil } = await rotator.rotate(30);
      assert.equal(publishUntil, new Date(clock.now().getTime() + 30_000).toISOString());
      clock.advance(29_000);
      assert.deepEqual(
        (await reader.publicKeys()).map((k) => k.kid),
        [second, first],
      );
      clock.advance(1_000);
      assert.deepEqual(
        (await reader.publicKeys()).map((k) => k.kid),
        [second],
      );
      // Without an argument the rotating store's configured overlap is recorded.
      const { publishUntil: until2 } = await rotator.rotate();
      assert.equal(until2, new Date(clock.now().getTime() + 7_200_000).toISOString());
      // A key file written before publishUntil existed: each reader applies its own overlap.
      const path = join(keysDir, "oidc", "keys.json");
      const file = JSON.parse(readFileSync(path, "utf8")) as { keys: { publishUntil?: string }[] };
      for (const k of file.keys) delete k.publishUntil;
      writeFileSync(path, JSON.stringify(file));
      clock.advance(3_600_000);
      const shortReader = new KeyStore(keysDir, { clock, rotationOverlapSeconds: 1800 });
      assert.equal((await shortReader.publicKeys()).length, 1);
      assert.equal((await new KeyStore(keysDir, { clock }).publicKeys()).length, 2);
    } finally {
      await rm(keysDir, { recursive: true, force: true });
    }
  });

  it("verification reads the key file at most once a second, but a new kid from a rotation at once", async () => {
    const clock = new ManualClock();
    const rotDir = await mkdtemp(join(tmpdir(), "keyship-keys-rot-"));
    try {
      const twinSide = new Issuer({ keys: new KeyStore(rotDir, { clock }), clock, ids: randomIds });
      const iss = twinSide.iss;
      const resolver = new KeyResolver({ local: { [iss]: (fresh) => twinSide.jwks(fresh) } });
      const old = await twinSide.mint(job);
      assert.deepEqual(await resolver.verifySignature(old, iss), { ok: true });
      // Another process (keyship keys rotate, then keyship token) signs with a key born after that read.
      const cli = new Issuer({ keys: new KeyStore(rotDir, { clock }), clock, ids: randomIds });
      await cli.keys.rotate();
      const fresh = await cli.mint(job);
      assert.deepEqual(await resolver.verifySignature(fresh, iss), { ok: true });
      assert.deepEqual(await resolver.verifySignature(old, iss), { ok: true });
      // A kid no key file has is still refused after the re-read.
      const stranger = new Issuer({ keys: new KeyStore(`${rotDir}-x`, { clock }), clock, ids: randomIds });
      assert.deepEqual(await resolver.verifySignature(await stranger.mint(job), iss), {
        ok: false,
        reason: "no-key",
      });
      await rm(`${rotDir}-x`, { recursive: true, force: true });
    } finally {
      await rm(rotDir, { recursive: true, force: true });
    }
  });

  it("a token verified before is refused once its key is no longer published", async () => {
    const clock = new ManualClock();
    const retDir = await mkdtemp(join(tmpdir(), "keyship-keys-ret-"));
    try {
      const issuer = new Issuer({
        keys: new KeyStore(retDir, { clock, rotationOverlapSeconds: 600 }),
        clock,
        ids: randomIds,
      });
      const resolver = new KeyResolver({ local: { [issuer.iss]: (fresh) => issuer.jwks(fresh) } });
      const token = await issuer.mint(job);
      assert.deepEqual(await resolver.verifySignature(token, issuer.iss), { ok: true });
      await issuer.keys.rotate();
      assert.deepEqual(await resolver.verifySignature(token, issuer.iss), { ok: true });
      clock.advance(601_000);
      assert.deepEqual(await resolver.verifySignature(token, issuer.iss), { ok: false, reason: "no-key" });
      // A token differing in one signature character was never verified, whatever its twin's fate.
      const fresh = await issuer.mint(job);
      assert.deepEqual(await resolver.verifySignature(fresh, issuer.iss), { ok: true });
      const flipped = fresh.slice(0, -2) + (fresh.at(-2) === "A" ? "B" : "A") + fresh.at(-1);
      assert.deepEqual(await resolver.verifySignature(flipped, issuer.iss), {
        ok: false,
        reason: "bad-signature",
      });
    } finally {
      await rm(retDir, { recursive: true, force: true });
    }
  });

  it("uuidV5 matches RFC 4122's DNS example", () => {
    // python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
    assert.equal(
      uuidV5("python.org", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
  });
});

describe("Issuer", () => {
  let dir: string;
  let issuer: Issuer;
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "keyship-issuer-"));
    issuer = new Issuer({ keys: new KeyStore(dir, { clock }), clock, ids: randomIds });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("mints tokens that verify against its JWKS, GitHub's header shape", async () => {
    const token = await issuer.mint(job, { audience: "sts.amazonaws.com" });
    const header = decodeProtectedHeader(token);
    assert.deepEqual(Object.keys(header), ["alg", "kid", "typ"]);
    assert.equal(header.alg, "RS256");
    const { payload } = await jwtVerify(token, createLocalJWKSet(await issuer.jwks()), {
      issuer: "https://token.actions.githubusercontent.com",
      audience: "sts.amazonaws.com",
      currentDate: clock.now(),
    });
    assert.equal(payload.sub, "repo:example-org/sample-app:ref:refs/heads/main");
    assert.equal(payload.iat, Math.floor(clock.now().getTime() / 1000));
    assert.equal(payload.exp! - payload.iat!, 300);
    const payloadJson = Buffer.from(token.split(".")[1]!, "base64url").toString();
    assert.ok(!payloadJson.includes(" "), "compact JSON");
  });

  it("defaults the audience to https://github.com/<owner>, and each token has a fresh jti", async () => {
    const a = parseJwt(await issuer.mint(job))!.payload;
    const b = parseJwt(await issuer.mint(job))!.payload;
    assert.equal(a.aud, "https://github.com/example-org");
    assert.notEqual(a.jti, b.jti);
  });

  it("overrides replace any claim", async () => {
    const p = parseJwt(await issuer.mint(job, { overrides: { exp: 5, sub: "x" } }))!.payload;
    assert.equal(p.exp, 5);
    assert.equal(p.sub, "x");
  });

  it("discovery document: GitHub's seven members in order", () => {
    const d = issuer.discovery();
    assert.deepEqual(Object.keys(d), [
      "issuer",
      "jwks_uri",
      "subject_types_supported",
      "response_types_supported",
      "claims_supported",
      "id_token_signing_alg_values_supported",
      "scopes_supported",
    ]);
    assert.equal(d.jwks_uri, "https://token.actions.githubusercontent.com/.well-known/jwks");
  });

  it("request tokens bind a job and expire", async () => {
    const token = await issuer.requestToken({ job, planId: "p", jobId: "j" });
    const ok = await issuer.verifyRequestToken(token);
    assert.ok(ok.ok && ok.binding.job.repository === job.repository && ok.binding.jobId === "j");
    assert.deepEqual(await issuer.verifyRequestToken(`${token}x`), { ok: false, reason: "invalid" });
    const other = new Issuer({ keys: new KeyStore(`${dir}-other`, { clock }), clock, ids: randomIds });
    assert.deepEqual(await other.verifyRequestToken(token), { ok: false, reason: "invalid" });
    clock.advance(22_201_000);
    assert.deepEqual(await issuer.verifyRequestToken(token), { ok: false, reason: "expired" });
    await rm(`${dir}-other`, { recursive: true, force: true });
  });
});

describe("KeyResolver with a second issuer on loopback", () => {
  let server: Server;
  let base: string;
  let current: { kid: string; privateKey: CryptoKey; jwk: Record<string, unknown> };
  let jwksFetches = 0;
  const iss = "https://second-issuer.example";

  async function newKey(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
  }
  const sign = (key = current, alg = "ES256") =>
    new SignJWT({ sub: "abc" })
      .setProtectedHeader({ alg, kid: key.kid })
      .setIssuer(iss)
      .setAudience("sts.amazonaws.com")
      .setExpirationTime("5m")
      .sign(key.privateKey);

  before(async () => {
    current = await newKey("k1");
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/.well-known/openid-configuration") {
        // Advertised under its public name: the resolver must fetch it from the mapped address.
        res.end(JSON.stringify({ issuer: iss, jwks_uri: `${iss}/.well-known/jwks` }));
      } else if (req.url === "/self/.well-known/openid-configuration") {
        // The same issuer named by its loopback URL (for allowNetwork).
        const self = `http://${req.headers.host}/self`;
        res.end(JSON.stringify({ issuer: self, jwks_uri: `${self}/.well-known/jwks` }));
      } else if (req.url === "/broken/.well-known/openid-configuration") {
        res.end(JSON.stringify({ issuer: "https://broken.example", jwks_uri: "http://127.0.0.1:1/jwks" }));
      } else if (req.url === "/.well-known/jwks" || req.url === "/self/.well-known/jwks") {
        jwksFetches++;
        res.end(JSON.stringify({ keys: [current.jwk] }));
      } else {
        res.statusCode = 404;
        res.end("{}");
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("verifies through discovery and jwks_uri, caches, refetches on an unknown kid", async () => {
    const resolver = new KeyResolver({ remote: { [iss]: base }, cooldownMs: 0 });
    assert.deepEqual(await resolver.verifySignature(await sign(), iss), { ok: true });
    assert.deepEqual(await resolver.verifySignature(await sign(), iss), { ok: true });
    assert.equal(jwksFetches, 1, "cached");
    current = await newKey("k2");
    assert.deepEqual(await resolver.verifySignature(await sign(), iss), { ok: true });
    assert.equal(jwksFetches, 2, "refetched for the new kid");
    const stranger = await newKey("k3");
    assert.deepEqual(await resolver.verifySignature(await sign(stranger), iss), {
      ok: false,
      reason: "no-key",
    });
    const forged = await newKey("k2");
    assert.deepEqual(await resolver.verifySignature(await sign(forged), iss), {
      ok: false,
      reason: "bad-signature",
    });
  });

  it("unmapped issuers are not fetched without allowNetwork; unreachable ones fail cleanly", async () => {
    const resolver = new KeyResolver({});
    assert.deepEqual(await resolver.verifySignature(await sign(), iss), { ok: false, reason: "no-key" });
    const down = new KeyResolver({ remote: { [iss]: "http://127.0.0.1:1" }, timeoutMs: 500 });
    assert.deepEqual(await down.verifySignature(await sign(), iss), { ok: false, reason: "unreachable" });
    // With network allowed, an unmapped issuer is fetched from its own URL.
    const viaNetwork = new KeyResolver({ allowNetwork: true });
    assert.deepEqual(await viaNetwork.verifySignature(await sign(), `${base}/self`), { ok: true });
    // A discovery document that points nowhere is "unreachable", never a signature verdict.
    const dead = new KeyResolver({ remote: { "https://dead.example": `${base}/missing` }, timeoutMs: 500 });
    assert.deepEqual(await dead.verifySignature(await sign(), "https://dead.example"), {
      ok: false,
      reason: "unreachable",
    });
    const broken = new KeyResolver({
      remote: { "https://broken.example": `${base}/broken` },
      timeoutMs: 500,
    });
    assert.deepEqual(await broken.verifySignature(await sign(), "https://broken.example"), {
      ok: false,
      reason: "unreachable",
    });
  });

  it("refuses alg none and HMAC before looking for keys", async () => {
    const resolver = new KeyResolver({ remote: { [iss]: base } });
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"iss":"x"}').toString("base64url")}.`;
    assert.deepEqual(await resolver.verifySignature(none, iss), {
      ok: false,
      reason: "disallowed-algorithm",
    });
    const hs = await new SignJWT({}).setProtectedHeader({ alg: "HS256", kid: "k2" }).sign(new Uint8Array(32));
    assert.deepEqual(await resolver.verifySignature(hs, iss), { ok: false, reason: "disallowed-algorithm" });
  });
});
