// What one host's failure does to each service of the topology, judged from
// the graph alone: "lost" when the service stops (or, for a Gluster replica
// set, loses quorum and turns read-only), "degraded" when it keeps running on
// less redundancy. The host rules are built on this.
import type { Graph, Volume } from "../graph/model.js";

export interface Service {
  /** "the entrance", "pool 'web'", "database 'wp'", "volume 'uploads'". */
  readonly name: string;
  /** What the host does for it, for messages: "the only load balancer", "a brick". */
  readonly role: string;
  /** Where that role is written in the topology. */
  readonly path: readonly (string | number)[];
}

export interface Impact {
  readonly host: string;
  readonly lost: readonly Service[];
  readonly degraded: readonly Service[];
}

/** A replica set stops serving writes once fewer than a majority of its bricks are up (replica 2 has no quorum: both must go). */
function setLost(v: Volume, set: readonly string[], host: string): boolean {
  const down = set.filter((h) => h === host).length;
  if (v.replica <= 2) return down === set.length;
  return set.length - down <= Math.floor(set.length / 2);
}

function volumeImpact(v: Volume, host: string): "lost" | "degraded" | undefined {
  if (!v.servers.includes(host)) return undefined;
  const sets: string[][] = [];
  for (let i = 0; i < v.bricks.length; i += v.replica) sets.push(v.bricks.slice(i, i + v.replica).map((b) => b.host));
  return sets.some((s) => s.includes(host) && setLost(v, s, host)) ? "lost" : "degraded";
}

export function impactOf(g: Graph, host: string): Impact {
  const lost: Service[] = [];
  const degraded: Service[] = [];
  const put = (isLost: boolean, s: Service): void => void (isLost ? lost : degraded).push(s);
  const lbIndex = g.loadBalancer.hosts.indexOf(host);
  if (lbIndex >= 0) {
    const only = g.loadBalancer.hosts.length === 1;
    put(only, { name: "the entrance", role: only ? "the only load balancer" : "a load balancer", path: ["loadbalancer", "hosts", lbIndex] });
  }
  for (const p of g.pools) {
    const i = p.members.findIndex((m) => m.host === host);
    if (i < 0) continue;
    const only = p.members.length === 1;
    put(only, { name: `pool '${p.name}'`, role: only ? `the only host of pool '${p.name}'` : `a host of pool '${p.name}'`, path: ["pools", p.name, "hosts", i] });
  }
  for (const d of g.databases) {
    const r = d.replicas.findIndex((m) => m.host === host);
    if (d.primary.host === host) {
      const only = d.replicas.length === 0;
      put(only, { name: `database '${d.name}'`, role: only ? `the only server of database '${d.name}'` : `the primary of database '${d.name}'`, path: ["databases", d.name, "primary"] });
    } else if (r >= 0) {
      put(false, { name: `database '${d.name}'`, role: `a replica of database '${d.name}'`, path: ["databases", d.name, "replicas", r] });
    }
  }
  for (const v of g.volumes) {
    const i = volumeImpact(v, host);
    if (i === undefined) continue;
    const b = v.bricks.findIndex((x) => x.host === host);
    put(i === "lost", { name: `volume '${v.name}'`, role: i === "lost" ? `the bricks that hold volume '${v.name}'` : `a brick of volume '${v.name}'`, path: ["volumes", v.name, "bricks", b] });
  }
  return { host, lost, degraded };
}

/** "a", "a and b", "a, b and c". */
export function listing(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join("");
  return `${xs.slice(0, -1).join(", ")} and ${xs[xs.length - 1]}`;
}
