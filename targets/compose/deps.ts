// Start order between hosts: `depends_on` with `condition: service_healthy`.
// The containers stay up, so `service_completed_successfully` never holds for
// them; instead each container is healthy only once its own bootstraps are
// done (init.ts), which makes "healthy" mean "ready for the next host".
//
// Edges come in tiers: first those a bootstrap needs (a replica's
// replication setup needs the primary; the Gluster volume's creation needs
// every brick server's glusterd), then those the application needs (web hosts
// mount the volume and connect to the database), then the load balancers
// (after their upstreams, so the first request through the VIP is answered).
// An edge that would close a cycle (hosts that carry several roles) is left
// out: the later tiers only make the start tidier, and the bootstraps retry.
import type { Graph } from "../../src/graph/model.js";
import { rolesOf } from "../../src/graph/model.js";

type Edge = readonly [from: string, to: string];

function bootstrapEdges(graph: Graph): Edge[] {
  const out: Edge[] = [];
  for (const d of graph.databases) for (const r of d.replicas) out.push([r.host, d.primary.host]);
  for (const v of graph.volumes) {
    const [first, ...rest] = v.servers;
    if (first !== undefined) for (const s of rest) out.push([first, s]);
  }
  return out;
}

function applicationEdges(graph: Graph): Edge[] {
  const out: Edge[] = [];
  for (const h of graph.hosts) {
    for (const c of rolesOf(h, "gluster-client")) {
      const first = graph.volumes.find((v) => v.name === c.volume)?.servers[0];
      if (first !== undefined) out.push([h.name, first]);
    }
    for (const w of rolesOf(h, "web")) {
      const pool = graph.pools.find((p) => p.name === w.pool);
      const db = graph.databases.find((d) => d.name === pool?.database);
      if (db) for (const m of [db.primary, ...db.replicas]) out.push([h.name, m.host]);
    }
  }
  return out;
}

function frontEdges(graph: Graph): Edge[] {
  const out: Edge[] = [];
  for (const lb of graph.loadBalancer.hosts) for (const p of graph.pools) for (const m of p.members) out.push([lb, m.host]);
  return out;
}

function reaches(deps: ReadonlyMap<string, readonly string[]>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(deps.get(n) ?? []));
  }
  return false;
}

/** For each host (graph order), the hosts it waits for, sorted by name. */
export function hostDependencies(graph: Graph): Map<string, string[]> {
  const deps = new Map<string, string[]>(graph.hosts.map((h) => [h.name, []]));
  // Membership by set: a load balancer waits for every web host, and a list
  // search per edge made that quadratic in hosts.
  const has = new Map<string, Set<string>>(graph.hosts.map((h) => [h.name, new Set()]));
  for (const [from, to] of [...bootstrapEdges(graph), ...applicationEdges(graph), ...frontEdges(graph)]) {
    const list = deps.get(from);
    const set = has.get(from);
    if (!list || !set || from === to || set.has(to) || reaches(deps, to, from)) continue;
    list.push(to);
    set.add(to);
  }
  for (const list of deps.values()) list.sort();
  return deps;
}
