// The one pipeline, used by the CLI (commands/build.ts), the lab
// (lab/up.ts) and the tests (test/helpers.ts): topology text in; the
// diagnostics, the graph, every host's plan and the output tree out. Pure
// but for what the caller's `secrets` callback does: the CLI reads and
// completes its secrets file there, the tests hand fixed secrets.
import { compile } from "./compile.js";
import type { Diagnostic } from "./diagnostics.js";
import { emit } from "./emit.js";
import type { Graph } from "./graph/model.js";
import type { HostPlan } from "./render/types.js";
import type { Secrets } from "./secrets.js";
import { targets as registeredTargets } from "../targets/index.js";
import { DEFAULT_TARGET_OPTIONS, type OutFile, type Target, type TargetOptions } from "../targets/types.js";

export interface BuildOptions {
  /** The topology file's name, as diagnostics print it. */
  readonly file: string;
  /** The targets to emit; every registered one when absent; [] for graph.json and the plans only. */
  readonly targets?: readonly Target[];
  readonly targetOptions?: TargetOptions;
  /**
   * The secrets for the compiled graph. Called once, only when the topology
   * compiled without error, before anything renders; `compiled` are the
   * diagnostics so far, so that a caller can print them before its own
   * output. Undefined stops the build after the graph (the callback has
   * said why).
   */
  readonly secrets: (graph: Graph, compiled: readonly Diagnostic[]) => Secrets | undefined;
}

export interface BuildResult {
  /** The compiler's (sorted), then the targets' in target order. */
  readonly diagnostics: Diagnostic[];
  /** Present when the topology compiled without error. */
  readonly graph?: Graph;
  readonly secrets?: Secrets;
  /** Every host's plan, in graph order; present with the files. */
  readonly hosts?: readonly HostPlan[];
  /** graph.json and each target's files under its name, sorted by path. */
  readonly files?: OutFile[];
}

export function build(text: string, options: BuildOptions): BuildResult {
  const compiled = compile(text, options.file);
  if (!compiled.graph) return { diagnostics: compiled.diagnostics };
  const graph = compiled.graph;
  const secrets = options.secrets(graph, compiled.diagnostics);
  if (secrets === undefined) return { diagnostics: compiled.diagnostics, graph };
  const out = emit(graph, secrets, options.targets ?? registeredTargets, options.targetOptions ?? DEFAULT_TARGET_OPTIONS);
  return { diagnostics: [...compiled.diagnostics, ...out.diagnostics], graph, secrets, hosts: out.plans, files: out.files };
}
