// keyship deploy's options against the twin with the article's role: `keyship diff` through the executable,
// --keep-revisions (and its one note when the role may not list revisions), a timeout's exit code and facts, and
// --image-from daemon:REF through Podman's Docker Engine API.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { runDeploy } from "../../../src/client/deploy/run.ts";
import { buildImage, dockerArchiveOf, writeOciLayout } from "../image/build-image.ts";
import {
  CLUSTER,
  REGION,
  REPO_URI,
  ROLE_ARN,
  SERVICE,
  type SeedTwin,
  seedTaskDefinition,
  startSeedTwin,
} from "./seed-twin.ts";

const keyship = new URL("../../../bin/keyship", import.meta.url).pathname;
const PODMAN_SOCKET = "/run/podman/podman.sock";
const podmanAnswers =
  spawnSync("curl", ["-fsS", "--unix-socket", PODMAN_SOCKET, "http://d/_ping"], { timeout: 5000 }).status ===
  0;

describe("keyship deploy options against the twin (article's permissions)", () => {
  let seed: SeedTwin;
  let tdFile: string;
  let iam: IAMClient;
  let ecs: ECSClient;
  before(async () => {
    seed = await startSeedTwin();
    tdFile = join(seed.dir, "task-definition.json");
    await writeFile(tdFile, JSON.stringify(seedTaskDefinition(`${REPO_URI}:latest`), null, 2));
    const cfg = { region: REGION, endpoint: seed.twin.url, credentials: seed.adminCredentials };
    iam = new IAMClient(cfg);
    ecs = new ECSClient(cfg);
  });
  after(() => seed.close());

  /** Runs `body` with `actions` granted to the deploy role on top of the article's policies. */
  async function granted<T>(actions: string[], body: () => Promise<T>): Promise<T> {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "github-actions-deploy",
        PolicyName: "extra",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }],
        }),
      }),
    );
    try {
      return await body();
    } finally {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: "github-actions-deploy", PolicyName: "extra" }));
    }
  }

  async function deployWith(imageFrom: string, extra: Partial<Parameters<typeof runDeploy>[0]> = {}) {
    const lines: string[] = [];
    const env = {
      ...(await seed.jobEnvFor("example-org/sample-app")),
      DOCKER_HOST: `unix://${PODMAN_SOCKET}`,
    };
    const result = await runDeploy(
      {
        region: REGION,
        roleArn: ROLE_ARN,
        cluster: CLUSTER,
        service: SERVICE,
        taskDefinitionFile: tdFile,
        containers: [{ name: "web", imageFrom }],
        waitMinutes: 2,
        tag: "test",
        ...extra,
      },
      { env, log: (l) => lines.push(l), pace: { minMs: 100, maxMs: 500 } },
    );
    return { result, text: lines.join("\n") };
  }

  async function activeRevisions(): Promise<string[]> {
    const out = await ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: "sample-app", status: "ACTIVE" }),
    );
    return out.taskDefinitionArns ?? [];
  }

  async function currentTaskDefinition(): Promise<string> {
    const out = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }));
    return out.services![0]!.taskDefinition!;
  }

  async function diff(args: string[]) {
    return cli("diff", args);
  }

  async function cli(
    command: string,
    args: string[],
    repository = "example-org/sample-app",
  ): Promise<{ code: number; out: string }> {
    const env = await seed.jobEnvFor(repository);
    const argv = [
      keyship,
      command,
      "--role-arn",
      ROLE_ARN,
      "--region",
      REGION,
      "--cluster",
      CLUSTER,
      "--service",
      SERVICE,
      "--task-definition",
      tdFile,
      ...args,
    ];
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, argv, { env });
      return { code: 0, out: stdout + stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== "number") throw err;
      return { code: e.code, out: (e.stdout ?? "") + (e.stderr ?? "") };
    }
  }

  it("keyship diff: without ecs:DescribeTaskDefinition it says so; with it, only the changed lines; nothing registered", async () => {
    const before = await activeRevisions();
    const denied = await diff(["--container", "web", "--image", `${REPO_URI}:v9`]);
    assert.equal(denied.code, 0, denied.out);
    assert.match(denied.out, /ecs:DescribeTaskDefinition is not allowed/);
    assert.match(denied.out, /A new revision would be registered/);

    const shown = await granted(["ecs:DescribeTaskDefinition"], () =>
      diff(["--container", "web", "--image", `${REPO_URI}:v9`, "--env", "FOO=bar"]),
    );
    assert.equal(shown.code, 0, shown.out);
    assert.match(
      shown.out,
      /Changes against arn:aws:ecs:ap-northeast-1:123456789012:task-definition\/sample-app:1:/,
    );
    const changed = shown.out.split("\n").filter((l) => /^[+-]/.test(l));
    assert.ok(changed.includes(`+      "image": "${REPO_URI}:v9",`), shown.out);
    assert.ok(
      changed.some((l) => /^-\s+"image": ".*sample-app@sha256:/.test(l)),
      shown.out,
    );
    assert.ok(changed.includes('+          "name": "FOO",'), shown.out);
    // Nothing ECS filled in (cpu 0, empty lists, hostPort) shows up as a change.
    assert.ok(!changed.some((l) => /"cpu": 0|mountPoints|volumesFrom|hostPort|"volumes"/.test(l)), shown.out);
    assert.deepEqual(await activeRevisions(), before, "a diff registers nothing");

    const same = await granted(["ecs:DescribeTaskDefinition"], async () => {
      const current = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: await currentTaskDefinition() }),
      );
      await writeFile(join(seed.dir, "current.json"), JSON.stringify(current));
      return diff(["--task-definition", join(seed.dir, "current.json")]);
    });
    assert.match(same.out, /The task definition equals .*sample-app:1: nothing to register/, same.out);
  });

  it("keyship verify: every check OK with read permissions, SKIPPED without them, FAILED for a missing image or role", async () => {
    const image = ["--container", "web", "--image", `${REPO_URI}:v0`];
    const article = await cli("verify", image);
    assert.equal(article.code, 0, article.out);
    assert.match(
      article.out,
      /^OK\s+credentials \(arn:aws:iam::123456789012:role\/github-actions-deploy assumed\)$/m,
    );
    assert.match(article.out, /^OK\s+service sample_ecs_cluster\/sample_ecs_service: ACTIVE/m);
    assert.match(article.out, /^SKIPPED\s+role ecsTaskExecutionRole: iam:GetRole is not allowed/m);

    const readable = await granted(["iam:GetRole", "ecr:BatchGetImage"], async () => ({
      ok: await cli("verify", image),
      missing: await cli("verify", ["--container", "web", "--image", `${REPO_URI}:no-such-tag`]),
    }));
    assert.equal(readable.ok.code, 0, readable.ok.out);
    for (const name of ["role ecsTaskExecutionRole", "role sample-app-task-role", "image web"])
      assert.match(readable.ok.out, new RegExp(`^OK\\s+${name}: `, "m"), readable.ok.out);
    assert.equal(readable.missing.code, 1, readable.missing.out);
    assert.match(readable.missing.out, /^FAILED\s+image web: .*:no-such-tag not found$/m);

    const gone = JSON.parse(JSON.stringify(seedTaskDefinition(`${REPO_URI}:v0`)));
    gone.taskRoleArn = "arn:aws:iam::123456789012:role/no-such-role";
    await writeFile(join(seed.dir, "gone-role.json"), JSON.stringify(gone));
    const noRole = await granted(["iam:GetRole", "ecr:BatchGetImage"], () =>
      cli("verify", ["--task-definition", join(seed.dir, "gone-role.json")]),
    );
    assert.equal(noRole.code, 1, noRole.out);
    assert.match(noRole.out, /^FAILED\s+role no-such-role: /m);

    const stranger = await cli("verify", image, "other-org/other-app");
    assert.equal(stranger.code, 1, stranger.out);
    assert.match(stranger.out, /^FAILED\s+credentials/m);
    assert.match(stranger.out, /sub=repo:other-org\/other-app:ref:refs\/heads\/main/);
  });

  it("outside a GitHub job: --web-identity-token-file or AWS_WEB_IDENTITY_TOKEN_FILE is exchanged for the role", async () => {
    const job = await seed.jobEnvFor("example-org/sample-app");
    const res = await fetch(`${job.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=sts.amazonaws.com`, {
      headers: { authorization: `Bearer ${job.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
    });
    const tokenFile = join(seed.dir, "token.jwt");
    await writeFile(tokenFile, `${((await res.json()) as { value: string }).value}\n`);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_ENDPOINT_URL: seed.twin.url,
      AWS_REGION: REGION,
    };
    const common = ["verify", "--role-arn", ROLE_ARN, "--region", REGION, "--cluster", CLUSTER];
    const rest = [
      "--service",
      SERVICE,
      "--task-definition",
      tdFile,
      "--container",
      "web",
      "--image",
      `${REPO_URI}:v0`,
    ];
    const exec = async (args: string[], extra: NodeJS.ProcessEnv) => {
      try {
        const r = await promisify(execFile)(process.execPath, [keyship, ...args], {
          env: { ...env, ...extra },
        });
        return { code: 0, out: r.stdout + r.stderr };
      } catch (err) {
        const e = err as { code: number; stdout?: string; stderr?: string };
        return { code: e.code, out: (e.stdout ?? "") + (e.stderr ?? "") };
      }
    };
    const byFlag = await exec([...common, "--web-identity-token-file", tokenFile, ...rest], {});
    assert.equal(byFlag.code, 0, byFlag.out);
    assert.match(
      byFlag.out,
      /^OK\s+credentials \(arn:aws:iam::123456789012:role\/github-actions-deploy assumed\)$/m,
    );
    const byEnv = await exec([...common, ...rest], { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile });
    assert.equal(byEnv.code, 0, byEnv.out);
    const none = await exec([...common, ...rest], {});
    assert.equal(none.code, 1, none.out);
    assert.match(none.out, /^FAILED\s+credentials/m);
  });

  it("--keep-revisions: one note when the role may not list revisions; with the permissions, older revisions go", async () => {
    for (let i = 0; i < 3; i++)
      await ecs.send(new RegisterTaskDefinitionCommand(seedTaskDefinition(`${REPO_URI}:old-${i}`) as never));
    const layout = join(seed.dir, "keep");
    await writeOciLayout(
      layout,
      buildImage([{ path: "www/index.html", content: "keep\n" }], ["/bin/busybox", "httpd", "-f"], "keep"),
    );
    const plain = await deployWith(`oci:${layout}`, { keepRevisions: 1 });
    assert.equal(plain.result.exitCode, 0, plain.text);
    assert.match(
      plain.text,
      /ecs:ListTaskDefinitions is not allowed for this role, so old revisions of sample-app were kept/,
    );
    assert.equal((await activeRevisions()).length, 5);

    const pruned = await granted(["ecs:ListTaskDefinitions", "ecs:DeregisterTaskDefinition"], () =>
      deployWith(`oci:${layout}`, { keepRevisions: 2 }),
    );
    assert.equal(pruned.result.exitCode, 0, pruned.text);
    assert.match(
      pruned.text,
      /Deregistered 4 old revision\(s\): sample-app:4, sample-app:3, sample-app:2, sample-app:1/,
    );
    const left = await activeRevisions();
    assert.deepEqual(
      left.map((a) => a.split("/").pop()),
      ["sample-app:5", "sample-app:6"],
    );
    assert.equal(await currentTaskDefinition(), pruned.result.taskDefinitionArn);
  });

  it("a rollout that outlives --wait-minutes exits 4 with the last state seen", async () => {
    const layout = join(seed.dir, "slow");
    await writeOciLayout(
      layout,
      buildImage([{ path: "www/index.html", content: "slow\n" }], ["/bin/busybox", "httpd", "-f"], "slow"),
    );
    // The simulated rollout takes ≥ 0.7 s (pull, start, health, settle); wait 0.18 s.
    const r = await deployWith(`oci:${layout}`, { waitMinutes: 0.003 });
    assert.equal(r.result.exitCode, 4, r.text);
    assert.equal(r.result.outcome, "timeout");
    assert.match(r.text, /Timed out after .* waiting for sample_ecs_service to become stable/);
    assert.match(r.text, /Last seen: \d deployment\(s\); ours ecs-svc\/\d+ IN_PROGRESS running \d\/1/);
  });

  it("--image-from daemon:REF pushes from Podman's Docker Engine API and deploys it", {
    skip: !podmanAnswers && `no Podman API at ${PODMAN_SOCKET} (bash .ci/containers-setup starts it)`,
    timeout: 60_000,
  }, async () => {
    const ref = "localhost/keyship-deploy-test:daemon";
    const image = buildImage(
      [{ path: "www/index.html", content: "daemon\n" }],
      ["/bin/busybox", "httpd", "-f"],
      "daemon",
    );
    const tar = join(seed.dir, "daemon.tar");
    await writeFile(tar, dockerArchiveOf(image, ref));
    assert.equal(spawnSync("podman", ["load", "-q", "-i", tar]).status, 0, "podman load");
    try {
      const r = await deployWith(`daemon:${ref}`);
      assert.equal(r.result.exitCode, 0, r.text);
      assert.equal(r.result.outcome, "stable");
      const digest = r.result.images[0]!.result.digest;
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      const td = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: await currentTaskDefinition() }),
      );
      assert.equal(td.taskDefinition!.containerDefinitions![0]!.image, `${REPO_URI}@${digest}`);
    } finally {
      spawnSync("podman", ["rmi", "-f", ref]);
    }
  });
});
