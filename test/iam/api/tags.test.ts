// Tag, Untag and List*Tags on every taggable IAM resource (users, roles, managed policies, OIDC
// providers), through SDK v3 against a live twin: the same rules, errors and condition keys on each.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CreateAccessKeyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListOpenIDConnectProviderTagsCommand,
  ListPolicyTagsCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  PutUserPolicyCommand,
  type Tag,
  TagOpenIDConnectProviderCommand,
  TagPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagOpenIDConnectProviderCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UntagUserCommand,
} from "@aws-sdk/client-iam";
import { clientConfig } from "../../support/twin.ts";
import { ecsTrust } from "./documents.ts";
import { expectAwsError } from "./expect-error.ts";
import { liveIam } from "./live-iam.ts";

const doc = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
});
const oidcArn = (host: string) => `arn:aws:iam::123456789012:oidc-provider/${host}`;

/** One taggable resource kind: how to create one, its three tag operations, and its not-found text. */
interface Taggable {
  kind: string;
  create(client: IAMClient, id: string): Promise<string>;
  tag(client: IAMClient, ref: string, tags: Tag[]): Promise<unknown>;
  untag(client: IAMClient, ref: string, keys: string[]): Promise<unknown>;
  list(
    client: IAMClient,
    ref: string,
    page?: { MaxItems?: number; Marker?: string },
  ): Promise<{ Tags?: Tag[]; IsTruncated?: boolean; Marker?: string }>;
  missing: string;
  /** the resource a call on the missing one is authorized on */
  missingArn: string;
  notFound: string;
}

const taggables: Taggable[] = [
  {
    kind: "user",
    create: async (c, id) => (await c.send(new CreateUserCommand({ UserName: id }))).User!.UserName!,
    tag: (c, ref, Tags) => c.send(new TagUserCommand({ UserName: ref, Tags })),
    untag: (c, ref, TagKeys) => c.send(new UntagUserCommand({ UserName: ref, TagKeys })),
    list: (c, ref, page) => c.send(new ListUserTagsCommand({ UserName: ref, ...page })),
    missing: "nobody",
    missingArn: "arn:aws:iam::123456789012:user/nobody",
    notFound: "The user with name nobody cannot be found.",
  },
  {
    kind: "role",
    create: async (c, id) =>
      (await c.send(new CreateRoleCommand({ RoleName: id, AssumeRolePolicyDocument: ecsTrust }))).Role!
        .RoleName!,
    tag: (c, ref, Tags) => c.send(new TagRoleCommand({ RoleName: ref, Tags })),
    untag: (c, ref, TagKeys) => c.send(new UntagRoleCommand({ RoleName: ref, TagKeys })),
    list: (c, ref, page) => c.send(new ListRoleTagsCommand({ RoleName: ref, ...page })),
    missing: "no-role",
    missingArn: "arn:aws:iam::123456789012:role/no-role",
    notFound: "The role with name no-role cannot be found.",
  },
  {
    kind: "policy",
    create: async (c, id) =>
      (await c.send(new CreatePolicyCommand({ PolicyName: id, PolicyDocument: doc }))).Policy!.Arn!,
    tag: (c, ref, Tags) => c.send(new TagPolicyCommand({ PolicyArn: ref, Tags })),
    untag: (c, ref, TagKeys) => c.send(new UntagPolicyCommand({ PolicyArn: ref, TagKeys })),
    list: (c, ref, page) => c.send(new ListPolicyTagsCommand({ PolicyArn: ref, ...page })),
    missing: "arn:aws:iam::123456789012:policy/no-policy",
    missingArn: "arn:aws:iam::123456789012:policy/no-policy",
    notFound: "Policy arn:aws:iam::123456789012:policy/no-policy was not found.",
  },
  {
    kind: "oidc provider",
    create: async (c, id) =>
      (
        await c.send(
          new CreateOpenIDConnectProviderCommand({ Url: `https://${id}.example.com`, ClientIDList: ["a"] }),
        )
      ).OpenIDConnectProviderArn!,
    tag: (c, ref, Tags) =>
      c.send(new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ref, Tags })),
    untag: (c, ref, TagKeys) =>
      c.send(new UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: ref, TagKeys })),
    list: (c, ref, page) =>
      c.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: ref, ...page })),
    missing: oidcArn("nowhere.example.com"),
    missingArn: oidcArn("nowhere.example.com"),
    notFound: `OpenIDConnect Provider not found for arn ${oidcArn("nowhere.example.com")}`,
  },
];

describe("IAM resource tags", () => {
  const live = liveIam();

  for (const t of taggables) {
    it(`${t.kind}: tag, replace a key in another case, page, untag without regard to case`, async () => {
      const ref = await t.create(live.iam, `tagged-${t.kind.replace(" ", "-")}`);
      assert.deepEqual((await t.list(live.iam, ref)).Tags, []);
      await t.tag(live.iam, ref, [
        { Key: "team", Value: "blue" },
        { Key: "env", Value: "dev" },
      ]);
      await t.tag(live.iam, ref, [{ Key: "ENV", Value: "prod" }]);
      const first = await t.list(live.iam, ref, { MaxItems: 1 });
      assert.equal(first.IsTruncated, true);
      assert.equal(first.Tags?.length, 1);
      const rest = await t.list(live.iam, ref, { Marker: first.Marker! });
      assert.equal(rest.IsTruncated, false);
      assert.deepEqual(
        [...(first.Tags ?? []), ...(rest.Tags ?? [])].map((x) => `${x.Key}=${x.Value}`).sort(),
        ["ENV=prod", "team=blue"],
      );
      await t.untag(live.iam, ref, ["env", "absent"]);
      assert.deepEqual((await t.list(live.iam, ref)).Tags, [{ Key: "team", Value: "blue" }]);
    });

    it(`${t.kind}: more than 50 tags is LimitExceeded; duplicate keys and a missing resource are refused`, async () => {
      const ref = await t.create(live.iam, `full-${t.kind.replace(" ", "-")}`);
      const tags = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => ({ Key: `k${from + i}`, Value: "v" }));
      await t.tag(live.iam, ref, tags(0, 30));
      await expectAwsError(t.tag(live.iam, ref, tags(25, 30)), {
        code: "LimitExceeded",
        status: 409,
        message: "The number of tags has reached the maximum limit.",
      });
      await t.tag(live.iam, ref, tags(10, 30));
      assert.equal((await t.list(live.iam, ref)).Tags?.length, 40);
      await expectAwsError(
        t.tag(live.iam, ref, [
          { Key: "dup", Value: "1" },
          { Key: "DUP", Value: "2" },
        ]),
        {
          code: "InvalidInput",
          status: 400,
          message: "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        },
      );
      for (const call of [
        t.tag(live.iam, t.missing, [{ Key: "a", Value: "b" }]),
        t.untag(live.iam, t.missing, ["a"]),
        t.list(live.iam, t.missing),
      ])
        await expectAwsError(call, { code: "NoSuchEntity", status: 404, message: t.notFound });
    });
  }

  it("AWS managed policies: their tags can be listed, not changed (the authorizer's service rule refuses first)", async () => {
    const admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    assert.deepEqual((await live.iam.send(new ListPolicyTagsCommand({ PolicyArn: admin }))).Tags, []);
    await expectAwsError(
      live.iam.send(new TagPolicyCommand({ PolicyArn: admin, Tags: [{ Key: "a", Value: "b" }] })),
      {
        code: "AccessDenied",
        status: 403,
        message: /iam:TagPolicy on resource: arn:aws:iam::aws:policy\/AdministratorAccess/,
      },
    );
    await expectAwsError(live.iam.send(new UntagPolicyCommand({ PolicyArn: admin, TagKeys: ["a"] })), {
      code: "AccessDenied",
      status: 403,
      message: /iam:UntagPolicy on resource: arn:aws:iam::aws:policy\/AdministratorAccess/,
    });
  });

  it("aws:RequestTag, aws:TagKeys and aws:ResourceTag reach the authorizer on each resource", async () => {
    await live.iam.send(new CreateUserCommand({ UserName: "tagger" }));
    await live.iam.send(
      new PutUserPolicyCommand({
        UserName: "tagger",
        PolicyName: "tags",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["iam:TagUser", "iam:TagRole", "iam:TagPolicy", "iam:TagOpenIDConnectProvider"],
              Resource: "*",
              Condition: { StringEquals: { "aws:RequestTag/team": "blue" } },
            },
            {
              Effect: "Allow",
              Action: ["iam:UntagUser", "iam:UntagRole", "iam:UntagPolicy", "iam:UntagOpenIDConnectProvider"],
              Resource: "*",
              Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["scratch"] } },
            },
            {
              Effect: "Allow",
              Action: [
                "iam:ListUserTags",
                "iam:ListRoleTags",
                "iam:ListPolicyTags",
                "iam:ListOpenIDConnectProviderTags",
              ],
              Resource: "*",
              Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } },
            },
          ],
        }),
      }),
    );
    const key = (await live.iam.send(new CreateAccessKeyCommand({ UserName: "tagger" }))).AccessKey!;
    const tagger = new IAMClient(
      clientConfig(live.twin, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }),
    );
    for (const t of taggables) {
      const ref = await t.create(live.iam, `authz-${t.kind.replace(" ", "-")}`);
      const denied = { code: "AccessDenied", status: 403 };
      await expectAwsError(t.list(tagger, ref), denied);
      await expectAwsError(t.tag(tagger, ref, [{ Key: "team", Value: "red" }]), denied);
      await t.tag(tagger, ref, [{ Key: "team", Value: "blue" }]);
      assert.deepEqual((await t.list(tagger, ref)).Tags, [{ Key: "team", Value: "blue" }]);
      await expectAwsError(t.untag(tagger, ref, ["team"]), denied);
      await t.untag(tagger, ref, ["scratch"]);
      await expectAwsError(t.list(tagger, t.missing), {
        ...denied,
        message: new RegExp(`on resource: ${t.missingArn.replaceAll("/", "\\/")} because`),
      });
    }
  });
});
