// The command line: argv -> compile -> write or print. The only place that
// calls process.exit. Exit codes: 0 valid, 1 invalid input (or, for check,
// findings with errors), 2 usage error.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve, join } from "node:path";
import { cac } from "cac";
import { checkGraph, checkKeepalived, checkTopologies, hasCheckErrors, type CheckReport, type Source } from "./check/index.js";
import { formatReport, reportJson, summaryLine } from "./check/format.js";
import { compile, type CompileResult } from "./compile.js";
import { diagnosticJson, formatDiagnostic, hasErrors, type Diagnostic } from "./diagnostics.js";
import { draw, FORMATS, isFormat } from "./draw/index.js";
import { emit } from "./emit.js";
import { cryptoRandom, defaultSecretsPath, readSecretsFile, writeSecretsFile } from "./io/secrets-file.js";
import { writeTreeAtomic } from "./io/write-tree.js";
import { completeSecrets } from "./secrets.js";
import { targets, targetByName } from "../targets/index.js";
import type { Target } from "../targets/types.js";

const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

class UsageError extends Error {}

const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

function readTopology(file: string): CompileResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "cannot read the file";
    return { diagnostics: [{ code: "read-error", severity: "error", message: reason, path: [], file, pos: { line: 1, col: 1 } }] };
  }
  return compile(text, file);
}

function report(ds: readonly Diagnostic[], json: boolean): void {
  if (json) process.stdout.write(JSON.stringify({ diagnostics: ds.map(diagnosticJson) }, null, 2) + "\n");
  else for (const d of ds) process.stderr.write(formatDiagnostic(d) + "\n");
}

function pickTargets(spec: string | undefined): Target[] {
  if (spec === undefined || spec === "") return [...targets];
  return spec.split(",").map((n) => {
    const t = targetByName(n.trim());
    if (!t) throw new UsageError(`unknown target '${n}'; targets: ${targets.map((x) => x.name).join(", ")}`);
    return t;
  });
}

interface BuildOptions {
  out?: string;
  target?: string;
  secrets?: string;
  frozenSecrets?: boolean;
  json?: boolean;
}

function build(file: string, opts: BuildOptions): number {
  const chosen = pickTargets(opts.target);
  const result = readTopology(file);
  report(result.diagnostics, opts.json === true);
  if (hasErrors(result.diagnostics) || !result.graph) return EXIT_INVALID;
  const graph = result.graph;

  const secretsPath = opts.secrets ?? defaultSecretsPath(file);
  const existing = readSecretsFile(secretsPath);
  const { secrets, generated } = completeSecrets(graph, existing, cryptoRandom);
  if (generated.length > 0) {
    if (opts.frozenSecrets) {
      process.stderr.write(`${secretsPath}: ${generated.length} secret(s) missing and --frozen-secrets is set [secrets-missing]\n`);
      return EXIT_INVALID;
    }
    writeSecretsFile(secretsPath, secrets);
    // Names only: a secret's value never reaches a log.
    process.stderr.write(`generated ${generated.length} secret(s) in ${secretsPath} (mode 0600)\n`);
  }

  const { files } = emit(graph, secrets, chosen);
  const dest = resolve(opts.out ?? join("out", graph.name));
  writeTreeAtomic(dest, files);
  if (!opts.json) process.stdout.write(`wrote ${files.length} files to ${dest} (${chosen.map((t) => t.name).join(", ")})\n`);
  process.stderr.write(summaryLine(checkGraph(graph, file)) + "\n");
  return 0;
}

function validate(file: string, opts: { json?: boolean }): number {
  const result = readTopology(file);
  report(result.diagnostics, opts.json === true);
  if (hasErrors(result.diagnostics)) return EXIT_INVALID;
  if (!opts.json) process.stdout.write(`${file}: valid\n`);
  return 0;
}

function readSources(files: readonly string[]): { sources: Source[]; unreadable: Diagnostic[] } {
  const sources: Source[] = [];
  const unreadable: Diagnostic[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: readFileSync(file, "utf8") });
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "cannot read the file";
      unreadable.push({ code: "read-error", severity: "error", message: reason, path: [], file, pos: { line: 1, col: 1 } });
    }
  }
  return { sources, unreadable };
}

interface CheckOptions {
  json?: boolean;
  keepalived?: boolean;
}

function check(files: readonly string[], opts: CheckOptions): number {
  if (files.length === 0) throw new UsageError("check needs at least one topology (or keepalived.conf with --keepalived)");
  const { sources, unreadable } = readSources(files);
  const r: CheckReport = opts.keepalived ? checkKeepalived(sources) : checkTopologies(sources);
  const diagnostics = [...unreadable, ...r.diagnostics];
  if (opts.json) {
    const out = JSON.parse(reportJson(r.findings)) as Record<string, unknown>;
    process.stdout.write(JSON.stringify({ diagnostics: diagnostics.map(diagnosticJson), ...out }, null, 2) + "\n");
  } else {
    report(diagnostics, false);
    process.stdout.write(formatReport(r.findings));
  }
  return hasErrors(diagnostics) || hasCheckErrors(r.findings) ? EXIT_INVALID : 0;
}

interface GraphOptions {
  format?: string;
  out?: string;
}

async function graphCommand(file: string, opts: GraphOptions): Promise<number> {
  const format = opts.format ?? "mermaid";
  if (!isFormat(format)) throw new UsageError(`unknown format '${format}'; formats: ${FORMATS.join(", ")}`);
  const result = readTopology(file);
  report(result.diagnostics, false);
  if (hasErrors(result.diagnostics) || !result.graph) return EXIT_INVALID;
  const text = await draw(result.graph, format);
  if (opts.out === undefined) process.stdout.write(text);
  else writeFileSync(opts.out, text);
  return 0;
}

function main(argv: string[]): number | Promise<number> {
  const cli = cac("hacompile");
  let code: number | Promise<number> | undefined;
  cli
    .command("build <topology>", "Validate the topology and write every target's deployment files")
    .option("-o, --out <dir>", "Output directory (default: out/<name>)")
    .option("--target <list>", `Comma-separated targets (default: all: ${targets.map((t) => t.name).join(",")})`)
    .option("--secrets <file>", "Secrets file (default: <topology>.secrets.yaml beside the topology)")
    .option("--frozen-secrets", "Fail instead of generating missing secrets")
    .option("--json", "Print diagnostics as JSON")
    .action((file: string, o: BuildOptions) => {
      code = build(file, o);
    });
  cli
    .command("validate <topology>", "Check the topology and print diagnostics")
    .option("--json", "Print diagnostics as JSON")
    .action((file: string, o: { json?: boolean }) => {
      code = validate(file, o);
    });
  cli
    .command("check [...files]", "Find single points of failure and keepalived election mistakes (exit 1 on errors)")
    .option("--json", "Print findings as JSON")
    .option("--keepalived", "The files are keepalived.conf files to audit together, not topologies")
    .action((files: string[], o: CheckOptions) => {
      code = check(files, o);
    });
  cli
    .command("graph <topology>", "Draw the topology with its single points of failure marked")
    .option("--format <format>", `Output format: ${FORMATS.join(", ")} (default: mermaid)`)
    .option("-o, --out <file>", "Write to this file instead of standard output")
    .action((file: string, o: GraphOptions) => {
      code = graphCommand(file, o);
    });
  cli.help();
  cli.version(VERSION);
  cli.parse(argv, { run: false });
  if (cli.options["help"] || cli.options["version"]) return 0;
  if (!cli.matchedCommand) {
    const name = cli.args[0];
    throw new UsageError(name === undefined ? "no command given; see hacompile --help" : `unknown command '${name}'; see hacompile --help`);
  }
  cli.runMatchedCommand();
  return code ?? 0;
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

function run(): void {
  let code: number | Promise<number>;
  try {
    code = main(process.argv);
  } catch (e) {
    code = failure(e);
  }
  // `graph --format svg` lays out asynchronously (WebAssembly Graphviz).
  if (typeof code === "number") process.exitCode = code;
  else code.then((c) => (process.exitCode = c), (e: unknown) => (process.exitCode = failure(e)));
}

run();
