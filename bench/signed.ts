// Prepares SigV4-signed AWS requests for the load generator, with the same independent signer
// the tests use (@smithy/signature-v4). A signature stays valid for the 5-minute skew window,
// so one signed request can be replayed for a short benchmark.
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { LoadRequest } from "./load.ts";

class Sha256 {
  readonly #hash;
  constructor(secret?: unknown) {
    this.#hash = secret ? createHmac("sha256", secret as string) : createHash("sha256");
  }
  update(data: Uint8Array | string) {
    this.#hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.#hash.digest());
  }
}

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export async function signQuery(
  baseUrl: string,
  service: string,
  body: string,
  keys: Keys,
  region = "us-east-1",
): Promise<LoadRequest> {
  return sign(
    baseUrl,
    service,
    { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
    keys,
    region,
  );
}

export async function signJson(
  baseUrl: string,
  service: string,
  target: string,
  input: unknown,
  keys: Keys,
  region = "us-east-1",
): Promise<LoadRequest> {
  return sign(
    baseUrl,
    service,
    { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
    JSON.stringify(input),
    keys,
    region,
  );
}

async function sign(
  baseUrl: string,
  service: string,
  headers: Record<string, string>,
  body: string,
  keys: Keys,
  region: string,
): Promise<LoadRequest> {
  const url = new URL(baseUrl);
  const signer = new SignatureV4({ service, region, credentials: keys, sha256: Sha256 });
  const signed = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    headers: { ...headers, host: url.host, "content-length": String(Buffer.byteLength(body)) },
    body,
  });
  return { method: "POST", path: "/", headers: signed.headers as Record<string, string>, body };
}
