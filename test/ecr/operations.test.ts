// The ECR API through the AWS SDK v3 against a live twin: shapes, AWS's errors, the API push path,
// tag mutability, policies, lifecycle, and IAM deciding each call and each registry request.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BatchCheckLayerAvailabilityCommand,
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteLifecyclePolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
  InitiateLayerUploadCommand,
  ListImagesCommand,
  ListTagsForResourceCommand,
  PutImageCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
  UploadLayerPartCommand,
} from "@aws-sdk/client-ecr";
import {
  createRepo,
  ecrClient,
  imageManifest,
  loginOf,
  OCI_MANIFEST,
  pushBlob,
  putManifest,
  type RegistryFixture,
  reg,
  sha256,
  startRegistryTwin,
  userWith,
} from "../registry/fixture.ts";

let f: RegistryFixture;
before(async () => {
  f = await startRegistryTwin();
});
after(() => f.close());

async function rejects(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: Error & { name: string }) => {
    assert.equal(err.name, name);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

describe("repositories", () => {
  it("CreateRepository stores settings and answers the repository shape", async () => {
    const out = await f.ecr.send(
      new CreateRepositoryCommand({
        repositoryName: "svc/api",
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: "KMS" },
        tags: [{ Key: "team", Value: "core" }],
      }),
    );
    const repo = out.repository!;
    assert.equal(repo.repositoryArn, "arn:aws:ecr:us-east-1:123456789012:repository/svc/api");
    assert.equal(repo.registryId, "123456789012");
    assert.equal(repo.repositoryUri, `${f.host}/svc/api`);
    assert.equal(repo.imageTagMutability, "IMMUTABLE");
    assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });
    assert.equal(repo.encryptionConfiguration?.encryptionType, "KMS");
    assert.ok(repo.createdAt instanceof Date);
    const tags = await f.ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }));
    assert.deepEqual(tags.tags, [{ Key: "team", Value: "core" }]);
    await f.ecr.send(
      new TagResourceCommand({ resourceArn: repo.repositoryArn, tags: [{ Key: "env", Value: "dev" }] }),
    );
    const again = await f.ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }));
    assert.equal(again.tags?.length, 2);
  });

  it("errors: exists, not found, invalid name, maxResults with names, not empty", async () => {
    await createRepo(f, "dup");
    await rejects(
      f.ecr.send(new CreateRepositoryCommand({ repositoryName: "dup" })),
      "RepositoryAlreadyExistsException",
      "The repository with name 'dup' already exists in the registry with id '123456789012'",
    );
    await rejects(
      f.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["dup", "ghost"] })),
      "RepositoryNotFoundException",
      "The repository with name 'ghost' does not exist in the registry with id '123456789012'",
    );
    await rejects(
      f.ecr.send(new CreateRepositoryCommand({ repositoryName: "Bad_Name" })),
      "InvalidParameterException",
    );
    await rejects(
      f.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["dup"], maxResults: 5 })),
      "InvalidParameterException",
    );
    const m = await imageManifest(f, "dup", "x");
    await putManifest(f, "dup", "v1", m.manifest);
    await rejects(
      f.ecr.send(new DeleteRepositoryCommand({ repositoryName: "dup" })),
      "RepositoryNotEmptyException",
      "The repository with name 'dup' in registry with id '123456789012' cannot be deleted because it still contains images",
    );
    const deleted = await f.ecr.send(new DeleteRepositoryCommand({ repositoryName: "dup", force: true }));
    assert.equal(deleted.repository?.repositoryName, "dup");
    assert.equal((await reg(f, "/v2/dup/manifests/v1")).status, 404);
  });

  it("DescribeRepositories pages with maxResults/nextToken", async () => {
    for (const n of ["page-a", "page-b", "page-c"]) await createRepo(f, n);
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await f.ecr.send(
        new DescribeRepositoriesCommand({ maxResults: 2, ...(nextToken ? { nextToken } : {}) }),
      );
      assert.ok(out.repositories!.length <= 2);
      names.push(...out.repositories!.map((r) => r.repositoryName!));
      nextToken = out.nextToken;
    } while (nextToken);
    for (const n of ["page-a", "page-b", "page-c"]) assert.ok(names.includes(n));
  });
});

describe("authorization token", () => {
  it("is base64 AWS:<password without ':'>, expires in 12 h, names the twin's registry", async () => {
    const out = await f.ecr.send(new GetAuthorizationTokenCommand({}));
    const data = out.authorizationData![0]!;
    const decoded = Buffer.from(data.authorizationToken!, "base64").toString("utf8");
    assert.match(decoded, /^AWS:[^:\s]+$/);
    assert.equal(data.proxyEndpoint, f.twin.url);
    const hours = (data.expiresAt!.getTime() - Date.now()) / 3600_000;
    assert.ok(hours > 11.9 && hours <= 12, String(hours));
  });
});

describe("the API push path and images", () => {
  it("InitiateLayerUpload → UploadLayerPart → CompleteLayerUpload → PutImage; pullable over /v2/", async () => {
    await createRepo(f, "api-push");
    const layer = Buffer.from("an API-pushed layer");
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const push = async (bytes: Buffer) => {
      const { uploadId, partSize } = await f.ecr.send(
        new InitiateLayerUploadCommand({ repositoryName: "api-push" }),
      );
      assert.match(uploadId!, /^[0-9a-f-]{36}$/);
      assert.equal(partSize, 10485760);
      const part = await f.ecr.send(
        new UploadLayerPartCommand({
          repositoryName: "api-push",
          uploadId,
          partFirstByte: 0,
          partLastByte: bytes.length - 1,
          layerPartBlob: bytes,
        }),
      );
      assert.equal(part.lastByteReceived, bytes.length - 1);
      const done = await f.ecr.send(
        new CompleteLayerUploadCommand({
          repositoryName: "api-push",
          uploadId,
          layerDigests: [sha256(bytes)],
        }),
      );
      assert.equal(done.layerDigest, sha256(bytes));
    };
    await push(layer);
    await push(config);
    const check = await f.ecr.send(
      new BatchCheckLayerAvailabilityCommand({
        repositoryName: "api-push",
        layerDigests: [sha256(layer), sha256("no"), "bad"],
      }),
    );
    assert.deepEqual(
      check.layers!.map((l) => [l.layerAvailability, l.layerSize]),
      [
        ["AVAILABLE", layer.length],
        ["UNAVAILABLE", undefined],
      ],
    );
    assert.equal(check.failures![0]!.failureCode, "InvalidLayerDigest");
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256(layer), size: layer.length },
      ],
    });
    const put = await f.ecr.send(
      new PutImageCommand({ repositoryName: "api-push", imageManifest: manifest, imageTag: "v1" }),
    );
    assert.deepEqual(put.image?.imageId, { imageDigest: sha256(manifest), imageTag: "v1" });
    assert.equal(put.image?.imageManifestMediaType, OCI_MANIFEST);
    await rejects(
      f.ecr.send(
        new PutImageCommand({ repositoryName: "api-push", imageManifest: manifest, imageTag: "v1" }),
      ),
      "ImageAlreadyExistsException",
    );
    const get = await reg(f, "/v2/api-push/manifests/v1");
    assert.equal(await get.text(), manifest);
    assert.equal(await (await reg(f, `/v2/api-push/blobs/${sha256(layer)}`)).text(), layer.toString());

    const batch = await f.ecr.send(
      new BatchGetImageCommand({
        repositoryName: "api-push",
        imageIds: [{ imageTag: "v1" }, { imageTag: "nope" }],
      }),
    );
    assert.equal(batch.images![0]!.imageManifest, manifest);
    assert.deepEqual(batch.failures, [
      {
        imageId: { imageTag: "nope" },
        failureCode: "ImageNotFound",
        failureReason: "Requested image not found",
      },
    ]);
    const url = await f.ecr.send(
      new GetDownloadUrlForLayerCommand({ repositoryName: "api-push", layerDigest: sha256(layer) }),
    );
    assert.equal(await (await fetch(url.downloadUrl!)).text(), layer.toString());
    // one character of the signature changed (to another character, whatever the first one is)
    const altered = url.downloadUrl!.replace(/sig=(.)/, (_, c: string) => `sig=${c === "A" ? "B" : "A"}`);
    assert.notEqual(altered, url.downloadUrl);
    assert.equal((await fetch(altered)).status, 403);
    const details = await f.ecr.send(new DescribeImagesCommand({ repositoryName: "api-push" }));
    const d = details.imageDetails![0]!;
    assert.deepEqual(d.imageTags, ["v1"]);
    assert.equal(d.imageSizeInBytes, layer.length + config.length);
    assert.equal(d.imageManifestMediaType, OCI_MANIFEST);
    assert.ok(d.lastRecordedPullTime instanceof Date);
  });

  it("UploadLayerPart/CompleteLayerUpload errors", async () => {
    await createRepo(f, "parts");
    const { uploadId } = await f.ecr.send(new InitiateLayerUploadCommand({ repositoryName: "parts" }));
    await rejects(
      f.ecr.send(
        new UploadLayerPartCommand({
          repositoryName: "parts",
          uploadId,
          partFirstByte: 5,
          partLastByte: 6,
          layerPartBlob: Buffer.from("ab"),
        }),
      ),
      "InvalidLayerPartException",
    );
    // The error shape's own members reach the SDK (botocore ecr model: InvalidLayerPartException).
    const partError = await f.ecr
      .send(
        new UploadLayerPartCommand({
          repositoryName: "parts",
          uploadId,
          partFirstByte: 5,
          partLastByte: 6,
          layerPartBlob: Buffer.from("ab"),
        }),
      )
      .then(
        () => assert.fail("UploadLayerPart out of order must fail"),
        (e: Record<string, unknown>) => e,
      );
    assert.equal(partError.uploadId, uploadId);
    assert.equal(partError.repositoryName, "parts");
    assert.equal(typeof partError.lastValidByteReceived, "number");
    await rejects(
      f.ecr.send(
        new CompleteLayerUploadCommand({ repositoryName: "parts", uploadId, layerDigests: [sha256("")] }),
      ),
      "EmptyUploadException",
    );
    const small = Buffer.from("small");
    await f.ecr.send(
      new UploadLayerPartCommand({
        repositoryName: "parts",
        uploadId,
        partFirstByte: 0,
        partLastByte: 4,
        layerPartBlob: small,
      }),
    );
    await f.ecr.send(
      new UploadLayerPartCommand({
        repositoryName: "parts",
        uploadId,
        partFirstByte: 5,
        partLastByte: 9,
        layerPartBlob: small,
      }),
    );
    await rejects(
      f.ecr.send(
        new CompleteLayerUploadCommand({
          repositoryName: "parts",
          uploadId,
          layerDigests: [sha256("smallsmall")],
        }),
      ),
      "LayerPartTooSmallException",
      "Layer parts must be at least 5 MiB in size",
    );
    await rejects(
      f.ecr.send(
        new UploadLayerPartCommand({
          repositoryName: "parts",
          uploadId: "00000000-0000-0000-0000-000000000000",
          partFirstByte: 0,
          partLastByte: 0,
          layerPartBlob: Buffer.from("a"),
        }),
      ),
      "UploadNotFoundException",
    );
    const { uploadId: u2 } = await f.ecr.send(new InitiateLayerUploadCommand({ repositoryName: "parts" }));
    await f.ecr.send(
      new UploadLayerPartCommand({
        repositoryName: "parts",
        uploadId: u2,
        partFirstByte: 0,
        partLastByte: 4,
        layerPartBlob: small,
      }),
    );
    await rejects(
      f.ecr.send(
        new CompleteLayerUploadCommand({
          repositoryName: "parts",
          uploadId: u2,
          layerDigests: [sha256("other")],
        }),
      ),
      "InvalidLayerException",
    );
  });

  it("PutImage errors: missing layers, digest mismatch, immutable tag", async () => {
    await createRepo(f, "put-errors", true);
    const m = await imageManifest(f, "put-errors", "pe");
    await rejects(
      f.ecr.send(
        new PutImageCommand({
          repositoryName: "put-errors",
          imageManifest: m.manifest,
          imageDigest: sha256("x"),
        }),
      ),
      "ImageDigestDoesNotMatchException",
    );
    const other = await imageManifest(f, "api-push", "elsewhere");
    await rejects(
      f.ecr.send(
        new PutImageCommand({ repositoryName: "put-errors", imageManifest: other.manifest, imageTag: "t" }),
      ),
      "LayersNotFoundException",
      `The layer with digest ${other.configDigest} does not exist within the repository with name 'put-errors' in the registry with id '123456789012'`,
    );
    await f.ecr.send(
      new PutImageCommand({ repositoryName: "put-errors", imageManifest: m.manifest, imageTag: "v1" }),
    );
    const m2 = await imageManifest(f, "put-errors", "pe2");
    await rejects(
      f.ecr.send(
        new PutImageCommand({ repositoryName: "put-errors", imageManifest: m2.manifest, imageTag: "v1" }),
      ),
      "ImageTagAlreadyExistsException",
      "The image tag 'v1' already exists in the 'put-errors' repository and cannot be overwritten because the repository is immutable.",
    );
    await f.ecr.send(
      new PutImageTagMutabilityCommand({ repositoryName: "put-errors", imageTagMutability: "MUTABLE" }),
    );
    await f.ecr.send(
      new PutImageCommand({ repositoryName: "put-errors", imageManifest: m2.manifest, imageTag: "v1" }),
    );
    const out = await f.ecr.send(
      new PutImageTagMutabilityCommand({
        repositoryName: "put-errors",
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: [{ filterType: "WILDCARD", filter: "latest*" }],
      }),
    );
    assert.equal(out.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
    await putManifest(f, "put-errors", "latest", m.manifest);
    assert.equal(
      (await putManifest(f, "put-errors", "latest", m2.manifest)).status,
      201,
      "excluded tags stay mutable",
    );
    assert.equal((await putManifest(f, "put-errors", "v1", m.manifest)).status, 400);
  });

  it("ListImages, DescribeImages filters, BatchDeleteImage by tag and digest", async () => {
    await createRepo(f, "listing");
    const a = await imageManifest(f, "listing", "a");
    const b = await imageManifest(f, "listing", "b");
    await putManifest(f, "listing", "a1", a.manifest);
    await putManifest(f, "listing", "a2", a.manifest);
    await putManifest(f, "listing", b.digest, b.manifest);
    const list = await f.ecr.send(new ListImagesCommand({ repositoryName: "listing" }));
    assert.equal(list.imageIds!.length, 3);
    const untagged = await f.ecr.send(
      new ListImagesCommand({ repositoryName: "listing", filter: { tagStatus: "UNTAGGED" } }),
    );
    assert.deepEqual(untagged.imageIds, [{ imageDigest: b.digest }]);
    await rejects(
      f.ecr.send(new DescribeImagesCommand({ repositoryName: "listing", imageIds: [{ imageTag: "zzz" }] })),
      "ImageNotFoundException",
      "The image with imageId {imageTag:'zzz'} does not exist within the repository with name 'listing' in the registry with id '123456789012'",
    );
    const del = await f.ecr.send(
      new BatchDeleteImageCommand({
        repositoryName: "listing",
        imageIds: [{ imageTag: "a1" }, { imageDigest: b.digest }, { imageTag: "gone" }],
      }),
    );
    assert.deepEqual(del.imageIds, [{ imageDigest: a.digest, imageTag: "a1" }, { imageDigest: b.digest }]);
    assert.equal(del.failures![0]!.failureCode, "ImageNotFound");
    const after = await f.ecr.send(new ListImagesCommand({ repositoryName: "listing" }));
    assert.deepEqual(after.imageIds, [{ imageDigest: a.digest, imageTag: "a2" }]);
  });
});

describe("policies", () => {
  it("repository policy: set, get, delete, errors", async () => {
    await createRepo(f, "with-policy");
    await rejects(
      f.ecr.send(new GetRepositoryPolicyCommand({ repositoryName: "with-policy" })),
      "RepositoryPolicyNotFoundException",
      "Repository policy does not exist for the repository with name 'with-policy' in the registry with id '123456789012'",
    );
    await rejects(
      f.ecr.send(
        new SetRepositoryPolicyCommand({
          repositoryName: "with-policy",
          policyText: '{"Statement":[{"Effect":"Allow","Action":"ecr:*"}]}',
        }),
      ),
      "InvalidParameterException",
    );
    const text = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:root" },
          Action: "ecr:BatchGetImage",
        },
      ],
    });
    await f.ecr.send(new SetRepositoryPolicyCommand({ repositoryName: "with-policy", policyText: text }));
    assert.equal(
      (await f.ecr.send(new GetRepositoryPolicyCommand({ repositoryName: "with-policy" }))).policyText,
      text,
    );
    assert.equal(
      (await f.ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: "with-policy" }))).policyText,
      text,
    );
  });

  it("lifecycle policy: validated, stored, applied after each push", async () => {
    await createRepo(f, "lc");
    const policy = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: "keep two",
          selection: {
            tagStatus: "tagged",
            tagPrefixList: ["v"],
            countType: "imageCountMoreThan",
            countNumber: 2,
          },
          action: { type: "expire" },
        },
      ],
    });
    await rejects(
      f.ecr.send(
        new PutLifecyclePolicyCommand({
          repositoryName: "lc",
          lifecyclePolicyText: policy.replace('"tagged"', '"bogus"'),
        }),
      ),
      "InvalidParameterException",
    );
    await f.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: "lc", lifecyclePolicyText: policy }));
    for (const v of ["v1", "v2", "v3"]) {
      const m = await imageManifest(f, "lc", v);
      assert.equal((await putManifest(f, "lc", v, m.manifest)).status, 201);
    }
    const list = await f.ecr.send(new ListImagesCommand({ repositoryName: "lc" }));
    assert.deepEqual(list.imageIds!.map((i) => i.imageTag).sort(), ["v2", "v3"]);
    const got = await f.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: "lc" }));
    assert.equal(got.lifecyclePolicyText, policy);
    assert.ok(got.lastEvaluatedAt instanceof Date);
    await f.ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName: "lc" }));
    await rejects(
      f.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: "lc" })),
      "LifecyclePolicyNotFoundException",
    );
  });
});

describe("IAM decides API calls and registry requests", () => {
  it("a read-only principal pulls but cannot push; a principal without ECR rights cannot log in", async () => {
    await createRepo(f, "guarded");
    const m = await imageManifest(f, "guarded", "g");
    await putManifest(f, "guarded", "v1", m.manifest);
    const reader = await userWith(f, "reader", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly");
    const readerEcr = ecrClient(f.twin, reader);
    const { basic } = await loginOf(readerEcr);
    assert.equal((await reg(f, "/v2/guarded/manifests/v1", { basic })).status, 200);
    assert.equal((await reg(f, `/v2/guarded/blobs/${m.layerDigest}`, { basic })).status, 200);
    const push = await reg(f, "/v2/guarded/blobs/uploads/", { method: "POST", basic });
    assert.equal(push.status, 403);
    const err = ((await push.json()) as { errors: { code: string; message: string }[] }).errors[0]!;
    assert.equal(err.code, "DENIED");
    assert.match(
      err.message,
      /^User: arn:aws:iam::123456789012:user\/reader is not authorized to perform: ecr:InitiateLayerUpload on resource: arn:aws:ecr:us-east-1:123456789012:repository\/guarded/,
    );
    const put = await putManifest(f, "guarded", "v2", m.manifest, OCI_MANIFEST, basic);
    assert.equal(put.status, 403);
    await rejects(
      readerEcr.send(new InitiateLayerUploadCommand({ repositoryName: "guarded" })),
      "AccessDeniedException",
    );
    readerEcr.destroy();

    const nobody = ecrClient(
      f.twin,
      await userWith(f, "nobody", {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }],
      }),
    );
    await rejects(nobody.send(new GetAuthorizationTokenCommand({})), "AccessDeniedException");
    // Input validation answers before authorization: a malformed name is the caller's mistake either way.
    await rejects(
      nobody.send(new CreateRepositoryCommand({ repositoryName: "Bad Name" })),
      "InvalidParameterException",
      /repositoryName/,
    );
    await rejects(
      nobody.send(new CreateRepositoryCommand({ repositoryName: "good-name" })),
      "AccessDeniedException",
    );
    nobody.destroy();
  });

  it("a repository policy grants a principal the identity policies do not", async () => {
    await createRepo(f, "shared");
    const m = await imageManifest(f, "shared", "s");
    await putManifest(f, "shared", "v1", m.manifest);
    const login = await userWith(f, "login-only", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }],
    });
    const { basic } = await loginOf(ecrClient(f.twin, login));
    assert.equal((await reg(f, "/v2/shared/manifests/v1", { basic })).status, 403);
    await f.ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: "shared",
        policyText: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: "arn:aws:iam::123456789012:user/login-only" },
              Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            },
          ],
        }),
      }),
    );
    assert.equal(
      (await reg(f, "/v2/shared/manifests/v1", { basic })).status,
      200,
      "allowed by the repository policy",
    );
    assert.equal((await reg(f, "/v2/shared/blobs/uploads/", { method: "POST", basic })).status, 403);
  });

  it("a token stops working once its access key is gone (403, as an expired token)", async () => {
    await createRepo(f, "revoked");
    const creds = await userWith(f, "temp", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser");
    const { basic } = await loginOf(ecrClient(f.twin, creds));
    assert.equal((await reg(f, "/v2/revoked/tags/list", { basic })).status, 200);
    const { DeleteAccessKeyCommand } = await import("@aws-sdk/client-iam");
    await f.iam.send(new DeleteAccessKeyCommand({ UserName: "temp", AccessKeyId: creds.accessKeyId }));
    const r = await reg(f, "/v2/revoked/tags/list", { basic });
    assert.equal(r.status, 403);
    assert.deepEqual(await r.json(), {
      errors: [
        { code: "DENIED", message: "Your authorization token has expired. Reauthenticate and try again." },
      ],
    });
    await pushBlob(f, "revoked", "admin still pushes");
  });
});
