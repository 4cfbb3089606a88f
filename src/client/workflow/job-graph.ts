// The order jobs run in, from `jobs.<job_id>.needs`
// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idneeds).
// GitHub refuses a workflow whose needs name an unknown job or form a cycle before running anything; so does
// keyship. GitHub runs independent jobs in parallel; keyship runs them one after another, in file order
// whenever the graph allows, so a run's log reads the same each time.
import { type Job, type Workflow, WorkflowError } from "./model.ts";

/** Every job in an order where each comes after the jobs it needs; a WorkflowError for unknown needs or a cycle. */
export function jobOrder(wf: Workflow): Job[] {
  const byId = new Map(wf.jobs.map((j) => [j.id, j]));
  for (const job of wf.jobs)
    for (const need of job.needs)
      if (!byId.has(need))
        throw new WorkflowError(`${wf.path}: job '${job.id}' depends on unknown job '${need}'`);
  const done = new Set<string>();
  const order: Job[] = [];
  while (order.length < wf.jobs.length) {
    const ready = wf.jobs.find((j) => !done.has(j.id) && j.needs.every((n) => done.has(n)));
    if (!ready) throw new WorkflowError(`${wf.path}: ${describeCycle(wf, done)}`);
    done.add(ready.id);
    order.push(ready);
  }
  return order;
}

/** Names one cycle among the jobs not yet ordered, as GitHub's validation does ("a → b → a"). */
function describeCycle(wf: Workflow, done: Set<string>): string {
  const byId = new Map(wf.jobs.map((j) => [j.id, j]));
  // Every remaining job waits on a remaining job, so walking first pending needs must come back to a job seen.
  const path: string[] = [];
  let id = wf.jobs.find((j) => !done.has(j.id))!.id;
  while (!path.includes(id)) {
    path.push(id);
    id = byId.get(id)!.needs.find((n) => !done.has(n))!;
  }
  const cycle = [...path.slice(path.indexOf(id)), id];
  return `job '${cycle[0]}' depends on job '${cycle[1]}' which creates a cycle in the dependency graph (${cycle.join(" → ")})`;
}

/** The named job and every job it needs, directly or not, in run order. */
export function withNeeds(order: Job[], target: Job): Job[] {
  const wanted = new Set<string>([target.id]);
  for (const job of [...order].reverse()) if (wanted.has(job.id)) for (const n of job.needs) wanted.add(n);
  return order.filter((j) => wanted.has(j.id));
}

/** Ids of every job `job` needs, directly or through other jobs (failure() looks at all of them). */
export function ancestors(order: Job[], job: Job): Set<string> {
  const byId = new Map(order.map((j) => [j.id, j]));
  const out = new Set<string>();
  const visit = (id: string) => {
    for (const n of byId.get(id)?.needs ?? [])
      if (!out.has(n)) {
        out.add(n);
        visit(n);
      }
  };
  visit(job.id);
  return out;
}
