// A workflow run through the local runner in a throwaway repository (with one file, hello.txt, for steps
// that read the checkout) and state dir, its log collected: what the runner tests share.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWorkflow } from "../../../src/client/workflow/runner.ts";

async function repoWith(workflow: string): Promise<{ repo: string; path: string; state: string }> {
  const repo = await mkdtemp(join(tmpdir(), "keyship-repo-"));
  await mkdir(join(repo, ".github", "workflows"), { recursive: true });
  await writeFile(join(repo, "hello.txt"), "hi from the repository\n");
  const path = join(repo, ".github", "workflows", "w.yml");
  await writeFile(path, workflow);
  return { repo, path, state: await mkdtemp(join(tmpdir(), "keyship-state-")) };
}

export async function runLocal(workflow: string, extra: Partial<Parameters<typeof runWorkflow>[0]> = {}) {
  const { path, state } = await repoWith(workflow);
  const lines: string[] = [];
  const result = await runWorkflow({
    workflowPath: path,
    repository: "example-org/sample-app",
    stateDir: state,
    containerCli: null,
    log: (l) => lines.push(l),
    ...extra,
  });
  return { result, log: lines.join("\n") };
}
