// Argument parsing shared by every command: util.parseArgs, --help, and exit code 2 on misuse.
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;

/**
 * Parses a command's arguments. Returns the parsed values, or an exit code when the command is
 * done already: 0 after printing usage for --help, 2 after printing the error and usage.
 */
export function parseCommand<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
): Parsed<O> | number {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    }) as Parsed<O>;
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(usage);
      return 0;
    }
    return parsed;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
}
