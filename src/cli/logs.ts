// `keyship logs TASK`: a task's container output, kept by the twin per task (running or stopped), also
// found by the awslogs log group and stream names a task definition gives (`--group GROUP STREAM`).
import { DEFAULT_PORT } from "../config.ts";
import { misuse, parseCommand } from "./args.ts";

export const usage = `Usage: keyship logs [--url http://127.0.0.1:${DEFAULT_PORT}] [--container NAME] TASK
       keyship logs [--url http://127.0.0.1:${DEFAULT_PORT}] --group GROUP [STREAM]

Prints the stdout and stderr of every container of TASK (a task id or ARN) run by the twin's ECS
runtime, or of the container NAME only. Output of stopped tasks is kept with the state until the task
is forgotten (1 hour after it stopped). The simulated runtime runs no processes and has no output.

With --group, names are those of the awslogs log driver (logConfiguration.options "awslogs-group" and
"awslogs-stream-prefix"): STREAM is PREFIX/CONTAINER/TASK_ID, or the container's id when the task
definition sets no prefix. Without STREAM, prints the group's stream names, newest task first.

  --url URL          the twin's base URL (default AWS_ENDPOINT_URL, else http://127.0.0.1:${DEFAULT_PORT})
  --container NAME   only this container of TASK
  --group GROUP      an awslogs log group (awslogs-group)
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    { url: { type: "string" }, container: { type: "string" }, group: { type: "string" } },
    usage,
    { name: "keyship logs" },
  );
  if (typeof parsed === "number") return parsed;
  const { url, container, group } = parsed.values;
  const base = url ?? process.env.AWS_ENDPOINT_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`;
  const [operand, ...extra] = parsed.positionals;
  if (extra.length > 0) return misuse("keyship logs: too many operands", usage);
  let path: string;
  let notFound: string;
  if (group !== undefined) {
    if (container !== undefined)
      return misuse("keyship logs: --container goes with TASK, not --group", usage);
    const q = new URLSearchParams({ group });
    if (operand !== undefined) q.set("stream", operand);
    path = `/_keyship/ecs/logs?${q}`;
    notFound = `no log stream ${operand} in group ${group}`;
  } else {
    if (operand === undefined) return misuse("keyship logs: name one task", usage);
    path = `/_keyship/ecs/tasks/${encodeURIComponent(operand)}/logs`;
    if (container !== undefined) path += `?${new URLSearchParams({ container })}`;
    notFound = `no task ${operand}`;
  }
  const res = await fetch(new URL(path, base));
  const text = await res.text();
  if (res.status === 404) {
    process.stderr.write(`keyship logs: ${notFound} on ${base}\n`);
    return 1;
  }
  if (!res.ok) {
    process.stderr.write(`keyship logs: ${base} answered ${res.status}\n`);
    return 1;
  }
  process.stdout.write(text);
  return 0;
}
