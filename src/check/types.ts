// What `hacompile check` reports. A finding is a Diagnostic plus what a
// reviewer of an HA design needs: the layer it is about, the one-sentence
// change that removes it, and the hosts that are the single point (so the
// picture can paint them). "info" exists only here: a fact worth stating that
// no topology change removes (the write primary), never a reason to fail.
import type { Position, TopologyPath } from "../diagnostics.js";
import type { Graph } from "../graph/model.js";
import type { VrrpGroup } from "./election.js";

export type CheckSeverity = "error" | "warning" | "info";

/** In report order: from the client inwards, then hosts, then the VRRP election. */
export const LAYERS = ["entrance", "load-balancing", "pool", "database", "storage", "hosts", "election"] as const;
export type Layer = (typeof LAYERS)[number];

export const LAYER_TITLES: Readonly<Record<Layer, string>> = {
  entrance: "entrance",
  "load-balancing": "load balancing",
  pool: "pools",
  database: "databases",
  storage: "storage",
  hosts: "hosts",
  election: "keepalived election",
};

/** What a rule returns: positions are filled in by the runner. */
export interface FindingDraft {
  readonly code: string;
  readonly severity: CheckSeverity;
  readonly layer: Layer;
  /** Why this is a risk, in one sentence. */
  readonly message: string;
  /** The concrete change that removes it, in one sentence. */
  readonly fix: string;
  /** Topology path, for findings about a topology. */
  readonly path?: TopologyPath;
  /** Direct location, for findings about a keepalived.conf. */
  readonly file?: string;
  readonly pos?: Position;
  /** Hosts that are the single point this finding is about (for the picture). */
  readonly hosts?: readonly string[];
}

export interface Finding extends FindingDraft {
  readonly file: string;
  readonly pos: Position;
  /** The topology's name, or the keepalived file, the finding belongs to. */
  readonly subject: string;
}

/** A rule over one resolved topology. */
export interface GraphRule {
  readonly kind: "graph";
  readonly code: string;
  readonly layer: Layer;
  /** One line for `--help`-like listings and the README. */
  readonly summary: string;
  readonly check: (graph: Graph) => FindingDraft[];
}

/**
 * A rule over VRRP groups, which come from topologies (what hacompile would
 * generate) and from parsed keepalived.conf files alike. `graphSafe` marks the
 * rules hacompile's own output can never break: they are proven on configs.
 */
export interface ElectionRule {
  readonly kind: "election";
  readonly code: string;
  readonly layer: "election";
  readonly summary: string;
  readonly graphSafe: boolean;
  readonly check: (groups: readonly VrrpGroup[]) => FindingDraft[];
}

/** A topology and the file it came from. */
export interface Located {
  readonly file: string;
  readonly graph: Graph;
}

/**
 * A rule over every topology given together (`check a.yaml b.yaml`): what
 * no topology shows alone. Its findings name their file.
 */
export interface TopologiesRule {
  readonly kind: "topologies";
  readonly code: string;
  readonly layer: Layer;
  readonly summary: string;
  readonly check: (topologies: readonly Located[]) => FindingDraft[];
}

export type Rule = GraphRule | ElectionRule | TopologiesRule;
