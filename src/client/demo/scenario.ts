// The seed scenario end to end: an in-process twin, the article's Terraform (common, then app), what
// the article leaves out, then the article's workflow — ending with the service stable on the new image.
// Shared by `npm run demo` and the e2e tests.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { type ApplyReport, applyConfiguration } from "../terraform/apply.ts";
import { clientsFor } from "../workflow/aws-target.ts";
import { type ContainerCli, detectContainerCli, inProcessDockerCli } from "../workflow/container-cli.ts";
import { type RunEvent, type RunResult, runWorkflow } from "../workflow/runner.ts";
import { ensurePrerequisites, seedNames } from "./prerequisites.ts";

export const REGION = "ap-northeast-1";
export const BUSYBOX = "/bin/busybox";

export interface ScenarioOptions {
  /** the project's copy of the seed (examples/seed-scenario) */
  exampleDir: string;
  /** workflows to run in order, file names under app/.github/workflows */
  workflows: string[];
  stateDir?: string;
  repository?: string;
  /** "auto": real containers when Docker/Podman answers (and busybox is there), else simulated */
  containers?: "auto" | "real" | "simulated";
  log?: (line: string) => void;
  /** edits the copied seed before anything is applied (tests: another repository in the trust policy) */
  customize?: (dir: string) => Promise<void>;
}

export interface TimelineEntry {
  name: string;
  detail: string;
  /** ms since the workflow run started */
  atMs: number;
}

export interface ScenarioResult {
  mode: "real" | "simulated";
  modeReason: string;
  /** the twin's ECS task runtime: docker (a Docker Engine API socket answered) or simulated */
  ecsRuntime: string;
  applies: { dir: string; report: ApplyReport }[];
  prerequisites: string[];
  runs: { workflow: string; result: RunResult; timeline: TimelineEntry[]; durationMs: number }[];
  /** the service after the last run */
  service?: { taskDefinition: string; image: string; running: number; desired: number; deployments: number };
}

/** Docker or Podman that can build, and a twin whose ECS runtime runs real containers. */
function chooseMode(
  requested: ScenarioOptions["containers"],
  cli: ContainerCli | undefined,
): { mode: "real" | "simulated"; reason: string } {
  if (requested === "simulated") return { mode: "simulated", reason: "asked for the simulated runtime" };
  const missing = !cli
    ? "neither Docker nor Podman answers"
    : !existsSync(BUSYBOX)
      ? `${BUSYBOX} is missing (Debian: apt-get install busybox-static)`
      : undefined;
  if (missing) {
    if (requested === "real") throw new Error(`real containers requested, but ${missing}`);
    return { mode: "simulated", reason: missing };
  }
  return { mode: "real", reason: `${cli!.kind} answers` };
}

export async function runSeedScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const log = o.log ?? (() => {});
  const stateDir = o.stateDir ?? (await mkdtemp(join(tmpdir(), "keyship-demo-")));
  const work = await mkdtemp(join(tmpdir(), "keyship-seed-"));
  await cp(o.exampleDir, work, { recursive: true });
  await o.customize?.(work);
  const detected = o.containers === "simulated" ? undefined : await detectContainerCli(work);
  const { mode, reason } = chooseMode(o.containers, detected);
  const { startTwin } = await import("../../main.ts");
  const twin = await startTwin({
    stateDir,
    port: 0,
    region: REGION,
    log: () => {},
    runtime: mode === "real" ? "auto" : "simulated",
    // a fresh temporary state is never restarted, so nothing would adopt its containers: remove them on close
    ecs: { removeContainersOnClose: o.stateDir === undefined },
  });
  const result: ScenarioResult = {
    mode,
    modeReason: reason,
    ecsRuntime: twin.runtime,
    applies: [],
    prerequisites: [],
    runs: [],
  };
  try {
    log(`twin: ${twin.url} (state ${stateDir}; ECS runtime: ${twin.runtime})`);
    const clients = clientsFor(twin.url, REGION, twin.admin);
    for (const part of ["common", "app"]) {
      const dir = join(work, "terraform", part);
      const report = await applyConfiguration({ dir, clients, region: REGION, twinUrl: twin.url });
      result.applies.push({ dir, report });
      log(`apply terraform/${part}: ${report.resources.map((r) => `${r.address} ${r.action}`).join(", ")}`);
    }
    const td = join(work, "app", "task-definition.json");
    const firstImage = (
      JSON.parse(await readFile(td, "utf8")) as { containerDefinitions: { image: string }[] }
    ).containerDefinitions[0]!.image;
    result.prerequisites = await ensurePrerequisites(clients, td, firstImage);
    if (result.prerequisites.length)
      log(`created what the article leaves out: ${result.prerequisites.join(", ")}`);
    const cli = mode === "real" ? detected : await inProcessDockerCli(work);
    for (const wf of o.workflows) {
      const timeline: TimelineEntry[] = [];
      const started = Date.now();
      const onEvent = (e: RunEvent) => {
        if (e.name === "step-start" || e.name === "step-end") return;
        timeline.push({ name: e.name, detail: e.detail, atMs: e.at.getTime() - started });
      };
      const runResult = await runWorkflow({
        workflowPath: join(work, "app", ".github", "workflows", wf),
        repository: o.repository ?? "example-org/sample-app",
        endpoint: twin.url,
        stateDir,
        containerCli: cli ?? null,
        log,
        onEvent,
        // The seed's Dockerfile copies ./busybox from the build context ("copy /bin/busybox next to this file").
        prepareWorkspace: async (ws) => {
          if (existsSync(BUSYBOX)) await copyFile(BUSYBOX, join(ws, "busybox"));
        },
      });
      result.runs.push({ workflow: wf, result: runResult, timeline, durationMs: Date.now() - started });
      if (runResult.status !== "success") break;
    }
    const svc = (
      await clients.ecs.send(
        new DescribeServicesCommand({ cluster: seedNames.cluster, services: [seedNames.service] }),
      )
    ).services?.[0];
    if (svc?.taskDefinition) {
      const def = (
        await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }))
      ).taskDefinition;
      result.service = {
        taskDefinition: svc.taskDefinition,
        image: def?.containerDefinitions?.[0]?.image ?? "",
        running: svc.runningCount ?? 0,
        desired: svc.desiredCount ?? 0,
        deployments: svc.deployments?.length ?? 0,
      };
    }
    return result;
  } finally {
    await twin.close();
  }
}

const labels: Record<string, string> = {
  token: "OIDC token",
  role: "role assumed",
  login: "registry login",
  push: "image pushed",
  register: "task definition",
  roll: "rolling update",
  stable: "service stable",
};

/** The short timeline the demo prints: each moment with the time since the previous one. */
export function formatTimeline(entries: TimelineEntry[], totalMs: number): string {
  const lines: string[] = [];
  let prev = 0;
  for (const e of entries) {
    lines.push(
      `  ${e.name.padEnd(9)} ${`+${((e.atMs - prev) / 1000).toFixed(1)}s`.padStart(7)}  ${labels[e.name] ?? e.name}: ${e.detail}`,
    );
    prev = e.atMs;
  }
  lines.push(`  ${"total".padEnd(9)} ${`${(totalMs / 1000).toFixed(1)}s`.padStart(7)}`);
  return lines.join("\n");
}

/** Whether a command answers (for messages). */
export function commandAnswers(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2));
}
