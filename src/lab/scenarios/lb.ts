// Load balancer failures under a steady 100 requests per second through the
// VIP: the active LB crashes (kill -9 of keepalived and nginx, then whatever
// their units' restart policy does); its nginx alone dies and stays down,
// which only the health tracking can notice. (The link going down is
// lb-link.ts, written against the host interface and shared with machines.)
import { nowMs, sleep } from "../exec.js";
import { failureKinds, loadFigures, longestGap, round, type HttpRecord } from "../http.js";
import type { Figures, Outcome, Scenario } from "../scenario.js";
import type { Lab } from "../up.js";
import { settleVip, vipHolders, watchVip, type VipWatch } from "../vip.js";
import { healthLoad, healthOk, specOf, vrrpOf } from "./common.js";

const RATE = 100;
/** The goals. */
const GOAL_CRASH_FAILED = 20;

async function activeLb(lab: Lab): Promise<string> {
  const holders = await settleVip(lab.layout, lab.graph, 15_000, 500);
  if (holders.length !== 1) throw new Error(`the VIP is not on exactly one load balancer before the fault: ${holders.join(", ") || "none"}`);
  return holders[0]!;
}

function movedAfter(watch: VipWatch, from: string, at: number): number | null {
  const a = watch.added.find((x) => x.host !== from && x.at >= at);
  return a ? round((a.at - at) / 1000, 3) : null;
}

/** Waits for one holder: the preferred LB again when preemption brings it back. */
async function settle(lab: Lab, preferred: string): Promise<string[]> {
  const vrrp = vrrpOf(lab);
  const want = vrrp?.preempt ? preferred : undefined;
  return settleVip(lab.layout, lab.graph, ((vrrp?.preemptDelay ?? 0) + 10) * 1000, 1500, want);
}

function settleFigures(figures: Figures, failures: string[], holders: readonly string[], preferred: string, lab: Lab): void {
  figures["VIP after"] = holders.join("+") || "none";
  if (holders.length !== 1) failures.push(`after settling the VIP is on ${holders.length} hosts (${holders.join(", ") || "none"}), not exactly one`);
  else if (vrrpOf(lab)?.preempt && holders[0] !== preferred) failures.push(`after settling the VIP is on ${holders[0]}, not back on ${preferred} (preempt)`);
}

function split(records: readonly HttpRecord[], at: number): { before: HttpRecord[]; after: HttpRecord[] } {
  return { before: records.filter((r) => r.start < at), after: records.filter((r) => r.start >= at) };
}

async function crash(lab: Lab): Promise<Outcome> {
  const active = await activeLb(lab);
  const ok = healthOk(lab);
  const sup = lab.sup;
  const watch = watchVip(lab.layout, lab.graph);
  const load = healthLoad(lab, RATE, 10);
  await sleep(2000);
  const faultAt = nowMs();
  await Promise.all([sup.crash(active, "keepalived"), sup.crash(active, "nginx")]);
  const records = await load;
  watch.stop();
  const restarts = await Promise.all(["keepalived", "nginx"].map((s) => sup.restartAfter(active, s, faultAt, 15_000)));
  const figures: Figures = {};
  const failures: string[] = [];
  const names = ["keepalived", "nginx"];
  for (const [i, ev] of restarts.entries()) {
    const name = names[i]!;
    const policy = sup.policy(active, name);
    if (ev?.restartedAt !== undefined) {
      figures[`${name} restarted s`] = round((ev.restartedAt - faultAt) / 1000, 2);
    } else {
      figures[`${name} restarted s`] = null;
      failures.push(`${name} on ${active} was not restarted (its unit: Restart=${policy.restart}): a crashed load balancer stays out, ${name === "keepalived" ? "and the VIP it held stays on its interface beside the backup's" : "and only the health tracking moves the VIP"}`);
      await sup.restart(active, specOf(lab, active, name));
    }
  }
  const holders = await settle(lab, active);
  const f = loadFigures(records, ok);
  figures["VIP moved s"] = movedAfter(watch, active, faultAt);
  figures["no answer s"] = longestGap(records, ok);
  figures["failed"] = `${f.failed}/${f.sent}`;
  figures["slow"] = f.slow;
  if (f.failed > 0) figures["failures"] = failureKinds(records, ok);
  if (f.failed > GOAL_CRASH_FAILED) failures.push(`${f.failed} of ${f.sent} requests failed across the crash, goal at most ${GOAL_CRASH_FAILED}`);
  settleFigures(figures, failures, holders, active, lab);
  return { figures, failures };
}

async function nginxDown(lab: Lab): Promise<Outcome> {
  const active = await activeLb(lab);
  const ok = healthOk(lab);
  const downFor = 6;
  const seconds = 1 + downFor + (vrrpOf(lab)?.preemptDelay ?? 0) + 4;
  const watch = watchVip(lab.layout, lab.graph);
  const load = healthLoad(lab, RATE, seconds);
  await sleep(1000);
  const faultAt = nowMs();
  await lab.sup.kill(active, "nginx");
  await sleep(downFor * 1000);
  const holdersWhileDown = await vipHolders(lab.layout, lab.graph);
  const restoreAt = nowMs();
  await lab.sup.start(active, specOf(lab, active, "nginx"));
  const records = await load;
  watch.stop();
  const holders = await settle(lab, active);
  const moved = movedAfter(watch, active, faultAt);
  const { before, after } = split(records, restoreAt);
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
  if (moved === null || holdersWhileDown.includes(active)) failures.push(`the VIP stayed on ${active} while its nginx was down: the health tracking did not move it`);
  if (fo.failed + fb.failed > 0) figures["failures"] = failureKinds(records, ok);
  settleFigures(figures, failures, holders, active, lab);
  return { figures, failures };
}

export const lbCrash: Scenario = {
  name: "lb-crash",
  title: `kill -9 of keepalived and nginx on the active load balancer under ${RATE} req/s for 10 s: at most ${GOAL_CRASH_FAILED} fail; restarted per their units; one holder`,
  run: crash,
};

export const lbNginxDown: Scenario = {
  name: "lb-nginx-down",
  title: `nginx on the active load balancer dies and stays down 6 s under ${RATE} req/s: the health tracking moves the VIP`,
  run: nginxDown,
};
