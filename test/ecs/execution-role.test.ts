// ECS pulls a task's ECR images as its execution role: the role must trust ecs-tasks.amazonaws.com and allow
// ECR reads, or the task stops exactly where AWS stops it. Simulated runtime, plus the same on Podman.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
  waitUntilTasksRunning,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { pushContainerImage } from "../../src/client/deploy/push-images.ts";
import { systemClock } from "../../src/core/clock.ts";
import { detectSocket } from "../../src/ecs/runtime/docker-api.ts";
import { buildImage, type FileEntry, writeOciLayout } from "../client/image/build-image.ts";
import { clientConfig, withTwin } from "../support/twin.ts";

type LiveTwin = Awaited<ReturnType<typeof withTwin>>;

const EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const waitFast = { minDelay: 1, maxDelay: 1, maxWaitTime: 60 };
const network = { awsvpcConfiguration: { subnets: ["subnet-1"], assignPublicIp: "ENABLED" as const } };
const quiet = {
  log: () => {},
  note: () => {},
  clock: systemClock,
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
};

const trustFor = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });

interface Decision {
  principal: string;
  action: string;
  resource: string;
  decision: string;
  service: string;
  explanation?: string;
  message?: string;
}

/** The scenario both runtimes share: a twin, a pushed image, and roles good and bad. */
async function setUp(twin: LiveTwin, files: FileEntry[], cmd: string[]) {
  const cfg = clientConfig(twin);
  const ecs = new ECSClient(cfg);
  const iam = new IAMClient(cfg);
  const ecr = new ECRClient(cfg);
  await ecr.send(new CreateRepositoryCommand({ repositoryName: "web" }));
  const dir = await mkdtemp(join(tmpdir(), "ks-exec-role-"));
  await writeOciLayout(dir, buildImage(files, cmd, "v1"));
  const repo = `${twin.accountId}.dkr.ecr.us-east-1.amazonaws.com/web`;
  await pushContainerImage(ecr, "web", `oci:${dir}`, `${repo}:v1`, quiet);
  ecr.destroy();
  await rm(dir, { recursive: true, force: true });
  await ecs.send(new CreateClusterCommand({ clusterName: "c" }));

  const role = async (name: string, trusted: string, policy?: string | object) => {
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustFor(trusted) }));
    if (typeof policy === "string") {
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policy }));
    } else if (policy) {
      await iam.send(
        new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }),
      );
    }
    return `arn:aws:iam::${twin.accountId}:role/${name}`;
  };

  /** Registers a Fargate definition pulling web:v1 as `roleArn`, runs one task, returns its ARN. */
  const run = async (family: string, roleArn: string | undefined, image = `${repo}:v1`) => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "256",
        memory: "512",
        ...(roleArn ? { executionRoleArn: roleArn } : {}),
        containerDefinitions: [{ name: "app", image, stopTimeout: 2, command: cmd }],
      }),
    );
    const r = await ecs.send(
      new RunTaskCommand({
        cluster: "c",
        taskDefinition: family,
        launchType: "FARGATE",
        networkConfiguration: network,
      }),
    );
    return r.tasks![0]!.taskArn!;
  };

  const describe = async (arn: string): Promise<Task> =>
    (await ecs.send(new DescribeTasksCommand({ cluster: "c", tasks: [arn] }))).tasks![0]!;

  const running = async (arn: string) => {
    await waitUntilTasksRunning({ client: ecs, ...waitFast }, { cluster: "c", tasks: [arn] });
    return describe(arn);
  };

  const stopped = async (arn: string) => {
    await waitUntilTasksStopped({ client: ecs, ...waitFast }, { cluster: "c", tasks: [arn] }).catch(() => {});
    return describe(arn);
  };

  const decisions = async (query: string): Promise<Decision[]> => {
    const res = await fetch(`${twin.url}/_keyship/decisions?${query}`);
    assert.equal(res.status, 200);
    return (await res.json()) as Decision[];
  };

  return { ecs, iam, repo, role, run, describe, running, stopped, decisions };
}

const taskIdOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

describe("ECS task execution role (simulated runtime)", () => {
  let twin: LiveTwin;
  let s: Awaited<ReturnType<typeof setUp>>;

  before(async () => {
    twin = await withTwin({
      ecs: {
        tickMs: 25,
        reconcile: { noHealthCheckSettleSeconds: 0 },
        simulated: { pullMs: 30, startMs: 30, stopMs: 30, healthyMs: 30 },
      },
    });
    s = await setUp(twin, [{ path: "www/index.html", content: "v1\n" }], ["/bin/busybox", "httpd", "-f"]);
  });

  after(async () => {
    s?.ecs.destroy();
    s?.iam.destroy();
    await twin?.dispose();
  });

  it("a role trusting ecs-tasks.amazonaws.com with AmazonECSTaskExecutionRolePolicy: the task runs", async () => {
    const roleArn = await s.role("good", "ecs-tasks.amazonaws.com", EXECUTION_POLICY);
    const arn = await s.run("good", roleArn);
    const t = await s.running(arn);
    assert.equal(t.lastStatus, "RUNNING");
    assert.match(t.containers![0]!.imageDigest!, /^sha256:[0-9a-f]{64}$/);
    // ECS assumed the role as the service, and the session (named for the task) got its registry token
    const session = `arn:aws:sts::${twin.accountId}:assumed-role/good/${taskIdOf(arn)}`;
    const assumed = await s.decisions("principal=ecs-tasks.amazonaws.com&action=sts:AssumeRole");
    assert.ok(assumed.some((d) => d.resource === roleArn && d.decision === "allowed"));
    const pulls = await s.decisions(`principal=${encodeURIComponent(session)}`);
    const actions = new Set(pulls.filter((d) => d.decision === "allowed").map((d) => d.action));
    for (const a of ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]) {
      assert.ok(actions.has(a), `${a} allowed for ${session}`);
    }
    await s.ecs.send(new StopTaskCommand({ cluster: "c", task: arn }));
  });

  it("a role whose trust policy does not allow ecs-tasks.amazonaws.com: STOPPED, ECS could not assume it", async () => {
    const roleArn = await s.role("ec2only", "ec2.amazonaws.com", EXECUTION_POLICY);
    const arn = await s.run("untrusted", roleArn);
    const t = await s.stopped(arn);
    assert.equal(t.lastStatus, "STOPPED");
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.equal(
      t.stoppedReason,
      `ECS was unable to assume the role '${roleArn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`,
    );
    assert.equal(t.containers![0]!.lastStatus, "STOPPED");
    const log = await s.decisions("principal=ecs-tasks.amazonaws.com&denied=1");
    const denial = log.find((d) => d.resource === roleArn);
    assert.ok(denial, "the trust-policy denial is logged");
    assert.equal(denial.action, "sts:AssumeRole");
    assert.equal(denial.decision, "implicitDeny");
    assert.match(denial.explanation!, /trust policy trust:ec2only/);
    assert.match(denial.explanation!, /principal does not match/);
  });

  it("a role that does not exist: the same reason, and the log says so", async () => {
    const roleArn = `arn:aws:iam::${twin.accountId}:role/nobody`;
    const t = await s.stopped(await s.run("ghost", roleArn));
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(t.stoppedReason!, /^ECS was unable to assume the role 'arn:aws:iam::\d{12}:role\/nobody'/);
    const log = await s.decisions("principal=ecs-tasks.amazonaws.com&denied=1");
    assert.ok(log.some((d) => d.resource === roleArn && d.action === "sts:AssumeRole"));
  });

  it("a role without ECR permissions: CannotPullContainerError naming ecr:GetAuthorizationToken", async () => {
    const roleArn = await s.role("bare", "ecs-tasks.amazonaws.com");
    const arn = await s.run("bare", roleArn);
    const t = await s.stopped(arn);
    const session = `arn:aws:sts::${twin.accountId}:assumed-role/bare/${taskIdOf(arn)}`;
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(t.stoppedReason!, /^CannotPullContainerError: /);
    assert.ok(
      t.stoppedReason!.includes(
        `User: ${session} is not authorized to perform: ecr:GetAuthorizationToken on resource: *`,
      ),
      t.stoppedReason,
    );
    const log = await s.decisions(`principal=${encodeURIComponent(session)}&denied=1`);
    assert.deepEqual(
      log.map((d) => [d.service, d.action]),
      [["ecr", "ecr:GetAuthorizationToken"]],
    );
  });

  it("a role with a registry token but no image read: pull access denied on ecr:BatchGetImage", async () => {
    const roleArn = await s.role("tokenonly", "ecs-tasks.amazonaws.com", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }],
    });
    const arn = await s.run("tokenonly", roleArn);
    const t = await s.stopped(arn);
    const session = `arn:aws:sts::${twin.accountId}:assumed-role/tokenonly/${taskIdOf(arn)}`;
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.equal(
      t.stoppedReason,
      `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${s.repo}:v1: pull access denied: User: ${session} is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:${twin.accountId}:repository/web because no identity-based policy allows the ecr:BatchGetImage action`,
    );
    assert.equal(t.containers![0]!.reason, t.stoppedReason);
    const log = await s.decisions(`principal=${encodeURIComponent(session)}&denied=1`);
    assert.deepEqual(
      log.map((d) => d.action),
      ["ecr:BatchGetImage"],
    );
  });

  it("detaching the policy later leaves running tasks alone; the next task cannot pull", async () => {
    const roleArn = await s.role("later", "ecs-tasks.amazonaws.com", EXECUTION_POLICY);
    const first = await s.run("later", roleArn);
    await s.running(first);
    await s.iam.send(new DetachRolePolicyCommand({ RoleName: "later", PolicyArn: EXECUTION_POLICY }));
    await new Promise((r) => setTimeout(r, 300)); // a dozen scheduler ticks
    assert.equal((await s.describe(first)).lastStatus, "RUNNING");
    const second = await s.stopped(await s.run("later", roleArn));
    assert.match(second.stoppedReason!, /^CannotPullContainerError: .*ecr:GetAuthorizationToken/);
    assert.equal((await s.describe(first)).lastStatus, "RUNNING");
    await s.ecs.send(new StopTaskCommand({ cluster: "c", task: first }));
  });

  it("RunTask's executionRoleArn override is the role ECS assumes", async () => {
    const good = `arn:aws:iam::${twin.accountId}:role/good`;
    const bad = `arn:aws:iam::${twin.accountId}:role/ec2only`;
    await s.run("override", good);
    const r = await s.ecs.send(
      new RunTaskCommand({
        cluster: "c",
        taskDefinition: "override",
        launchType: "FARGATE",
        networkConfiguration: network,
        overrides: { executionRoleArn: bad },
      }),
    );
    const t = await s.stopped(r.tasks![0]!.taskArn!);
    assert.match(t.stoppedReason!, /^ECS was unable to assume the role '.*role\/ec2only'/);
  });

  it("Fargate needs an execution role for ECR images; public images need none", async () => {
    await assert.rejects(
      s.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "norole",
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          cpu: "256",
          memory: "512",
          containerDefinitions: [{ name: "app", image: `${s.repo}:v1` }],
        }),
      ),
      {
        name: "ClientException",
        message: "Fargate requires task definition to have execution role ARN to support ECR images.",
      },
    );
    const arn = await s.run("public", undefined, "public.ecr.aws/docker/library/busybox:latest");
    assert.equal((await s.running(arn)).lastStatus, "RUNNING");
    await s.ecs.send(new StopTaskCommand({ cluster: "c", task: arn }));
  });

  it("an EC2 task without an execution role pulls as the container instance (the twin's stand-in)", async () => {
    await s.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "ec2",
        containerDefinitions: [{ name: "app", image: `${s.repo}:v1`, memory: 64 }],
      }),
    );
    const r = await s.ecs.send(new RunTaskCommand({ cluster: "c", taskDefinition: "ec2" }));
    const arn = r.tasks![0]!.taskArn!;
    assert.equal((await s.running(arn)).lastStatus, "RUNNING");
    await s.ecs.send(new StopTaskCommand({ cluster: "c", task: arn }));
  });
});

describe("ECS task execution role on Podman", { timeout: 300_000 }, () => {
  let twin: LiveTwin;
  let s: Awaited<ReturnType<typeof setUp>>;
  const started: string[] = [];

  before(async () => {
    assert.ok(existsSync("/bin/busybox"), "/bin/busybox is required (apt-get install busybox-static)");
    assert.ok(await detectSocket(), "a Docker Engine API socket is required (podman system service)");
    twin = await withTwin({
      runtime: "docker",
      ecs: { tickMs: 200, defaultStopTimeoutSeconds: 2, removeContainersOnClose: true },
    });
    assert.equal(twin.runtime, "docker");
    s = await setUp(
      twin,
      [
        { path: "bin/busybox", content: readFileSync("/bin/busybox"), mode: 0o755 },
        { path: "www/index.html", content: "v1\n" },
      ],
      ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"],
    );
  });

  after(async () => {
    for (const arn of started) {
      await s?.ecs.send(new StopTaskCommand({ cluster: "c", task: arn })).catch(() => {});
    }
    if (started.length > 0) {
      await waitUntilTasksStopped({ client: s.ecs, ...waitFast }, { cluster: "c", tasks: started }).catch(
        () => {},
      );
    }
    s?.ecs.destroy();
    s?.iam.destroy();
    await twin?.dispose();
  });

  it("the engine pulls with the execution role's token: a good role runs, one without image read is refused by the registry", async () => {
    const good = await s.role("good", "ecs-tasks.amazonaws.com", EXECUTION_POLICY);
    const ok = await s.run("good", good);
    started.push(ok);
    const t = await s.running(ok);
    assert.equal(t.lastStatus, "RUNNING");
    assert.match(t.containers![0]!.runtimeId!, /^[0-9a-f]{64}$/);

    const tokenOnly = await s.role("tokenonly", "ecs-tasks.amazonaws.com", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }],
    });
    const refused = await s.run("tokenonly", tokenOnly);
    started.push(refused);
    const f = await s.stopped(refused);
    const session = `arn:aws:sts::${twin.accountId}:assumed-role/tokenonly/${taskIdOf(refused)}`;
    assert.equal(f.stopCode, "TaskFailedToStart");
    // the same words as the simulated runtime: the registry itself refused the session
    assert.match(
      f.stoppedReason!,
      new RegExp(
        `^CannotPullContainerError: pull image manifest has been retried 5 time\\(s\\): failed to resolve ref ${s.repo}:v1: pull access denied: User: ${session.replace(/[/.]/g, "\\$&")} is not authorized to perform: ecr:BatchGetImage`,
      ),
    );
    const log = await s.decisions(`principal=${encodeURIComponent(session)}&denied=1`);
    assert.ok(
      log.some((d) => d.action === "ecr:BatchGetImage" && d.service === "ecr"),
      "the registry's denial is logged for the session",
    );
  });
});
