// Hostile input never loses or corrupts state: a snapshot of IAM, ECR and registry state read
// through the public APIs is the same after a barrage of refused requests at every door, and the
// same again after a restart on the same state dir.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { test } from "node:test";
import { tempDir, withTwin } from "../support/twin.ts";
import { ECR_TARGET, ECS_TARGET, FORM, json, query, send, sendSigned } from "./wire.ts";

const V = "Version=2010-05-08";

type Running = Awaited<ReturnType<typeof withTwin>>;

/** What a user can read back, with per-request noise (request ids, dates of reads) removed. */
async function snapshot(twin: Running, auth: string): Promise<string[]> {
  const reads = [
    await query(twin.url, "iam", `Action=GetUser&${V}&UserName=sentinel`, twin.admin),
    await query(twin.url, "iam", `Action=ListUserTags&${V}&UserName=sentinel`, twin.admin),
    await query(twin.url, "iam", `Action=GetUserPolicy&${V}&UserName=sentinel&PolicyName=inline`, twin.admin),
    await query(twin.url, "iam", `Action=GetRole&${V}&RoleName=sentinel-role`, twin.admin),
    await query(twin.url, "iam", `Action=ListUsers&${V}`, twin.admin),
    await query(twin.url, "iam", `Action=ListRoles&${V}`, twin.admin),
    await json(twin.url, "ecr", `${ECR_TARGET}.DescribeRepositories`, "{}", twin.admin),
    await json(twin.url, "ecr", `${ECR_TARGET}.ListImages`, '{"repositoryName":"sentinel"}', twin.admin),
    await json(twin.url, "ecs", `${ECS_TARGET}.ListTaskDefinitions`, "{}", twin.admin),
    await send(twin.url, { path: "/v2/sentinel/tags/list", headers: { authorization: auth } }),
    await send(twin.url, { path: "/v2/sentinel/manifests/v1", headers: { authorization: auth } }),
    await send(twin.url, { path: "/repos/example-org/app/actions/oidc/customization/sub" }),
  ];
  return reads.map((r) => {
    assert.equal(r.status, 200, r.text);
    return r.text
      .replace(/<RequestId>[^<]+<\/RequestId>/g, "")
      .replace(/127\.0\.0\.1:\d+/g, "twin")
      .replace(/<RoleLastUsed>.*?<\/RoleLastUsed>/g, "");
  });
}

test("state is the same after a hostile barrage and after a restart", async () => {
  const stateDir = await tempDir("keyship-robust-state-");
  let twin = await withTwin({ stateDir });
  try {
    const admin = twin.admin;
    const ok = (r: { status: number; text: string }) => assert.ok(r.status < 300, r.text);
    ok(
      await query(
        twin.url,
        "iam",
        `Action=CreateUser&${V}&UserName=sentinel&Tags.member.1.Key=team&Tags.member.1.Value=core`,
        admin,
      ),
    );
    const doc = encodeURIComponent(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
      }),
    );
    ok(
      await query(
        twin.url,
        "iam",
        `Action=PutUserPolicy&${V}&UserName=sentinel&PolicyName=inline&PolicyDocument=${doc}`,
        admin,
      ),
    );
    const trust = encodeURIComponent(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
    );
    ok(
      await query(
        twin.url,
        "iam",
        `Action=CreateRole&${V}&RoleName=sentinel-role&AssumeRolePolicyDocument=${trust}`,
        admin,
      ),
    );
    ok(await json(twin.url, "ecr", `${ECR_TARGET}.CreateRepository`, '{"repositoryName":"sentinel"}', admin));
    const token = JSON.parse(
      (await json(twin.url, "ecr", `${ECR_TARGET}.GetAuthorizationToken`, "{}", admin)).text,
    );
    const auth = `Basic ${token.authorizationData[0].authorizationToken}`;
    const config = Buffer.from(
      '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
    );
    const { createHash } = await import("node:crypto");
    const digest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
    ok(
      await send(twin.url, {
        method: "POST",
        path: `/v2/sentinel/blobs/uploads/?digest=${digest}`,
        headers: { authorization: auth },
        body: config,
      }),
    );
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest, size: config.length },
      layers: [],
    });
    ok(
      await send(twin.url, {
        method: "PUT",
        path: "/v2/sentinel/manifests/v1",
        headers: { authorization: auth, "content-type": "application/vnd.oci.image.manifest.v1+json" },
        body: manifest,
      }),
    );
    ok(
      await send(twin.url, {
        method: "PUT",
        path: "/repos/example-org/app/actions/oidc/customization/sub",
        body: '{"use_default":false,"include_claim_keys":["repo","context"]}',
      }),
    );

    const before = await snapshot(twin, auth);

    // The barrage: every request below is refused.
    const refused = async (r: Promise<{ status: number; text: string }>) => {
      const res = await r;
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text.slice(0, 200)}`);
    };
    for (const body of [
      `Action=CreateUser&${V}&UserName=sentinel`,
      `Action=TagUser&${V}&UserName=sentinel&Tags.member.1.Key=team`,
      `Action=TagUser&${V}&UserName=sentinel&${Array.from({ length: 60 }, (_, i) => `Tags.member.${i + 1}.Key=k${i}&Tags.member.${i + 1}.Value=v`).join("&")}`,
      `Action=PutUserPolicy&${V}&UserName=sentinel&PolicyName=inline&PolicyDocument=%7B`,
      `Action=PutUserPolicy&${V}&UserName=sentinel&PolicyName=inline&PolicyDocument=${"a".repeat(200_000)}`,
      `Action=UpdateAssumeRolePolicy&${V}&RoleName=sentinel-role&PolicyDocument=${encodeURIComponent('{"Statement":[]}')}`,
      `Action=UpdateRole&${V}&RoleName=sentinel-role&MaxSessionDuration=1`,
      `Action=DeleteUser&${V}&UserName=sentinel`,
      `Action=DeleteRole&${V}&RoleName.member.1=sentinel-role`,
      `Action=DeleteUser&${V}&__proto__.UserName=sentinel`,
    ]) {
      await refused(query(twin.url, "iam", body, admin));
    }
    for (const [op, body] of [
      ["CreateRepository", '{"repositoryName":"sentinel"}'],
      ["DeleteRepository", '{"repositoryName":"sentinel"}'],
      ["BatchDeleteImage", '{"repositoryName":"sentinel","imageIds":[{"imageTag":42}]}'],
      ["PutImage", '{"repositoryName":"sentinel","imageTag":"v1","imageManifest":"{"}'],
      ["SetRepositoryPolicy", '{"repositoryName":"sentinel","policyText":"{"}'],
    ] as const) {
      await refused(json(twin.url, "ecr", `${ECR_TARGET}.${op}`, body, admin));
    }
    await refused(
      send(twin.url, {
        method: "PUT",
        path: "/v2/sentinel/manifests/v1",
        headers: { authorization: auth, "content-type": "application/vnd.oci.image.manifest.v1+json" },
        body: "{",
      }),
    );
    await refused(
      send(twin.url, {
        method: "DELETE",
        path: "/v2/sentinel/manifests/v1",
        headers: { authorization: "Basic x" },
      }),
    );
    await refused(
      send(twin.url, {
        method: "DELETE",
        path: "/v2/sentinel/manifests/sha256:nothex",
        headers: { authorization: auth },
      }),
    );
    await refused(
      send(twin.url, {
        method: "PUT",
        path: "/repos/example-org/app/actions/oidc/customization/sub",
        body: "{",
      }),
    );
    await refused(
      send(twin.url, {
        method: "PUT",
        path: "/repos/example-org/app/actions/oidc/customization/sub",
        body: '{"use_default":"no"}',
      }),
    );
    // Forged and unsigned writes.
    await refused(
      send(twin.url, {
        method: "POST",
        headers: { "content-type": FORM },
        body: `Action=DeleteUser&${V}&UserName=sentinel`,
      }),
    );
    await refused(
      sendSigned(twin.url, {
        service: "iam",
        keys: { accessKeyId: admin.accessKeyId, secretAccessKey: "x".repeat(40) },
        headers: { "content-type": FORM },
        body: `Action=DeleteUser&${V}&UserName=sentinel`,
      }),
    );

    assert.deepEqual(await snapshot(twin, auth), before);
    await twin.close();
    twin = await withTwin({ stateDir });
    assert.deepEqual(await snapshot(twin, auth), before);
  } finally {
    await twin.dispose();
    await rm(stateDir, { recursive: true, force: true });
  }
});
