// The pure front end: text in, diagnostics and the graph out. It touches
// neither the file system nor the clock; the CLI does the I/O.
import { Topology } from "../schema/topology.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { lower } from "./graph/lower.js";
import type { Graph } from "./graph/model.js";
import { validateTopology } from "./graph/validate.js";
import { issuesToDiagnostics } from "./load/issues.js";
import { knownKeysAt } from "./load/known-keys.js";
import { echoes, misplacedDiagnostic, misplacedKeys, withoutEchoes } from "./load/misplaced.js";
import { loadYaml } from "./load/yaml.js";

export interface CompileResult {
  /** Sorted; each with file and position filled in. */
  readonly diagnostics: Diagnostic[];
  /** Present only when there is no error. */
  readonly graph?: Graph;
  readonly topology?: Topology;
}

export function compile(text: string, file: string): CompileResult {
  const loaded = loadYaml(text);
  const place = (ds: readonly Diagnostic[]): Diagnostic[] =>
    sortDiagnostics(ds.map((d) => ({ ...d, file, pos: d.pos ?? loaded.locate(d.path, d.atKey) })));
  if (loaded.diagnostics.length > 0) return { diagnostics: place(loaded.diagnostics) };
  if (loaded.value === undefined || loaded.value === null) {
    return { diagnostics: place([{ code: "empty-topology", severity: "error", message: "the file holds no topology", path: [] }]) };
  }
  const parsed = Topology.safeParse(loaded.value);
  if (!parsed.success) {
    // Only where zod complains: a pool may be named "backup" on purpose.
    const misplaced = misplacedKeys(loaded.value, Object.keys(Topology.shape)).filter((m) => echoes(parsed.error.issues, m));
    const issues = withoutEchoes(parsed.error.issues, misplaced);
    const ds = issuesToDiagnostics(issues, loaded.value, (p) => knownKeysAt(Topology, loaded.value, p));
    return { diagnostics: place([...misplaced.map(misplacedDiagnostic), ...ds]) };
  }
  const topology = parsed.data;
  const semantic = place(validateTopology(topology));
  if (hasErrors(semantic)) return { diagnostics: semantic, topology };
  return { diagnostics: semantic, topology, graph: lower(topology) };
}
