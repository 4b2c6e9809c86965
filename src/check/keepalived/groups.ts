// Instances from several keepalived.conf files form one virtual router when
// they share a segment, a virtual_router_id and the addresses they protect.
// Two groups with one id on one segment are the collision the router-id rule
// reports. Order follows the files as given, then each file's order.
import { segmentOf, type VrrpGroup, type VrrpNode } from "../election.js";
import type { ParsedConfig } from "./parse.js";

export function groupsFromConfigs(configs: readonly ParsedConfig[]): VrrpGroup[] {
  const groups = new Map<string, { segment: string; routerId: number; nodes: VrrpNode[] }>();
  for (const c of configs)
    for (const n of c.instances) {
      const segment = segmentOf(n.vips, n.interface);
      const key = `${segment}\u0000${n.routerId}\u0000${[...n.vips].sort().join(" ")}`;
      const g = groups.get(key) ?? { segment, routerId: n.routerId, nodes: [] };
      g.nodes.push(n);
      groups.set(key, g);
    }
  return [...groups.values()].map((g) => ({
    name: `the virtual router of ${g.nodes[0]!.vips.join(", ") || "no address"}`,
    segment: g.segment,
    routerId: g.routerId,
    nodes: g.nodes,
    routerIdOrigin: g.nodes[0]!.origin,
  }));
}
