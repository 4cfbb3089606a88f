// The issuer's signing keys: RS256 key pairs with UUIDv5 kids, persisted under STATE/oidc/ (0600),
// rotated with the old key kept published until the tokens it signed have expired; plus the HMAC
// secret that binds runner request tokens to their job. Spec: github-oidc.md §3.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Clock } from "../core/clock.ts";

interface StoredKey {
  kid: string;
  /** ISO time the key was created */
  createdAt: string;
  /** ISO time it stopped signing */
  retiredAt?: string;
  /**
   * ISO time it stops being published (and accepted), decided when it was retired from that rotation's
   * overlap, so every process serving the state agrees. Keys retired before this field existed: until
   * retiredAt + the reading process's own overlap.
   */
  publishUntil?: string;
  privateJwk: JWK;
}

interface KeyFile {
  version: 1;
  keys: StoredKey[];
}

/** A public key as the JWKS publishes it, member order `kty, alg, use, kid, n, e` (github-oidc.md §3). */
export interface PublicJwk {
  kty: string;
  alg: string;
  use: string;
  kid: string;
  n: string;
  e: string;
}

export interface SigningKey {
  kid: string;
  key: CryptoKey;
}

export interface KeyStoreOptions {
  clock: Clock;
  /** how long a retired key stays published (default 86400 s, github-oidc.md §9 `oidc.keys.rotationOverlapSeconds`) */
  rotationOverlapSeconds?: number;
}

/** Token verification re-reads the key file at most this often (another process may rotate it). */
const STAT_INTERVAL_MS = 1000;

// Namespace for kid = UUIDv5(thumbprint): GitHub's namespace is unknown (github-oidc.md §3), this one is keyship's.
const KID_NAMESPACE = "6f1d3a0e-5b2c-4c8e-9a57-0d7e2b1f4c33";

/** The key material of one state dir. Reloads the file when another process (keyship keys rotate) changed it. */
export class KeyStore {
  readonly dir: string;
  readonly #clock: Clock;
  readonly #overlapMs: number;
  #file: KeyFile | undefined;
  /** inode and mtime of the loaded file: a rename by another process changes the inode */
  #stamp = "";
  /** when the file was last stat'ed (performance.now()) */
  #checkedAt = Number.NEGATIVE_INFINITY;
  #imported = new Map<string, CryptoKey>();
  #creating: Promise<void> | undefined;

  constructor(stateDir: string, options: KeyStoreOptions) {
    this.dir = join(stateDir, "oidc");
    this.#clock = options.clock;
    this.#overlapMs = (options.rotationOverlapSeconds ?? 86_400) * 1000;
  }

  get #path(): string {
    return join(this.dir, "keys.json");
  }

  /** `fresh: false` reuses a file stat'ed less than STAT_INTERVAL_MS ago. */
  #load(fresh = true): KeyFile | undefined {
    const now = performance.now();
    if (!fresh && this.#file && now - this.#checkedAt < STAT_INTERVAL_MS) return this.#file;
    this.#checkedAt = now;
    let stamp: string;
    try {
      const st = statSync(this.#path);
      stamp = `${st.ino}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
    if (this.#file && stamp === this.#stamp) return this.#file;
    const file = JSON.parse(readFileSync(this.#path, "utf8")) as KeyFile;
    this.#file = file;
    this.#stamp = stamp;
    return file;
  }

  #save(file: KeyFile): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.#path);
    this.#file = file;
    const st = statSync(this.#path);
    this.#stamp = `${st.ino}:${st.mtimeMs}`;
  }

  async #ensure(fresh = true): Promise<KeyFile> {
    const existing = this.#load(fresh);
    if (existing?.keys.some((k) => !k.retiredAt)) return existing;
    this.#creating ??= (async () => {
      const key = await newKey(this.#clock.now());
      const file = this.#load() ?? { version: 1, keys: [] };
      if (!file.keys.some((k) => !k.retiredAt)) this.#save({ version: 1, keys: [...file.keys, key] });
    })().finally(() => {
      this.#creating = undefined;
    });
    await this.#creating;
    return this.#load()!;
  }

  /** The key that signs new tokens (created on first use). */
  async signingKey(): Promise<SigningKey> {
    const file = await this.#ensure();
    const current = file.keys.filter((k) => !k.retiredAt).at(-1)!;
    return { kid: current.kid, key: await this.#import(current) };
  }

  /**
   * Keys to publish: the current one and retired ones still inside their overlap (judged by the clock
   * on every call). `fresh: false` accepts the file as stat'ed up to a second ago.
   */
  async publicKeys(fresh = true): Promise<PublicJwk[]> {
    const file = await this.#ensure(fresh);
    const now = this.#clock.now().getTime();
    return file.keys
      .filter((k) => this.#published(k, now))
      .reverse()
      .map((k) => publicJwk(k));
  }

  /** Whether a key is still published (and so accepted) at `now` (epoch ms). */
  #published(k: StoredKey, now: number): boolean {
    if (!k.retiredAt) return true;
    if (k.publishUntil !== undefined) return Date.parse(k.publishUntil) > now;
    return Date.parse(k.retiredAt) + this.#overlapMs > now;
  }

  /**
   * Starts signing with a new key; the old one stays published for the overlap: `overlapSeconds`, else
   * this store's configured overlap, recorded on the key as `publishUntil`. Returns the new kid.
   */
  async rotate(overlapSeconds?: number): Promise<{ kid: string; retired: string[]; publishUntil: string }> {
    await this.#ensure();
    const now = this.#clock.now();
    const publishUntil = new Date(
      now.getTime() + (overlapSeconds !== undefined ? overlapSeconds * 1000 : this.#overlapMs),
    ).toISOString();
    const key = await newKey(now);
    const file = this.#load()!;
    const retired: string[] = [];
    const keys = file.keys
      .map((k) => {
        if (k.retiredAt) return k;
        retired.push(k.kid);
        return { ...k, retiredAt: now.toISOString(), publishUntil };
      })
      // Keys past their overlap are of no further use: drop them from disk too.
      .filter((k) => this.#published(k, now.getTime()));
    this.#save({ version: 1, keys: [...keys, key] });
    return { kid: key.kid, retired, publishUntil };
  }

  async #import(k: StoredKey): Promise<CryptoKey> {
    let key = this.#imported.get(k.kid);
    if (!key) {
      key = (await importJWK(k.privateJwk, "RS256")) as CryptoKey;
      this.#imported.set(k.kid, key);
    }
    return key;
  }

  /** The secret that signs runner request tokens (ACTIONS_ID_TOKEN_REQUEST_TOKEN), created on first use. */
  requestTokenSecret(): Uint8Array {
    const path = join(this.dir, "request-token.key");
    try {
      return new Uint8Array(Buffer.from(readFileSync(path, "utf8").trim(), "base64url"));
    } catch {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const secret = randomBytes(32);
      try {
        writeFileSync(path, `${secret.toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
      } catch {
        // Another process created it first: use theirs.
        return new Uint8Array(Buffer.from(readFileSync(path, "utf8").trim(), "base64url"));
      }
      return new Uint8Array(secret);
    }
  }
}

async function newKey(now: Date): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const thumbprint = await calculateJwkThumbprint({ kty: "RSA", n: privateJwk.n!, e: privateJwk.e! });
  return { kid: uuidV5(thumbprint, KID_NAMESPACE), createdAt: now.toISOString(), privateJwk };
}

function publicJwk(k: StoredKey): PublicJwk {
  return { kty: "RSA", alg: "RS256", use: "sig", kid: k.kid, n: k.privateJwk.n!, e: k.privateJwk.e! };
}

/** RFC 4122 §4.3 name-based UUID with SHA-1. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replaceAll("-", ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
