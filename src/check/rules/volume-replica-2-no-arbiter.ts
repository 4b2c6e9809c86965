// Gluster turns client quorum on by default only for replica 3 and above: a
// replica 2 volume keeps writing on both sides of a partition and its files
// end up in split-brain. An arbiter (replica 3, arbiter 1) costs one small brick.
import type { GraphRule } from "../types.js";

export const volumeReplica2NoArbiter: GraphRule = {
  kind: "graph",
  code: "volume-replica-2-no-arbiter",
  layer: "storage",
  summary: "a replica 2 Gluster volume without an arbiter (split-brain risk)",
  check: (g) =>
    g.volumes
      .filter((v) => v.replica === 2)
      .map((v) => ({
        code: "volume-replica-2-no-arbiter",
        severity: "warning" as const,
        layer: "storage" as const,
        message: `volume '${v.name}' is replica 2 without an arbiter: client quorum is off for it, so when ${v.servers.map((s) => `'${s}'`).join(" and ")} lose sight of each other both sides keep accepting writes and files end up in split-brain`,
        fix: `add a third host to volumes.${v.name}.bricks after each pair and set replica: 3 with arbiter: 1 (the arbiter brick holds metadata only)`,
        path: ["volumes", v.name, "replica"],
      })),
};
