// Equal priorities leave the election to the primary addresses (the higher
// wins), which is never the order the author meant.
import { at, nameOf } from "../election.js";
import type { ElectionRule, FindingDraft } from "../types.js";

export const vrrpPriorityDistinct: ElectionRule = {
  kind: "election",
  code: "vrrp-priority-distinct",
  layer: "election",
  summary: "every router of a virtual router has its own priority",
  graphSafe: true,
  check: (groups) =>
    groups.flatMap((g) => {
      const out: FindingDraft[] = [];
      const taken = new Set(g.nodes.map((n) => n.priority));
      g.nodes.forEach((n, i) => {
        const first = g.nodes.slice(0, i).find((m) => m.priority === n.priority);
        if (!first) return;
        let free = n.priority - 1;
        while (free > 1 && taken.has(free)) free--;
        taken.add(free);
        out.push({
          code: "vrrp-priority-distinct",
          severity: "error",
          layer: "election",
          message: `${nameOf(n)} has priority ${n.priority} like ${nameOf(first)} in ${g.name}, so which one holds the VIP is decided by their addresses, not by the intended order`,
          fix: `give ${nameOf(n)} a priority no other router of ${g.name} has, e.g. 'priority ${free}'`,
          ...at(n.origin),
        });
      });
      return out;
    }),
};
