// How `keyship preflight` prints its verdicts: per job, per step, every AWS call with ALLOW/DENY, and
// for each denial the error AWS would return, the engine's explanation and keyship's diagnosis.
import type { PreflightReport } from "./preflight.ts";

export function formatPreflight(r: PreflightReport): string {
  const lines: string[] = [`preflight ${r.workflow} as ${r.repo}`];
  for (const job of r.jobs) {
    lines.push(
      `job ${job.id}${job.name !== job.id ? ` (${job.name})` : ""}: ${job.event} on ${job.ref}${job.environment ? `, environment ${job.environment}` : ""}${job.sub ? `; token sub ${job.sub}` : ""}`,
    );
    for (const s of job.steps) {
      if (s.calls.length === 0 && s.problems.length === 0) continue;
      lines.push(
        `  step ${s.index} "${s.name}"${s.uses && s.uses !== s.name ? ` (${s.uses})` : ""}${s.role ? ` as ${s.role.replace(/^.*:role\//, "role/")}` : ""}`,
      );
      for (const p of s.problems) lines.push(`    PROBLEM ${p}`);
      for (const c of s.calls) {
        const mark = c.decision === "allowed" ? "ALLOW" : c.decision === "explicitDeny" ? "DENY!" : "DENY ";
        lines.push(`    ${mark}  ${c.action} on ${c.resource}  — ${c.why}`);
        if (c.decision === "allowed") continue;
        if (c.message) lines.push(`           error: ${c.message}`);
        for (const d of c.diagnosis) lines.push(`           => ${d}`);
        for (const e of (c.explanation ?? "").split("\n").slice(1)) {
          if (e) lines.push(`           | ${e}`);
        }
      }
    }
  }
  const calls = r.jobs.flatMap((j) => j.steps.flatMap((s) => s.calls)).length;
  lines.push(
    r.denied || r.problems
      ? `${calls} AWS call(s) checked: ${r.denied} would be denied${r.problems ? `, ${r.problems} other problem(s)` : ""}. Fix these before deploying.`
      : `${calls} AWS call(s) checked: all allowed.`,
  );
  return `${lines.join("\n")}\n`;
}
