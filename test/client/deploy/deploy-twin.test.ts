// keyship deploy end to end against the twin, with exactly the article's role and policies and a job's OIDC token.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { rollback } from "../../../src/client/deploy/rollback.ts";
import { connect, runDeploy } from "../../../src/client/deploy/run.ts";
import { verify } from "../../../src/client/deploy/verify.ts";
import { describeService } from "../../../src/client/deploy/watch.ts";
import { systemClock } from "../../../src/core/clock.ts";
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

describe("keyship deploy against the twin (article's permissions)", () => {
  let seed: SeedTwin;
  let tdFile: string;
  before(async () => {
    seed = await startSeedTwin();
    tdFile = join(seed.dir, "task-definition.json");
    await writeFile(tdFile, JSON.stringify(seedTaskDefinition(`${REPO_URI}:latest`), null, 2));
  });
  after(() => seed.close());

  async function deployWith(
    env: NodeJS.ProcessEnv,
    imageFrom: string,
    extra: Partial<Parameters<typeof runDeploy>[0]> = {},
  ) {
    const lines: string[] = [];
    const masked: string[] = [];
    const counts = new Map<string, number>();
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
      { env, log: (l) => lines.push(l), mask: (s) => masked.push(s), pace: { minMs: 100, maxMs: 500 } },
      counts,
    );
    return { result, lines, text: lines.join("\n"), masked, counts };
  }

  it("deploys from an OCI layout, then a second deploy of the same image registers nothing", async () => {
    const layout = join(seed.dir, "v1");
    await writeOciLayout(
      layout,
      buildImage([{ path: "www/index.html", content: "v1\n" }], ["/bin/busybox", "httpd", "-f"], "v1"),
    );
    const env = await seed.jobEnvFor("example-org/sample-app");
    const first = await deployWith(env, `oci:${layout}`);
    assert.equal(first.result.exitCode, 0, first.text);
    if (process.env.KEYSHIP_SHOW_OUTPUT) console.log(first.text, "\n", first.result.summary, first.counts);
    assert.equal(first.result.outcome, "stable");
    assert.equal(first.result.registered, true);
    assert.match(first.result.taskDefinitionArn ?? "", /task-definition\/sample-app:2$/);
    assert.ok(first.result.deploymentId);
    assert.match(
      first.text,
      /DescribeTaskDefinition is not allowed/,
      "the degraded nicety is explained once",
    );
    assert.ok(first.masked.length >= 3, "token, key and secret are masked");
    assert.match(first.result.summary, /\| task definition \|/);

    const second = await deployWith(env, `oci:${layout}`);
    assert.equal(second.result.exitCode, 0, second.text);
    // Without DescribeTaskDefinition the official action's behaviour: a new revision; but the image push skips every blob.
    assert.match(second.text, /2\/2 blobs already there/);
  });

  it("with ecs:DescribeTaskDefinition granted, a second deploy of the same image registers nothing new", async () => {
    const { IAMClient, PutRolePolicyCommand } = await import("@aws-sdk/client-iam");
    const iam = new IAMClient({
      region: REGION,
      endpoint: seed.twin.url,
      credentials: seed.adminCredentials,
    });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "github-actions-deploy",
        PolicyName: "describe-task-definition",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "ecs:DescribeTaskDefinition", Resource: "*" }],
        }),
      }),
    );
    try {
      const layout = join(seed.dir, "v2");
      await writeOciLayout(
        layout,
        buildImage([{ path: "www/index.html", content: "v2\n" }], ["/bin/busybox", "httpd", "-f"], "v2"),
      );
      const env = await seed.jobEnvFor("example-org/sample-app");
      const first = await deployWith(env, `oci:${layout}`);
      assert.equal(first.result.exitCode, 0, first.text);
      assert.equal(first.result.registered, true);
      const second = await deployWith(env, `oci:${layout}`);
      assert.equal(second.result.exitCode, 0, second.text);
      assert.equal(second.result.registered, false, second.text);
      assert.equal(second.result.taskDefinitionArn, first.result.taskDefinitionArn);
      assert.match(second.text, /Task definition unchanged/);
      assert.equal(second.counts.get("ECS:RegisterTaskDefinition"), undefined);
      assert.equal(second.counts.get("ECS:UpdateService"), undefined);
    } finally {
      const { DeleteRolePolicyCommand } = await import("@aws-sdk/client-iam");
      await iam.send(
        new DeleteRolePolicyCommand({
          RoleName: "github-actions-deploy",
          PolicyName: "describe-task-definition",
        }),
      );
    }
  });

  it("a deploy whose image crashes exits non-zero naming the circuit breaker", async () => {
    const tar = join(seed.dir, "broken.tar");
    const image = buildImage([{ path: "www/index.html", content: "broken\n" }], ["/bin/false"], "broken");
    await writeFile(tar, dockerArchiveOf(image));
    const env = await seed.jobEnvFor("example-org/sample-app");
    // The digest is known only after the push; mark everything pushed from now on with this label's digest as broken.
    const { openDockerArchive } = await import("../../../src/client/image/docker-archive.ts");
    const src = await openDockerArchive(tar);
    seed.broken.add(src.manifest.digest);
    await src.close();
    const r = await deployWith(env, `docker-archive:${tar}`);
    if (process.env.KEYSHIP_SHOW_OUTPUT) console.log(r.text);
    assert.equal(r.result.exitCode, 3, r.text);
    assert.match(r.text, /circuit breaker/);
    assert.match(r.text, /ListTasks\/ecs:DescribeTasks are not allowed/);
  });

  it("rolls back to the previous revision and verifies with the article's permissions (skipping what it may not read)", async () => {
    const env = await seed.jobEnvFor("example-org/sample-app");
    const lines: string[] = [];
    const ctx = { env, log: (l: string) => lines.push(l) };
    const clients = await connect({ region: REGION, roleArn: ROLE_ARN }, ctx);
    const io = {
      log: ctx.log,
      note: ctx.log,
      clock: systemClock,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    };
    const before = (await describeService(clients.ecs, CLUSTER, SERVICE)).taskDefinition!;
    const r = await rollback(clients.ecs, io, {
      cluster: CLUSTER,
      service: SERVICE,
      waitMinutes: 2,
      pace: { minMs: 100, maxMs: 500 },
    });
    assert.equal(r.exitCode, 0, lines.join("\n"));
    const rev = (arn: string) => Number(arn.split(":").pop());
    assert.ok(rev(r.taskDefinition!) < rev(before), `${r.taskDefinition} < ${before}`);
    assert.match(lines.join("\n"), /ListTaskDefinitions is not allowed/);

    const checks = await verify(
      {
        ecs: clients.ecs,
        ecr: clients.ecr,
        credentials: clients.credentials,
        region: REGION,
        iamEndpoint: seed.twin.url,
      },
      { cluster: CLUSTER, service: SERVICE, taskDefinition: seedTaskDefinition(`${REPO_URI}:test`) as never },
    );
    const by = Object.fromEntries(checks.map((c) => [c.name, c.status]));
    assert.equal(by[`service ${CLUSTER}/${SERVICE}`], "OK");
    assert.equal(by["role ecsTaskExecutionRole"], "SKIPPED");
    assert.equal(by["image web"], "SKIPPED", JSON.stringify(checks));
  });

  it("a repository the trust policy rejects fails at credentials, showing the token's sub", async () => {
    const env = await seed.jobEnvFor("other-org/other-app");
    const r = await deployWith(env, "oci:/nonexistent");
    if (process.env.KEYSHIP_SHOW_OUTPUT) console.log(r.text);
    assert.equal(r.result.exitCode, 1);
    assert.match(r.text, /Could not assume arn:aws:iam::123456789012:role\/github-actions-deploy/);
    assert.match(r.text, /sub=repo:other-org\/other-app:ref:refs\/heads\/main/);
    assert.match(r.text, /aud=sts.amazonaws.com/);
    // Against the twin, the engine's own explanation from the decision log names the failing condition.
    assert.match(r.text, /The twin's policy engine says:/);
    assert.match(
      r.text,
      /token\.actions\.githubusercontent\.com:sub was 'repo:other-org\/other-app:ref:refs\/heads\/main'; StringLike requires 'repo:example-org\/sample-app:\*'/,
    );
  });

  it("a job without id-token: write says so", async () => {
    const env = await seed.jobEnvFor("example-org/sample-app", false);
    const r = await deployWith(env, "oci:/nonexistent");
    assert.equal(r.result.exitCode, 1);
    assert.match(r.text, /id-token: write/);
  });
});
