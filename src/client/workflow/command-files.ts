// The runner's command files (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE): `NAME=value` lines and
// `NAME<<DELIMITER` heredocs (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#multiline-strings).

export class CommandFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandFileError";
  }
}

export function parseCommandFile(text: string, file: string): [string, string][] {
  const out: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const eq = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!delimiter)
        throw new CommandFileError(`Invalid format '${line}' in ${file}: a delimiter is required after <<`);
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]!);
      }
      if (!closed) throw new CommandFileError(`Matching delimiter not found '${delimiter}' in ${file}`);
      out.push([name, value.join("\n")]);
    } else if (eq > 0) {
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    } else {
      throw new CommandFileError(`Invalid format '${line}' in ${file}`);
    }
  }
  return out;
}

/** GITHUB_PATH: one directory per line, prepended in order. */
export function parsePathFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}
