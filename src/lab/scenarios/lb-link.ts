// lb-link-down through the host interface, the same code on both labs: the active load
// balancer's cable is pulled for 4 s under 100 requests per second; the VIP
// must move to a backup in under a second, and one holder must remain after.
import { sleep, waitFor } from "../exec.js";
import type { HostLab } from "../host.js";
import { hostOf } from "../host.js";
import { clientHttp, failureKinds, isReal, loadFigures, longestGap, membersOf, REQUEST_TIMEOUT_MS, type HttpRecord } from "../http.js";
import type { Figures, Outcome } from "../scenario.js";
import { HEALTH_PATH, vrrpOf } from "./common.js";
import type { HostScenario } from "../host.js";

const RATE = 100;
const GOAL_FAILOVER_S = 1;

/** The load balancers whose interface holds the VIP, as each host's own `ip` shows it. */
export async function vipHoldersOf(lab: HostLab): Promise<string[]> {
  const out: string[] = [];
  for (const name of lab.graph.loadBalancer.hosts) {
    const h = hostOf(lab, name);
    if (!h.isOn()) continue;
    const r = await h.sh(`ip -o -4 addr show dev ${lab.graph.network.interface}`, 5000);
    if (r.stdout.includes(` ${lab.graph.loadBalancer.vip}/`)) out.push(name);
  }
  return out;
}

/** The load balancer keepalived prefers: the highest priority. */
export function preferredLb(graph: HostLab["graph"]): string {
  let best: { name: string; priority: number } | undefined;
  for (const h of graph.hosts) {
    for (const r of h.roles) if (r.kind === "load-balancer" && (best === undefined || r.priority > best.priority)) best = { name: h.name, priority: r.priority };
  }
  return best?.name ?? graph.loadBalancer.hosts[0]!;
}

/**
 * Waits until exactly one load balancer holds the VIP (and, given `want`,
 * that one), bounded by the preempt delay plus 15 s; the holders seen last.
 */
export async function settleHolder(lab: HostLab, want: string | undefined): Promise<string[]> {
  const vrrp = vrrpOf(lab);
  let holders: string[] = [];
  await waitFor(async () => (holders = await vipHoldersOf(lab)).length === 1 && (want === undefined || holders[0] === want), ((vrrp?.preemptDelay ?? 0) + 15) * 1000, 500);
  return holders;
}

async function run(lab: HostLab): Promise<Outcome> {
  const figures: Figures = {};
  const failures: string[] = [];
  const vrrp = vrrpOf(lab);
  // With preemption the preferred load balancer holds the VIP whenever it is up:
  // right after a boot a backup may hold it until the preferred one's keepalived
  // has started and its preempt delay has passed, so wait for that first, and
  // expect it back there after the link returns.
  const want = vrrp?.preempt ? preferredLb(lab.graph) : undefined;
  const holders = await settleHolder(lab, want);
  if (holders.length !== 1) return { figures, failures: [`the VIP is not on exactly one load balancer before the fault: ${holders.join(", ") || "none"}`] };
  if (want !== undefined && holders[0] !== want) return { figures, failures: [`before the fault the VIP is on ${holders[0]}, not on ${want}, the preferred load balancer (preempt)`] };
  const active = hostOf(lab, holders[0]!);
  const pool = lab.graph.pools.find((p) => p.name === lab.graph.loadBalancer.defaultPool);
  const members = pool ? membersOf(pool) : [];
  const ok = (r: HttpRecord): boolean => isReal(r, members);
  const load = clientHttp(lab.layout, lab.graph, { requests: [{ path: HEALTH_PATH }], count: RATE * 9, rate: RATE, timeoutMs: REQUEST_TIMEOUT_MS });
  await sleep(1000);
  const t0 = Date.now();
  await active.link(false);
  // Polled from the other load balancers themselves (about 50 ms a poll through nsenter).
  const moved = await waitFor(async () => (await vipHoldersOf(lab)).some((h) => h !== active.name), 4000, 20);
  const movedS = moved ? Math.round((Date.now() - t0) / 10) / 100 : null;
  await sleep(Math.max(0, 4000 - (Date.now() - t0)));
  await active.link(true);
  const recs = await load;
  const after = await settleHolder(lab, want);
  const f = loadFigures(recs, ok);
  figures["VIP moved s"] = movedS;
  figures["no answer s"] = longestGap(recs, ok);
  figures["failed"] = `${f.failed}/${f.sent}`;
  figures["VIP after"] = after.join("+") || "none";
  if (movedS === null) failures.push(`the VIP never reached a backup after ${active.name}'s link went down`);
  else if (movedS >= GOAL_FAILOVER_S) failures.push(`VIP failover took ${movedS} s, goal under ${GOAL_FAILOVER_S} s`);
  if (f.failed > 0) figures["failures"] = failureKinds(recs, ok);
  if (after.length !== 1) failures.push(`after the link came back the VIP is on ${after.join(", ") || "none"}, not exactly one`);
  else if (want !== undefined && after[0] !== want) failures.push(`after the link came back the VIP is on ${after[0]}, not back on ${want} (preempt)`);
  return { figures, failures };
}

export const lbLinkDownAny: HostScenario = {
  name: "lb-link-down",
  title: `the active load balancer's link goes down for 4 s under ${RATE} req/s: the VIP moves in under ${GOAL_FAILOVER_S} s; one holder after it returns`,
  run,
};
