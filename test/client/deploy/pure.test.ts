// Tables for the pure deploy pieces: strip, render, unchanged detection, wait verdicts, diff and poll pacing.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { Service, TaskDefinition } from "@aws-sdk/client-ecs";
import { canonicalJson, diffLines } from "../../../src/client/deploy/diff-lines.ts";
import { parseEnvPair, renderTaskDefinition } from "../../../src/client/deploy/render.ts";
import { stripTaskDefinition, type TaskDefinitionInput } from "../../../src/client/deploy/strip.ts";
import { comparablePair, differenceFromRevision } from "../../../src/client/deploy/unchanged.ts";
import { formatMarkdownTable, judge, newEvents, nextDelay } from "../../../src/client/deploy/wait-state.ts";

const seed = JSON.parse(
  readFileSync(new URL("../../../examples/seed-scenario/app/task-definition.json", import.meta.url), "utf8"),
);

describe("stripTaskDefinition", () => {
  it("passes a plain file through", () => {
    const s = stripTaskDefinition(seed);
    assert.deepEqual(s.removed, []);
    assert.deepEqual(s.problems, []);
    assert.equal(s.input.family, "sample-app");
  });
  it("unwraps describe-task-definition output and removes describe-only members", () => {
    const described = {
      taskDefinition: {
        ...seed,
        revision: 3,
        status: "ACTIVE",
        taskDefinitionArn: "arn:x",
        compatibilities: ["FARGATE"],
        registeredAt: "2026-01-01",
        registeredBy: "me",
        requiresAttributes: [],
      },
      tags: [{ key: "team", value: "a" }],
    };
    const s = stripTaskDefinition(described);
    assert.deepEqual(s.removed.sort(), [
      "compatibilities",
      "registeredAt",
      "registeredBy",
      "requiresAttributes",
      "revision",
      "status",
      "taskDefinitionArn",
    ]);
    assert.deepEqual(s.input.tags, [{ key: "team", value: "a" }]);
    assert.equal("revision" in s.input, false);
  });
  it("keeps explicit empty strings and adds value to valueless environment entries", () => {
    const s = stripTaskDefinition({
      family: "f",
      containerDefinitions: [
        {
          name: "a",
          image: "i",
          environment: [{ name: "EMPTY", value: "" }, { name: "NOVALUE" }],
          user: null,
        },
      ],
    });
    assert.deepEqual(s.input.containerDefinitions?.[0]?.environment, [
      { name: "EMPTY", value: "" },
      { name: "NOVALUE", value: "" },
    ]);
    assert.equal("user" in (s.input.containerDefinitions?.[0] ?? {}), false);
  });
  const bad: Array<[string, unknown, string]> = [
    ["not an object", [1], "object"],
    ["no family", { containerDefinitions: [{ name: "a" }] }, "family"],
    ["no containers", { family: "f", containerDefinitions: [] }, "containerDefinitions"],
  ];
  for (const [name, file, word] of bad) {
    it(`reports ${name}`, () => assert.match(stripTaskDefinition(file).problems.join(";"), new RegExp(word)));
  }
});

describe("renderTaskDefinition", () => {
  const two = {
    family: "f",
    containerDefinitions: [
      { name: "web", image: "old-web", environment: [{ name: "A", value: "1" }] },
      { name: "side", image: "old-side" },
    ],
  };
  it("sets an image per container and upserts environment", () => {
    const r = renderTaskDefinition(two, [
      {
        name: "web",
        image: "new-web",
        environment: [
          ["A", "2"],
          ["B", "x=y"],
        ],
      },
      { name: "side", image: "new-side" },
    ]);
    assert.deepEqual(r.problems, []);
    assert.equal(r.input.containerDefinitions?.[0]?.image, "new-web");
    assert.deepEqual(r.input.containerDefinitions?.[0]?.environment, [
      { name: "A", value: "2" },
      { name: "B", value: "x=y" },
    ]);
    assert.equal(r.input.containerDefinitions?.[1]?.image, "new-side");
    assert.equal(two.containerDefinitions[0]!.image, "old-web", "input untouched");
  });
  it("applies unnamed environment to every container", () => {
    const r = renderTaskDefinition(two, [{ environment: [["G", "1"]] }]);
    for (const c of r.input.containerDefinitions ?? []) assert.ok(c.environment?.some((e) => e.name === "G"));
  });
  it("names the containers when one is unknown", () => {
    assert.match(
      renderTaskDefinition(two, [{ name: "nope", image: "x" }]).problems[0]!,
      /no container named "nope".*web, side/,
    );
  });
  const pairs: Array<[string, [string, string] | undefined]> = [
    ["A=1", ["A", "1"]],
    ["A=b=c", ["A", "b=c"]],
    ["A=", ["A", ""]],
    ["=x", undefined],
    ["A", undefined],
  ];
  for (const [text, want] of pairs) it(`parses ${text}`, () => assert.deepEqual(parseEnvPair(text), want));
});

describe("differenceFromRevision", () => {
  const input = stripTaskDefinition(seed).input;
  // What ECS returns for the seed: strings for cpu/memory, defaults filled in, describe-only members.
  const revision = {
    ...structuredClone(seed),
    taskDefinitionArn: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/sample-app:4",
    revision: 4,
    status: "ACTIVE",
    compatibilities: ["EC2", "FARGATE"],
    requiresAttributes: [{ name: "com.amazonaws.ecs.capability.docker-remote-api.1.18" }],
    registeredAt: new Date(),
    volumes: [],
    placementConstraints: [],
    containerDefinitions: seed.containerDefinitions.map((c: Record<string, unknown>) => ({
      ...c,
      cpu: 0,
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
    })),
  } as TaskDefinition;
  it("treats the registered revision of the same file as unchanged", () => {
    assert.equal(differenceFromRevision(input, revision), undefined);
  });
  it("sees a new image", () => {
    const r = renderTaskDefinition(input, [{ name: "web", image: "other" }]).input;
    assert.equal(differenceFromRevision(r, revision), "containerDefinitions[0].image");
  });
  it("sees a new environment variable and ignores environment order", () => {
    const withEnv = renderTaskDefinition(input, [
      {
        name: "web",
        environment: [
          ["A", "1"],
          ["B", "2"],
        ],
      },
    ]).input;
    assert.equal(differenceFromRevision(withEnv, revision), "containerDefinitions[0].environment");
    const rev2 = structuredClone(revision);
    rev2.containerDefinitions![0]!.environment = [
      { name: "B", value: "2" },
      { name: "A", value: "1" },
    ];
    assert.equal(differenceFromRevision(withEnv, rev2), undefined);
  });
  it("sees a member set on the revision but absent from the file", () => {
    const rev2 = structuredClone(revision);
    rev2.containerDefinitions![0]!.memoryReservation = 128;
    assert.equal(differenceFromRevision(input, rev2), "containerDefinitions[0].memoryReservation");
  });
  it("compares numeric cpu with string cpu", () => {
    assert.equal(differenceFromRevision({ ...input, cpu: 256 as unknown as string }, revision), undefined);
    assert.equal(differenceFromRevision({ ...input, cpu: "512" }, revision), "cpu");
  });
  it("keyship diff shows only what the deploy changes, not what ECS filled in", () => {
    const changed = (w: TaskDefinitionInput, r: TaskDefinition) => {
      const pair = comparablePair(w, r);
      return diffLines(canonicalJson(pair.revision), canonicalJson(pair.wanted)).filter((l) => l[0] !== " ");
    };
    assert.deepEqual(changed({ ...input, cpu: 256 as unknown as string }, revision), []);
    const rev2 = structuredClone(revision);
    rev2.containerDefinitions![0]!.environment = [
      { name: "B", value: "2" },
      { name: "A", value: "1" },
    ];
    rev2.containerDefinitions![0]!.memoryReservation = 128;
    const rendered = renderTaskDefinition(input, [
      {
        name: "web",
        image: "repo:v2",
        environment: [
          ["A", "1"],
          ["B", "3"],
        ],
      },
    ]).input;
    assert.deepEqual(changed(rendered, rev2), [
      '-          "value": "2"',
      '+          "value": "3"',
      `-      "image": ${JSON.stringify(seed.containerDefinitions[0].image)},`,
      '+      "image": "repo:v2",',
      '-      "memoryReservation": 128,',
    ]);
  });
});

function svc(deployments: Service["deployments"], extra: Partial<Service> = {}): Service {
  const running = (deployments ?? []).reduce((n, d) => n + (d.runningCount ?? 0), 0);
  return { status: "ACTIVE", desiredCount: 2, runningCount: running, deployments, events: [], ...extra };
}
const NEW = "arn:aws:ecs:r:1:task-definition/app:2";
const OLD = "arn:aws:ecs:r:1:task-definition/app:1";
const target = { deploymentId: "ecs-svc/2", previousDeploymentId: "ecs-svc/1", taskDefinitionArn: NEW };

describe("judge", () => {
  const cases: Array<[string, Service, string]> = [
    [
      "rolling",
      svc([
        {
          id: "ecs-svc/2",
          status: "PRIMARY",
          taskDefinition: NEW,
          desiredCount: 2,
          runningCount: 1,
          rolloutState: "IN_PROGRESS",
        },
        { id: "ecs-svc/1", status: "ACTIVE", taskDefinition: OLD, runningCount: 2 },
      ]),
      "in-progress",
    ],
    [
      "stable",
      svc([
        {
          id: "ecs-svc/2",
          status: "PRIMARY",
          taskDefinition: NEW,
          desiredCount: 2,
          runningCount: 2,
          rolloutState: "COMPLETED",
        },
      ]),
      "stable",
    ],
    [
      "all running but not completed yet",
      svc([
        {
          id: "ecs-svc/2",
          status: "PRIMARY",
          taskDefinition: NEW,
          desiredCount: 2,
          runningCount: 2,
          rolloutState: "IN_PROGRESS",
        },
      ]),
      "in-progress",
    ],
    [
      "no circuit breaker: rolloutState absent",
      svc([{ id: "ecs-svc/2", status: "PRIMARY", taskDefinition: NEW, desiredCount: 2, runningCount: 2 }]),
      "stable",
    ],
    [
      "rolled back, id gone",
      svc([
        {
          id: "ecs-svc/3",
          status: "PRIMARY",
          taskDefinition: OLD,
          runningCount: 2,
          rolloutState: "COMPLETED",
        },
      ]),
      "failed",
    ],
    [
      "FAILED and rolling back",
      svc([
        { id: "ecs-svc/3", status: "PRIMARY", taskDefinition: OLD, runningCount: 2 },
        {
          id: "ecs-svc/2",
          status: "ACTIVE",
          taskDefinition: NEW,
          rolloutState: "FAILED",
          rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
        },
      ]),
      "failed",
    ],
    ["draining service", svc([], { status: "DRAINING" }), "gone"],
  ];
  for (const [name, service, kind] of cases) it(name, () => assert.equal(judge(service, target).kind, kind));
  it("carries the circuit breaker's reason", () => {
    const v = judge(cases[5]![1], target);
    assert.ok(v.kind === "failed" && v.rolledBack && /circuit breaker: tasks failed to start/.test(v.reason));
  });
  it("without a new deployment waits for steady state only", () => {
    const s = svc([{ id: "ecs-svc/1", status: "PRIMARY", taskDefinition: NEW, runningCount: 2 }]);
    assert.equal(judge(s, { taskDefinitionArn: NEW }).kind, "stable");
  });
});

describe("newEvents and pacing", () => {
  it("returns unseen events oldest first", () => {
    const seen = new Set(["a"]);
    const ev = [
      { id: "c", message: "3" },
      { id: "b", message: "2" },
      { id: "a", message: "1" },
    ];
    assert.deepEqual(
      newEvents(ev, seen).map((e) => e.id),
      ["b", "c"],
    );
    assert.deepEqual(newEvents(ev, seen), []);
  });
  it("polls every second once the new tasks run, backs off while nothing moves", () => {
    const starting = svc([
      { id: "ecs-svc/2", status: "PRIMARY", taskDefinition: NEW, desiredCount: 2, runningCount: 0 },
    ]);
    const running = svc([
      { id: "ecs-svc/2", status: "PRIMARY", taskDefinition: NEW, desiredCount: 2, runningCount: 2 },
    ]);
    assert.equal(nextDelay(running, target, { delayMs: 4000, changed: false }), 1000);
    assert.equal(nextDelay(starting, target, { delayMs: 2000, changed: false }), 3000);
    assert.equal(nextDelay(starting, target, { delayMs: 4000, changed: false }), 5000);
    assert.equal(nextDelay(starting, target, { delayMs: 4000, changed: true }), 1000);
  });
  it("formats a markdown table with escaped pipes", () => {
    assert.equal(formatMarkdownTable(["a", "b"], [["x|y", "z"]]), "| a | b |\n| --- | --- |\n| x\\|y | z |");
  });
});

describe("diffLines", () => {
  it("marks changed lines", () => {
    const d = diffLines(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 3, a: 1 }));
    assert.ok(d.includes('-  "b": 2') && d.includes('+  "b": 3'));
    assert.deepEqual(
      diffLines("x", "x").filter((l) => l[0] !== " "),
      [],
    );
  });
});
