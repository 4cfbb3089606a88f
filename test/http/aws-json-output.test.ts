// awsJson1_1 output (src/http/aws-json.ts) as ECS answers use it: Dates anywhere become epoch seconds,
// the rest is JSON.stringify's, and the input object is left as it was.
import assert from "node:assert/strict";
import { it } from "node:test";
import { jsonResponse, reuseJson } from "../../src/http/aws-json.ts";

/** The reference: JSON.stringify with a replacer that turns every Date into epoch seconds. */
const reference = (value: Record<string, unknown>) =>
  JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });

it("writes Dates as epoch seconds at any depth, in arrays and objects, and leaves the input untouched", () => {
  const when = new Date(1_764_000_000_123);
  const shared = { a: 1 };
  const input = {
    services: [
      {
        createdAt: when,
        events: [{ id: "e1", createdAt: new Date(5) }, { id: "e2" }],
        deployments: [],
        nested: { deeper: { at: when, list: [when, 1, "x", null, undefined, true] } },
        skipped: undefined,
        shared,
        again: shared,
      },
    ],
    failures: [],
    "1": "integer keys first",
    negativeZero: -0,
    text: 'quotes " and \u0000 and \u2028',
  };
  const before = structuredClone(input);
  const out = jsonResponse(input);
  assert.equal(out, reference(input));
  assert.match(out, /"createdAt":1764000000.123/);
  assert.deepEqual(input, before);
  assert.ok(input.services[0]!.createdAt instanceof Date);
  const invalid = { at: new Date(Number.NaN) };
  assert.equal(jsonResponse(invalid), '{"at":null}');
  assert.equal(jsonResponse(invalid), reference(invalid));
});

it("answers {} for no result and keeps objects with toJSON or a class on JSON.stringify's terms", () => {
  assert.equal(jsonResponse(undefined), "{}");
  class Box {
    at = new Date(2000);
    n = 1;
  }
  const withToJson = { toJSON: () => ({ at: new Date(3000) }) };
  const input = { box: new Box(), custom: withToJson, when: new Date(1000), bytes: Buffer.from("hi") };
  assert.equal(jsonResponse(input), reference(input));
});

it("writes values marked for reuse exactly as without the mark, first and later times, and freezes them", () => {
  const service = () => ({
    serviceName: "web",
    createdAt: new Date(1_764_000_000_500),
    deployments: [{ id: "d1", createdAt: new Date(7), networkConfiguration: undefined }],
    events: [],
    inner: { again: new Date(9) },
  });
  const marked = reuseJson(service());
  const nested = reuseJson({ list: [reuseJson({ at: new Date(11) }), 1] });
  /** [hole, second, undefined, a function]: JSON writes null for all but the second */
  const withHole = (second: unknown) => {
    const list: unknown[] = new Array(4);
    list[1] = second;
    list[2] = undefined;
    list[3] = () => 1;
    return list;
  };
  const holes = withHole(marked);
  const response = () => ({
    services: [marked, service(), marked],
    around: { when: new Date(3), skipped: undefined, marked, holes },
    nested,
    failures: [],
  });
  const expected = reference({
    services: [service(), service(), service()],
    around: {
      when: new Date(3),
      skipped: undefined,
      marked: service(),
      holes: withHole(service()),
    },
    nested: { list: [{ at: new Date(11) }, 1] },
    failures: [],
  });
  assert.equal(jsonResponse(response()), expected, "first answer");
  assert.equal(jsonResponse(response()), expected, "from the kept text");
  assert.equal(jsonResponse(marked), reference(service()), "a marked value as the whole answer");
  assert.ok(
    Object.isFrozen(marked) && Object.isFrozen(marked.deployments[0]) && Object.isFrozen(marked.inner),
  );
  assert.throws(() => {
    (marked as { serviceName: string }).serviceName = "changed";
  }, TypeError);
});

it("a marked value that is not plain data takes the general path", () => {
  class Box {
    at = new Date(2000);
  }
  const marked = reuseJson({ box: new Box(), when: new Date(1000) });
  const input = { marked, other: new Date(5) };
  assert.equal(jsonResponse(input), reference(input));
});
