// The project's own audit corpus (test/fixtures/audit/*.json): each role bundle's expected findings
// and who-can-assume decisions, checked through the library and through the CLI in all three formats.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { run } from "../../../src/cli/audit.ts";
import { auditInventory } from "../../../src/client/audit/audit.ts";
import { loadJsonTarget } from "../../../src/client/audit/json-target.ts";

const dir = join(import.meta.dirname, "../../fixtures/audit");
const files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();

interface Expected {
  findings: { role: string; rule: string; severity: string }[];
  allowed?: string[];
}

const key = (f: { role: string; rule: string; severity: string }) => `${f.role} ${f.rule} ${f.severity}`;

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const out = join(await mkdtemp(join(tmpdir(), "keyship-audit-")), "out");
  const code = await run([...args, "--output", out]);
  return { code, out: await readFile(out, "utf8").catch(() => "") };
}

test("the corpus is there", () => assert.ok(files.length >= 12, files.join(", ")));

for (const file of files) {
  const path = join(dir, file);
  test(`corpus ${file}: findings and matrix from the engine`, async () => {
    const expected = (JSON.parse(await readFile(path, "utf8")) as { expect: Expected }).expect;
    const report = auditInventory(await loadJsonTarget(path));
    assert.deepEqual(report.findings.map(key).sort(), expected.findings.map(key).sort());
    for (const f of report.findings) {
      assert.ok(f.message.length > 0 && f.evidence.length > 0, `${f.rule} has a message and evidence`);
    }
    if (expected.allowed) {
      const allowed = report.matrix.filter((r) => r.classic === "allowed").map((r) => r.context);
      assert.deepEqual(allowed.sort(), [...expected.allowed].sort());
    }
  });

  test(`corpus ${file}: json, sarif and table output`, async () => {
    const expected = (JSON.parse(await readFile(path, "utf8")) as { expect: Expected }).expect;
    const json = await cli([path, "--format", "json", "--fail-on", "critical"]);
    const parsed = JSON.parse(json.out) as { findings: Record<string, unknown>[]; matrix: unknown[] };
    assert.deepEqual(parsed.findings.map((f) => key(f as never)).sort(), expected.findings.map(key).sort());
    for (const f of parsed.findings) {
      assert.deepEqual(Object.keys(f).slice(0, 6), [
        "role",
        "severity",
        "rule",
        "message",
        "evidence",
        "fix",
      ]);
    }
    assert.ok(parsed.matrix.length > 0);

    const sarif = JSON.parse((await cli([path, "--format", "sarif", "--fail-on", "critical"])).out);
    assert.equal(sarif.version, "2.1.0");
    assert.match(sarif.$schema, /sarif-2\.1\.0/);
    const runObj = sarif.runs[0];
    const ruleIds = runObj.tool.driver.rules.map((r: { id: string }) => r.id);
    assert.equal(runObj.results.length, expected.findings.length);
    for (const r of runObj.results) {
      assert.ok(ruleIds.includes(r.ruleId), `rule ${r.ruleId} is declared`);
      assert.equal(runObj.tool.driver.rules[r.ruleIndex].id, r.ruleId);
      assert.ok(["error", "warning", "note"].includes(r.level));
      assert.ok(r.message.text.length > 0);
      const loc = r.locations[0].physicalLocation;
      assert.equal(loc.artifactLocation.uri, path);
      assert.ok(loc.region.startLine >= 1);
    }
    for (const rule of runObj.tool.driver.rules) {
      assert.ok(Number(rule.properties["security-severity"]) > 0);
      assert.ok(rule.shortDescription.text);
    }

    const table = (await cli([path, "--fail-on", "critical"])).out;
    for (const f of expected.findings) assert.ok(table.includes(f.rule), `${f.rule} in the table`);
    assert.match(table, /who can assume it/);
  });
}

test("corpus good.json: both subject formats allowed only for the production environment", async () => {
  const report = auditInventory(await loadJsonTarget(join(dir, "good.json")));
  const immutable = report.matrix.filter((r) => r.immutable === "allowed").map((r) => r.context);
  assert.deepEqual(immutable, ["environment:production"]);
  const row = report.matrix.find((r) => r.context === "environment:production")!;
  assert.equal(row.immutableSub, "repo:acme@4242/app@777001:environment:production");
});

test("exit codes: --fail-on decides 0 or 1; bad usage is 2", async () => {
  assert.equal((await cli([join(dir, "good.json"), "--fail-on", "low"])).code, 0);
  assert.equal((await cli([join(dir, "no-sub.json")])).code, 1);
  assert.equal((await cli([join(dir, "wrong-aud.json"), "--fail-on", "high"])).code, 0);
  assert.equal((await cli([join(dir, "wrong-aud.json"), "--fail-on", "medium"])).code, 1);
  assert.equal((await cli([join(dir, "good.json"), "--fail-on", "severe"])).code, 2);
  assert.equal((await cli([join(dir, "good.json"), "--format", "xml"])).code, 2);
  assert.equal((await cli([])).code, 2);
  assert.equal((await cli([join(dir, "does-not-exist.json")])).code, 1);
});

test("a bare trust policy file is one role named after the file", async () => {
  const doc = JSON.parse(await readFile(join(dir, "owner-wildcard.json"), "utf8"));
  const tmp = join(await mkdtemp(join(tmpdir(), "keyship-audit-")), "ci-role.json");
  await (await import("node:fs/promises")).writeFile(tmp, JSON.stringify(doc.roles[0].trustPolicy, null, 2));
  const report = auditInventory(await loadJsonTarget(tmp));
  assert.ok(report.findings.every((f) => f.role === "ci-role"));
  // No permissions known: treated as a deploy role, so the branch finding is raised too.
  assert.deepEqual([...new Set(report.findings.map((f) => f.rule))].sort(), [
    "KS-OIDC-002",
    "KS-OIDC-004",
    "KS-OIDC-010",
    "KS-OIDC-012",
  ]);
  const f = report.findings.find((x) => x.rule === "KS-OIDC-002")!;
  assert.equal(f.location?.line, 4);
});
