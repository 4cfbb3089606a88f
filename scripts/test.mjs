// Runs every test file under test/ with node:test (Node 20 does not glob test paths).
// Extra arguments are test paths or a substring filter: `npm test -- iam` runs test files whose path contains "iam".
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".test.ts") ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = walk("test")
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = process.env.KEYSHIP_TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...files],
  // The SDK's notice about future Node versions would repeat in every test file's output.
  { stdio: "inherit", env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...process.env } },
);
process.exit(result.status ?? 1);
