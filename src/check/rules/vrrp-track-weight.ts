// keepalived adds a tracked check's weight to the priority; a failing check
// moves the VIP only if the master ends up below a backup (an equal priority
// is settled by address, so it has to be strictly below). Weight 0 puts the
// instance in FAULT instead, which always gives the VIP up.
import { at, failingPriority, healthyPriority, nameOf, type VrrpGroup, type VrrpNode } from "../election.js";
import type { ElectionRule, FindingDraft } from "../types.js";

function nodeFindings(g: VrrpGroup, n: VrrpNode): FindingDraft[] {
  const others = g.nodes.filter((o) => o !== n);
  if (n.nopreempt || others.length === 0) return [];
  const healthy = healthyPriority(n);
  const below = others.map(healthyPriority).filter((p) => p < healthy);
  const best = Math.max(...others.map(healthyPriority));
  const out: FindingDraft[] = [];
  for (const t of n.tracks.filter((x) => x.weight !== 0)) {
    const failing = failingPriority(n, t);
    const usualMaster = healthy > best;
    // As usual master it must drop below the best backup; as any master, below every lower router.
    const stuckAlways = usualMaster && failing >= best;
    const stuckSometimes = !stuckAlways && below.some((p) => failing >= p);
    if (!stuckAlways && !stuckSometimes) continue;
    const target = stuckAlways ? best : Math.min(...below);
    const need = healthy - target + 1;
    out.push({
      code: "vrrp-track-weight",
      severity: stuckAlways ? "error" : "warning",
      layer: "election",
      message: stuckAlways
        ? `when '${t.name}' fails, ${nameOf(n)} drops from ${healthy} to ${failing} only, not below the best backup's ${best}, so it keeps the VIP with a failed check`
        : `when '${t.name}' fails on ${nameOf(n)} while it is master, its priority ${failing} is not below ${target}, so a lower backup never takes the VIP from it`,
      fix: t.weight < 0
        ? `make the weight of '${t.name}' at most -${need} (or 0, so that a failure puts the instance in FAULT)`
        : `use a negative weight for '${t.name}' of at most -${need}, or 0 so that a failure puts the instance in FAULT`,
      ...at(n.origin),
    });
  }
  return out;
}

export const vrrpTrackWeight: ElectionRule = {
  kind: "election",
  code: "vrrp-track-weight",
  layer: "election",
  summary: "a failing tracked check really moves the VIP, given the weights and priorities",
  graphSafe: true,
  check: (groups) => groups.flatMap((g) => g.nodes.flatMap((n) => nodeFindings(g, n))),
};
