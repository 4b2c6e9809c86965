// replica 1 keeps one copy of each file: the brick's host is the single point
// for the files on it (all of them with one brick, a share with several).
import type { GraphRule } from "../types.js";

export const volumeReplica1: GraphRule = {
  kind: "graph",
  code: "volume-replica-1",
  layer: "storage",
  summary: "a Gluster volume with replica 1 (one copy of each file)",
  check: (g) =>
    g.volumes
      .filter((v) => v.replica === 1)
      .map((v) => {
        const which = v.servers.length === 1 ? `every file is on '${v.servers[0]}'` : `each file is on one of ${v.servers.map((s) => `'${s}'`).join(", ")}`;
        return {
          code: "volume-replica-1",
          severity: "error" as const,
          layer: "storage" as const,
          message: `volume '${v.name}' keeps one copy of each file (replica 1): ${which}, unreadable while that host is down and lost with its disk`,
          fix: `set volumes.${v.name}.replica to 3 with arbiter: 1 and list bricks on three different hosts`,
          path: ["volumes", v.name, "replica"],
          hosts: v.servers,
        };
      }),
};
