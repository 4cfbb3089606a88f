// IAM pagination on every list operation of the front-door issue, through the SDK: MaxItems=1 pages,
// IsTruncated true until the last page, Marker leading to the next item, the pages adding up to the
// unpaged answer. https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html (Marker, MaxItems)
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { ecsTrust } from "./documents.ts";
import { liveIam } from "./live-iam.ts";

const doc = (n: number) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: `S${n}`, Effect: "Allow", Action: "iam:GetRole", Resource: "*" }],
  });

type Page = { IsTruncated?: boolean; Marker?: string };

describe("IAM pagination", () => {
  const live = liveIam();
  const policyArns: string[] = [];

  before(async () => {
    const iam = live.iam;
    for (const n of [1, 2, 3]) {
      await iam.send(
        new CreateRoleCommand({ RoleName: `pg-role-${n}`, Path: "/pg/", AssumeRolePolicyDocument: ecsTrust }),
      );
      await iam.send(new CreateUserCommand({ UserName: `pg-user-${n}`, Path: "/pg/" }));
      const p = await iam.send(
        new CreatePolicyCommand({ PolicyName: `pg-policy-${n}`, Path: "/pg/", PolicyDocument: doc(n) }),
      );
      policyArns.push(p.Policy!.Arn!);
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: "pg-role-1",
          PolicyName: `inline-${n}`,
          PolicyDocument: doc(n),
        }),
      );
      await iam.send(
        new PutUserPolicyCommand({
          UserName: "pg-user-1",
          PolicyName: `inline-${n}`,
          PolicyDocument: doc(n),
        }),
      );
      await iam.send(new AttachRolePolicyCommand({ RoleName: "pg-role-1", PolicyArn: p.Policy!.Arn! }));
      await iam.send(new AttachUserPolicyCommand({ UserName: "pg-user-1", PolicyArn: p.Policy!.Arn! }));
    }
    // pg-policy-1 is attached to every role (ListEntitiesForPolicy) and has three versions.
    for (const n of [2, 3]) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: `pg-role-${n}`, PolicyArn: policyArns[0]! }));
      await iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: policyArns[0]!, PolicyDocument: doc(10 + n) }),
      );
    }
    await iam.send(new CreateAccessKeyCommand({ UserName: "pg-user-1" }));
    await iam.send(new CreateAccessKeyCommand({ UserName: "pg-user-1" }));
    await iam.send(
      new CreateRoleCommand({
        RoleName: "pg-tagged",
        AssumeRolePolicyDocument: ecsTrust,
        Tags: [1, 2, 3].map((n) => ({ Key: `k${n}`, Value: `v${n}` })),
      }),
    );
  });

  /** Pages through `list` with MaxItems=1, returning each page's items as named by `names`. */
  async function pages<P extends Page>(
    list: (page: { MaxItems?: number; Marker?: string }) => Promise<P>,
    names: (p: P) => string[],
  ): Promise<{ paged: string[][]; whole: string[] }> {
    const whole = names(await list({}));
    const paged: string[][] = [];
    let marker: string | undefined;
    for (;;) {
      const p = await list({ MaxItems: 1, ...(marker ? { Marker: marker } : {}) });
      paged.push(names(p));
      if (!p.IsTruncated) {
        assert.equal(p.Marker, undefined, "no Marker on the last page");
        break;
      }
      assert.ok(p.Marker, "a truncated page carries a Marker");
      marker = p.Marker;
      assert.ok(paged.length <= whole.length, "pagination ends");
    }
    return { paged, whole };
  }

  const cases: [string, (iam: IAMClient) => ReturnType<typeof pages>, string[]][] = [
    [
      "ListRoles",
      (iam) =>
        pages(
          (pg) => iam.send(new ListRolesCommand({ PathPrefix: "/pg/", ...pg })),
          (p) => p.Roles!.map((r) => r.RoleName!),
        ),
      ["pg-role-1", "pg-role-2", "pg-role-3"],
    ],
    [
      "ListUsers",
      (iam) =>
        pages(
          (pg) => iam.send(new ListUsersCommand({ PathPrefix: "/pg/", ...pg })),
          (p) => p.Users!.map((u) => u.UserName!),
        ),
      ["pg-user-1", "pg-user-2", "pg-user-3"],
    ],
    [
      "ListPolicies",
      (iam) =>
        pages(
          (pg) => iam.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/pg/", ...pg })),
          (p) => p.Policies!.map((x) => x.PolicyName!),
        ),
      ["pg-policy-1", "pg-policy-2", "pg-policy-3"],
    ],
    [
      "ListPolicyVersions",
      (iam) =>
        pages(
          (pg) => iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArns[0]!, ...pg })),
          (p) => p.Versions!.map((v) => v.VersionId!),
        ),
      ["v3", "v2", "v1"],
    ],
    [
      "ListRolePolicies",
      (iam) =>
        pages(
          (pg) => iam.send(new ListRolePoliciesCommand({ RoleName: "pg-role-1", ...pg })),
          (p) => p.PolicyNames!,
        ),
      ["inline-1", "inline-2", "inline-3"],
    ],
    [
      "ListUserPolicies",
      (iam) =>
        pages(
          (pg) => iam.send(new ListUserPoliciesCommand({ UserName: "pg-user-1", ...pg })),
          (p) => p.PolicyNames!,
        ),
      ["inline-1", "inline-2", "inline-3"],
    ],
    [
      "ListAttachedRolePolicies",
      (iam) =>
        pages(
          (pg) => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "pg-role-1", ...pg })),
          (p) => p.AttachedPolicies!.map((a) => a.PolicyName!),
        ),
      ["pg-policy-1", "pg-policy-2", "pg-policy-3"],
    ],
    [
      "ListAttachedUserPolicies",
      (iam) =>
        pages(
          (pg) => iam.send(new ListAttachedUserPoliciesCommand({ UserName: "pg-user-1", ...pg })),
          (p) => p.AttachedPolicies!.map((a) => a.PolicyName!),
        ),
      ["pg-policy-1", "pg-policy-2", "pg-policy-3"],
    ],
    [
      "ListEntitiesForPolicy",
      (iam) =>
        pages(
          (pg) =>
            iam.send(
              new ListEntitiesForPolicyCommand({ PolicyArn: policyArns[0]!, EntityFilter: "Role", ...pg }),
            ),
          (p) => p.PolicyRoles!.map((r) => r.RoleName!),
        ),
      ["pg-role-1", "pg-role-2", "pg-role-3"],
    ],
    [
      "ListRoleTags",
      (iam) =>
        pages(
          (pg) => iam.send(new ListRoleTagsCommand({ RoleName: "pg-tagged", ...pg })),
          (p) => p.Tags!.map((t) => t.Key!),
        ),
      ["k1", "k2", "k3"],
    ],
  ];

  for (const [op, run, expected] of cases) {
    it(`${op}: one item a page, Marker to the next, IsTruncated until the last`, async () => {
      const { paged, whole } = await run(live.iam);
      assert.deepEqual([...whole].sort(), [...expected].sort());
      assert.deepEqual(
        paged,
        whole.map((x) => [x]),
      );
    });
  }

  it("a Marker the twin never gave is a ValidationError, not the first page again", async () => {
    for (const Marker of ["garbage", Buffer.from("keyship:-1").toString("base64url"), "a2V5c2hpcDox!"]) {
      await assert.rejects(
        live.iam.send(new ListRolesCommand({ Marker })),
        (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(e.name, "ValidationError");
          assert.equal(e.message, "Invalid Marker.");
          assert.equal(e.$metadata?.httpStatusCode, 400);
          return true;
        },
      );
    }
  });

  it("ListAccessKeys: two keys, one a page", async () => {
    const { paged, whole } = await pages(
      (pg) => live.iam.send(new ListAccessKeysCommand({ UserName: "pg-user-1", ...pg })),
      (p) => p.AccessKeyMetadata!.map((k) => k.AccessKeyId!),
    );
    assert.equal(whole.length, 2);
    assert.deepEqual(
      paged,
      whole.map((x) => [x]),
    );
  });
});
