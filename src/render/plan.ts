// Builds every host's plan from the renderers: files sorted by path, services
// in dependency order, packages and users de-duplicated and sorted.
import type { Graph } from "../graph/model.js";
import type { Secrets } from "../secrets.js";
import { renderers as defaultRenderers } from "./index.js";
import type { HostFile, HostPlan, Renderer, ServiceSpec, SystemUser } from "./types.js";

export function planHosts(graph: Graph, secrets: Secrets, renderers: readonly Renderer[] = defaultRenderers): HostPlan[] {
  const ctx = { graph, secrets };
  return graph.hosts.map((host) => {
    const files: HostFile[] = [];
    const services: ServiceSpec[] = [];
    const packages = new Set<string>();
    const users = new Map<string, SystemUser>();
    for (const r of renderers) {
      const c = r.render(ctx, host);
      files.push(...(c.files ?? []));
      services.push(...(c.services ?? []));
      for (const p of c.packages ?? []) packages.add(p);
      for (const u of c.users ?? []) users.set(u.name, u);
    }
    const seen = new Set<string>();
    for (const f of files) {
      if (seen.has(f.path)) throw new Error(`renderer invariant: two files at ${f.path} on ${host.name}`);
      seen.add(f.path);
    }
    return {
      host,
      files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
      services: orderServices(services, host.name),
      packages: [...packages].sort(),
      users: [...users.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
  });
}

/** Dependencies first; ties by name, so the order is stable. Every dependency must be on the host. */
export function orderServices(services: readonly ServiceSpec[], hostName: string): ServiceSpec[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  if (byName.size !== services.length) throw new Error(`renderer invariant: duplicate service on ${hostName}`);
  const out: ServiceSpec[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (s: ServiceSpec): void => {
    const st = state.get(s.name);
    if (st === "done") return;
    if (st === "visiting") throw new Error(`renderer invariant: service cycle at ${s.name} on ${hostName}`);
    state.set(s.name, "visiting");
    for (const dep of [...s.after].sort()) {
      const d = byName.get(dep);
      // The registry makes a misspelt name a compile error; a real name the
      // host does not run is a renderer's mistake too (it must leave the
      // dependency out on such hosts), so it stops the build, never drops
      // the ordering without a word.
      if (!d) throw new Error(`renderer invariant: ${s.name} on ${hostName} starts after ${dep}, which ${hostName} does not run`);
      visit(d);
    }
    state.set(s.name, "done");
    out.push(s);
  };
  for (const s of [...services].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(s);
  return out;
}
