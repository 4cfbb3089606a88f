// `keyship iam simulate`: the policy engine as a filter, one JSON line out per input case.
import { createReadStream } from "node:fs";
import { simulateLines } from "../iam/simulate-stream.ts";
import { parseCommand } from "./args.ts";

export const usage = `Usage: keyship iam simulate [FILE|-] [--explain-all]

Reads one JSON object, a corpus file {"cases": [...]}, or JSON lines, each {request, policies} in
the iam-eval-case/v1 shape, and prints one JSON line per input, in order:
  {"decision": "allowed"|"explicitDeny"|"implicitDeny", "matchedStatements": [...], "explain": "..."}
Explanations are computed for denials; --explain-all computes them for every input.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, { "explain-all": { type: "boolean", default: false } }, usage);
  if (typeof parsed === "number") return parsed;
  const file = parsed.positionals[0] ?? "-";
  const input = file === "-" ? process.stdin : createReadStream(file);
  input.setEncoding("utf8");
  // Buffer output: hundreds of thousands of lines must not cost a write call each.
  let buffer = "";
  const write = (line: string) => {
    buffer += `${line}\n`;
    if (buffer.length > 1 << 16) {
      process.stdout.write(buffer);
      buffer = "";
    }
  };
  await simulateLines(input as AsyncIterable<string>, write, { explainAll: parsed.values["explain-all"] });
  process.stdout.write(buffer);
  return 0;
}
