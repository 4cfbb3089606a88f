// RunTask's clientToken through the SDK against a live twin: the same call sent again returns the first
// call's tasks (also after the twin restarts on its state), other parameters under the same token are a
// ConflictException naming those tasks, tokens are per cluster, and malformed tokens are refused.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import {
  ConflictException,
  CreateClusterCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from "@aws-sdk/client-ecs";
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
