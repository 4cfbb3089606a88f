// Bundles the twin's server command (`keyship up`) into dist/up.mjs with esbuild, so the twin
// starts without compiling TypeScript on every launch (cold start is a benchmarked promise).
// bin/keyship uses the bundle only while it is newer than every source file; otherwise it runs
// the sources through tsx. Runs on `npm ci` / `npm install` (the `prepare` script).
import { build } from "esbuild";

await build({
  entryPoints: { up: "src/cli/up.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Native and WebAssembly packages load their own files at run time.
  external: ["better-sqlite3", "@cdktf/hcl2json"],
  banner: {
    js: "import { createRequire as __keyshipRequire } from 'node:module'; const require = __keyshipRequire(import.meta.url);",
  },
  logLevel: "warning",
});
