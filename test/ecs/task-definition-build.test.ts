// buildTaskDefinition's container copies: the same members in the same order as the spread form
// `{ ...c, cpu, portMappings, essential, ... }` they replace, whatever the input's order and keys.
import assert from "node:assert/strict";
import { it } from "node:test";
import { buildTaskDefinition, copyOf } from "../../src/ecs/task-definition.ts";

// biome-ignore lint/suspicious/noExplicitAny: AWS-shaped JSON
type Json = Record<string, any>;

const tricky = () =>
  JSON.parse('{"z":1,"10":"ten","a":{"b":[1,2]},"2":"two","__proto__":{"polluted":true},"cpu":null}') as Json;

it("copyOf keeps own members, their order and an own __proto__ member, as a spread does", () => {
  const source = tricky();
  const copy = copyOf(source);
  const spread = { ...source };
  assert.deepEqual(Object.keys(copy), Object.keys(spread));
  assert.equal(JSON.stringify(copy), JSON.stringify(spread));
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal((copy as { polluted?: boolean }).polluted, undefined);
  copy.cpu = 0;
  copy.extra = 1;
  spread.cpu = 0;
  spread.extra = 1;
  assert.equal(JSON.stringify(copy), JSON.stringify(spread));
  assert.equal(copy.a, source.a, "a shallow copy");
});

/** The container step as it was written with spreads: the reference for member order. */
function reference(c: Json, networkMode: string): Json {
  const out: Json = {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings: ((c.portMappings ?? []) as Json[]).map((p) => {
      const m: Json = { ...p, protocol: p.protocol ?? "tcp" };
      if ((networkMode === "awsvpc" || networkMode === "host") && p.containerPort != null) {
        m.hostPort = p.containerPort;
      }
      return m;
    }),
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
    systemControls: c.systemControls ?? [],
  };
  if (out.healthCheck) out.healthCheck = { interval: 30, timeout: 5, retries: 3, ...out.healthCheck };
  return out;
}

it("writes container definitions exactly as the spread form did", () => {
  const containers: Json[] = [
    { name: "app", image: "web:v1", memory: 128 },
    JSON.parse(
      '{"portMappings":[{"hostPort":80,"containerPort":8080},{"protocol":"udp","containerPort":53}],"essential":false,"image":"x","name":"b","memoryReservation":64,"cpu":128,"healthCheck":{"command":["CMD","true"],"retries":5},"environment":[{"name":"A","value":"1"}],"__proto__":{"x":1},"7":"seven"}',
    ),
  ];
  for (const networkMode of ["bridge", "awsvpc", "host"]) {
    const input = { family: "f", networkMode, cpu: "256", memory: "512", containerDefinitions: containers };
    const built = buildTaskDefinition(structuredClone(input), {
      arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/f:1",
      revision: 1,
      registeredAt: 1,
      registeredBy: "arn:aws:iam::123456789012:user/admin",
    });
    assert.equal(
      JSON.stringify(built.containerDefinitions),
      JSON.stringify(containers.map((c) => reference(structuredClone(c), networkMode))),
      networkMode,
    );
  }
});
