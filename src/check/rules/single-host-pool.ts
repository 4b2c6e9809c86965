// A pool with one member: every request routed to it fails with that host.
import type { GraphRule } from "../types.js";

export const singleHostPool: GraphRule = {
  kind: "graph",
  code: "single-host-pool",
  layer: "pool",
  summary: "a pool with one host",
  check: (g) =>
    g.pools
      .filter((p) => p.members.length === 1)
      .map((p) => {
        const h = p.members[0]!.host;
        const paths = p.paths.length > 0 ? p.paths.join(", ") : "no route";
        return {
          code: "single-host-pool",
          severity: "error" as const,
          layer: "pool" as const,
          message: `pool '${p.name}' (${paths}) has one host, '${h}', so its requests fail whenever ${h} is down`,
          fix: `add a second host to pools.${p.name}.hosts`,
          path: ["pools", p.name, "hosts"],
          hosts: [h],
        };
      }),
};
