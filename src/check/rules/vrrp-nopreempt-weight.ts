// Under nopreempt a backup never takes over from a live master, however low
// its priority falls: a weighted check only lowers a number nobody acts on.
// Only weight 0 (FAULT on failure) moves the VIP.
import { at, nameOf } from "../election.js";
import type { ElectionRule, FindingDraft } from "../types.js";

export const vrrpNopreemptWeight: ElectionRule = {
  kind: "election",
  code: "vrrp-nopreempt-weight",
  layer: "election",
  summary: "under nopreempt, tracked checks have weight 0",
  graphSafe: true,
  check: (groups) =>
    groups.flatMap((g) =>
      g.nodes.flatMap((n): FindingDraft[] =>
        n.nopreempt
          ? n.tracks
              .filter((t) => t.weight !== 0)
              .map((t) => ({
                code: "vrrp-nopreempt-weight",
                severity: "error",
                layer: "election",
                message: `${nameOf(n)} has nopreempt and tracks '${t.name}' with weight ${t.weight}, so a failing check only changes its priority and the VIP never moves`,
                fix: `set 'weight 0' on '${t.name}' (a failure then puts the instance in FAULT and a backup takes over)`,
                ...at(n.origin),
              }))
          : [],
      ),
    ),
};
