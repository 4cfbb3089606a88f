// The awsJson type check (src/http/json-shapes.ts) on ECS's model: whatever order a request's members
// come in, the error names the member AWS names (the first misfit in model order), and inputs that fit
// pass. A reference walk in model order is compared on generated inputs.
import assert from "node:assert/strict";
import { it } from "node:test";
import { checkJsonInput, type ShapeModel } from "../../src/http/json-shapes.ts";
import ecsShapes from "../../src/http/shapes/ecs.json" with { type: "json" };

const model = ecsShapes as ShapeModel;

/** The message of the first misfit in model order, or null (the definition the checker must keep). */
function reference(name: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const shape = model.shapes[name];
  if (!shape) return null;
  const isObject = typeof value === "object" && !Array.isArray(value);
  const wrong = (expected: string) => ({ expected, value });
  let bad: { expected: string; value: unknown } | undefined;
  switch (shape.type) {
    case "structure":
      if (!isObject) bad = wrong("Structure");
      else
        for (const [member, memberShape] of Object.entries(shape.members ?? {})) {
          if (!Object.hasOwn(value, member)) continue;
          const m = reference(memberShape, (value as Record<string, unknown>)[member]);
          if (m) return m;
        }
      break;
    case "list":
      if (!Array.isArray(value)) bad = wrong("List");
      else
        for (const item of value) {
          const m = reference(shape.member!, item);
          if (m) return m;
        }
      break;
    case "map":
      if (!isObject) bad = wrong("Map");
      else
        for (const item of Object.values(value as object)) {
          const m = reference(shape.value!, item);
          if (m) return m;
        }
      break;
    case "string":
      if (typeof value !== "string") bad = wrong("String");
      break;
    case "boolean":
      if (typeof value !== "boolean") bad = wrong("Boolean");
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) bad = wrong("Integer");
      break;
  }
  if (!bad) return null;
  if (Array.isArray(bad.value)) return "Start of list found where not expected";
  if (typeof bad.value === "object") return "Start of structure or map found where not expected.";
  const token =
    typeof bad.value === "number"
      ? "NUMBER_VALUE"
      : typeof bad.value === "boolean"
        ? bad.value
          ? "TRUE_VALUE"
          : "FALSE_VALUE"
        : "STRING_VALUE";
  return `${token} can not be converted to ${/^[AEIOU]/.test(bad.expected) ? "an" : "a"} ${bad.expected}`;
}

const actual = (operation: string, input: Record<string, unknown>): string | null => {
  try {
    checkJsonInput(model, operation, input);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};

/** A small deterministic generator (no Math.random: failures must replay). */
function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

const valid = {
  family: "web",
  taskRoleArn: "arn:aws:iam::123456789012:role/app",
  networkMode: "awsvpc",
  cpu: "256",
  memory: "512",
  requiresCompatibilities: ["FARGATE"],
  tags: [{ key: "team", value: "a" }],
  containerDefinitions: [
    {
      name: "app",
      image: "web:v1",
      memory: 128,
      essential: true,
      portMappings: [{ containerPort: 8080, protocol: "tcp" }],
      environment: [{ name: "A", value: "1" }],
      dockerLabels: { a: "b" },
      healthCheck: { command: ["CMD-SHELL", "true"], interval: 5 },
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "g" } },
    },
  ],
};

const wrongValues: unknown[] = ["text", 42, 1.5, true, false, [], [1], {}, { a: 1 }];

/** Paths to every member of `value` (objects and arrays), for planting wrong values. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [prefix];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [
    prefix,
    ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...prefix, k])),
  ];
}

function shuffled(value: unknown, next: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffled(v, next));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).sort(() => next() - 0.5);
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffled(v, next)]));
}

it("agrees with the model-order walk on inputs with one or several wrong members, in any member order", () => {
  const next = rng(7);
  const targets = paths(valid).filter((p) => p.length > 0);
  assert.equal(actual("RegisterTaskDefinition", valid), null);
  let misfits = 0;
  for (let round = 0; round < 3000; round++) {
    const input = structuredClone(valid) as Record<string, unknown>;
    const plants = 1 + Math.floor(next() * 3);
    for (let i = 0; i < plants; i++) {
      const path = targets[Math.floor(next() * targets.length)]!;
      let holder = input as Record<string | number, unknown>;
      for (const k of path.slice(0, -1)) {
        const child = holder[k];
        if (typeof child !== "object" || child === null) break;
        holder = child as Record<string | number, unknown>;
      }
      holder[path.at(-1)!] = structuredClone(wrongValues[Math.floor(next() * wrongValues.length)]);
    }
    const reordered = shuffled(input, next) as Record<string, unknown>;
    const expected = reference(model.operations.RegisterTaskDefinition!, input);
    if (expected) misfits++;
    assert.equal(actual("RegisterTaskDefinition", input), expected, JSON.stringify(input));
    assert.equal(actual("RegisterTaskDefinition", reordered), expected, JSON.stringify(reordered));
  }
  assert.ok(misfits > 1000, "the generator plants misfits");
});
