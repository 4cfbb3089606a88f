// `npm run bench`: runs every side-by-side benchmark and prints one table.
// `npm run bench -- front-door iam-engine` runs only the named suites.
import { existsSync } from "node:fs";
import { type Row, renderTable } from "./table.ts";

type Suite = { name: string; file: string; fn: string };

// Each suite lives in its own file and exports an async function returning rows.
const suites: Suite[] = [
  { name: "front-door", file: "./front-door.ts", fn: "runFrontDoorBench" },
  { name: "authz-cost", file: "./authz-cost.ts", fn: "runAuthzCostBench" },
  { name: "iam-engine", file: "./iam-engine.ts", fn: "runIamEngineBench" },
  { name: "sts", file: "./sts.ts", fn: "runStsBench" },
  { name: "registry", file: "./registry.ts", fn: "runRegistryBench" },
  { name: "ecs", file: "./ecs.ts", fn: "runEcsBench" },
  { name: "deploy", file: "./deploy.ts", fn: "runDeployBench" },
];

const wanted = process.argv.slice(2);
const rows: Row[] = [];
let failed = 0;
for (const s of suites) {
  if (wanted.length > 0 && !wanted.includes(s.name)) continue;
  if (!existsSync(new URL(s.file, import.meta.url))) {
    process.stderr.write(`bench ${s.name}: not present, skipped\n`);
    continue;
  }
  process.stderr.write(`bench ${s.name} ...\n`);
  try {
    const mod = (await import(s.file)) as Record<string, () => Promise<Row[]>>;
    rows.push(...(await mod[s.fn]!()));
  } catch (err) {
    failed++;
    process.stderr.write(`bench ${s.name} failed: ${(err as Error).stack ?? err}\n`);
  }
}
process.stdout.write(`${renderTable(rows)}\n`);
process.exitCode = failed > 0 ? 1 : 0;
