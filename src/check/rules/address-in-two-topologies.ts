// Two topologies on one subnet that use the same address (a host's, or the
// VIP) put two machines on one segment answering ARP for it: each loses part
// of its traffic, and a VIP that moves to the wrong machine takes a whole
// site with it. Only a check of the topologies together can see it (`check
// a.yaml b.yaml`). Two reserved IPs of a provider are one address wherever
// the subnets are. Error: the collision breaks both sites, no failure needed.
import { networkOf, parseCidr } from "../../graph/ipv4.js";
import type { Graph } from "../../graph/model.js";
import type { FindingDraft, Located, TopologiesRule } from "../types.js";

interface Use {
  readonly address: string;
  /** "host 'lb1'" or "the VIP". */
  readonly what: string;
  readonly path: readonly string[];
  readonly vip: boolean;
}

function usesOf(g: Graph): Use[] {
  const out: Use[] = g.hosts.map((h) => ({ address: h.address, what: `host '${h.name}'`, path: ["hosts", h.name, "address"], vip: false }));
  // Without failover the entrance is the first load balancer's own address: already listed.
  if (!out.some((u) => u.address === g.loadBalancer.vip))
    out.push({ address: g.loadBalancer.vip, what: "the VIP", path: ["loadbalancer", "vip"], vip: true });
  return out;
}

function subnetsOverlap(a: Graph, b: Graph): boolean {
  const x = parseCidr(a.network.subnet);
  const y = parseCidr(b.network.subnet);
  return networkOf(x) < networkOf(y) + y.size && networkOf(y) < networkOf(x) + x.size;
}

function collisions(ts: readonly Located[]): FindingDraft[] {
  const out: FindingDraft[] = [];
  ts.forEach((t, j) => {
    for (const u of usesOf(t.graph)) {
      for (const o of ts.slice(0, j)) {
        const same = o.graph.network.subnet === t.graph.network.subnet ? `on the same subnet ${t.graph.network.subnet}` : `on overlapping subnets ${o.graph.network.subnet} and ${t.graph.network.subnet}`;
        const other = usesOf(o.graph).find((x) => x.address === u.address && (subnetsOverlap(o.graph, t.graph) || (x.vip && u.vip)));
        if (other === undefined) continue;
        out.push({
          code: "address-in-two-topologies",
          severity: "error",
          layer: "hosts",
          message: `${u.address} is ${u.what} here and ${other.what} in '${o.graph.name}' (${o.file}) ${subnetsOverlap(o.graph, t.graph) ? same : "(one reserved IP)"}, so two machines answer for one address and each loses part of its traffic`,
          fix: `give ${u.what} an address that '${o.graph.name}' does not use`,
          file: t.file,
          path: u.path,
        });
        break;
      }
    }
  });
  return out;
}

export const addressInTwoTopologies: TopologiesRule = {
  kind: "topologies",
  code: "address-in-two-topologies",
  layer: "hosts",
  summary: "two topologies given together use one address (a host's or the VIP) on one subnet",
  check: collisions,
};
