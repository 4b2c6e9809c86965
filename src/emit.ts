// From the graph to the whole output tree, in memory: graph.json plus one
// folder per target. Pure; the CLI writes the result atomically.
import type { Graph } from "./graph/model.js";
import { planHosts } from "./render/plan.js";
import type { HostPlan } from "./render/types.js";
import type { Secrets } from "./secrets.js";
import type { Diagnostic } from "./diagnostics.js";
import type { OutFile, Target, TargetOptions } from "../targets/types.js";

export function graphJson(graph: Graph): string {
  return JSON.stringify(graph, null, 2) + "\n";
}

export interface Emitted {
  readonly files: OutFile[];
  readonly plans: readonly HostPlan[];
  /** The targets', in target order. */
  readonly diagnostics: Diagnostic[];
}

export function emit(graph: Graph, secrets: Secrets, targets: readonly Target[], options: TargetOptions): Emitted {
  const plans = planHosts(graph, secrets);
  const files: OutFile[] = [{ path: "graph.json", content: graphJson(graph), mode: 0o644 }];
  const diagnostics: Diagnostic[] = [];
  for (const t of targets) {
    const out = t.emit(graph, plans, options);
    for (const f of out.files) files.push({ ...f, path: `${t.name}/${f.path}` });
    diagnostics.push(...out.diagnostics);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, plans, diagnostics };
}
