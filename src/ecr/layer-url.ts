// GetDownloadUrlForLayer's URL: real ECR hands out a pre-signed S3 URL; the twin signs a URL on
// itself, valid 1 h (ecr-registry.md §4): /_keyship/ecr/layers/<acct>/<region>/<digest>/<repo>?expires=&sig=
import { createHmac, timingSafeEqual } from "node:crypto";

export const LAYER_URL_PREFIX = "/_keyship/ecr/layers/";
const LIFETIME_MS = 3600_000;

export interface LayerRef {
  accountId: string;
  region: string;
  repositoryName: string;
  digest: string;
}

export function signLayerUrl(secret: string, baseUrl: string, ref: LayerRef, now: Date): string {
  const expires = Math.floor((now.getTime() + LIFETIME_MS) / 1000);
  const path = `${LAYER_URL_PREFIX}${ref.accountId}/${ref.region}/${ref.digest}/${ref.repositoryName}`;
  return `${baseUrl}${path}?expires=${expires}&sig=${mac(secret, path, expires)}`;
}

/** The layer a signed URL names, if the signature holds and it has not expired. */
export function verifyLayerUrl(
  secret: string,
  path: string,
  query: URLSearchParams,
  now: Date,
): LayerRef | undefined {
  if (!path.startsWith(LAYER_URL_PREFIX)) return undefined;
  const expires = Number(query.get("expires"));
  const sig = query.get("sig") ?? "";
  if (!Number.isInteger(expires) || expires * 1000 < now.getTime()) return undefined;
  const expected = Buffer.from(mac(secret, path, expires));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  const m = /^([^/]+)\/([^/]+)\/([^/]+)\/(.+)$/.exec(path.slice(LAYER_URL_PREFIX.length));
  if (!m) return undefined;
  return { accountId: m[1]!, region: m[2]!, digest: m[3]!, repositoryName: m[4]! };
}

function mac(secret: string, path: string, expires: number): string {
  return createHmac("sha256", secret).update(`layer\n${path}\n${expires}`).digest("base64url");
}
