// awslogs group and stream names of a task's containers, as ECS names them.
import assert from "node:assert/strict";
import { it } from "node:test";
import { awslogsStreams } from "../../src/ecs/awslogs.ts";
import type { TaskRecord } from "../../src/ecs/model.ts";

const task = {
  taskId: "0123456789abcdef0123456789abcdef",
  containers: [
    { name: "web", runtimeId: "aaaa" },
    { name: "side", runtimeId: "bbbb" },
    { name: "plain", runtimeId: "cccc" },
    { name: "late" },
  ],
} as unknown as TaskRecord;

const awslogs = (options: Record<string, string>) => ({ logDriver: "awslogs", options });

it("PREFIX/CONTAINER/TASK_ID with a prefix, the container id without; other drivers and no group: none", () => {
  const streams = awslogsStreams(task, {
    containerDefinitions: [
      {
        name: "web",
        logConfiguration: awslogs({ "awslogs-group": "/ecs/app", "awslogs-stream-prefix": "ecs" }),
      },
      { name: "side", logConfiguration: awslogs({ "awslogs-group": "/ecs/side" }) },
      { name: "plain", logConfiguration: { logDriver: "json-file", options: {} } },
      { name: "late", logConfiguration: awslogs({ "awslogs-group": "/ecs/side" }) },
      { name: "nogroup", logConfiguration: awslogs({ "awslogs-stream-prefix": "x" }) },
    ],
  });
  assert.deepEqual(streams, [
    { group: "/ecs/app", stream: "ecs/web/0123456789abcdef0123456789abcdef", container: "web" },
    { group: "/ecs/side", stream: "bbbb", container: "side" },
  ]);
});
