// `keyship demo` (`npm run demo`): the seed article's system end to end on this machine, no AWS account.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatTimeline, runSeedScenario } from "../client/demo/scenario.ts";

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
  let parsed: ReturnType<typeof parse> | Error;
  try {
    parsed = parse(argv);
  } catch (err) {
    parsed = err as Error;
  }
  if (parsed instanceof Error) {
    process.stderr.write(`${parsed.message}\n\n${usage}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const containers = values.containers as "auto" | "real" | "simulated";
  if (!["auto", "real", "simulated"].includes(containers)) {
    process.stderr.write(usage);
    return 2;
  }
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

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      containers: { type: "string", default: "auto" },
      state: { type: "string" },
      workflow: { type: "string", multiple: true },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
