// Usage mistakes on the command line, caught before cac sees them so that
// each one says what was probably meant: `hacompile biuld` suggests build,
// `--tagret` suggests --target. cac's own messages ("Unknown option
// `--tagret`") name no alternative.
import { UsageError } from "./commands/common.js";
import { didYouMean } from "./suggest.js";

/** The parts of a cac command this module reads. */
export interface CommandShape {
  readonly name: string;
  readonly options: readonly { readonly rawName: string }[];
}

const GLOBAL_FLAGS = ["--help", "-h", "--version", "-v"];

/** `--out`, `-o` from "-o, --out <dir>". */
function flagsOf(rawName: string): string[] {
  return rawName
    .replace(/[<[].*$/, "")
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f.startsWith("-"));
}

/**
 * `hacompile help` and `hacompile help build` as the --help forms cac knows.
 * Anything else is returned unchanged.
 */
export function rewriteHelp(argv: readonly string[]): string[] {
  const [node = "", script = "", first, ...rest] = argv;
  if (first !== "help") return [...argv];
  return rest.length === 0 ? [node, script, "--help"] : [node, script, rest[0]!, "--help"];
}

/** A usage error for a command name that does not exist, with the closest one. */
export function unknownCommand(name: string | undefined, commands: readonly CommandShape[]): UsageError {
  if (name === undefined) return new UsageError("no command given; see hacompile --help");
  const names = [...commands.map((c) => c.name), "help"];
  return new UsageError(`unknown command '${name}'${didYouMean(name, names)} (see hacompile --help)`);
}

/**
 * Throws a usage error for the first option the command does not have.
 * Reads argv itself: cac has camel-cased the names by the time it complains.
 */
export function checkOptions(argv: readonly string[], command: CommandShape): void {
  const known = [...command.options.flatMap((o) => flagsOf(o.rawName)), ...GLOBAL_FLAGS];
  for (const arg of argv.slice(2)) {
    if (arg === "--") return;
    if (!arg.startsWith("-") || arg === "-") continue;
    const flag = arg.replace(/=.*$/, "");
    // --no-x is mri's negation of --x.
    if (known.includes(flag) || known.includes(flag.replace(/^--no-/, "--"))) continue;
    throw new UsageError(`unknown option '${flag}' for ${command.name}${didYouMean(flag, known)} (see hacompile ${command.name} --help)`);
  }
}
