// A target packages the rendered host files; it renders nothing of its own
// beyond the packaging (compose.yaml, cloud-config, install scripts).
import type { Diagnostic } from "../src/diagnostics.js";
import type { Graph } from "../src/graph/model.js";
import type { HostPlan } from "../src/render/types.js";
import type { TargetName } from "./names.js";

export interface OutFile {
  /** Relative POSIX path inside the target's folder. */
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/**
 * What the build was asked for, given to every target: each reads what
 * concerns it and ignores the rest, so the CLI never special-cases a target
 * by name.
 */
export interface TargetOptions {
  /** --inline-secrets: the systemd target carries the secrets in user-data. */
  readonly inlineSecrets: boolean;
}

export const DEFAULT_TARGET_OPTIONS: TargetOptions = { inlineSecrets: false };

export interface TargetOutput {
  readonly files: OutFile[];
  /** About the output, not the topology (e.g. a user-data too big for some clouds); path is []. */
  readonly diagnostics: Diagnostic[];
}

export interface Target {
  /** Folder name under the output directory and the `--target` value. */
  readonly name: TargetName;
  readonly description: string;
  readonly emit: (graph: Graph, plans: readonly HostPlan[], options: TargetOptions) => TargetOutput;
}
