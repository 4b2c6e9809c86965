// The command line: parses argv and runs one command. The only place that
// sets the exit code. Each command's module is imported when that command
// runs, so `build` never loads the verifier or the WebAssembly Graphviz.
// Exit codes: 0 valid, 1 invalid input, 2 usage error, 70 internal error.
import { readFileSync } from "node:fs";
import { cac } from "cac";
import { TARGET_NAMES } from "../targets/names.js";
import { extendHelp } from "./cli-help.js";
import { checkOptions, rewriteHelp, unknownCommand } from "./cli-usage.js";
import { EXIT_USAGE, UsageError } from "./commands/common.js";

const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
const FORMATS = "mermaid, dot, svg";

type Run = () => Promise<number>;

function parse(argv: string[]): Run | number {
  const cli = cac("hacompile");
  let run: Run | undefined;
  cli
    .command("build <topology>", "Validate the topology and write every target's deployment files")
    .option("-o, --out <dir>", "Output directory (default: out/<name>)")
    .option("--target <list>", `Comma-separated targets (default: all: ${TARGET_NAMES.join(",")})`)
    .option("--secrets <file>", "Secrets file (default: <topology>.secrets.yaml beside the topology)")
    .option("--frozen-secrets", "Fail instead of generating missing secrets (default: off)")
    .option("--rotate-secrets [names]", "New values for every secret, or the named ones (comma-separated: databases.wp.app, databases.wp, salts, wordpressAdmin); prints names only (default: none)")
    .option("--inline-secrets", "Put secrets into cloud-init user-data (and block non-root access to the metadata service) (default: off, secrets copied as SECRETS.txt says)")
    .option("--strict", "Exit 1 and write nothing when check finds errors (single points of failure) (default: off, build and print a summary)")
    .option("--json", "Print one JSON document on stdout (diagnostics, notes, check summary, files written) and no text (default: text)")
    .action((file: string, o: object) => {
      run = async () => (await import("./commands/build.js")).build(file, o);
    });
  cli
    .command("init [dir]", "Write a commented starter topology and a .gitignore for its secrets (never overwrites)")
    .action((dir: string | undefined) => {
      run = async () => (await import("./commands/init.js")).init(dir);
    });
  cli
    .command("explain <key>", "Print a topology key's type, default, bounds and meaning (e.g. loadbalancer.failover.advert_interval)")
    .action((key: string) => {
      run = async () => (await import("./commands/explain.js")).explain(key);
    });
  cli
    .command("validate <topology>", "Check the topology and print diagnostics")
    .option("--json", "Print diagnostics as JSON (default: text on stderr)")
    .action((file: string, o: { json?: boolean }) => {
      run = async () => (await import("./commands/validate.js")).validate(file, o);
    });
  cli
    .command("check [...files]", "Find single points of failure and keepalived election mistakes (exit 1 on errors)")
    .option("--json", "Print findings as JSON (default: text)")
    .option("--keepalived", "The files are keepalived.conf files to audit together, not topologies (default: topologies)")
    .action((files: string[], o: object) => {
      run = async () => (await import("./commands/check.js")).check(files, o);
    });
  cli
    .command("graph <topology>", "Draw the topology with its single points of failure marked")
    .option("--format <format>", `Output format: ${FORMATS} (default: mermaid)`)
    .option("-o, --out <file>", "Write to this file (default: standard output)")
    .action((file: string, o: object) => {
      run = async () => (await import("./commands/graph.js")).graphCommand(file, o);
    });
  cli
    .command("verify <output-dir>", "Check every generated file with the real program that reads it (root)")
    .option("--tool <name>", "Run only the check of this tool: nginx, keepalived, mariadbd, shellcheck, ... (default: every tool)")
    .option("--tls-cert <file>", "The load balancers' real certificate, for nginx to load (default: the file at the topology's path, else a throwaway pair)")
    .option("--tls-key <file>", "Its private key, with --tls-cert (default: the file at the topology's path, else a throwaway key)")
    .action((dir: string, o: { tool?: string; tlsCert?: string; tlsKey?: string }) => {
      run = async () => (await import("./commands/verify.js")).verifyCommand(dir, o);
    });
  cli
    .command("lab <action> <topology>", "Run the generated bundles in network namespaces and break them: up, test or down (root, Linux)")
    .option("--json <file>", "lab test: write the figures as JSON to this file (default: none)")
    .option("--machines", "Booted machines (systemd-nspawn, cloud-init) instead of namespaces (default: namespaces)")
    .option("--target <target>", "--machines: systemd (cloud-init user-data) or bundle (install.sh over ssh) (default: systemd)")
    .option("--inline-secrets", "--machines --target systemd: secrets in user-data instead of copied as SECRETS.txt says (default: off)")
    .option("--only <names>", "lab test: run only these scenarios, comma-separated (default: all)")
    .option("--running", "lab test --machines: run the scenarios on the lab that 'lab up' left running, and leave it up (default: off)")
    .action((action: string, file: string, o: object) => {
      run = async () => (await import("./commands/lab.js")).labCommand(action, file, o);
    });
  cli.help((sections) => extendHelp(sections, cli.matchedCommand));
  cli.version(VERSION);
  const args = rewriteHelp(argv);
  // `hacompile biuld --help` must not print the general help as if it were fine.
  const named = args[2];
  if (named !== undefined && !named.startsWith("-") && !cli.commands.some((c) => c.name === named)) throw unknownCommand(named, cli.commands);
  cli.parse(args, { run: false });
  if (cli.options["help"] || cli.options["version"]) return 0;
  if (!cli.matchedCommand) throw unknownCommand(cli.args[0], cli.commands);
  checkOptions(args, cli.matchedCommand);
  cli.runMatchedCommand();
  if (!run) throw new UsageError("no command given; see hacompile --help");
  return run;
}

function failure(e: unknown): number {
  const name = e instanceof Error ? e.name : "";
  if (e instanceof UsageError || name === "CACError") {
    process.stderr.write(`hacompile: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  // An internal error is a bug: say so plainly, without a stack trace.
  process.stderr.write(`hacompile: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  return 70;
}

async function main(): Promise<void> {
  let code: number;
  try {
    const r = parse(process.argv);
    code = typeof r === "number" ? r : await r();
  } catch (e) {
    code = failure(e);
  }
  process.exitCode = code;
}

void main();
