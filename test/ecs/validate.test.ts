// Table tests for RegisterTaskDefinition validation, the Fargate table and cpu/memory normalisation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dependencyOrder } from "../../src/ecs/container-order.ts";
import { buildTaskDefinition } from "../../src/ecs/task-definition.ts";
import {
  fargateAllows,
  normaliseCpu,
  normaliseMemory,
  validateTaskDefinition,
} from "../../src/ecs/validate.ts";

const app = { name: "app", image: "busybox", memory: 128 };
const fargate = { requiresCompatibilities: ["FARGATE"], networkMode: "awsvpc", cpu: "256", memory: "512" };

describe("validateTaskDefinition", () => {
  const cases: [string, Record<string, unknown>, string | undefined][] = [
    ["ok", { family: "web", containerDefinitions: [app] }, undefined],
    ["blank family", { family: "", containerDefinitions: [app] }, "Family can not be blank."],
    ["bad family", { family: "bad@x", containerDefinitions: [app] }, "Family contains invalid characters."],
    ["no containers", { family: "web", containerDefinitions: [] }, "Container list cannot be empty."],
    [
      "no name",
      { family: "web", containerDefinitions: [{ image: "x", memory: 1 }] },
      "Container.name should not be null or empty.",
    ],
    [
      "bad name",
      { family: "web", containerDefinitions: [{ ...app, name: "a b" }] },
      "Container.name contains invalid characters.",
    ],
    [
      "no memory",
      { family: "web", containerDefinitions: [{ name: "app", image: "x" }] },
      "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
    ],
    [
      "no essential",
      { family: "web", containerDefinitions: [{ ...app, essential: false }] },
      "Task definition doesn't have any essential container.",
    ],
    [
      "fargate bridge",
      { family: "web", containerDefinitions: [app], ...fargate, networkMode: "bridge" },
      "Fargate only supports network mode \u2018awsvpc\u2019.",
    ],
    [
      "fargate no cpu",
      { family: "web", containerDefinitions: [app], ...fargate, cpu: undefined },
      "Fargate requires that 'cpu' be defined at the task level.",
    ],
    [
      "fargate bad pair",
      { family: "web", containerDefinitions: [app], ...fargate, cpu: "1024", memory: "1024" },
      "No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values.",
    ],
    [
      "fargate awslogs without execution role",
      {
        family: "web",
        containerDefinitions: [{ ...app, logConfiguration: { logDriver: "awslogs", options: {} } }],
        ...fargate,
      },
      "Fargate requires task definition to have execution role ARN to support log driver awslogs.",
    ],
    [
      "awsvpc hostname",
      { family: "web", containerDefinitions: [{ ...app, hostname: "h" }], ...fargate },
      "hostname is not supported on container when networkMode=awsvpc.",
    ],
    [
      "bad role",
      { family: "web", containerDefinitions: [app], taskRoleArn: "arn:aws:iam::123:user/x" },
      "Role is not valid",
    ],
    [
      "bad cpu",
      { family: "web", containerDefinitions: [app], cpu: "lots" },
      "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
    ],
    [
      "dependsOn SUCCESS on essential",
      {
        family: "web",
        containerDefinitions: [
          { ...app, dependsOn: [{ containerName: "init", condition: "SUCCESS" }] },
          { name: "init", image: "x", memory: 1 },
        ],
      },
      "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container",
    ],
    [
      "dependsOn a container the definition does not have",
      {
        family: "web",
        containerDefinitions: [{ ...app, dependsOn: [{ containerName: "sidecar", condition: "START" }] }],
      },
      "Cannot depend on container + 'sidecar' because it does not exist",
    ],
    [
      "dependsOn in a cycle",
      {
        family: "web",
        containerDefinitions: [
          { ...app, dependsOn: [{ containerName: "b", condition: "START" }] },
          { name: "b", image: "x", memory: 1, dependsOn: [{ containerName: "c", condition: "START" }] },
          { name: "c", image: "x", memory: 1, dependsOn: [{ containerName: "b", condition: "HEALTHY" }] },
        ],
      },
      "Container dependencies should not have a cycle",
    ],
    [
      "dependsOn a chain, not a cycle",
      {
        family: "web",
        containerDefinitions: [
          {
            ...app,
            dependsOn: [
              { containerName: "b", condition: "START" },
              { containerName: "c", condition: "START" },
            ],
          },
          { name: "b", image: "x", memory: 1, dependsOn: [{ containerName: "c", condition: "START" }] },
          { name: "c", image: "x", memory: 1 },
        ],
      },
      undefined,
    ],
    [
      "links in a cycle",
      {
        family: "web",
        containerDefinitions: [
          { ...app, links: ["b:backend"] },
          { name: "b", image: "x", memory: 1, links: ["app"] },
        ],
      },
      "Container links should not have a cycle",
    ],
    [
      "fargate ok with units",
      { family: "web", containerDefinitions: [app], ...fargate, cpu: "1 vCPU", memory: "2 GB" },
      undefined,
    ],
  ];
  for (const [title, input, message] of cases) {
    it(title, () => {
      const first = validateTaskDefinition(input)[0];
      assert.equal(first?.message, message);
      if (message) assert.equal(first?.code, "ClientException");
    });
  }
});

describe("normalisation and the Fargate table", () => {
  it("normalises cpu and memory", () => {
    assert.equal(normaliseCpu("1 vCPU"), "1024");
    assert.equal(normaliseCpu("0.25 vcpu"), "256");
    assert.equal(normaliseCpu("512"), "512");
    assert.equal(normaliseCpu("1.5"), undefined);
    assert.equal(normaliseMemory("1GB"), "1024");
    assert.equal(normaliseMemory("0.5 GB"), "512");
    assert.equal(normaliseMemory("2048"), "2048");
    assert.equal(normaliseMemory("two"), undefined);
  });
  it("knows the Fargate pairs", () => {
    assert.ok(fargateAllows(256, 512));
    assert.ok(!fargateAllows(256, 4096));
    assert.ok(fargateAllows(1024, 8192));
    assert.ok(fargateAllows(8192, 61440));
    assert.ok(!fargateAllows(8192, 18432));
  });
  it("adds what ECS adds", () => {
    const td = buildTaskDefinition(
      {
        family: "web",
        containerDefinitions: [
          { ...app, portMappings: [{ containerPort: 8080 }], healthCheck: { command: ["CMD", "true"] } },
        ],
        ...fargate,
        cpu: "0.25 vCPU",
        memory: "0.5GB",
        taskRoleArn: "arn:aws:iam::123456789012:role/r",
      },
      { arn: "arn:x", revision: 1, registeredAt: 0, registeredBy: "arn:aws:iam::123456789012:user/u" },
    );
    assert.equal(td.cpu, "256");
    assert.equal(td.memory, "512");
    assert.deepEqual(td.compatibilities, ["EC2", "FARGATE"]);
    const c = td.containerDefinitions[0];
    assert.deepEqual(c.portMappings, [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }]);
    assert.equal(c.essential, true);
    assert.deepEqual(c.environment, []);
    assert.deepEqual(c.healthCheck, { interval: 30, timeout: 5, retries: 3, command: ["CMD", "true"] });
    const attrs = td.requiresAttributes.map((a: { name: string }) => a.name);
    assert.ok(attrs.includes("ecs.capability.task-eni"));
    assert.ok(attrs.includes("com.amazonaws.ecs.capability.task-iam-role"));
    assert.ok(attrs.includes("ecs.capability.container-health-check"));
  });
});

describe("long container chains (a definition is client input)", () => {
  // each container depends on (and links to) the next: 20,000 deep, far past the call stack's depth
  const chain = (n: number, closeTheLoop = false) =>
    Array.from({ length: n }, (_, i) => {
      const next = i + 1 < n ? `c${i + 1}` : closeTheLoop ? "c0" : undefined;
      return {
        name: `c${i}`,
        image: "x",
        memory: 1,
        essential: i === 0,
        ...(next ? { links: [next], dependsOn: [{ containerName: next, condition: "START" }] } : {}),
      };
    });

  it("validates without exhausting the stack, and finds a cycle that closes only at the end", () => {
    const messages = (n: number, loop: boolean) =>
      validateTaskDefinition({ family: "long", containerDefinitions: chain(n, loop) }).map((p) => p.message);
    assert.deepEqual(messages(20_000, false), []);
    assert.deepEqual(messages(20_000, true), [
      "Container links should not have a cycle",
      "Container dependencies should not have a cycle",
    ]);
  });

  it("orders dependencies before dependents, definition order where they allow", () => {
    const order = dependencyOrder(chain(20_000)).map((c) => c.name);
    assert.equal(order.length, 20_000);
    assert.equal(order[0], "c19999");
    assert.equal(order[19_999], "c0");
    const small = [
      { name: "app", dependsOn: [{ containerName: "init", condition: "SUCCESS" }] },
      { name: "sidecar" },
      { name: "init" },
    ];
    assert.deepEqual(
      dependencyOrder(small).map((c) => c.name),
      ["init", "app", "sidecar"],
    );
  });
});
