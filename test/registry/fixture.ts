// Test support: a live twin with ECR, an ECR client, registry credentials and small push helpers.
import { createHash } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { startTwin, type Twin } from "../../src/main.ts";

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RegistryFixture {
  twin: Twin;
  ecr: ECRClient;
  iam: IAMClient;
  /** host:port of the registry */
  host: string;
  /** the Basic credentials value (base64 "AWS:password") for the admin */
  basic: string;
  password: string;
  close(): Promise<void>;
}

export async function startRegistryTwin(stateDir?: string): Promise<RegistryFixture> {
  const twin = await startTwin({
    stateDir: stateDir ?? (await mkdtemp(join(tmpdir(), "keyship-ecr-"))),
    port: 0,
    log: () => {},
  });
  const ecr = ecrClient(twin, twin.admin);
  const iam = new IAMClient({ endpoint: twin.url, region: "us-east-1", credentials: twin.admin });
  const { basic, password } = await loginOf(ecr);
  return {
    twin,
    ecr,
    iam,
    host: new URL(twin.url).host,
    basic,
    password,
    async close() {
      ecr.destroy();
      iam.destroy();
      await twin.close();
    },
  };
}

export function ecrClient(twin: Twin, credentials: Creds): ECRClient {
  return new ECRClient({ endpoint: twin.url, region: twin.region, credentials });
}

export async function loginOf(ecr: ECRClient): Promise<{ basic: string; password: string }> {
  const out = await ecr.send(new GetAuthorizationTokenCommand({}));
  const basic = out.authorizationData![0]!.authorizationToken!;
  return { basic, password: Buffer.from(basic, "base64").toString("utf8").slice("AWS:".length) };
}

export async function createRepo(f: RegistryFixture, name: string, immutable = false): Promise<void> {
  await f.ecr.send(
    new CreateRepositoryCommand({
      repositoryName: name,
      imageTagMutability: immutable ? "IMMUTABLE" : "MUTABLE",
    }),
  );
}

/** Creates an IAM user with an inline policy (or a managed one) and returns its keys. */
export async function userWith(f: RegistryFixture, name: string, policy: object | string): Promise<Creds> {
  await f.iam.send(new CreateUserCommand({ UserName: name }));
  if (typeof policy === "string")
    await f.iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policy }));
  else {
    await f.iam.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }),
    );
  }
  const key = await f.iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** fetch against the registry with the fixture's Basic credentials (unless headers override). */
export function reg(f: RegistryFixture, path: string, init: RequestInit & { basic?: string | null } = {}) {
  const headers = new Headers(init.headers);
  const basic = init.basic === undefined ? f.basic : init.basic;
  if (basic !== null && !headers.has("authorization")) headers.set("authorization", `Basic ${basic}`);
  return fetch(`${f.twin.url}${path}`, {
    ...init,
    headers,
    ...(init.body ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Monolithic single-POST upload of a blob; returns its digest. */
export async function pushBlob(
  f: RegistryFixture,
  repo: string,
  bytes: Buffer | string,
  basic?: string,
): Promise<string> {
  const digest = sha256(bytes);
  const r = await reg(f, `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: "POST",
    body: typeof bytes === "string" ? bytes : new Uint8Array(bytes),
    headers: { "content-type": "application/octet-stream" },
    ...(basic ? { basic } : {}),
  });
  if (r.status !== 201) throw new Error(`blob push ${r.status}: ${await r.text()}`);
  return digest;
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

/** Pushes a config + one layer and returns an OCI manifest (not yet pushed) for them. */
export async function imageManifest(
  f: RegistryFixture,
  repo: string,
  seed: string,
  mediaType = OCI_MANIFEST,
) {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", seed }));
  const layer = Buffer.from(`layer for ${seed}`);
  const configDigest = await pushBlob(f, repo, config);
  const layerDigest = await pushBlob(f, repo, layer);
  const docker = mediaType === DOCKER_MANIFEST;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: docker
        ? "application/vnd.docker.container.image.v1+json"
        : "application/vnd.oci.image.config.v1+json",
      digest: configDigest,
      size: config.length,
    },
    layers: [
      {
        mediaType: docker
          ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
          : "application/vnd.oci.image.layer.v1.tar",
        digest: layerDigest,
        size: layer.length,
      },
    ],
  });
  return { manifest, digest: sha256(manifest), configDigest, layerDigest, mediaType };
}

export async function putManifest(
  f: RegistryFixture,
  repo: string,
  ref: string,
  manifest: string,
  mediaType = OCI_MANIFEST,
  basic?: string,
) {
  return reg(f, `/v2/${repo}/manifests/${ref}`, {
    method: "PUT",
    body: manifest,
    headers: { "content-type": mediaType },
    ...(basic ? { basic } : {}),
  });
}
