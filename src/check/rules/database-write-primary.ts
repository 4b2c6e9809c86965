// Honesty about primary/replica replication: reads survive the primary's
// failure, writes do not, until someone promotes a replica. hacompile sets
// up no automatic promotion, so even a well-built topology has this point.
import type { GraphRule } from "../types.js";

export const databaseWritePrimary: GraphRule = {
  kind: "graph",
  code: "database-write-primary",
  layer: "database",
  summary: "writes depend on the one primary until a replica is promoted",
  check: (g) =>
    g.databases
      .filter((d) => d.replicas.length > 0)
      .map((d) => {
        const h = d.primary.host;
        const r = d.replicas.map((x) => `'${x.host}'`).join(", ");
        return {
          code: "database-write-primary",
          severity: "info" as const,
          layer: "database" as const,
          message: `writes to database '${d.name}' go to the primary '${h}' only: while it is down, reads continue from ${r} but logins, comments and publishing fail until a replica is promoted by hand`,
          fix: `no topology change removes this (hacompile sets up no automatic promotion); to recover, promote a replica and make it databases.${d.name}.primary`,
          path: ["databases", d.name, "primary"],
          hosts: [h],
        };
      }),
};
