// A target packages the rendered host files; it renders nothing of its own
// beyond the packaging (compose.yaml, cloud-config, install scripts).
import type { Graph } from "../src/graph/model.js";
import type { HostPlan } from "../src/render/types.js";

export interface OutFile {
  /** Relative POSIX path inside the target's folder. */
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

export interface Target {
  /** Folder name under the output directory and the `--target` value. */
  readonly name: string;
  readonly description: string;
  readonly emit: (graph: Graph, plans: readonly HostPlan[]) => OutFile[];
}
