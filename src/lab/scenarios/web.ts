// A web host fails under load through the VIP: first its daemons exit
// (nginx, and php-fpm where the pool runs PHP), then its link goes down.
// The load balancers must hide both: the goal is 0 failed requests. Through
// the host interface: the same code on both labs.
import type { Graph, Pool } from "../../graph/model.js";
import { LabError, sleep, waitFor } from "../exec.js";
import { hostOf, type HostLab, type HostScenario } from "../host.js";
import { clientHttp, failureKinds, isReal, loadFigures, membersOf, REQUEST_TIMEOUT_MS, routeUrl, wordpressNeedles, type HttpRecord } from "../http.js";
import type { Figures, Outcome } from "../scenario.js";

/**
 * A WordPress page costs 0.1-0.2 s of PHP on this kind of machine, and the
 * surviving member must carry the whole rate alone: 5 per second stays well
 * inside 2 cores. A static file costs next to nothing.
 */
const rateOf = (pool: Pool): number => (pool.app === "wordpress" ? 5 : 100);
/** How long the daemons stay dead. */
const KILLED_S = 4;
/**
 * How long the link stays down: longer than a request may wait, so that a
 * request stuck on the vanished host fails instead of being rescued when the
 * link comes back. The host is gone, as far as the clients can tell.
 */
const LINK_DOWN_S = Math.ceil(REQUEST_TIMEOUT_MS / 1000) + 2;

function load(lab: HostLab, pool: Pool, seconds: number): Promise<HttpRecord[]> {
  const path = routeUrl(pool.paths[0] ?? "/");
  const rate = rateOf(pool);
  return clientHttp(lab.layout, lab.graph, {
    requests: [{ path }],
    count: rate * seconds,
    rate,
    timeoutMs: REQUEST_TIMEOUT_MS,
    needles: pool.app === "wordpress" ? wordpressNeedles(lab.graph) : [],
  });
}

/** The daemons a web host runs for its pool (service name and unit), in start order. */
function webDaemons(lab: HostLab, host: string): { name: string; unit: string }[] {
  const plan = lab.plans.find((p) => p.host.name === host);
  return (plan?.services ?? []).filter((s) => s.kind === "daemon" && (s.name === "nginx" || s.name === "php-fpm")).map((s) => ({ name: s.name, unit: s.unit }));
}

/** Waits until the pool's member answers through the VIP again (its LB fail_timeout has passed). */
async function backInRotation(lab: HostLab, pool: Pool, host: string): Promise<boolean> {
  const path = routeUrl(pool.paths[0] ?? "/");
  return waitFor(async () => {
    const recs = await clientHttp(lab.layout, lab.graph, { requests: [{ path }], count: 2 * pool.members.length, rate: 20, timeoutMs: 5000 });
    return recs.some((r) => r.servedBy === host && r.status === 200);
  }, 20_000, 500);
}

async function phase(lab: HostLab, pool: Pool, seconds: number, fault: () => Promise<void>, repair: () => Promise<void>): Promise<HttpRecord[]> {
  const running = load(lab, pool, 1 + seconds + 1);
  await sleep(1000);
  await fault();
  await sleep(seconds * 1000);
  await repair();
  return running;
}

function runFor(pool: Pool): (lab: HostLab) => Promise<Outcome> {
  return async (lab) => {
    const members = membersOf(pool);
    const victim = members[0]!;
    const ok = (r: HttpRecord): boolean => isReal(r, members);
    const host = hostOf(lab, victim);
    const daemons = webDaemons(lab, victim);
    if (daemons.length === 0) throw new LabError(`${victim} runs no web daemon`);
    const figures: Figures = { host: victim };
    const failures: string[] = [];

    const killed = await phase(
      lab,
      pool,
      KILLED_S,
      async () => {
        // TERM: they exit and stay down (no restart policy undoes a clean exit).
        for (const d of [...daemons].reverse()) await host.kill(d.unit, "SIGTERM");
      },
      async () => {
        for (const d of daemons) await host.start(d.unit);
      },
    );
    const names = daemons.map((d) => d.name);
    const k = loadFigures(killed, ok);
    figures[`failed (${names.join("+")} killed)`] = `${k.failed}/${k.sent}`;
    figures[`slow (${names.join("+")} killed)`] = k.slow;
    if (k.failed > 0) failures.push(`${k.failed} of ${k.sent} requests failed with ${names.join(" and ")} killed on ${victim} (${failureKinds(killed, ok)}), goal 0`);
    if (!(await backInRotation(lab, pool, victim))) failures.push(`${victim} did not answer again after its daemons were restarted`);

    const cut = await phase(
      lab,
      pool,
      LINK_DOWN_S,
      () => host.link(false),
      () => host.link(true),
    );
    const c = loadFigures(cut, ok);
    figures["failed (link down)"] = `${c.failed}/${c.sent}`;
    figures["slow (link down)"] = c.slow;
    figures["max latency ms"] = Math.max(k.maxLatencyMs, c.maxLatencyMs);
    if (c.failed > 0) failures.push(`${c.failed} of ${c.sent} requests failed with ${victim}'s link down (${failureKinds(cut, ok)}), goal 0`);
    if (!(await backInRotation(lab, pool, victim))) failures.push(`${victim} did not answer again after its link came back`);
    return { figures, failures };
  };
}

/** One scenario per pool that has a member to lose. */
export function webHostScenarios(graph: Graph): HostScenario[] {
  return graph.pools
    .filter((p) => p.members.length >= 2)
    .map((pool) => ({
      name: `web-host:${pool.name}`,
      title: `${pool.members[0]!.host} of pool ${pool.name} loses its daemons (they exit, ${KILLED_S} s), then its link (${LINK_DOWN_S} s), under ${rateOf(pool)} req/s: 0 failed requests`,
      run: runFor(pool),
    }));
}
