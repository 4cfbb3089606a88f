// STS AssumeRole through the SDK against a live twin: session tags need sts:TagSession in the trust
// policy and then act as aws:PrincipalTag, transitive tags survive role chaining, a source identity
// needs sts:SetSourceIdentity and sticks for the chain; the web identity source_identity claim too.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  AssumeRoleWithWebIdentityCommand,
  type Credentials,
  GetCallerIdentityCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { clientConfig, withTwin } from "../support/twin.ts";

const ACCOUNT = "123456789012";
const GH = "token.actions.githubusercontent.com";
const BIN = join(import.meta.dirname, "../../bin/keyship");
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

type Twin = Awaited<ReturnType<typeof withTwin>>;

function trust(principal: Record<string, string>, statements: object[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({ Effect: "Allow", Principal: principal, ...s })),
  });
}

/** An assert.rejects validator: the error's name, and its message exactly or by pattern. */
function denied(name: string, message: RegExp | string) {
  return (e: Error) => {
    assert.equal(e.name, name);
    if (typeof message === "string") assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  };
}

/** A role policy allowing iam:GetRole on one role only when the session carries the tag team=blue. */
const blueOnly = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "BlueTeamReads",
      Effect: "Allow",
      Action: "iam:GetRole",
      Resource: "*",
      Condition: { StringEquals: { "aws:PrincipalTag/team": "blue" } },
    },
    { Sid: "Chain", Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" },
  ],
});

describe("AssumeRole: session tags and source identity", () => {
  let twin: Twin;
  let adminArn: string;
  let sts: STSClient;
  let iam: IAMClient;

  const sessionClients = (c: Credentials | undefined) => {
    const keys = {
      accessKeyId: c!.AccessKeyId!,
      secretAccessKey: c!.SecretAccessKey!,
      sessionToken: c!.SessionToken!,
    };
    return { sts: new STSClient(clientConfig(twin, keys)), iam: new IAMClient(clientConfig(twin, keys)) };
  };
  const assume = (client: STSClient, input: Partial<AssumeRoleCommandInput> & { RoleArn: string }) =>
    client.send(new AssumeRoleCommand({ RoleSessionName: "ss", ...input }));

  before(async () => {
    twin = await withTwin();
    adminArn = `arn:aws:iam::${ACCOUNT}:user/${twin.admin.userName}`;
    iam = new IAMClient(clientConfig(twin));
    sts = new STSClient(clientConfig(twin));
    const roles: [string, string][] = [
      // Trusts the admin for sts:AssumeRole only: no tags, no source identity.
      ["plain", trust({ AWS: adminArn }, [{ Action: "sts:AssumeRole" }])],
      // Tags allowed, but only team=blue or team=red, and only the key team.
      [
        "tagged",
        trust({ AWS: adminArn }, [
          { Action: "sts:AssumeRole" },
          {
            Action: "sts:TagSession",
            Condition: {
              StringEquals: { "aws:RequestTag/team": ["blue", "red"] },
              "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] },
            },
          },
        ]),
      ],
      // Chained into from "tagged": inherits transitive tags; allows source identity "alice" only.
      [
        "next",
        trust({ AWS: role("tagged") }, [
          { Action: ["sts:AssumeRole", "sts:TagSession"] },
          { Action: "sts:SetSourceIdentity", Condition: { StringEquals: { "sts:SourceIdentity": "alice" } } },
        ]),
      ],
      [
        "audited",
        trust({ AWS: adminArn }, [
          { Action: "sts:AssumeRole" },
          { Action: "sts:SetSourceIdentity", Condition: { StringLike: { "sts:SourceIdentity": "a*" } } },
        ]),
      ],
    ];
    for (const [name, doc] of roles) {
      await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: doc }));
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: blueOnly }));
    }
    // "audited" sessions may chain into "next", and read only with the source identity alice.
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "audited",
        PolicyName: "p",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: "iam:GetRole",
              Resource: "*",
              Condition: { StringEquals: { "aws:SourceIdentity": "alice" } },
            },
          ],
        }),
      }),
    );
  });
  after(async () => {
    sts.destroy();
    iam.destroy();
    await twin.dispose();
  });

  it("a trust policy without sts:TagSession refuses tags; the untagged call succeeds", async () => {
    // STS names no reason for the TagSession check, as for AssumeRole's own
    await assert.rejects(
      assume(sts, { RoleArn: role("plain"), Tags: [{ Key: "team", Value: "blue" }] }),
      denied(
        "AccessDenied",
        `User: ${adminArn} is not authorized to perform: sts:TagSession on resource: ${role("plain")}`,
      ),
    );
    const ok = await assume(sts, { RoleArn: role("plain") });
    assert.equal(ok.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/plain/ss`);
    assert.equal(ok.SourceIdentity, undefined);
  });

  it("a role that does not exist is denied like a trust policy denial, and the decision log says why", async () => {
    const missing = role("no-such-role");
    await assert.rejects(
      assume(sts, { RoleArn: missing }),
      denied(
        "AccessDenied",
        `User: ${adminArn} is not authorized to perform: sts:AssumeRole on resource: ${missing}`,
      ),
    );
    const res = await fetch(`${twin.url}/_keyship/decisions?decision=denied&action=sts:AssumeRole&limit=5`);
    const records = (await res.json()) as {
      resource: string;
      context?: { reason?: string };
      message?: string;
    }[];
    const record = records.find((r) => r.resource === missing);
    assert.ok(record, "the denial is logged");
    assert.equal(record.context?.reason, "role does not exist");
  });

  it("sts:TagSession conditions see aws:RequestTag and aws:TagKeys", async () => {
    await assert.rejects(
      assume(sts, { RoleArn: role("tagged"), Tags: [{ Key: "team", Value: "green" }] }),
      denied("AccessDenied", /sts:TagSession/),
    );
    await assert.rejects(
      assume(sts, {
        RoleArn: role("tagged"),
        Tags: [
          { Key: "team", Value: "blue" },
          { Key: "cost", Value: "1" },
        ],
      }),
      denied("AccessDenied", /sts:TagSession/),
    );
  });

  it("Tags are held to the model: key pattern and length, value length, count, and case-insensitive keys", async () => {
    const tagged = (Tags: { Key: string; Value: string }[]) => assume(sts, { RoleArn: role("tagged"), Tags });
    await assert.rejects(
      tagged([{ Key: "bad!", Value: "x" }]),
      denied(
        "ValidationError",
        "1 validation error detected: Value 'bad!' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
      ),
    );
    await assert.rejects(
      tagged([
        { Key: "team", Value: "blue" },
        { Key: "cost", Value: "v".repeat(257) },
      ]),
      denied(
        "ValidationError",
        `1 validation error detected: Value '${"v".repeat(257)}' at 'tags.2.member.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
      ),
    );
    await assert.rejects(
      tagged(Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: "v" }))),
      denied(
        "ValidationError",
        /^1 validation error detected: Value '\[Tag\(key=k0, value=v\), Tag\(key=k1, value=v\), .*Tag\(key=k50, value=v\)\]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50$/,
      ),
    );
    await assert.rejects(
      tagged([
        { Key: "team", Value: "blue" },
        { Key: "Team", Value: "red" },
      ]),
      denied("ValidationError", "Duplicate tag keys found. Please note that Tag keys are case insensitive."),
    );
  });

  it("session tags become aws:PrincipalTag for every later call of the session", async () => {
    const blue = sessionClients(
      (await assume(sts, { RoleArn: role("tagged"), Tags: [{ Key: "team", Value: "blue" }] })).Credentials,
    );
    const got = await blue.iam.send(new GetRoleCommand({ RoleName: "plain" }));
    assert.equal(got.Role?.RoleName, "plain");
    const red = sessionClients(
      (await assume(sts, { RoleArn: role("tagged"), Tags: [{ Key: "team", Value: "red" }] })).Credentials,
    );
    await assert.rejects(
      red.iam.send(new GetRoleCommand({ RoleName: "plain" })),
      denied(
        "AccessDenied",
        `User: arn:aws:sts::${ACCOUNT}:assumed-role/tagged/ss is not authorized to perform: iam:GetRole on resource: ${role("plain")} because no identity-based policy allows the iam:GetRole action`,
      ),
    );
  });

  it("transitive tags are inherited by a chained session and cannot be overridden", async () => {
    const first = sessionClients(
      (
        await assume(sts, {
          RoleArn: role("tagged"),
          Tags: [{ Key: "team", Value: "blue" }],
          TransitiveTagKeys: ["team"],
        })
      ).Credentials,
    );
    const chained = sessionClients((await assume(first.sts, { RoleArn: role("next") })).Credentials);
    const who = await chained.sts.send(new GetCallerIdentityCommand({}));
    assert.equal(who.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/next/ss`);
    // The inherited tag is what the chained session's policy tests.
    assert.equal((await chained.iam.send(new GetRoleCommand({ RoleName: "plain" }))).Role?.RoleName, "plain");
    await assert.rejects(
      assume(first.sts, { RoleArn: role("next"), Tags: [{ Key: "team", Value: "red" }] }),
      // AWS documents the failure, not its code; the twin answers InvalidParameterValue (sts.md §4.2).
      denied("InvalidParameterValue", "Tag key team is a transitive tag of the calling session"),
    );
    // A non-transitive tag is not inherited: the chained session has no team tag and is refused.
    const nonTransitive = sessionClients(
      (await assume(sts, { RoleArn: role("tagged"), Tags: [{ Key: "team", Value: "blue" }] })).Credentials,
    );
    const bare = sessionClients((await assume(nonTransitive.sts, { RoleArn: role("next") })).Credentials);
    await assert.rejects(
      bare.iam.send(new GetRoleCommand({ RoleName: "plain" })),
      denied("AccessDenied", /iam:GetRole/),
    );
  });

  it("SourceIdentity needs sts:SetSourceIdentity, is echoed, reaches aws:SourceIdentity and sticks for the chain", async () => {
    await assert.rejects(
      assume(sts, { RoleArn: role("plain"), SourceIdentity: "alice" }),
      denied("AccessDenied", /sts:SetSourceIdentity/),
    );
    await assert.rejects(
      assume(sts, { RoleArn: role("audited"), SourceIdentity: "bob" }),
      denied("AccessDenied", /sts:SetSourceIdentity/),
    );
    const out = await assume(sts, { RoleArn: role("audited"), SourceIdentity: "alice" });
    assert.equal(out.SourceIdentity, "alice");
    const alice = sessionClients(out.Credentials);
    assert.equal((await alice.iam.send(new GetRoleCommand({ RoleName: "plain" }))).Role?.RoleName, "plain");
    // Without a source identity the same role's policy does not allow the read.
    const anonymous = sessionClients((await assume(sts, { RoleArn: role("audited") })).Credentials);
    await assert.rejects(
      anonymous.iam.send(new GetRoleCommand({ RoleName: "plain" })),
      denied("AccessDenied", /iam:GetRole/),
    );
  });

  it("a chained session keeps its source identity and may not change it", async () => {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "audited",
        PolicyName: "chain",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
        }),
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: "after-audited",
        AssumeRolePolicyDocument: trust({ AWS: role("audited") }, [
          { Action: ["sts:AssumeRole", "sts:SetSourceIdentity"] },
        ]),
      }),
    );
    const alice = sessionClients(
      (await assume(sts, { RoleArn: role("audited"), SourceIdentity: "alice" })).Credentials,
    );
    const inherited = await assume(alice.sts, { RoleArn: role("after-audited") });
    assert.equal(inherited.SourceIdentity, "alice");
    await assert.rejects(
      assume(alice.sts, { RoleArn: role("after-audited"), SourceIdentity: "mallory" }),
      denied("AccessDenied", /source identity/i),
    );
  });
});

describe("AssumeRoleWithWebIdentity: the token's source_identity claim", () => {
  let twin: Twin;
  let providerArn: string;
  let sts: STSClient;

  const token = async (claims: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      BIN,
      "token",
      "--state",
      twin.stateDir,
      "--repo",
      "example-org/sample-app",
      "--audience",
      "sts.amazonaws.com",
      ...claims.flatMap((c) => ["--claim", c]),
    ]);
    return stdout.trim();
  };

  before(async () => {
    twin = await withTwin();
    const iam = new IAMClient(clientConfig(twin));
    providerArn = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
      )
    ).OpenIDConnectProviderArn!;
    const web = (actions: string[]) =>
      trust({ Federated: providerArn }, [
        {
          Action: actions,
          Condition: {
            StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" },
            StringLike: { [`${GH}:sub`]: "repo:example-org/sample-app:*" },
          },
        },
      ]);
    await iam.send(
      new CreateRoleCommand({
        RoleName: "web-plain",
        AssumeRolePolicyDocument: web(["sts:AssumeRoleWithWebIdentity"]),
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: "web-audited",
        AssumeRolePolicyDocument: web(["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"]),
      }),
    );
    iam.destroy();
    sts = new STSClient({ endpoint: twin.url, region: "us-east-1", maxAttempts: 1 });
  });
  after(async () => {
    sts.destroy();
    await twin.dispose();
  });

  it("needs sts:SetSourceIdentity in the trust policy; then the response and the session carry it", async () => {
    const jwt = await token(["https://aws.amazon.com/source_identity=octocat"]);
    const call = (name: string) =>
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: role(name),
          RoleSessionName: "gha",
          WebIdentityToken: jwt,
        }),
      );
    await assert.rejects(
      call("web-plain"),
      denied("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    );
    const out = await call("web-audited");
    assert.equal(out.SourceIdentity, "octocat");
    assert.equal(out.Provider, providerArn);
    // Without the claim the plain role is fine.
    const plain = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: role("web-plain"),
        RoleSessionName: "gha",
        WebIdentityToken: await token([]),
      }),
    );
    assert.equal(plain.SourceIdentity, undefined);
  });
});

describe("AssumeRoleWithWebIdentity: each of GitHub's condition keys reaches the trust policy", () => {
  let twin: Twin;
  let providerArn: string;
  let iam: IAMClient;
  let sts: STSClient;

  const token = async (claims: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      BIN,
      "token",
      "--state",
      twin.stateDir,
      "--repo",
      "example-org/sample-app",
      "--environment",
      "production",
      "--audience",
      "sts.amazonaws.com",
      ...claims.flatMap((c) => ["--claim", c]),
    ]);
    return stdout.trim();
  };
  const claimsOf = (jwt: string) =>
    JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

  before(async () => {
    twin = await withTwin();
    iam = new IAMClient(clientConfig(twin));
    providerArn = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
      )
    ).OpenIDConnectProviderArn!;
    sts = new STSClient({ endpoint: twin.url, region: "us-east-1", maxAttempts: 1 });
  });
  after(async () => {
    iam.destroy();
    sts.destroy();
    await twin.dispose();
  });

  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
  const keys = [
    "actor",
    "actor_id",
    "job_workflow_ref",
    "repository",
    "repository_id",
    "workflow",
    "ref",
    "environment",
    "enterprise_id",
  ];
  for (const key of keys) {
    it(`${GH}:${key}`, async () => {
      // enterprise_id is only in tokens of enterprise-owned repositories: mint it where the key must match.
      const extra = key === "enterprise_id" ? ["enterprise_id=ent-4242"] : [];
      const good = await token(extra);
      const value = claimsOf(good)[key];
      assert.equal(typeof value, "string", `${key} is a string claim`);
      const name = `by-${key.replaceAll("_", "-")}`;
      await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: trust({ Federated: providerArn }, [
            {
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: {
                StringEquals: {
                  [`${GH}:aud`]: "sts.amazonaws.com",
                  [`${GH}:sub`]: "repo:example-org/sample-app:environment:production",
                  [`${GH}:${key}`]: value as string,
                },
              },
            },
          ]),
        }),
      );
      const call = (jwt: string) =>
        sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: role(name),
            RoleSessionName: "gha",
            WebIdentityToken: jwt,
          }),
        );
      const ok = await call(good);
      assert.equal(ok.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/gha`);
      // The same job with only this claim changed (or, for enterprise_id, absent) is refused.
      const other = key === "enterprise_id" ? await token([]) : await token([`${key}=other-value`]);
      await assert.rejects(
        call(other),
        denied("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
      );
      const res = await fetch(
        `${twin.url}/_keyship/decisions?denied=1&action=sts:AssumeRoleWithWebIdentity&limit=1`,
      );
      const [logged] = (await res.json()) as { explanation?: string }[];
      assert.match(logged?.explanation ?? "", new RegExp(`${GH.replaceAll(".", "\\.")}:${key}`));
    });
  }
});
