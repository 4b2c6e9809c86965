// Two virtual routers with one virtual_router_id on one segment hear each
// other's adverts as their own: elections and VIPs conflict. Router ids are
// derived from the topology name, so only a check across topologies (or
// across configs) can see a collision.
import { at, segmentsOverlap, type VrrpGroup } from "../election.js";
import type { ElectionRule, FindingDraft } from "../types.js";

function freeId(groups: readonly VrrpGroup[], g: VrrpGroup): number {
  const used = new Set(groups.filter((o) => segmentsOverlap(o.segment, g.segment)).map((o) => o.routerId));
  for (let id = 1; id <= 255; id++) if (!used.has(id)) return id;
  return g.routerId;
}

function betweenGroups(groups: readonly VrrpGroup[]): FindingDraft[] {
  const out: FindingDraft[] = [];
  groups.forEach((g, j) => {
    const first = groups.slice(0, j).find((o) => o.routerId === g.routerId && segmentsOverlap(o.segment, g.segment));
    if (!first) return;
    const topo = g.routerIdOrigin.kind === "topology";
    out.push({
      code: "vrrp-router-id-collision",
      severity: "error",
      layer: "election",
      message: `${g.name} uses virtual_router_id ${g.routerId} on ${g.segment}, like ${first.name} on ${first.segment}, so each hears the other's adverts as its own and their elections and VIPs conflict`,
      fix: topo
        ? `set loadbalancer.failover.router_id: ${freeId(groups, g)} in one of the two topologies`
        : `set 'virtual_router_id ${freeId(groups, g)}' in every instance of one of the two groups`,
      ...at(g.routerIdOrigin),
    });
  });
  return out;
}

export const vrrpRouterIdCollision: ElectionRule = {
  kind: "election",
  code: "vrrp-router-id-collision",
  layer: "election",
  summary: "virtual_router_id unique per network segment, across every topology or config given",
  graphSafe: false,
  check: betweenGroups,
};
