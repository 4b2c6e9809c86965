// Routing: every route through the VIP reaches its pool, every member of the
// pool answers (X-Served-By), WordPress routes serve the installed site, and
// a longer sibling of a prefix (/blog -> /blogx) stays with the default route.
import type { Graph, Pool } from "../../graph/model.js";
import { clientHttp, failureKinds, isReal, membersOf, percentile, round, routeUrl, wordpressNeedles } from "../http.js";
import type { Figures, Outcome, Scenario } from "../scenario.js";
import type { Lab } from "../up.js";

function poolOf(graph: Graph, name: string): Pool {
  const p = graph.pools.find((x) => x.name === name);
  if (!p) throw new Error(`graph invariant: no pool ${name}`);
  return p;
}

/** Only what a route check needs, so both labs (and cold-start) run it. */
export type RoutingLab = Pick<Lab, "graph"> & { readonly layout: Pick<Lab["layout"], "client"> };

export async function checkRoutes(lab: RoutingLab): Promise<Outcome> {
  const { graph } = lab;
  const figures: Figures = {};
  const failures: string[] = [];
  const latencies: number[] = [];
  for (const route of graph.loadBalancer.routes) {
    const pool = poolOf(graph, route.pool);
    const members = membersOf(pool);
    const url = routeUrl(route.path);
    const recs = await clientHttp(lab.layout, graph, {
      requests: [{ path: url }],
      count: 4 * members.length,
      rate: 20,
      timeoutMs: 5000,
      needles: pool.app === "wordpress" ? wordpressNeedles(graph) : [],
    });
    const ok = (r: (typeof recs)[number]): boolean => isReal(r, members);
    const good = recs.filter(ok);
    latencies.push(...good.map((r) => r.end - r.start));
    const seen = [...new Set(good.map((r) => r.servedBy))].sort();
    figures[`${url} ok`] = `${good.length}/${recs.length}`;
    figures[`${url} from`] = seen.join("+");
    if (good.length < recs.length) failures.push(`${url}: ${recs.length - good.length} of ${recs.length} requests were not pool ${pool.name}'s real answer (${failureKinds(recs, ok)})`);
    const silent = members.filter((m) => !seen.includes(m));
    if (silent.length > 0) failures.push(`${url}: pool ${pool.name} member(s) ${silent.join(", ")} never answered`);
    if (route.path !== "/" && graph.loadBalancer.defaultPool !== route.pool) {
      const sibling = `${route.path}x`;
      const def = membersOf(poolOf(graph, graph.loadBalancer.defaultPool));
      const [r] = await clientHttp(lab.layout, graph, { requests: [{ path: sibling }], count: 1, rate: 1, timeoutMs: 5000 });
      figures[`${sibling} from`] = r?.servedBy || "none";
      if (!r || !def.includes(r.servedBy)) failures.push(`${sibling} should reach the default pool ${graph.loadBalancer.defaultPool}, came from '${r?.servedBy ?? ""}'`);
    }
  }
  figures["p50 ms"] = round(percentile(latencies, 50), 1);
  return { figures, failures };
}

export const ROUTING_TITLE = "each route through the VIP reaches its pool; every member answers; WordPress serves the installed site";

export const routing: Scenario = { name: "routing", title: ROUTING_TITLE, run: checkRoutes };
