// A denied call in each service of the twin (IAM, STS AssumeRole, ECR API, ECS API, the /v2/ registry)
// is explained by `keyship decisions`: the call, the principal, AWS's sentence and the reason.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  CreateRepositoryCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ListImagesCommand,
} from "@aws-sdk/client-ecr";
import { ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListRolesCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { clientConfig, withTwin } from "../../support/twin.ts";

const ACCOUNT = "123456789012";
const USER = `arn:aws:iam::${ACCOUNT}:user/limited`;

describe("keyship decisions explains a denial from every service", () => {
  let twin: Awaited<ReturnType<typeof withTwin>>;
  let keys: { accessKeyId: string; secretAccessKey: string };

  before(async () => {
    twin = await withTwin();
    const iam = new IAMClient(clientConfig(twin));
    await iam.send(new CreateUserCommand({ UserName: "limited" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "limited",
        PolicyName: "login-and-assume",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Sid: "Login", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            { Sid: "AssumeAny", Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" },
            {
              Sid: "OnlyOtherRepo",
              Effect: "Allow",
              Action: "ecr:*",
              Resource: `arn:aws:ecr:*:${ACCOUNT}:repository/other`,
            },
          ],
        }),
      }),
    );
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: "limited" }))).AccessKey!;
    keys = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    // A role whose trust policy names someone else: the identity allow is not enough.
    await iam.send(
      new CreateRoleCommand({
        RoleName: "not-for-you",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "OnlyAdmin",
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/${twin.admin.userName}` },
              Action: "sts:AssumeRole",
            },
          ],
        }),
      }),
    );
    iam.destroy();
    const ecr = new ECRClient(clientConfig(twin));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: "app" }));
    ecr.destroy();
  });
  after(() => twin.dispose());

  it("each service refuses with its protocol's code", async () => {
    const denied = (name: string) => (e: Error) => e.name === name;
    await assert.rejects(
      new IAMClient(clientConfig(twin, keys)).send(new ListRolesCommand({})),
      denied("AccessDenied"),
    );
    await assert.rejects(
      new STSClient(clientConfig(twin, keys)).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/not-for-you`,
          RoleSessionName: "try",
        }),
      ),
      denied("AccessDenied"),
    );
    const ecr = new ECRClient(clientConfig(twin, keys));
    await assert.rejects(
      ecr.send(new ListImagesCommand({ repositoryName: "app" })),
      denied("AccessDeniedException"),
    );
    await assert.rejects(
      new ECSClient(clientConfig(twin, keys)).send(new ListClustersCommand({})),
      denied("AccessDeniedException"),
    );
    // The registry: a valid ECR login, then a pull the policy does not allow.
    const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!
      .authorizationToken!;
    const pull = await fetch(`${twin.url}/v2/app/manifests/latest`, {
      headers: { authorization: `Basic ${token}` },
    });
    assert.equal(pull.status, 403);
    assert.match(await pull.text(), /DENIED/);
  });

  it("keyship decisions --denied names each call and says why", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(import.meta.dirname, "../../../bin/keyship"),
      "decisions",
      "--state",
      twin.stateDir,
      "--denied",
      "--limit",
      "50",
    ]);
    const entries = stdout.split(/\n(?=\S)/).filter((e) => e.trim() !== "");
    const entry = (action: string, resource: string) => {
      const found = entries.find((e) => e.includes(` ${action} on ${resource}`));
      assert.ok(found, `a denial of ${action} on ${resource} is printed:\n${stdout}`);
      assert.match(found, new RegExp(`principal: ${USER}`));
      return found;
    };
    // IAM names a list call's resource by its path prefix, as AWS's message does.
    const iam = entry("iam:ListRoles", `arn:aws:iam::${ACCOUNT}:role/`);
    assert.match(iam, /message: User: .* because no identity-based policy allows the iam:ListRoles action/);
    const assume = entry("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/not-for-you`);
    assert.match(assume, /OnlyAdmin/);
    const images = entry("ecr:ListImages", `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`);
    assert.match(images, /OnlyOtherRepo/);
    const ecs = entry("ecs:ListClusters", "*");
    assert.match(ecs, /because no identity-based policy allows the ecs:ListClusters action/);
    const pull = entry("ecr:BatchGetImage", `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/app`);
    assert.match(pull, /OnlyOtherRepo/);
    for (const e of [iam, assume, images, ecs, pull])
      assert.match(e, /^\s+\| /m, `an explanation follows:\n${e}`);
  });
});
