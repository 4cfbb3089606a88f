// Regenerates src/http/shapes/<service>.json: the input shapes of an awsJson service, reduced to
// what type checking needs, from botocore's service model (Apache-2.0, AWS's own definitions).
// Usage: node scripts/extract-shapes.mjs <botocore data dir> ecs 2014-11-13 ecr 2015-09-21
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

const [dataDir, ...pairs] = process.argv.slice(2);
for (let i = 0; i < pairs.length; i += 2) {
  const [service, version] = [pairs[i], pairs[i + 1]];
  const path = join(dataDir, service, version, "service-2.json");
  // Newer botocore releases ship their models gzipped.
  const text = existsSync(path)
    ? readFileSync(path, "utf8")
    : gunzipSync(readFileSync(`${path}.gz`)).toString("utf8");
  const model = JSON.parse(text);
  const shapes = {};
  const visit = (name) => {
    if (shapes[name]) return;
    const s = model.shapes[name];
    const out = { type: s.type };
    shapes[name] = out;
    if (s.type === "structure") {
      out.members = Object.fromEntries(Object.entries(s.members).map(([m, d]) => [m, d.shape]));
      for (const d of Object.values(s.members)) visit(d.shape);
    } else if (s.type === "list") {
      out.member = s.member.shape;
      visit(s.member.shape);
    } else if (s.type === "map") {
      out.key = s.key.shape;
      out.value = s.value.shape;
      visit(s.key.shape);
      visit(s.value.shape);
    }
  };
  const operations = {};
  for (const [op, def] of Object.entries(model.operations)) {
    if (!def.input) continue;
    operations[op] = def.input.shape;
    visit(def.input.shape);
  }
  const file = {
    source: `botocore data/${service}/${version}/service-2.json (Apache-2.0), input shapes only`,
    targetPrefix: model.metadata.targetPrefix,
    operations,
    shapes,
  };
  writeFileSync(join("src/http/shapes", `${service}.json`), `${JSON.stringify(file)}\n`);
}
