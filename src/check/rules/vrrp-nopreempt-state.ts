// keepalived honours nopreempt only on instances that start in state BACKUP;
// with state MASTER it preempts anyway, against what the author asked for.
import { at, nameOf } from "../election.js";
import type { ElectionRule } from "../types.js";

export const vrrpNopreemptState: ElectionRule = {
  kind: "election",
  code: "vrrp-nopreempt-state",
  layer: "election",
  summary: "nopreempt only with state BACKUP",
  graphSafe: true,
  check: (groups) =>
    groups.flatMap((g) =>
      g.nodes
        .filter((n) => n.nopreempt && n.state === "MASTER")
        .map((n) => ({
          code: "vrrp-nopreempt-state",
          severity: "error" as const,
          layer: "election" as const,
          message: `${nameOf(n)} sets nopreempt with state MASTER, which keepalived ignores, so it takes the VIP back whenever it returns`,
          fix: "set 'state BACKUP' on every router of the group and let the priorities elect the first master",
          ...at(n.origin),
        })),
    ),
};
