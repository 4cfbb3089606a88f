// RunTask's clientToken through the SDK against a live twin: the same call sent again returns the first
// call's tasks (also after the twin restarts on its state), other parameters under the same token are a
// ConflictException naming those tasks, tokens are per cluster, and malformed tokens are refused.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import {
  ConflictException,
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import type { Clock } from "../../src/core/clock.ts";
import { clientConfig, tempDir, withTwin } from "../support/twin.ts";

type LiveTwin = Awaited<ReturnType<typeof withTwin>>;
const fast = { tickMs: 25, simulated: { pullMs: 30, startMs: 30, stopMs: 30, healthyMs: 30 } };

describe("RunTask clientToken (SDK v3, simulated runtime)", () => {
  let stateDir: string;
  let twin: LiveTwin;
  let ecs: ECSClient;
  const open = async () => {
    twin = await withTwin({ stateDir, ecs: fast });
    ecs = new ECSClient(clientConfig(twin));
  };
  const shut = async () => {
    ecs.destroy();
    await twin.dispose();
  };
  before(async () => {
    stateDir = await tempDir();
    await open();
    for (const clusterName of ["tok", "other"]) await ecs.send(new CreateClusterCommand({ clusterName }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "job",
        containerDefinitions: [{ name: "app", image: "example/app:1", memory: 64 }],
      }),
    );
  });
  after(async () => {
    await shut();
    await rm(stateDir, { recursive: true, force: true });
  });

  const runTask = (input: Partial<ConstructorParameters<typeof RunTaskCommand>[0]>) =>
    ecs.send(new RunTaskCommand({ cluster: "tok", taskDefinition: "job", ...input }));
  const arns = (r: { tasks?: { taskArn?: string }[] }) => (r.tasks ?? []).map((t) => t.taskArn!);
  const live = async (cluster: string) => (await ecs.send(new ListTasksCommand({ cluster }))).taskArns ?? [];

  it("the same call sent again with its token returns the first call's tasks and starts none", async () => {
    const first = await runTask({ clientToken: "deploy-42", count: 2, startedBy: "ci" });
    assert.equal(arns(first).length, 2);
    const again = await runTask({ clientToken: "deploy-42", count: 2, startedBy: "ci" });
    assert.deepEqual(arns(again), arns(first));
    assert.deepEqual(again.failures, []);
    assert.deepEqual((await live("tok")).sort(), arns(first).sort(), "no third task");
  });

  it("the same token with other parameters is a ConflictException naming the first call's tasks", async () => {
    const first = await runTask({ clientToken: "conflict-1", startedBy: "ci" });
    for (const changed of [{ startedBy: "someone-else" }, { count: 2, startedBy: "ci" }, { group: "x" }]) {
      const e = await runTask({ clientToken: "conflict-1", ...changed }).then(
        () => assert.fail(`accepted ${JSON.stringify(changed)}`),
        (err: unknown) => err,
      );
      assert.ok(e instanceof ConflictException, String(e));
      assert.deepEqual(e.resourceIds, arns(first));
      assert.match(e.message, /clientToken is already in use/);
    }
    // the conflict started nothing
    const mine = (await live("tok")).filter((a) => arns(first).includes(a));
    assert.equal(mine.length, 1);
  });

  it("a token is scoped to its cluster", async () => {
    const here = await runTask({ clientToken: "shared-token" });
    const there = await ecs.send(
      new RunTaskCommand({ cluster: "other", taskDefinition: "job", clientToken: "shared-token" }),
    );
    assert.notDeepEqual(arns(there), arns(here));
    assert.deepEqual(await live("other"), arns(there));
  });

  it("tokens longer than 64 characters or outside ASCII 33-126 are refused", async () => {
    const ok = "x".repeat(64);
    assert.equal(arns(await runTask({ clientToken: ok })).length, 1);
    const cases: [string, RegExp][] = [
      ["x".repeat(65), /^clientToken longer than 64\.$/],
      ["has space", /ASCII characters in the range 33-126/],
      ["caf\u00e9", /ASCII characters in the range 33-126/],
    ];
    for (const [clientToken, message] of cases) {
      const e = await runTask({ clientToken }).then(
        () => assert.fail(`accepted ${JSON.stringify(clientToken)}`),
        (err: unknown) => err,
      );
      assert.ok(e instanceof InvalidParameterException, String(e));
      assert.match(e.message, message);
    }
  });

  it("a restarted twin still knows the token: same tasks, and the conflict", async () => {
    const first = await runTask({ clientToken: "survives-restart", startedBy: "ci" });
    const before = (await live("tok")).length;
    await shut();
    await open();
    const again = await runTask({ clientToken: "survives-restart", startedBy: "ci" });
    assert.deepEqual(arns(again), arns(first));
    assert.equal((await live("tok")).length, before, "nothing started by the replay");
    await assert.rejects(runTask({ clientToken: "survives-restart", startedBy: "other" }), ConflictException);
  });
});

describe("RunTask clientToken lifetime (a twin whose clock is moved)", () => {
  // the twin's time runs `offset` ahead and each call signs with the same offset, so SigV4 agrees (a fresh
  // client per call: the SDK resets its offset from the real time in a response's Date header)
  let offset = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offset) };
  let twin: LiveTwin;
  // biome-ignore lint/suspicious/noExplicitAny: any ECS command
  const call = async <T>(command: any): Promise<T> => {
    const ecs = new ECSClient({ ...clientConfig(twin), systemClockOffset: offset });
    try {
      return (await ecs.send(command)) as T;
    } finally {
      ecs.destroy();
    }
  };
  before(async () => {
    twin = await withTwin({ clock, ecs: fast });
    await call(new CreateClusterCommand({ clusterName: "ttl" }));
    await call(
      new RegisterTaskDefinitionCommand({
        family: "job",
        containerDefinitions: [{ name: "app", image: "example/app:1", memory: 64 }],
      }),
    );
  });
  after(async () => {
    await twin.dispose();
  });
  const runTask = async (clientToken: string) =>
    (
      await call<{ tasks: { taskArn: string }[] }>(
        new RunTaskCommand({ cluster: "ttl", taskDefinition: "job", clientToken }),
      )
    ).tasks.map((t) => t.taskArn);
  const describe1 = async (arn: string) =>
    (
      await call<{ tasks: { lastStatus?: string }[] }>(
        new DescribeTasksCommand({ cluster: "ttl", tasks: [arn] }),
      )
    ).tasks[0];
  const until = async (what: string, ok: () => Promise<boolean>) => {
    for (let i = 0; !(await ok()); i++) {
      assert.ok(i < 500, what);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it("a token is forgotten after 24 hours: the same call then starts new tasks", async () => {
    const first = await runTask("daily");
    offset += 23 * 3600_000;
    assert.deepEqual(await runTask("daily"), first, "still known after 23 hours");
    offset += 2 * 3600_000;
    const later = await runTask("daily");
    assert.equal(later.length, 1);
    assert.notDeepEqual(later, first, "a new task after 25 hours");
    assert.deepEqual(await runTask("daily"), later, "and the token now names the new call");
  });

  it("a token is forgotten once its tasks have been purged", async () => {
    const first = await runTask("short-lived");
    await call(new StopTaskCommand({ cluster: "ttl", task: first[0]! }));
    await until("task stopped", async () => (await describe1(first[0]!))?.lastStatus === "STOPPED");
    assert.deepEqual(await runTask("short-lived"), first, "a stopped task is still the answer");
    // past stoppedTaskRetentionSeconds (1 h): the scheduler's next tick purges the task
    offset += 2 * 3600_000;
    await until("task purged", async () => (await describe1(first[0]!)) === undefined);
    const again = await runTask("short-lived");
    assert.equal(again.length, 1);
    assert.notDeepEqual(again, first);
  });
});
