// The benchmark report: one row per measurement, keyship beside its peer, as a ratio.
import { type LoadResult, ROUNDS } from "./load.ts";

export interface Row {
  bench: string;
  keyship: number;
  /** the peer's number in the same run; undefined when there is no peer (reported alone) */
  peer?: number;
  peerName?: string;
  unit: string;
  /** for times: smaller is better, so the ratio is peer/keyship */
  lowerIsBetter?: boolean;
  target?: string;
  detail?: string;
}

/** req/s of the same request against keyship and moto_server, with both sides' latencies and errors. */
export function versusMoto(bench: string, ks: LoadResult, ms: LoadResult): Row {
  return {
    bench,
    keyship: ks.rps,
    peer: ms.rps,
    peerName: "moto_server",
    unit: "req/s",
    target: ">= 30x",
    detail: `p50 ${ks.p50ms.toFixed(2)}/${ms.p50ms.toFixed(2)} ms, p99 ${ks.p99ms.toFixed(2)}/${ms.p99ms.toFixed(2)} ms, errors ${ks.errors}/${ms.errors}, best of ${ROUNDS} alternating rounds`,
  };
}

export function ratio(row: Row): number | undefined {
  if (row.peer === undefined || row.peer === 0 || row.keyship === 0) return undefined;
  return row.lowerIsBetter ? row.peer / row.keyship : row.keyship / row.peer;
}

function fmt(n: number | undefined, unit: string): string {
  if (n === undefined) return "-";
  if (unit === "s") return n.toFixed(3);
  return n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2);
}

export function renderTable(rows: Row[]): string {
  const header = ["benchmark", "keyship", "peer", "peer name", "ratio (x better)", "target", "detail"];
  const body = rows.map((r) => [
    r.bench,
    fmt(r.keyship, r.unit),
    fmt(r.peer, r.unit),
    r.peerName ?? "-",
    ratio(r) === undefined ? "-" : `${ratio(r)!.toFixed(2)}x`,
    r.target ?? "",
    r.detail ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}
