// The VRRP election as keepalived sees it, whatever it came from: the
// instances hacompile generates for a topology, or vrrp_instance blocks parsed
// from keepalived.conf files. Election rules are written once, over this.
import type { Position, TopologyPath } from "../diagnostics.js";
import { parseCidr, networkOf, toDotted } from "../graph/ipv4.js";
import { hostByName, rolesOf, type Graph } from "../graph/model.js";

export interface TrackedCheck {
  readonly name: string;
  /** Priority change: negative on failure, positive while succeeding, 0 = FAULT on failure. */
  readonly weight: number;
}

/** Where a node was written: a topology path, or a line in a config file. */
export type Origin =
  | { readonly kind: "topology"; readonly file: string; readonly path: TopologyPath }
  | { readonly kind: "config"; readonly file: string; readonly pos: Position };

export interface VrrpNode {
  /** The LB host name, or "<instance> in <file>". */
  readonly label: string;
  readonly origin: Origin;
  readonly state: "MASTER" | "BACKUP";
  readonly priority: number;
  readonly routerId: number;
  readonly interface: string;
  readonly nopreempt: boolean;
  /** Absent when the config leaves it to keepalived (the interface's address). */
  readonly unicastSrc?: string;
  /** Empty means multicast. */
  readonly unicastPeers: readonly string[];
  readonly tracks: readonly TrackedCheck[];
  /** "address/prefix", normalised. */
  readonly vips: readonly string[];
}

/** Routers that share one virtual router: one topology, or one (segment, id) across configs. */
export interface VrrpGroup {
  /** The topology name, or "virtual_router_id N on <segment>". */
  readonly name: string;
  /** "10.10.0.0/24", or "interface eth0" when a config gives no prefix to derive it from. */
  readonly segment: string;
  readonly routerId: number;
  readonly nodes: readonly VrrpNode[];
  /** Where the router id is written (or where the user would write it). */
  readonly routerIdOrigin: Origin;
}

/**
 * The group hacompile generates for a topology, mirroring src/render/keepalived/keepalived.ts:
 * state BACKUP everywhere, one chk_nginx weighted by trackWeight (0 = FAULT).
 */
export function groupFromGraph(graph: Graph, file: string): VrrpGroup | undefined {
  const failover = graph.loadBalancer.failover;
  if (!failover) return undefined;
  const v = failover.vrrp;
  const lbs = graph.loadBalancer.hosts.map((h) => hostByName(graph, h));
  const vip = failover.mode === "vrrp" ? `${graph.loadBalancer.vip}/${graph.network.prefixLength}` : `${graph.loadBalancer.vip}/32`;
  const nodes = lbs.map((host, rank): VrrpNode => {
    const role = rolesOf(host, "load-balancer")[0];
    return {
      label: host.name,
      origin: { kind: "topology", file, path: ["loadbalancer", "hosts", rank] },
      state: "BACKUP",
      priority: role?.priority ?? 100,
      routerId: v.routerId,
      interface: graph.network.interface,
      nopreempt: !v.preempt,
      ...(v.peers === "unicast" ? { unicastSrc: host.address } : {}),
      unicastPeers: v.peers === "unicast" ? lbs.filter((o) => o !== host).map((o) => o.address) : [],
      tracks: [{ name: "chk_nginx", weight: v.trackWeight === 0 ? 0 : -v.trackWeight }],
      vips: [vip],
    };
  });
  return {
    name: graph.name,
    segment: graph.network.subnet,
    routerId: v.routerId,
    nodes,
    routerIdOrigin: { kind: "topology", file, path: ["loadbalancer", "failover", "router_id"] },
  };
}

/** keepalived's own bounds for a priority changed by tracking. */
export function clampPriority(p: number): number {
  return Math.min(254, Math.max(1, p));
}

/** Priority while every tracked check succeeds. */
export function healthyPriority(n: VrrpNode): number {
  return clampPriority(n.priority + n.tracks.reduce((s, t) => s + Math.max(0, t.weight), 0));
}

/** Priority while `failing` fails and every other check succeeds. */
export function failingPriority(n: VrrpNode, failing: TrackedCheck): number {
  const others = n.tracks.filter((t) => t !== failing).reduce((s, t) => s + Math.max(0, t.weight), 0);
  return clampPriority(n.priority + others + Math.min(0, failing.weight));
}

/** The segment a config's VIP sits on: the network of its first address with a prefix, not on lo. */
export function segmentOf(vips: readonly string[], iface: string): string {
  const withPrefix = vips.find((v) => v.includes("/") && !v.endsWith("/32"));
  if (withPrefix === undefined) return `interface ${iface}`;
  const c = parseCidr(withPrefix);
  return `${toDotted(networkOf(c))}/${c.prefix}`;
}

/** Two segments overlap when they are the same interface label or their networks intersect. */
export function segmentsOverlap(a: string, b: string): boolean {
  if (a.startsWith("interface ") || b.startsWith("interface ")) return a === b;
  const x = parseCidr(a);
  const y = parseCidr(b);
  const [xs, xe] = [networkOf(x), networkOf(x) + x.size - 1];
  const [ys, ye] = [networkOf(y), networkOf(y) + y.size - 1];
  return xs <= ye && ys <= xe;
}

/** Where a finding about a node points: its topology path, or its line in the config. */
export function at(o: Origin): { readonly file: string; readonly path?: TopologyPath; readonly pos?: Position } {
  return o.kind === "topology" ? { file: o.file, path: o.path } : { file: o.file, pos: o.pos };
}

/** How a node is named in messages. */
export function nameOf(n: VrrpNode): string {
  return n.origin.kind === "topology" ? `load balancer '${n.label}'` : `vrrp_instance ${n.label}`;
}
