// A database without a replica: the primary is the only copy and the only
// server, for reads and writes alike.
import { listing } from "../failure.js";
import type { GraphRule } from "../types.js";

export const databaseNoReplica: GraphRule = {
  kind: "graph",
  code: "database-no-replica",
  layer: "database",
  summary: "a database without replicas",
  check: (g) =>
    g.databases
      .filter((d) => d.replicas.length === 0)
      .map((d) => {
        const h = d.primary.host;
        const n = d.clientPools.length;
        const users = n > 0 ? `${n === 1 ? "pool" : "pools"} ${listing(d.clientPools.map((p) => `'${p}'`))}` : "its clients";
        return {
          code: "database-no-replica",
          severity: "error" as const,
          layer: "database" as const,
          message: `database '${d.name}' has no replica, so ${users} can neither read nor write while '${h}' is down, and its data lives on that one host`,
          fix: `add a host to databases.${d.name}.replicas (HyperDB then reads from it, and it can be promoted)`,
          path: ["databases", d.name, "replicas"],
          hosts: [h],
        };
      }),
};
