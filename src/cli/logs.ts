// `keyship logs TASK`: a task's container output, kept by the twin per task (running or stopped).
import { DEFAULT_PORT } from "../config.ts";
import { misuse, parseCommand } from "./args.ts";

export const usage = `Usage: keyship logs [--url http://127.0.0.1:${DEFAULT_PORT}] TASK

Prints the stdout and stderr of every container of TASK (a task id or ARN) run by the twin's ECS
runtime. Output of stopped tasks is kept with the state until the task is forgotten (1 hour after it
stopped). The simulated runtime runs no processes and has no output.

  --url URL   the twin's base URL (default AWS_ENDPOINT_URL, else http://127.0.0.1:${DEFAULT_PORT})
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { url: { type: "string" } }, usage, { name: "keyship logs" });
  if (typeof parsed === "number") return parsed;
  const task = parsed.positionals[0];
  if (!task || parsed.positionals.length > 1) return misuse("keyship logs: name one task", usage);
  const base = parsed.values.url ?? process.env.AWS_ENDPOINT_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`;
  const res = await fetch(new URL(`/_keyship/ecs/tasks/${encodeURIComponent(task)}/logs`, base));
  const text = await res.text();
  if (res.status === 404) {
    process.stderr.write(`keyship logs: no task ${task} on ${base}\n`);
    return 1;
  }
  if (!res.ok) {
    process.stderr.write(`keyship logs: ${base} answered ${res.status}\n`);
    return 1;
  }
  process.stdout.write(text);
  return 0;
}
