// Bundles the GitHub Action (action/main.ts) into action/dist/index.js with esbuild; no npm scripts involved.
// The bundle is committed (a JavaScript action runs from the repository as checked out, without npm ci);
// test/action/dist.test.ts rebuilds it into a temporary directory and fails when the committed copy is stale.
// Usage: node scripts/build-action.mjs [OUTFILE]   (default action/dist/index.js)
import { build } from "esbuild";

const outfile = process.argv[2] ?? "action/dist/index.js";
const result = await build({
  entryPoints: ["action/main.ts"],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  legalComments: "linked",
  metafile: true,
  // ESM bundles of CommonJS dependencies need a require().
  banner: {
    js: "import { createRequire as __keyshipRequire } from 'node:module'; const require = __keyshipRequire(import.meta.url);",
  },
  logLevel: "warning",
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`${outfile}: ${(bytes / 1024).toFixed(0)} KiB`);
