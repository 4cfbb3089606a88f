// `keyship decisions`: the twin's authorization decisions as a readable trace, newest first.
import { resolve } from "node:path";
import { type DecisionRecord, readDecisions } from "../iam/decisions.ts";
import { openStore } from "../store/sqlite.ts";
import { parseCommand } from "./args.ts";

export const usage = `Usage: keyship decisions [--state ./.keyship] [--denied] [--principal ARN] [--action ACTION]
                        [--limit 20] [--json]

Prints who was allowed or denied what, which statement decided, and for a denial which condition
failed with which values.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      state: { type: "string", default: ".keyship" },
      denied: { type: "boolean", default: false },
      principal: { type: "string" },
      action: { type: "string" },
      limit: { type: "string", default: "20" },
      json: { type: "boolean", default: false },
    },
    usage,
  );
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const store = openStore(resolve(values.state));
  try {
    const records = readDecisions(store, {
      denied: values.denied,
      principal: values.principal,
      action: values.action,
      limit: Number(values.limit) || 20,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    else for (const r of records) process.stdout.write(formatDecision(r));
    return 0;
  } finally {
    store.close();
  }
}

export function formatDecision(r: DecisionRecord): string {
  const verdict =
    r.decision === "allowed" ? "ALLOW" : r.decision === "explicitDeny" ? "DENY (explicit)" : "DENY";
  let out = `${r.time}  ${verdict}  ${r.action} on ${r.resource}\n  principal: ${r.principal}\n`;
  if (r.decidedBy) out += `  decided by: ${r.decidedBy}\n`;
  if (r.message) out += `  message: ${r.message}\n`;
  if (r.explanation) out += `${r.explanation.replace(/^/gm, "  | ")}\n`;
  return `${out}\n`;
}
