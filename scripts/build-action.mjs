// Bundles the GitHub Action (action/main.ts) into action/dist/index.js with esbuild; no npm scripts involved.
// Usage: node scripts/build-action.mjs
import { build } from "esbuild";

const result = await build({
  entryPoints: ["action/main.ts"],
  outfile: "action/dist/index.js",
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
console.log(`action/dist/index.js: ${(bytes / 1024).toFixed(0)} KiB`);
