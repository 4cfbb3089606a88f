// Repository tags decide alike through the ECR API and the OCI registry, under both names policies use
// for them (aws:ResourceTag and ecr:ResourceTag), and tagging on create needs ecr:TagResource.
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-supported-iam-actions-tagging.html
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  TagResourceCommand,
} from "@aws-sdk/client-ecr";
import {
  ecrClient,
  imageManifest,
  loginOf,
  putManifest,
  type RegistryFixture,
  reg,
  startRegistryTwin,
  userWith,
} from "./fixture.ts";

const ACCOUNT = "123456789012";

describe("repository tags in conditions, through the API and the registry", () => {
  let f: RegistryFixture;
  before(async () => {
    f = await startRegistryTwin();
    for (const [name, environment] of [
      ["prod-app", "prod"],
      ["dev-app", "dev"],
    ] as const) {
      await f.ecr.send(
        new CreateRepositoryCommand({
          repositoryName: name,
          tags: [{ Key: "environment", Value: environment }],
        }),
      );
      const m = await imageManifest(f, name, name);
      assert.equal((await putManifest(f, name, "v1", m.manifest)).status, 201);
    }
  });
  after(async () => {
    await f?.close();
  });

  const reads = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages", "ecr:ListImages"];

  /** A user who may log in to the registry and read images where `condition` holds; its client and login. */
  const readerWhere = async (name: string, condition: Record<string, Record<string, string>>) => {
    const ecr = ecrClient(
      f.twin,
      await userWith(f, name, {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
          { Effect: "Allow", Action: reads, Resource: "*", Condition: condition },
        ],
      }),
    );
    return { ecr, basic: (await loginOf(ecr)).basic };
  };

  it("ecr:ResourceTag: a Deny on prod repositories holds on the API and on /v2/", async () => {
    const keys = await userWith(f, "no-prod", {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: [...reads, "ecr:GetAuthorizationToken"], Resource: "*" },
        {
          Effect: "Deny",
          Action: reads,
          Resource: "*",
          Condition: { StringEquals: { "ecr:ResourceTag/environment": "prod" } },
        },
      ],
    });
    const ecr = ecrClient(f.twin, keys);
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: "dev-app" }));
    assert.equal(images.imageDetails?.length, 1);
    await assert.rejects(ecr.send(new DescribeImagesCommand({ repositoryName: "prod-app" })), (e: Error) => {
      assert.equal(e.name, "AccessDeniedException");
      assert.match(e.message, /with an explicit deny in an identity-based policy/);
      return true;
    });
    await assert.rejects(
      ecr.send(new BatchGetImageCommand({ repositoryName: "prod-app", imageIds: [{ imageTag: "v1" }] })),
      /explicit deny/,
    );
    const { basic } = await loginOf(ecr);
    assert.equal((await reg(f, "/v2/dev-app/manifests/v1", { basic })).status, 200);
    const prod = await reg(f, "/v2/prod-app/manifests/v1", { basic });
    assert.equal(prod.status, 403);
    assert.match(await prod.text(), /"code":"DENIED".*explicit deny/);
    ecr.destroy();
  });

  it("aws:ResourceTag: an Allow on dev repositories lets /v2/ pull dev images, not prod ones", async () => {
    const { ecr, basic } = await readerWhere("dev-only", {
      StringEquals: { "aws:ResourceTag/environment": "dev" },
    });
    assert.equal((await reg(f, "/v2/dev-app/manifests/v1", { basic })).status, 200);
    assert.equal((await reg(f, "/v2/dev-app/tags/list", { basic })).status, 200);
    const prod = await reg(f, "/v2/prod-app/manifests/v1", { basic });
    assert.equal(prod.status, 403);
    assert.match(await prod.text(), /because no identity-based policy allows the ecr:BatchGetImage action/);
    ecr.destroy();
  });

  it("aws:UserAgent: /v2/ calls carry the client's User-Agent into conditions", async () => {
    const { ecr, basic } = await readerWhere("skopeo-only", { StringLike: { "aws:UserAgent": "skopeo/*" } });
    const as = (agent: string) =>
      reg(f, "/v2/dev-app/manifests/v1", { basic, headers: { "user-agent": agent } }).then((r) => r.status);
    assert.equal(await as("skopeo/1.13.3"), 200);
    assert.equal(await as("curl/8.5.0"), 403);
    ecr.destroy();
  });

  it("tags on CreateRepository need ecr:TagResource; a grant conditioned on the request tag allows exactly it", async () => {
    const keys = await userWith(f, "creator", {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "ecr:CreateRepository", Resource: "*" },
        {
          Effect: "Allow",
          Action: "ecr:TagResource",
          Resource: "*",
          Condition: { StringEquals: { "aws:RequestTag/environment": "dev" } },
        },
      ],
    });
    const ecr = ecrClient(f.twin, keys);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: "plain" }));
    await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: "tagged-dev",
        tags: [{ Key: "environment", Value: "dev" }],
      }),
    );
    await assert.rejects(
      ecr.send(
        new CreateRepositoryCommand({
          repositoryName: "tagged-prod",
          tags: [{ Key: "environment", Value: "prod" }],
        }),
      ),
      (e: Error) => {
        assert.equal(e.name, "AccessDeniedException");
        assert.equal(
          e.message,
          `User: arn:aws:iam::${ACCOUNT}:user/creator is not authorized to perform: ecr:TagResource on resource: arn:aws:ecr:us-east-1:${ACCOUNT}:repository/tagged-prod because no identity-based policy allows the ecr:TagResource action`,
        );
        return true;
      },
    );
    // refused whole: the repository was not created without its tags
    await f.ecr.send(new CreateRepositoryCommand({ repositoryName: "tagged-prod" }));
    await ecr.send(
      new TagResourceCommand({
        resourceArn: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/plain`,
        tags: [{ Key: "environment", Value: "dev" }],
      }),
    );
    ecr.destroy();
  });
});
