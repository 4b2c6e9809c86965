// A host that serves several parts of the stack (load balancer, a web pool,
// a database, a storage brick) shares its fate and its CPU, memory and disk
// between them: one reboot, full disk or runaway process hits each at once.
// A note, not a warning: small sites co-locate on purpose, redundancy can
// still hold, and single-point-shares-host already warns when a single point
// is one of the roles. Mounting the pool's volume is part of being a web
// host, not a role of its own.
import { listing } from "../failure.js";
import type { Role } from "../../graph/model.js";
import type { GraphRule } from "../types.js";

function roleName(r: Role): string | undefined {
  switch (r.kind) {
    case "load-balancer":
      return "a load balancer";
    case "web":
      return `a host of pool '${r.pool}'`;
    case "db-primary":
      return `the primary of database '${r.database}'`;
    case "db-replica":
      return `a replica of database '${r.database}'`;
    case "gluster-server":
      return `a brick of volume '${r.volume}'`;
    case "gluster-client":
      return undefined;
  }
}

export const hostSeveralRoles: GraphRule = {
  kind: "graph",
  code: "host-several-roles",
  layer: "hosts",
  summary: "a host that carries several roles (a note)",
  check: (g) =>
    g.hosts.flatMap((h) => {
      const roles = h.roles.map(roleName).filter((n): n is string => n !== undefined);
      if (roles.length < 2) return [];
      return [
        {
          code: "host-several-roles",
          severity: "info" as const,
          layer: "hosts" as const,
          message: `'${h.name}' is ${listing(roles)}, so a reboot, a full disk or a runaway process on it affects all of them at once`,
          fix: `give each role a host of its own when the site outgrows ${h.name}`,
          path: ["hosts", h.name],
          hosts: [h.name],
        },
      ];
    }),
};
