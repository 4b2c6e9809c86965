// The order in which the lab starts every service of every host. On each
// host the plan's own `after` lists order the services; across hosts the
// graph adds what a real boot leaves to retries: a volume's clients mount
// after its bootstrap created it (which waits for every brick server's
// glusterd), and a database's replicas bootstrap after the primary. Pure.
import type { Graph } from "../graph/model.js";
import { mountServiceName } from "../render/gluster/gluster-client.js";
import type { HostPlan, ServiceSpec } from "../render/types.js";

export interface Step {
  /** `<host>/<service>` */
  readonly id: string;
  readonly host: string;
  readonly service: ServiceSpec;
  /** Steps that must be done (oneshot) or started (daemon) first. */
  readonly deps: readonly string[];
}

export const stepId = (host: string, service: string): string => `${host}/${service}`;

const GLUSTER_BOOTSTRAP = "gluster-bootstrap";
const GLUSTERD = "glusterd";
const DB_BOOTSTRAP = "db-bootstrap";

/** Every service the lab starts, periodic jobs left out (their timers are not a boot step). */
export function startSteps(graph: Graph, plans: readonly HostPlan[]): Step[] {
  const has = new Set<string>();
  for (const p of plans) for (const s of p.services) if (s.schedule === undefined) has.add(stepId(p.host.name, s.name));
  const cross = new Map<string, string[]>();
  const addCross = (from: string, to: string): void => {
    if (!has.has(from) || !has.has(to)) return;
    cross.set(from, [...(cross.get(from) ?? []), to]);
  };
  for (const v of graph.volumes) {
    const first = v.servers[0];
    if (first === undefined) continue;
    for (const s of v.servers.slice(1)) addCross(stepId(first, GLUSTER_BOOTSTRAP), stepId(s, GLUSTERD));
    for (const c of v.clients) addCross(stepId(c, mountServiceName(v.name)), stepId(first, GLUSTER_BOOTSTRAP));
  }
  for (const d of graph.databases) {
    for (const r of d.replicas) addCross(stepId(r.host, DB_BOOTSTRAP), stepId(d.primary.host, DB_BOOTSTRAP));
  }
  const steps: Step[] = [];
  for (const p of plans) {
    for (const s of p.services) {
      const id = stepId(p.host.name, s.name);
      if (!has.has(id)) continue;
      const local = s.after.map((a) => stepId(p.host.name, a)).filter((a) => has.has(a));
      steps.push({ id, host: p.host.name, service: s, deps: [...new Set([...local, ...(cross.get(id) ?? [])])].sort() });
    }
  }
  return steps;
}

/** Steps in an order that puts every dependency first; throws on a cycle. */
export function topoOrder(steps: readonly Step[]): Step[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const out: Step[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (s: Step): void => {
    const st = state.get(s.id);
    if (st === "done") return;
    if (st === "visiting") throw new Error(`lab: start order has a cycle at ${s.id}`);
    state.set(s.id, "visiting");
    for (const d of s.deps) {
      const dep = byId.get(d);
      if (dep) visit(dep);
    }
    state.set(s.id, "done");
    out.push(s);
  };
  for (const s of steps) visit(s);
  return out;
}
