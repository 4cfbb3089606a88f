// Subject customization through GitHub's REST paths on a live twin, per org and per repo: an org template
// applies once the repo opts out of the default, use_immutable_subject switches to the OWNER@ID/REPO@ID
// form, and an STS trust policy written for the customized subject accepts the next token.
// https://docs.github.com/en/rest/actions/oidc
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { clientConfig, withTwin } from "../support/twin.ts";
import { webIdentityTrust } from "../support/web-identity-trust.ts";

const BIN = join(import.meta.dirname, "../../bin/keyship");
const GH = "token.actions.githubusercontent.com";

describe("subject customization through the REST paths", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;

  const put = (path: string, body: unknown) =>
    fetch(`${twin.url}${path}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const get = async (path: string) =>
    (await fetch(`${twin.url}${path}`)).json() as Promise<Record<string, unknown>>;
  const token = async (repo: string) => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      BIN,
      "token",
      "--state",
      twin.stateDir,
      "--repo",
      repo,
      "--audience",
      "sts.amazonaws.com",
    ]);
    return stdout.trim();
  };
  const subOf = (jwt: string) =>
    (JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as { sub: string }).sub;

  before(async () => {
    twin = await withTwin();
  });
  after(() => twin.dispose());

  it("an org template applies to repos that set use_default false, not to the others", async () => {
    const org = await put("/orgs/acme/actions/oidc/customization/sub", {
      include_claim_keys: ["repository_owner", "context"],
    });
    assert.equal(org.status, 201);
    assert.deepEqual(await get("/orgs/acme/actions/oidc/customization/sub"), {
      include_claim_keys: ["repository_owner", "context"],
    });
    assert.equal(subOf(await token("acme/untouched")), "repo:acme/untouched:ref:refs/heads/main");

    const repo = await put("/repos/acme/opted-in/actions/oidc/customization/sub", { use_default: false });
    assert.equal(repo.status, 201);
    assert.equal(subOf(await token("acme/opted-in")), "repository_owner:acme:ref:refs/heads/main");
    assert.equal((await get("/repos/acme/opted-in/actions/oidc/customization/sub")).use_default, false);

    const missing = await put("/repos/acme/opted-in/actions/oidc/customization/sub", {});
    assert.equal(missing.status, 422);
  });

  it("use_immutable_subject on a repo: the OWNER@ID/REPO@ID subject, which STS matches", async () => {
    const res = await put("/repos/acme/pinned/actions/oidc/customization/sub", {
      use_default: true,
      use_immutable_subject: true,
    });
    assert.equal(res.status, 201);
    const settings = await get("/repos/acme/pinned/actions/oidc/customization/sub");
    assert.equal(settings.use_immutable_subject, true);
    const prefix = String(settings.sub_claim_prefix);
    assert.match(prefix, /^repo:acme@\d+\/pinned@\d+$/);
    const jwt = await token("acme/pinned");
    assert.equal(subOf(jwt), `${prefix}:ref:refs/heads/main`);

    const iam = new IAMClient(clientConfig(twin));
    const provider = (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: `https://${GH}`, ClientIDList: ["sts.amazonaws.com"] }),
      )
    ).OpenIDConnectProviderArn!;
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: "pinned-deploy",
        AssumeRolePolicyDocument: webIdentityTrust(provider, {
          StringEquals: { [`${GH}:aud`]: "sts.amazonaws.com" },
          StringLike: { [`${GH}:sub`]: `${prefix}:*` },
        }),
      }),
    );
    iam.destroy();
    const sts = new STSClient({ endpoint: twin.url, region: "us-east-1", maxAttempts: 1 });
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: role.Role!.Arn!,
        RoleSessionName: "gha",
        WebIdentityToken: jwt,
      }),
    );
    assert.equal(out.SubjectFromWebIdentityToken, `${prefix}:ref:refs/heads/main`);
    sts.destroy();
  });

  it("an empty include_claim_keys is refused with 422 (org and repo): a token always has a sub", async () => {
    const org = await put("/orgs/initech/actions/oidc/customization/sub", { include_claim_keys: [] });
    assert.equal(org.status, 422);
    const body = (await org.json()) as { message: string; errors: string[] };
    assert.equal(body.message, "Validation Failed");
    assert.deepEqual(body.errors, ["include_claim_keys must name at least one claim key"]);
    const repo = await put("/repos/initech/tps/actions/oidc/customization/sub", {
      use_default: false,
      include_claim_keys: [],
    });
    assert.equal(repo.status, 422);
    // Nothing was stored: the repo that opts in still gets the default subject, not ''.
    assert.deepEqual(await get("/orgs/initech/actions/oidc/customization/sub"), { include_claim_keys: [] });
    assert.equal(
      (await put("/repos/initech/tps/actions/oidc/customization/sub", { use_default: false })).status,
      201,
    );
    assert.equal(subOf(await token("initech/tps")), "repo:initech/tps:ref:refs/heads/main");
  });

  it("org use_immutable_subject: GET reports it when set; a PUT without it replaces the object and clears it", async () => {
    const path = "/orgs/globex/actions/oidc/customization/sub";
    assert.equal(
      (await put(path, { include_claim_keys: ["repo", "context"], use_immutable_subject: true })).status,
      201,
    );
    assert.deepEqual(await get(path), {
      include_claim_keys: ["repo", "context"],
      use_immutable_subject: true,
    });
    assert.match(subOf(await token("globex/app")), /^repo:globex@\d+\/app@\d+:ref:refs\/heads\/main$/);
    assert.equal(
      (await put(path, { include_claim_keys: ["repo", "context"], use_immutable_subject: false })).status,
      201,
    );
    assert.deepEqual(await get(path), {
      include_claim_keys: ["repo", "context"],
      use_immutable_subject: false,
    });
    assert.equal((await put(path, { include_claim_keys: ["repo", "context"] })).status, 201);
    assert.deepEqual(await get(path), { include_claim_keys: ["repo", "context"] });
    assert.equal(subOf(await token("globex/app")), "repo:globex/app:ref:refs/heads/main");
  });

  it("the settings are stored in the state: another twin on the same state dir serves them", async () => {
    const again = await withTwin({ stateDir: twin.stateDir });
    try {
      const res = await fetch(`${again.url}/orgs/acme/actions/oidc/customization/sub`);
      assert.deepEqual(await res.json(), { include_claim_keys: ["repository_owner", "context"] });
    } finally {
      await again.close();
    }
  });
});
