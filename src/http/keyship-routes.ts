// The twin's own endpoints under /_keyship: health and the decision log.
import type { ServerResponse } from "node:http";
import type { Route } from "../core/service.ts";
import type { DecisionLog } from "../iam/decisions.ts";

export interface Health {
  status: "ok";
  version: string;
  account: string;
  region: string;
  runtime?: string;
}

/** `decision=` filters: the engine's three decisions, and `denied` for either kind of denial. */
const DECISION_FILTERS: ReadonlySet<string> = new Set(["allowed", "implicitDeny", "explicitDeny", "denied"]);

export function keyshipRoutes(deps: { health: () => Health; decisions: DecisionLog }): Route[] {
  return [
    {
      method: "GET",
      path: /^\/_keyship\/health\/?$/,
      handler: (_req, res) => sendJson(res, 200, deps.health()),
    },
    {
      method: "GET",
      path: /^\/_keyship\/decisions\/?$/,
      handler: (req, res) => {
        const url = new URL(req.url ?? "/", "http://twin");
        const p = url.searchParams;
        const decision = p.get("decision") ?? undefined;
        // an unknown value would match nothing and look like an empty log
        if (decision !== undefined && !DECISION_FILTERS.has(decision)) {
          sendJson(res, 400, {
            error: `decision must be one of ${[...DECISION_FILTERS].join(", ")}; got ${JSON.stringify(decision)}`,
          });
          return;
        }
        const records = deps.decisions.query({
          principal: p.get("principal") ?? undefined,
          action: p.get("action") ?? undefined,
          decision: decision === "denied" ? undefined : decision,
          denied:
            decision === "denied" ||
            (p.has("denied") && p.get("denied") !== "0" && p.get("denied") !== "false"),
          limit: p.has("limit") ? Number(p.get("limit")) || 100 : 100,
        });
        sendJson(res, 200, records);
      },
    },
  ];
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
