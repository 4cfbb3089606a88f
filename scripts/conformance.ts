// Replays the shared IAM corpora (../shared/corpora/iam, see its README) against keyship's engine:
// `iam-eval-case/v1` decisions and `iam-validation-case/v1` write-time messages. `npm run conformance`.
// Known disagreements are documented in docs/iam-conformance.md.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type EvalRequest, evaluate, type PolicySet } from "../src/iam/evaluate.ts";
import { type PolicyKind, type ValidateOptions, validatePolicy } from "../src/iam/policy.ts";

export interface EvalCase {
  id: string;
  tags?: string[];
  request: EvalRequest & { wildcardOnlyAction?: boolean };
  policies: PolicySet;
  expected: { decision: string; blockedBy?: string[] };
}

export interface ValidationCase {
  id: string;
  api: string;
  policyDocument: string;
  expected: {
    valid: boolean;
    errorCode?: string;
    message?: string;
    messageContains?: string;
    messagePattern?: string;
  };
}

export interface FileResult {
  file: string;
  passed: number;
  failed: { id: string; detail: string }[];
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const corpusDir = resolve(root, "../shared/corpora/iam");

/**
 * Evaluation options a case needs: iam-simulate's cases treat a request resource `*` or pattern as "some
 * resource" (its extension), except for actions without resource-level permissions, where `*` is literal.
 */
export function caseOptions(c: EvalCase): { requestResourceWildcard: boolean } {
  const fromIamSimulate = c.tags?.includes("iam-simulate") ?? false;
  return { requestResourceWildcard: fromIamSimulate && c.request.wildcardOnlyAction !== true };
}

const API_KIND: Record<string, [PolicyKind, ValidateOptions]> = {
  "iam:CreatePolicy": ["identity", { attachment: "managed" }],
  "iam:CreatePolicyVersion": ["identity", { attachment: "managed" }],
  "iam:PutUserPolicy": ["identity", { attachment: "user" }],
  "iam:PutGroupPolicy": ["identity", { attachment: "group" }],
  "iam:PutRolePolicy": ["identity", { attachment: "role" }],
  "iam:CreateRole": ["trust", {}],
  "iam:UpdateAssumeRolePolicy": ["trust", {}],
};

function runEval(cases: EvalCase[]): Omit<FileResult, "file"> {
  const failed: FileResult["failed"] = [];
  let passed = 0;
  for (const c of cases) {
    let got: string;
    try {
      got = evaluate(c.request, c.policies, caseOptions(c)).decision;
    } catch (e) {
      got = `error: ${(e as Error).message}`;
    }
    if (got === c.expected.decision) passed++;
    else failed.push({ id: c.id, detail: `expected ${c.expected.decision}, got ${got}` });
  }
  return { passed, failed };
}

function runValidation(cases: ValidationCase[]): Omit<FileResult, "file"> {
  const failed: FileResult["failed"] = [];
  let passed = 0;
  for (const c of cases) {
    const [kind, options] = API_KIND[c.api] ?? ["identity", { attachment: "managed" }];
    const problems = validatePolicy(c.policyDocument, kind, options);
    const first = problems[0];
    const e = c.expected;
    let ok: boolean;
    if (e.valid) ok = first === undefined;
    else if (first === undefined) ok = false;
    else {
      ok =
        (e.errorCode === undefined || e.errorCode === first.code) &&
        (e.message === undefined || e.message === first.message) &&
        (e.messageContains === undefined || first.message.includes(e.messageContains)) &&
        (e.messagePattern === undefined || new RegExp(e.messagePattern).test(first.message));
    }
    if (ok) passed++;
    else {
      const want = e.valid
        ? "valid"
        : `${e.errorCode}: ${e.message ?? e.messageContains ?? e.messagePattern}`;
      failed.push({
        id: c.id,
        detail: `expected ${want}; got ${first ? `${first.code}: ${first.message}` : "valid"}`,
      });
    }
  }
  return { passed, failed };
}

/** Run every corpus file; undefined when the corpus folder is absent. */
export function runConformance(dir = corpusDir): FileResult[] | undefined {
  if (!existsSync(dir)) return undefined;
  const results: FileResult[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const data = JSON.parse(readFileSync(join(dir, name), "utf8")) as { format?: string; cases?: unknown[] };
    const cases = data.cases ?? [];
    const first = cases[0] as Record<string, unknown> | undefined;
    const isValidation =
      data.format === "iam-validation-case/v1" || (first !== undefined && "policyDocument" in first);
    const r = isValidation ? runValidation(cases as ValidationCase[]) : runEval(cases as EvalCase[]);
    results.push({ file: name, ...r });
  }
  return results;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = runConformance();
  if (results === undefined) {
    console.log(`conformance: corpus folder ${corpusDir} not found; skipped`);
  } else {
    let failures = 0;
    for (const r of results) {
      console.log(`${r.file}: ${r.passed} passed, ${r.failed.length} failed`);
      for (const f of r.failed) console.log(`  FAIL ${f.id}: ${f.detail}`);
      failures += r.failed.length;
    }
    process.exitCode = failures > 0 ? 1 : 0;
  }
}
