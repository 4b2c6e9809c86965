// Load balancer failures under a steady 100 requests per second through the
// VIP, through the host interface (the same code on both labs): the active LB
// crashes (kill -9 of keepalived and nginx, then whatever their units'
// restart policy does); its nginx alone exits and stays down, which only the
// health tracking can notice. (The link going down is lb-link.ts.)
import { sleep, waitFor } from "../exec.js";
import type { HostLab, HostScenario, LabHost } from "../host.js";
import { hostOf, unitOf } from "../host.js";
import { failureKinds, loadFigures, longestGap, round } from "../http.js";
import type { Figures, Outcome } from "../scenario.js";
import { healthLoad, healthOk, vrrpOf } from "./common.js";
import { preferredLb, settleHolder, vipHoldersOf } from "./lb-link.js";

const RATE = 100;
/** The goal. */
const GOAL_CRASH_FAILED = 20;

/** One holder, and with preemption the preferred load balancer; the holders seen last. */
function settle(lab: HostLab): Promise<string[]> {
  return settleHolder(lab, vrrpOf(lab)?.preempt ? preferredLb(lab.graph) : undefined);
}

/** The load balancer holding the VIP before the fault (the preferred one, with preemption). */
async function activeLb(lab: HostLab): Promise<LabHost> {
  const holders = await settle(lab);
  if (holders.length !== 1) throw new Error(`the VIP is not on exactly one load balancer before the fault: ${holders.join(", ") || "none"}`);
  return hostOf(lab, holders[0]!);
}

/** Seconds from `t0` until a load balancer other than `from` holds the VIP, polled on the hosts themselves; null within `ms`. */
async function movedWithin(lab: HostLab, from: string, t0: number, ms: number): Promise<number | null> {
  const moved = await waitFor(async () => (await vipHoldersOf(lab)).some((h) => h !== from), ms, 20);
  return moved ? round((Date.now() - t0) / 1000, 2) : null;
}

function settleFigures(lab: HostLab, figures: Figures, failures: string[], holders: readonly string[], active: string): void {
  figures["VIP after"] = holders.join("+") || "none";
  if (holders.length !== 1) failures.push(`after settling the VIP is on ${holders.length} hosts (${holders.join(", ") || "none"}), not exactly one`);
  else if (vrrpOf(lab)?.preempt && holders[0] !== active) failures.push(`after settling the VIP is on ${holders[0]}, not back on ${active} (preempt)`);
}

async function crash(lab: HostLab): Promise<Outcome> {
  const active = await activeLb(lab);
  const ok = healthOk(lab);
  const load = healthLoad(lab, RATE, 10);
  await sleep(2000);
  const t0 = Date.now();
  const names = ["keepalived", "nginx"];
  const units = names.map((n) => unitOf(lab, active.name, n));
  await Promise.all(units.map((u) => active.kill(u, "SIGKILL")));
  const moved = movedWithin(lab, active.name, t0, 5000);
  const restarts = await Promise.all(units.map((u) => active.restartedAfterKill(u, 15_000)));
  const figures: Figures = {};
  const failures: string[] = [];
  for (const [i, at] of restarts.entries()) {
    const name = names[i]!;
    figures[`${name} restarted s`] = at === null ? null : round((at - t0) / 1000, 2);
    if (at === null) {
      failures.push(`${name} on ${active.name} was not restarted by its unit's restart policy: a crashed load balancer stays out${name === "keepalived" ? ", and the VIP it held stays on its interface beside the backup's" : ""}`);
      await active.start(units[i]!);
    }
  }
  const movedS = await moved;
  const records = await load;
  const holders = await settle(lab);
  const f = loadFigures(records, ok);
  figures["VIP moved s"] = movedS;
  figures["no answer s"] = longestGap(records, ok);
  figures["failed"] = `${f.failed}/${f.sent}`;
  figures["slow"] = f.slow;
  if (f.failed > 0) figures["failures"] = failureKinds(records, ok);
  if (f.failed > GOAL_CRASH_FAILED) failures.push(`${f.failed} of ${f.sent} requests failed across the crash, goal at most ${GOAL_CRASH_FAILED}`);
  settleFigures(lab, figures, failures, holders, active.name);
  return { figures, failures };
}

async function nginxDown(lab: HostLab): Promise<Outcome> {
  const active = await activeLb(lab);
  const ok = healthOk(lab);
  const downFor = 6;
  const load = healthLoad(lab, RATE, 1 + downFor + (vrrpOf(lab)?.preemptDelay ?? 0) + 4);
  await sleep(1000);
  const t0 = Date.now();
  const nginx = unitOf(lab, active.name, "nginx");
  // TERM: a clean exit, which no restart policy undoes; only keepalived's tracking of nginx can act.
  await active.kill(nginx, "SIGTERM");
  const moved = await movedWithin(lab, active.name, t0, downFor * 1000);
  await sleep(Math.max(0, downFor * 1000 - (Date.now() - t0)));
  const holdersWhileDown = await vipHoldersOf(lab);
  const restoreAt = Date.now();
  await active.start(nginx);
  const records = await load;
  const holders = await settle(lab);
  const before = records.filter((r) => r.start < restoreAt);
  const after = records.filter((r) => r.start >= restoreAt);
  const fo = loadFigures(before, ok);
  const fb = loadFigures(after, ok);
  const figures: Figures = {
    "VIP moved s": moved,
    "no answer s": longestGap(records, ok),
    "failed (nginx down)": `${fo.failed}/${fo.sent}`,
    "slow (nginx down)": fo.slow,
    "failed (failback)": `${fb.failed}/${fb.sent}`,
  };
  const failures: string[] = [];
  if (moved === null || holdersWhileDown.includes(active.name)) failures.push(`the VIP stayed on ${active.name} while its nginx was down: the health tracking did not move it`);
  if (fo.failed + fb.failed > 0) figures["failures"] = failureKinds(records, ok);
  settleFigures(lab, figures, failures, holders, active.name);
  return { figures, failures };
}

export const lbCrash: HostScenario = {
  name: "lb-crash",
  title: `kill -9 of keepalived and nginx on the active load balancer under ${RATE} req/s for 10 s: at most ${GOAL_CRASH_FAILED} fail; restarted per their units; one holder`,
  run: crash,
};

export const lbNginxDown: HostScenario = {
  name: "lb-nginx-down",
  title: `nginx on the active load balancer exits and stays down 6 s under ${RATE} req/s: the health tracking moves the VIP`,
  run: nginxDown,
};
