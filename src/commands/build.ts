// `hacompile build`: validate, complete the secrets, emit every target, and
// publish the output tree in one step.
import { join, resolve } from "node:path";
import { checkGraph, countFindings, hasCheckErrors } from "../check/index.js";
import { summaryLine } from "../check/format.js";
import { build as buildTopology } from "../build.js";
import { hasErrors, type Diagnostic, type Position, type TopologyPath } from "../diagnostics.js";
import { loadYaml } from "../load/yaml.js";
import { cryptoRandom, defaultSecretsPath, inspectSecretsFile, writeSecretsFile } from "../io/secrets-file.js";
import { readTextFile } from "../io/text-file.js";
import { inspectOutput, publishTree, type OutputPlan, type OutputProblem } from "../io/write-tree.js";
import { completeSecrets, secretNames, selectSecrets, type Secrets } from "../secrets.js";
import { targetByName, targets } from "../../targets/index.js";
import type { Target } from "../../targets/types.js";
import type { Graph } from "../graph/model.js";
import { BuildReport, type FileProblem } from "./build-report.js";
import { EXIT_INVALID, EXIT_OK, UsageError } from "./common.js";

export interface BuildOptions {
  out?: string;
  target?: string;
  secrets?: string;
  frozenSecrets?: boolean;
  inlineSecrets?: boolean;
  /** true: every secret; a comma-separated list: those names, or prefixes of them ("databases.wp", "salts"). */
  rotateSecrets?: boolean | string;
  json?: boolean;
  /** Exit 1, writing nothing, when `check` finds errors (a single point of failure, an election mistake). */
  strict?: boolean;
}

function pickTargets(spec: string | undefined): Target[] {
  const names = spec === undefined || spec === "" ? targets.map((t) => t.name) : spec.split(",").map((n) => n.trim());
  return names.map((n) => {
    const t = targetByName(n);
    if (!t) throw new UsageError(`unknown target '${n}'; targets: ${targets.map((x) => x.name).join(", ")}`);
    return t;
  });
}

/** Which secrets --rotate-secrets names; a name that picks nothing is a usage error. */
function rotation(graph: Graph, spec: boolean | string | undefined, frozen: boolean): (name: string) => boolean {
  if (spec === undefined || spec === false) return () => false;
  if (frozen) throw new UsageError("--rotate-secrets and --frozen-secrets contradict each other");
  const names = secretNames(graph);
  if (spec === true) return () => true;
  const { selected, unknown } = selectSecrets(names, String(spec).split(",").map((s) => s.trim()).filter((s) => s !== ""));
  if (unknown.length > 0 || selected.size === 0)
    throw new UsageError(`--rotate-secrets: no secret named ${unknown.map((u) => `'${u}'`).join(", ") || "(none given)"}; this topology's secrets: ${names.join(", ")}`);
  return (name) => selected.has(name);
}

/**
 * Why --frozen-secrets stopped the build, located and saying what to do.
 * Names only: they are the topology's, never a value.
 */
function frozenMissing(path: string, exists: boolean, missing: readonly string[]): FileProblem {
  const at = { file: path, code: "secrets-missing", severity: "error", pos: { line: 1, col: 1 } } as const;
  if (!exists)
    return { ...at, message: "no secrets file here, and --frozen-secrets forbids creating one: pass --secrets <file> to use the deployed secrets, or build once without --frozen-secrets to generate them" };
  const names = missing.length > 5 ? `${missing.slice(0, 5).join(", ")} and ${missing.length - 5} more` : missing.join(", ");
  return { ...at, message: `${missing.length} secret(s) missing (${names}) and --frozen-secrets is set: add them to the file, or build once without --frozen-secrets to generate them` };
}

/**
 * Reads, checks, completes (and, when asked, rotates) the secrets, writing the
 * file when anything changed. Prints names and counts, never a value.
 * Undefined when the build must stop (the reason is printed).
 */
function prepareSecrets(graph: Graph, path: string, opts: BuildOptions, out: BuildReport): Secrets | undefined {
  const rotate = rotation(graph, opts.rotateSecrets, opts.frozenSecrets === true);
  const read = inspectSecretsFile(path);
  out.diagnose(read.diagnostics);
  if (hasErrors(read.diagnostics)) return undefined;
  if (read.mode !== undefined && (read.mode & 0o077) !== 0)
    out.problem({
      file: path,
      code: "secrets-file-mode",
      severity: "warning",
      message: `the secrets file is readable by others (mode ${read.mode.toString(8).padStart(4, "0")}); chmod 600 it`,
    });
  const { secrets, generated, rotated } = completeSecrets(graph, read.secrets, cryptoRandom, rotate);
  if (generated.length > 0 && opts.frozenSecrets) {
    out.problem(frozenMissing(path, read.mode !== undefined, generated));
    return undefined;
  }
  if (generated.length === 0 && rotated.length === 0) return secrets;
  try {
    writeSecretsFile(path, secrets);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? "write failed";
    out.problem({ file: path, code: "secrets-write-error", severity: "error", message: `cannot write the secrets file (${reason}); nothing was built` });
    return undefined;
  }
  // Names only: a secret's value never reaches a log.
  if (generated.length > 0) out.note(`generated ${generated.length} secret(s) in ${path} (mode 0600)`);
  if (rotated.length > 0) out.note(`rotated ${rotated.length} secret(s) in ${path}: ${rotated.join(", ")}`);
  return secrets;
}

/** Positions for check's findings (the YAML parsed again, once, when a finding asks). */
function locator(text: string): (file: string, path: TopologyPath) => Position {
  let yaml: ReturnType<typeof loadYaml> | undefined;
  return (_file, path) => (yaml ??= loadYaml(text)).locate(path);
}

/** An output path the build cannot use: one line naming it and what to do. */
function refuse(p: OutputProblem, out: BuildReport): number {
  out.problem({ file: p.path, code: p.code, severity: "error", message: p.message });
  return EXIT_INVALID;
}

export async function build(file: string, opts: BuildOptions): Promise<number> {
  // Usage errors first: they throw, and print no JSON document.
  const chosen = pickTargets(opts.target);
  const out = new BuildReport(opts.json === true);
  const code = buildWith(file, opts, chosen, out);
  out.finish(code);
  return code;
}

function buildWith(file: string, opts: BuildOptions, chosen: readonly Target[], out: BuildReport): number {
  // Bounded: never reads more than the size limit, whatever the file is.
  const read = readTextFile(file);
  if ("diagnostic" in read) {
    out.diagnose([read.diagnostic]);
    return EXIT_INVALID;
  }
  // Between compiling and rendering: report the compiler's diagnostics, run
  // check (--strict stops here), check the output path (a refused -o leaves
  // everything as it was, the secrets file included), then read and complete
  // the secrets.
  let reported: readonly Diagnostic[] | undefined;
  let stopped: number | undefined;
  let dest = "";
  let publish: OutputPlan | undefined;
  let findings: ReturnType<typeof checkGraph> = [];
  const result = buildTopology(read.text, {
    file,
    targets: chosen,
    targetOptions: { inlineSecrets: opts.inlineSecrets === true },
    secrets: (graph, compiled) => {
      reported = compiled;
      out.diagnose(compiled);
      // check's findings are about availability, not validity: a single load
      // balancer is a fine lab. --strict makes them a reason not to build.
      // Positions only matter when --strict prints the findings.
      findings = checkGraph(graph, file, opts.strict ? locator(read.text) : undefined);
      if (opts.strict && hasCheckErrors(findings)) {
        for (const f of findings.filter((x) => x.severity === "error"))
          out.diagnose([{ code: f.code, severity: "error", message: f.message, path: f.path ?? [], file: f.file, pos: f.pos }]);
        out.summary(summaryCounts(findings), `${summaryLine(findings)}; --strict: nothing was built`);
        stopped = EXIT_INVALID;
        return undefined;
      }
      dest = resolve(opts.out ?? join("out", graph.name));
      const inspected = inspectOutput(dest, opts.out === undefined);
      if ("problem" in inspected) {
        stopped = refuse(inspected.problem, out);
        return undefined;
      }
      publish = inspected.plan;
      const secrets = prepareSecrets(graph, opts.secrets ?? defaultSecretsPath(file), opts, out);
      if (secrets === undefined) stopped = EXIT_INVALID;
      return secrets;
    },
  });
  if (reported === undefined) {
    out.diagnose(result.diagnostics);
    return EXIT_INVALID;
  }
  if (stopped !== undefined) return stopped;
  if (result.graph === undefined || result.files === undefined || publish === undefined) return EXIT_INVALID;

  const failed = publishTree(publish, result.files);
  if (failed !== undefined) return refuse(failed, out);
  out.wrote({ out: dest, files: result.files.length, targets: chosen.map((t) => t.name) });
  // The targets' own diagnostics (about the output, so no topology position).
  for (const d of result.diagnostics.slice(reported.length)) out.note(`${d.severity}: ${d.message} [${d.code}]`);
  out.summary(summaryCounts(findings), summaryLine(findings));
  return EXIT_OK;
}

function summaryCounts(findings: Parameters<typeof countFindings>[0]): { errors: number; warnings: number; notes: number } {
  const c = countFindings(findings);
  return { errors: c.errors, warnings: c.warnings, notes: c.infos };
}
