// Single points stacked on one host: each service may already be reported by
// its own layer, but here one host failure takes several down at once, and
// the fix is to separate them before adding redundancy.
import { impactOf, listing } from "../failure.js";
import type { GraphRule } from "../types.js";

export const hostSinglePoint: GraphRule = {
  kind: "graph",
  code: "host-single-point",
  layer: "hosts",
  summary: "one host whose failure alone stops several services",
  check: (g) =>
    g.hosts
      .map((h) => impactOf(g, h.name))
      .filter((i) => i.lost.length >= 2)
      .map((i) => {
        const moved = i.lost.slice(1).map((s) => s.name);
        return {
          code: "host-single-point",
          severity: "error" as const,
          layer: "hosts" as const,
          message: `'${i.host}' is ${listing(i.lost.map((s) => s.role))}, so this one host failing stops ${listing(i.lost.map((s) => s.name))} together`,
          fix: `move ${listing(moved)} off '${i.host}' to hosts of their own, each with a second host`,
          path: ["hosts", i.host],
          hosts: [i.host],
        };
      }),
};
