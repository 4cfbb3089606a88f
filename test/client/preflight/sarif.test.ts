// keyship preflight --format sarif, run as a user runs it: the seed scenario gives a valid, empty SARIF
// 2.1.0 log; broken variants (another repository's token, a missing push action and PassRole, no
// id-token: write, the article's Terraform) give one result per denied call or step problem at the line
// of the step, the role's Terraform line alongside, and fingerprints that do not change between runs or
// checkouts. The SARIF schema is not vendored: the structure code scanning requires is checked by hand.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";

const root = join(import.meta.dirname, "../../..");
const seed = join(root, "examples/seed-scenario");
const WORKFLOW = "app/.github/workflows/deploy.yml";

/** The real CLI in a child process, from a directory that is not the repository. */
function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts"), "preflight", ...args],
      { cwd: tmpdir() },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

interface Location {
  physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Location[];
  relatedLocations?: Location[];
  partialFingerprints: Record<string, string>;
}

/** SARIF 2.1.0 as GitHub code scanning reads it; URIs must name files of the repository at `repo`. */
function assertValidSarif(log: Record<string, unknown>, repo: string): Result[] {
  assert.equal(log.version, "2.1.0");
  assert.equal(log.$schema, "https://json.schemastore.org/sarif-2.1.0.json");
  const runs = log.runs as Record<string, unknown>[];
  assert.equal(runs.length, 1);
  const driver = (runs[0]!.tool as { driver: Record<string, unknown> }).driver;
  assert.equal(driver.name, "keyship preflight");
  assert.match(String(driver.version), /^\d+\.\d+\.\d+/);
  const rules = driver.rules as Record<string, unknown>[];
  assert.ok(rules.length > 0);
  const ids = rules.map((r) => r.id as string);
  assert.equal(new Set(ids).size, ids.length, "rule ids are unique");
  for (const r of rules) {
    assert.match(String(r.id), /^KS-/);
    assert.ok((r.shortDescription as { text: string }).text);
    assert.ok((r.help as { text: string }).text);
    if (r.helpUri !== undefined) assert.match(String(r.helpUri), /^https:\/\/docs\.aws\.amazon\.com\//);
    const tags = (r.properties as { tags: unknown[] }).tags;
    assert.ok(tags.length > 0 && tags.every((t) => typeof t === "string"));
  }
  const checkLocation = (l: Location) => {
    const { uri } = l.physicalLocation.artifactLocation;
    assert.ok(!/^[a-z]+:/i.test(uri) && !isAbsolute(uri) && !uri.includes(".."), `relative: ${uri}`);
    assert.ok(!uri.includes("\\"), uri);
    assert.ok(existsSync(join(repo, decodeURI(uri))), `${uri} exists in the repository`);
    const line = l.physicalLocation.region.startLine;
    assert.ok(Number.isInteger(line) && line >= 1, `startLine ${line}`);
  };
  const results = runs[0]!.results as Result[];
  for (const r of results) {
    assert.ok(ids.includes(r.ruleId), `${r.ruleId} is a rule`);
    assert.equal(ids[r.ruleIndex], r.ruleId);
    assert.ok(["none", "note", "warning", "error"].includes(r.level), r.level);
    assert.ok(r.message.text.length > 0);
    assert.ok(r.locations.length > 0);
    r.locations.forEach(checkLocation);
    r.relatedLocations?.forEach(checkLocation);
    assert.match(r.partialFingerprints["keyship/v1"]!, /^[0-9a-f]{32}$/);
  }
  const prints = results.map((r) => r.partialFingerprints["keyship/v1"]);
  assert.equal(new Set(prints).size, prints.length, "no two results share a fingerprint");
  return results;
}

/** The 1-based line of the first line of `file` that contains `text`. */
async function lineOf(file: string, text: string): Promise<number> {
  const i = (await readFile(file, "utf8")).split("\n").findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${text} in ${file}`);
  return i + 1;
}

const where = (l: Location) =>
  `${l.physicalLocation.artifactLocation.uri}:${l.physicalLocation.region.startLine}`;

test("the seed scenario: a valid SARIF log without results, exit 0", async () => {
  for (const wf of ["deploy.yml", "deploy-with-render.yml"]) {
    const r = await cli([
      join(seed, "app/.github/workflows", wf),
      "--terraform",
      join(seed, "terraform"),
      "--format",
      "sarif",
    ]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(assertValidSarif(JSON.parse(r.out), root), [], wf);
  }
});

test("another repository's token: the trust policy's refusal at the credentials step, the role's Terraform line alongside", async () => {
  const args = [join(seed, WORKFLOW), "--terraform", join(seed, "terraform"), "--format", "sarif"];
  const r = await cli([...args, "--repo", "someone-else/sample-app"]);
  assert.equal(r.code, 1, r.err);
  const results = assertValidSarif(JSON.parse(r.out), root);
  assert.deepEqual(
    results.map((x) => x.ruleId),
    ["KS-PRE-001"],
  );
  const [assume] = results;
  assert.equal(assume!.level, "error");
  const step = await lineOf(join(seed, WORKFLOW), "name: Configure AWS Credentials");
  assert.equal(where(assume!.locations[0]!), `examples/seed-scenario/${WORKFLOW}:${step}`);
  const role = await lineOf(join(seed, "terraform/common/main.tf"), 'resource "aws_iam_role"');
  assert.deepEqual(assume!.relatedLocations?.map(where), [
    `examples/seed-scenario/terraform/common/main.tf:${role}`,
  ]);
  assert.match(assume!.message.text, /StringLike requires 'repo:example-org\/sample-app:\*'/);
  // The same run again: the same alert.
  const again = assertValidSarif(
    JSON.parse((await cli([...args, "--repo", "someone-else/sample-app"])).out),
    root,
  );
  assert.deepEqual(again, results);
});

const checkouts: string[] = [];
after(() => Promise.all(checkouts.map((d) => rm(d, { recursive: true, force: true }))));

/** A checkout of the seed scenario (its own git repository), with `edits` (file → change) made. */
async function checkout(edits: Record<string, (text: string) => string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "keyship-sarif-"));
  checkouts.push(dir);
  await cp(seed, dir, { recursive: true });
  await promisify(execFile)("git", ["init", "-q", dir]);
  for (const [file, edit] of Object.entries(edits)) {
    await writeFile(join(dir, file), edit(await readFile(join(dir, file), "utf8")));
  }
  return dir;
}

/** A push action and the execution role's PassRole taken out. */
const brokenCheckout = () =>
  checkout({
    "terraform/app/main.tf": (t) => t.replace('"ecr:InitiateLayerUpload",', ""),
    "terraform/common/main.tf": (t) => t.replace("ecsTaskExecutionRole", "someOtherRole"),
  });

test("a missing push action and PassRole: one result per denied call at its step, the same fingerprints in another checkout", async () => {
  const runs: Result[][] = [];
  let dir = "";
  for (let i = 0; i < 2; i++) {
    dir = await brokenCheckout();
    const r = await cli([join(dir, WORKFLOW), "--terraform", join(dir, "terraform"), "--format", "sarif"]);
    assert.equal(r.code, 1, r.err);
    runs.push(assertValidSarif(JSON.parse(r.out), dir));
  }
  const [first, second] = runs as [Result[], Result[]];
  const wf = join(dir, WORKFLOW);
  const push = await lineOf(wf, "name: Build and push image");
  const deploy = await lineOf(wf, "name: Deploy Amazon ECS task definition");
  const role = await lineOf(join(dir, "terraform/common/main.tf"), 'resource "aws_iam_role"');
  assert.deepEqual(
    first.map((r) => [r.ruleId, where(r.locations[0]!), r.relatedLocations?.map(where)]),
    [
      ["KS-PRE-003", `${WORKFLOW}:${push}`, [`terraform/common/main.tf:${role}`]],
      ["KS-PRE-004", `${WORKFLOW}:${deploy}`, [`terraform/common/main.tf:${role}`]],
    ],
  );
  assert.match(
    first[0]!.message.text,
    /ecr:InitiateLayerUpload on arn:aws:ecr:ap-northeast-1:123456789012:repository\/sample-app/,
  );
  assert.match(
    first[1]!.message.text,
    /iam:PassRole on arn:aws:iam::123456789012:role\/ecsTaskExecutionRole/,
  );
  assert.deepEqual(
    second.map((r) => r.partialFingerprints),
    first.map((r) => r.partialFingerprints),
  );
});

test("the article's Terraform: its denials, and the loading finding under audit's rule at its Terraform line", async () => {
  const article = join(root, "test/fixtures/audit/article");
  const r = await cli([
    join(article, "app/.github/workflows/deploy.yml"),
    "--terraform",
    join(article, "terraform"),
    "--format",
    "sarif",
  ]);
  assert.equal(r.code, 1, r.err);
  const results = assertValidSarif(JSON.parse(r.out), root);
  assert.deepEqual(
    results.map((x) => x.ruleId),
    [...Array(5).fill("KS-PRE-003"), "KS-PRE-004", "KS-PRE-005", "KS-PRE-005", "KS-TF-001"],
  );
  const tf = results.at(-1)!;
  assert.equal(tf.level, "error");
  assert.match(where(tf.locations[0]!), /^test\/fixtures\/audit\/article\/terraform\/.*\.tf:\d+$/);
});

test("a job without id-token: write: a step problem at the credentials step", async () => {
  const dir = await checkout({ [WORKFLOW]: (t) => t.replace(/permissions:\n( {2}.*\n)+/, "") });
  const r = await cli([join(dir, WORKFLOW), "--terraform", join(dir, "terraform"), "--format", "sarif"]);
  assert.equal(r.code, 1, r.err);
  const results = assertValidSarif(JSON.parse(r.out), dir);
  const step = await lineOf(join(dir, WORKFLOW), "name: Configure AWS Credentials");
  assert.deepEqual(
    results.map((x) => [x.ruleId, where(x.locations[0]!)]),
    [["KS-PRE-007", `${WORKFLOW}:${step}`]],
  );
  assert.match(results[0]!.message.text, /id-token: write/);
});
