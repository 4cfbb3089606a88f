// `keyship demo` (`npm run demo`): the seed article's system end to end on this machine, no AWS account.
import { resolve } from "node:path";
import { formatTimeline, runSeedScenario } from "../client/demo/scenario.ts";
import { misuse, parseCommand } from "./args.ts";

export const usage = `Usage: keyship demo [--containers auto|real|simulated] [--state DIR] [--workflow FILE ...] [--quiet]

Starts the twin in-process, applies examples/seed-scenario/terraform (common, then app), creates
what the article leaves out (ECR repository, ECS cluster and service, task roles) through the AWS
APIs, runs the article's workflow (deploy.yml) with keyship run, and ends with the service stable
on the new image, printing a timeline: token, role, push, register, roll, stable.

Real containers when Docker or Podman answers (the image is built from the seed's Dockerfile,
which needs /bin/busybox from busybox-static); otherwise the simulated runtime, with the image built
in process and pushed through the registry API. It says which.

  --workflow FILE  workflows under app/.github/workflows to run in order (default deploy.yml)
  --state DIR      the twin's state dir (default: a fresh temporary one)
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      containers: { type: "string", default: "auto" },
      state: { type: "string" },
      workflow: { type: "string", multiple: true },
      quiet: { type: "boolean" },
    },
    usage,
    { name: "keyship demo", positionals: false },
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const containers = values.containers as "auto" | "real" | "simulated";
  if (!["auto", "real", "simulated"].includes(containers))
    return misuse("keyship demo: --containers is auto, real or simulated", usage);
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const exampleDir = new URL("../../examples/seed-scenario", import.meta.url).pathname;
  out("keyship demo: the seed article's deploy, on this machine, against the twin\n");
  const result = await runSeedScenario({
    exampleDir,
    workflows: values.workflow?.length ? values.workflow : ["deploy.yml"],
    ...(values.state ? { stateDir: resolve(values.state) } : {}),
    containers,
    log: values.quiet ? () => {} : out,
  });
  out("");
  out(
    result.mode === "real"
      ? `Containers: real (${result.modeReason}): the image was built from the seed's Dockerfile; ECS tasks ${
          result.ecsRuntime === "docker"
            ? "ran it as containers."
            : "were simulated (no Docker Engine API socket answered; for real tasks start `podman system service --time=0 unix:///run/podman/podman.sock` and set DOCKER_HOST)."
        }`
      : `Containers: simulated runtime (${result.modeReason}): the image was built in process and pushed through the registry API; ECS tasks are simulated.`,
  );
  for (const r of result.runs) {
    out(`\nTimeline of ${r.workflow} (${r.result.status}):`);
    out(formatTimeline(r.timeline, r.durationMs));
    if (r.result.failure)
      out(`\nFailed at "${r.result.failure.step}":\n  ${r.result.failure.error.split("\n").join("\n  ")}`);
  }
  const s = result.service;
  const ok =
    result.runs.every((r) => r.result.status === "success") &&
    s &&
    s.deployments === 1 &&
    s.running === s.desired &&
    s.desired > 0;
  if (s)
    out(
      `\nService sample_ecs_service: ${s.running}/${s.desired} running on ${s.taskDefinition.replace(/^.*task-definition\//, "")} (image ${s.image})${ok ? ", stable." : "."}`,
    );
  return ok ? 0 : 1;
}
