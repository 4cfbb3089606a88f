// The GitHub Action's entry: the runner's INPUT_* variables into one deploy (src/client/github/deploy-action.ts,
// shared with `keyship run`'s built-in), outputs, a job summary, every secret masked.
// Bundled by scripts/build-action.mjs into action/dist/index.js (runs.using in action.yml).

import { addMask, annotation, appendSummary, setOutput } from "../src/client/github/commands.ts";
import { runDeployAction } from "../src/client/github/deploy-action.ts";

export { containerSpecs } from "../src/client/github/deploy-action.ts";

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = { env, write: (line: string) => process.stdout.write(`${line}\n`) };
  const { exitCode } = await runDeployAction({
    env,
    log: (line) => io.write(line),
    mask: (secret) => addMask(io, secret),
    setOutput: (name, value) => setOutput(io, name, value),
    summary: (markdown) => appendSummary(io, markdown),
    error: (message) => annotation(io, "error", message, "keyship deploy"),
  });
  return exitCode;
}

// Run when executed as the bundle (not when imported by tests).
if (process.env.KEYSHIP_ACTION_NO_AUTORUN !== "1") {
  main().then((code) => {
    process.exitCode = code;
  });
}
