// The bundled GitHub Action, run as a runner runs it (node dist/index.js with INPUT_* and the job's files),
// deploying the seed app to the twin with only the job's OIDC token.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { build } from "esbuild";
import { buildImage, writeOciLayout } from "../image/build-image.ts";
import {
  CLUSTER,
  REPO_URI,
  ROLE_ARN,
  SERVICE,
  type SeedTwin,
  seedTaskDefinition,
  startSeedTwin,
} from "./seed-twin.ts";

function runNode(file: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

describe("the GitHub Action bundle", () => {
  let seed: SeedTwin;
  let bundle: string;
  before(async () => {
    seed = await startSeedTwin();
    bundle = join(seed.dir, "action.mjs");
    await build({
      entryPoints: [new URL("../../../action/main.ts", import.meta.url).pathname],
      outfile: bundle,
      bundle: true,
      platform: "node",
      format: "esm",
      banner: {
        js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
      },
      logLevel: "error",
    });
  });
  after(() => seed.close());

  it("deploys with only the job's token, sets outputs, writes the summary and masks secrets", async () => {
    const ws = seed.dir;
    await writeFile(
      join(ws, "task-definition.json"),
      JSON.stringify(seedTaskDefinition(`${REPO_URI}:latest`)),
    );
    await writeOciLayout(
      join(ws, "img"),
      buildImage(
        [{ path: "www/index.html", content: "action\n" }],
        ["/bin/busybox", "httpd", "-f"],
        "action",
      ),
    );
    for (const f of ["out", "summary"]) await writeFile(join(ws, f), "");
    const job = await seed.jobEnvFor("example-org/sample-app");
    const env: NodeJS.ProcessEnv = {
      ...job,
      GITHUB_WORKSPACE: ws,
      GITHUB_OUTPUT: join(ws, "out"),
      GITHUB_STEP_SUMMARY: join(ws, "summary"),
      "INPUT_ROLE-ARN": ROLE_ARN,
      INPUT_CLUSTER: CLUSTER,
      INPUT_SERVICE: SERVICE,
      "INPUT_TASK-DEFINITION": "task-definition.json",
      INPUT_CONTAINER: "web",
      "INPUT_IMAGE-FROM": `oci:${join(ws, "img")}`,
      "INPUT_WAIT-MINUTES": "2",
      INPUT_AUDIENCE: "sts.amazonaws.com",
    };
    const { code, out } = await runNode(bundle, env);
    assert.equal(code, 0, out);
    const outputs = await readFile(join(ws, "out"), "utf8");
    assert.match(
      outputs,
      /task-definition-arn<<ghadelimiter_[^\n]+\narn:aws:ecs:ap-northeast-1:123456789012:task-definition\/sample-app:\d+\n/,
    );
    assert.match(outputs, /deployment-id<<[^\n]+\necs-svc\//);
    assert.match(outputs, /image-digest<<[^\n]+\nsha256:[0-9a-f]{64}\n/);
    assert.match(
      await readFile(join(ws, "summary"), "utf8"),
      /keyship deploy: sample_ecs_cluster\/sample_ecs_service/,
    );
    const masks = out.split("\n").filter((l) => l.startsWith("::add-mask::"));
    assert.ok(
      masks.length >= 4,
      `token, key id, secret, session token and registry password masked:\n${out}`,
    );
    // Nothing masked appears elsewhere in the log.
    const secrets = masks.map((m) => m.slice("::add-mask::".length));
    for (const line of out.split("\n").filter((l) => !l.startsWith("::add-mask::"))) {
      for (const s of secrets) assert.ok(!line.includes(s), `a secret leaked: ${line}`);
    }
  });

  it("says that the job lacks id-token: write, as an error annotation", async () => {
    const job = await seed.jobEnvFor("example-org/sample-app", false);
    const { code, out } = await runNode(bundle, {
      ...job,
      GITHUB_WORKSPACE: seed.dir,
      "INPUT_ROLE-ARN": ROLE_ARN,
      INPUT_CLUSTER: CLUSTER,
      INPUT_SERVICE: SERVICE,
      "INPUT_TASK-DEFINITION": "task-definition.json",
      INPUT_IMAGE: `${REPO_URI}:v0`,
    });
    assert.equal(code, 1, out);
    assert.match(out, /id-token: write/);
    assert.match(out, /^::error title=keyship deploy::/m);
  });
});
