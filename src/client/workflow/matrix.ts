// `strategy.matrix` expanded into the job's legs as GitHub expands it
// (https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/running-variations-of-jobs-in-a-workflow):
// the cartesian product of the vectors, in the order the keys are written; then `exclude` drops every
// combination matching all of an entry's keys; then each `include` entry is merged into every original
// combination it does not contradict (it may overwrite values an earlier include added, never an original
// one), and becomes a combination of its own when it fits none.
import type { ExprValue } from "./expression.ts";
import { WorkflowError } from "./model.ts";

export type Combination = Record<string, ExprValue>;

/**
 * The legs of a matrix. `evaluate` resolves `${{ }}` strings (the matrix, a vector, include/exclude, or one
 * value) with the contexts a matrix may read (github, needs, vars, inputs).
 */
export function expandMatrix(
  raw: unknown,
  evaluate: (text: string) => ExprValue,
  where: string,
): Combination[] {
  const matrix = resolve(raw, evaluate);
  if (!matrix || typeof matrix !== "object" || Array.isArray(matrix))
    throw new WorkflowError(`${where}.strategy.matrix must be a map`);
  const include = entries(matrix.include, `${where}.strategy.matrix.include`);
  const exclude = entries(matrix.exclude, `${where}.strategy.matrix.exclude`);
  const vectors = Object.entries(matrix).filter(([k]) => k !== "include" && k !== "exclude");
  for (const [k, v] of vectors)
    if (!Array.isArray(v) || v.length === 0)
      throw new WorkflowError(`${where}.strategy.matrix: matrix vector '${k}' does not contain any values`);

  // Only include entries: each one is a leg.
  if (!vectors.length) {
    if (!include.length) throw new WorkflowError(`${where}.strategy.matrix: the matrix defines no legs`);
    return include.map((e) => ({ ...e }));
  }
  let product: Combination[] = [{}];
  for (const [k, values] of vectors)
    product = product.flatMap((c) => (values as ExprValue[]).map((v) => ({ ...c, [k]: v })));
  const originals = product.filter(
    (c) => !exclude.some((e) => Object.entries(e).every(([k, v]) => same(c[k], v))),
  );
  const originalKeys = vectors.map(([k]) => k);

  const added: Combination[] = [];
  for (const entry of include) {
    let fitted = false;
    for (const c of originals) {
      if (originalKeys.every((k) => !(k in entry) || same(entry[k], c[k]))) {
        Object.assign(c, entry);
        fitted = true;
      }
    }
    if (!fitted) added.push({ ...entry });
  }
  const legs = [...originals, ...added];
  if (!legs.length) throw new WorkflowError(`${where}.strategy.matrix: every combination is excluded`);
  return legs;
}

/** The leg's values as GitHub appends them to the job's name: `build (1, a)`. */
export function legSuffix(c: Combination): string {
  return `(${Object.values(c)
    .map((v) => (v !== null && typeof v === "object" ? JSON.stringify(v) : String(v ?? "")))
    .join(", ")})`;
}

function entries(raw: ExprValue | undefined, where: string): Combination[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((e) => !e || typeof e !== "object" || Array.isArray(e)))
    throw new WorkflowError(`${where} must be a list of maps`);
  return raw as Combination[];
}

/** Matrix values compare as values (objects by their content), as GitHub's matching does. */
function same(a: ExprValue | undefined, b: ExprValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function resolve(v: unknown, evaluate: (text: string) => ExprValue): ExprValue {
  if (typeof v === "string") return v.includes("${{") ? evaluate(v) : v;
  if (Array.isArray(v)) return v.map((x) => resolve(x, evaluate));
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, evaluate)]));
  return (v ?? null) as ExprValue;
}
