// `hacompile build`: validate, complete the secrets, emit every target, and
// publish the output tree in one step.
import { join, resolve } from "node:path";
import { checkGraph } from "../check/index.js";
import { summaryLine } from "../check/format.js";
import { build as buildTopology } from "../build.js";
import { hasErrors, type Diagnostic } from "../diagnostics.js";
import { cryptoRandom, defaultSecretsPath, inspectSecretsFile, writeSecretsFile } from "../io/secrets-file.js";
import { readTextFile } from "../io/text-file.js";
import { inspectOutput, publishTree, type OutputPlan, type OutputProblem } from "../io/write-tree.js";
import { completeSecrets, secretNames, selectSecrets, type Secrets } from "../secrets.js";
import { targetByName, targets } from "../../targets/index.js";
import type { Target } from "../../targets/types.js";
import type { Graph } from "../graph/model.js";
import { EXIT_INVALID, EXIT_OK, report, UsageError } from "./common.js";

export interface BuildOptions {
  out?: string;
  target?: string;
  secrets?: string;
  frozenSecrets?: boolean;
  inlineSecrets?: boolean;
  /** true: every secret; a comma-separated list: those names, or prefixes of them ("databases.wp", "salts"). */
  rotateSecrets?: boolean | string;
  json?: boolean;
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
 * Reads, checks, completes (and, when asked, rotates) the secrets, writing the
 * file when anything changed. Prints names and counts, never a value.
 * Undefined when the build must stop (the reason is printed).
 */
function prepareSecrets(graph: Graph, path: string, opts: BuildOptions): Secrets | undefined {
  const rotate = rotation(graph, opts.rotateSecrets, opts.frozenSecrets === true);
  const read = inspectSecretsFile(path);
  report(read.diagnostics, opts.json === true);
  if (hasErrors(read.diagnostics)) return undefined;
  if (read.mode !== undefined && (read.mode & 0o077) !== 0)
    process.stderr.write(`${path}: warning: the secrets file is readable by others (mode ${read.mode.toString(8).padStart(4, "0")}); chmod 600 it [secrets-file-mode]\n`);
  const { secrets, generated, rotated } = completeSecrets(graph, read.secrets, cryptoRandom, rotate);
  if (generated.length > 0 && opts.frozenSecrets) {
    process.stderr.write(`${path}: ${generated.length} secret(s) missing and --frozen-secrets is set [secrets-missing]\n`);
    return undefined;
  }
  if (generated.length === 0 && rotated.length === 0) return secrets;
  try {
    writeSecretsFile(path, secrets);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? "write failed";
    process.stderr.write(`${path}: cannot write the secrets file (${reason}); nothing was built [secrets-write-error]\n`);
    return undefined;
  }
  // Names only: a secret's value never reaches a log.
  if (generated.length > 0) process.stderr.write(`generated ${generated.length} secret(s) in ${path} (mode 0600)\n`);
  if (rotated.length > 0) process.stderr.write(`rotated ${rotated.length} secret(s) in ${path}: ${rotated.join(", ")}\n`);
  return secrets;
}

/** An output path the build cannot use: one line naming it and what to do. */
function refuse(p: OutputProblem): number {
  process.stderr.write(`${p.path}: ${p.message} [${p.code}]\n`);
  return EXIT_INVALID;
}

export async function build(file: string, opts: BuildOptions): Promise<number> {
  const chosen = pickTargets(opts.target);
  // Bounded: never reads more than the size limit, whatever the file is.
  const read = readTextFile(file);
  if ("diagnostic" in read) {
    report([read.diagnostic], opts.json === true);
    return EXIT_INVALID;
  }

  // Between compiling and rendering: print the compiler's diagnostics, check
  // the output path (a refused -o leaves everything as it was, the secrets
  // file included), then read and complete the secrets.
  let reported: readonly Diagnostic[] | undefined;
  let refused: OutputProblem | undefined;
  let dest = "";
  let publish: OutputPlan | undefined;
  const result = buildTopology(read.text, {
    file,
    targets: chosen,
    targetOptions: { inlineSecrets: opts.inlineSecrets === true },
    secrets: (graph, compiled) => {
      reported = compiled;
      report(compiled, opts.json === true);
      dest = resolve(opts.out ?? join("out", graph.name));
      const inspected = inspectOutput(dest, opts.out === undefined);
      if ("problem" in inspected) {
        refused = inspected.problem;
        return undefined;
      }
      publish = inspected.plan;
      return prepareSecrets(graph, opts.secrets ?? defaultSecretsPath(file), opts);
    },
  });
  if (reported === undefined) {
    report(result.diagnostics, opts.json === true);
    return EXIT_INVALID;
  }
  if (refused !== undefined) return refuse(refused);
  if (result.graph === undefined || result.files === undefined || publish === undefined) return EXIT_INVALID;

  const failed = publishTree(publish, result.files);
  if (failed !== undefined) return refuse(failed);
  if (!opts.json) process.stdout.write(`wrote ${result.files.length} files to ${dest} (${chosen.map((t) => t.name).join(", ")})\n`);
  // The targets' own diagnostics (about the output, so no topology position).
  for (const d of result.diagnostics.slice(reported.length)) process.stderr.write(`${d.severity}: ${d.message} [${d.code}]\n`);
  process.stderr.write(summaryLine(checkGraph(result.graph, file)) + "\n");
  return EXIT_OK;
}
