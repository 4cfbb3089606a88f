// `keyship iam simulate` core: reads `{request, policies}` inputs (iam-eval-case/v1 shape) as one JSON
// document, a corpus file `{cases:[…]}`, or JSON lines, and writes one JSON line per input, in order.

import { type EvalOptions, type EvalRequest, type EvalResult, evaluate, type PolicySet } from "./evaluate.ts";
import { explainText } from "./explain.ts";

interface SimulateInput {
  id?: string;
  request: EvalRequest;
  policies: PolicySet;
  /** evaluation options, e.g. `{"requestResourceWildcard": true}` for iam-simulate-style requests */
  options?: Pick<EvalOptions, "requestResourceWildcard">;
}

export interface SimulateOptions {
  /** compute the full per-statement explanation for every input (slower); default: only for denials */
  explainAll?: boolean;
}

function isInput(v: unknown): v is SimulateInput {
  return typeof v === "object" && v !== null && "request" in v && "policies" in v;
}

function line(input: unknown, options: SimulateOptions): string {
  if (!isInput(input)) return JSON.stringify({ error: "expected an object with request and policies" });
  try {
    const fast = evaluate(input.request, input.policies, input.options);
    let detailed: EvalResult = fast;
    if (fast.decision !== "allowed" || options.explainAll) {
      detailed = evaluate(input.request, input.policies, { ...input.options, explain: true });
    }
    return JSON.stringify({
      ...(input.id !== undefined ? { id: input.id } : {}),
      decision: fast.decision,
      blockedBy: fast.blockedBy,
      matchedStatements: fast.matchedStatements,
      missingContextKeys: fast.missingContextKeys,
      explain: explainText(input.request, detailed),
    });
  } catch (e) {
    return JSON.stringify({
      ...(input.id !== undefined ? { id: input.id } : {}),
      error: (e as Error).message,
    });
  }
}

function emitDocument(doc: unknown, write: (line: string) => void, options: SimulateOptions): void {
  if (typeof doc === "object" && doc !== null && Array.isArray((doc as { cases?: unknown }).cases)) {
    for (const c of (doc as { cases: unknown[] }).cases) write(line(c, options));
  } else if (Array.isArray(doc)) {
    for (const c of doc) write(line(c, options));
  } else write(line(doc, options));
}

/**
 * Stream simulation. `input` yields text chunks or lines (e.g. from `readline` or a stream with an
 * encoding). If the first non-empty line is a complete JSON value the input is JSON lines; otherwise the
 * whole input is parsed as one JSON document, and failing that, as JSON lines whose first is broken.
 */
export async function simulateLines(
  input: AsyncIterable<string>,
  write: (line: string) => void,
  options: SimulateOptions = {},
): Promise<void> {
  // held in an object: the mode changes inside closures
  const st: {
    mode: "unknown" | "lines" | "document";
    pending: string;
    whole: string[];
    lineOriented: boolean;
  } = {
    mode: "unknown",
    lineOriented: false,
    pending: "",
    whole: [],
  };
  const inDocumentMode = () => st.mode === "document";
  const handleLine = (text: string): void => {
    if (st.mode === "document") {
      st.whole.push(text);
      return;
    }
    const t = text.trim();
    if (t === "") return;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      if (st.mode === "unknown") {
        st.mode = "document";
        st.whole.push(text);
      } else write(JSON.stringify({ error: `invalid JSON line: ${(e as Error).message}` }));
      return;
    }
    // The first value may be a whole document (a minified corpus file, an array); after it, each line is
    // one input and gets exactly one output line.
    if (st.mode === "unknown") emitDocument(v, write, options);
    else write(line(v, options));
    st.mode = "lines";
  };
  for await (const chunk of input) {
    if (st.mode === "document") {
      st.whole.push(chunk);
      continue;
    }
    if (!chunk.includes("\n")) {
      // Line-oriented sources (readline) strip newlines: a first chunk that parses alone marks the source
      // as line-oriented, and from then on every chunk is a whole line.
      if (st.pending === "" && (st.lineOriented || (st.mode === "unknown" && isCompleteJson(chunk)))) {
        st.lineOriented = true;
        handleLine(chunk);
      } else st.pending += chunk;
      continue;
    }
    st.lineOriented = false;
    st.pending += chunk;
    let nl = st.pending.indexOf("\n");
    while (nl >= 0 && !inDocumentMode()) {
      const l = st.pending.slice(0, nl);
      st.pending = st.pending.slice(nl + 1);
      handleLine(`${l}\n`);
      nl = st.pending.indexOf("\n");
    }
    if (inDocumentMode()) {
      st.whole.push(st.pending);
      st.pending = "";
    }
  }
  if (st.pending !== "") handleLine(st.pending);
  if (st.mode === "document") {
    const text = st.whole.join("");
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      // Not one document. JSON lines whose first is broken (every later line a whole JSON object) still
      // get one answer per line; anything else, such as a broken pretty-printed document, one error.
      const lines = text.split("\n");
      const rest = lines.slice(1).filter((l) => l.trim() !== "");
      if (rest.length > 0 && rest.every(isJsonObject)) {
        for (const l of lines) {
          if (l.trim() === "") continue;
          try {
            write(line(JSON.parse(l), options));
          } catch (lineError) {
            write(JSON.stringify({ error: `invalid JSON line: ${(lineError as Error).message}` }));
          }
        }
      } else write(JSON.stringify({ error: `invalid JSON input: ${(e as Error).message}` }));
      return;
    }
    emitDocument(doc, write, options);
  }
}

function isJsonObject(s: string): boolean {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

function isCompleteJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
