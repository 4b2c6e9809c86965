// A host that is already a single point and also carries part of a redundant
// service: its failure does not only stop one service, it also takes the
// spare of another at the worst moment. Moving the extra role is cheap.
import { dotted } from "../../diagnostics.js";
import { impactOf, listing } from "../failure.js";
import type { GraphRule } from "../types.js";

export const singlePointSharesHost: GraphRule = {
  kind: "graph",
  code: "single-point-shares-host",
  layer: "hosts",
  summary: "a single-point host that also carries part of a redundant service",
  check: (g) =>
    g.hosts
      .map((h) => impactOf(g, h.name))
      .filter((i) => i.lost.length === 1 && i.degraded.length > 0)
      .map((i) => ({
        code: "single-point-shares-host",
        severity: "warning" as const,
        layer: "hosts" as const,
        message: `'${i.host}' is ${i.lost[0]!.role} and also ${listing(i.degraded.map((s) => s.role))}, so when it fails ${listing(i.degraded.map((s) => s.name))} lose${i.degraded.length === 1 ? "s" : ""} redundancy at the moment ${i.lost[0]!.name} stops`,
        fix: `move ${listing(i.degraded.map((s) => `${s.role} (${dotted(s.path)})`))} to another host`,
        path: ["hosts", i.host],
        hosts: [i.host],
      })),
};
