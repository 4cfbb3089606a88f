// Argument parsing shared by every command: util.parseArgs, --help, and exit code 2 on misuse.
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; tokens: true }>
>;

/** How a command reads its arguments, beyond its options. */
export interface CommandShape {
  /** prefix of the parser's misuse message, as `keyship rollback`; without it the message stands alone */
  name?: string;
  /** whether the command takes operands (default true); one that does not rejects them as misuse */
  positionals?: boolean;
}

/**
 * Parses a command's arguments. Returns the parsed values, or an exit code when the command is
 * done already: 0 after printing usage for --help, 2 after printing the error and usage.
 */
export function parseCommand<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  shape: CommandShape = {},
): Parsed<O> | number {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: shape.positionals ?? true,
      tokens: true,
    }) as Parsed<O>;
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(usage);
      return 0;
    }
    return parsed;
  } catch (err) {
    const message = (err as Error).message;
    return misuse(shape.name ? `${shape.name}: ${message}` : message, usage);
  }
}

/** Prints a misuse message and the usage text to stderr; returns the usage exit code, 2. */
export function misuse(message: string, usage: string): number {
  process.stderr.write(`${message}\n\n${usage}`);
  return 2;
}
