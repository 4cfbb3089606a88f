// IAM OpenID Connect providers (sts.md §6) through SDK v3 against a live twin.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  DeleteOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  ListOpenIDConnectProvidersCommand,
  ListOpenIDConnectProviderTagsCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagOpenIDConnectProviderCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
} from "@aws-sdk/client-iam";
import { expectAwsError } from "./expect-error.ts";
import { liveIam } from "./live-iam.ts";

const ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

describe("IAM OIDC providers", () => {
  const live = liveIam();

  it("creates GitHub's provider without a thumbprint; stores the URL without https://", async () => {
    const created = await live.iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: "https://token.actions.githubusercontent.com",
        ClientIDList: ["sts.amazonaws.com"],
        Tags: [
          { Key: "z", Value: "1" },
          { Key: "a", Value: "2" },
        ],
      }),
    );
    assert.equal(created.OpenIDConnectProviderArn, ARN);
    const got = await live.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ARN }));
    assert.equal(got.Url, "token.actions.githubusercontent.com");
    assert.deepEqual(got.ClientIDList, ["sts.amazonaws.com"]);
    assert.deepEqual(got.ThumbprintList, [
      createHash("sha1").update("token.actions.githubusercontent.com").digest("hex"),
    ]);
    assert.deepEqual(got.Tags, [
      { Key: "a", Value: "2" },
      { Key: "z", Value: "1" },
    ]);
    const listed = await live.iam.send(new ListOpenIDConnectProvidersCommand({}));
    assert.deepEqual(listed.OpenIDConnectProviderList, [{ Arn: ARN }]);
    await expectAwsError(
      live.iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: "https://token.actions.githubusercontent.com" }),
      ),
      {
        code: "EntityAlreadyExists",
        status: 409,
        message: "Provider with url https://token.actions.githubusercontent.com already exists.",
      },
    );
  });

  it("adds and removes client ids idempotently, replaces thumbprints, tags", async () => {
    await live.iam.send(
      new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ARN, ClientID: "extra" }),
    );
    await live.iam.send(
      new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ARN, ClientID: "extra" }),
    );
    let got = await live.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ARN }));
    assert.deepEqual(got.ClientIDList, ["sts.amazonaws.com", "extra"]);
    await live.iam.send(
      new RemoveClientIDFromOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: ARN,
        ClientID: "extra",
      }),
    );
    await live.iam.send(
      new RemoveClientIDFromOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: ARN,
        ClientID: "extra",
      }),
    );
    const thumb = "6938fd4d98bab03faadb97b34396831e3780aea1";
    await live.iam.send(
      new UpdateOpenIDConnectProviderThumbprintCommand({
        OpenIDConnectProviderArn: ARN,
        ThumbprintList: [thumb],
      }),
    );
    got = await live.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ARN }));
    assert.deepEqual(got.ClientIDList, ["sts.amazonaws.com"]);
    assert.deepEqual(got.ThumbprintList, [thumb]);
    await expectAwsError(
      live.iam.send(
        new UpdateOpenIDConnectProviderThumbprintCommand({
          OpenIDConnectProviderArn: ARN,
          ThumbprintList: ["abc"],
        }),
      ),
      { code: "ValidationError", status: 400, message: /thumbprintList\.1\.member/ },
    );
    await live.iam.send(
      new TagOpenIDConnectProviderCommand({
        OpenIDConnectProviderArn: ARN,
        Tags: [{ Key: "b", Value: "3" }],
      }),
    );
    const tags = await live.iam.send(
      new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: ARN }),
    );
    assert.deepEqual(
      tags.Tags?.map((t) => t.Key),
      ["a", "b", "z"],
    );
  });

  it("rejects bad URLs and ARNs, and answers unknown providers with NoSuchEntity", async () => {
    await expectAwsError(
      live.iam.send(new CreateOpenIDConnectProviderCommand({ Url: "http://insecure.example.com" })),
      {
        code: "InvalidInput",
        status: 400,
        message: "Invalid Open ID Connect Provider URL",
      },
    );
    const missing = "arn:aws:iam::123456789012:oidc-provider/issuer.example.com";
    await expectAwsError(
      live.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: missing })),
      {
        code: "NoSuchEntity",
        status: 404,
        message: `OpenIDConnect Provider not found for arn ${missing}`,
      },
    );
    await expectAwsError(
      live.iam.send(
        new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: "arn:aws:iam::123456789012:role/x" }),
      ),
      { code: "InvalidInput", status: 400 },
    );
  });

  it("deletes, and deleting again succeeds (the operation is idempotent)", async () => {
    await live.iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ARN }));
    await live.iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ARN }));
    assert.deepEqual(
      (await live.iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList,
      [],
    );
  });
});
