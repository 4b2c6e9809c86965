// The scenarios of the machines lab, each through the host interface
// (../host.ts): they power machines off and on, cut power, kill processes and
// look at what a user sees. None does for the stack what it must do for itself.
import type { Graph } from "../../graph/model.js";
import { sh as quote } from "../../render/common/quote.js";
import { sleep, waitFor } from "../exec.js";
import type { HostLab, HostScenario, LabHost } from "../host.js";
import { hostOf } from "../host.js";
import { clientHttp, failureKinds, isReal, loadFigures, longestGap, membersOf, REQUEST_TIMEOUT_MS, routeUrl, type HttpRecord } from "../http.js";
import type { Figures } from "../scenario.js";
import { defaultMembers, HEALTH_PATH, healthLoad } from "../scenarios/common.js";
import { checkRoutes, ROUTING_TITLE } from "../scenarios/routing.js";
import type { MachinesOptions } from "./up.js";
import { dbPowerCut } from "./scenario-db.js";
import { wordpressUser } from "./scenario-wordpress.js";
import { rotateSecrets } from "./scenario-rotate.js";
import { lbLinkDownAny } from "../scenarios/lb-link.js";
import { lbCrash, lbNginxDown } from "../scenarios/lb.js";
import { webHostScenarios } from "../scenarios/web.js";
import type { MachineScenario } from "./scenario-type.js";

export type { MachineScenario };

const secs = (ms: number): number => Math.round(ms / 100) / 10;

/** The machine's systemd is up (running or degraded), bounded. */
export async function systemUp(h: LabHost, timeoutMs: number): Promise<boolean> {
  return waitFor(async () => /^(running|degraded)$/m.test((await h.sh("systemctl is-system-running", 10_000)).stdout), timeoutMs, 500);
}

/** Every route serves its pool's real content (the routing check), polled until it holds; seconds or null. */
async function secondsToFullSite(lab: HostLab, t0: number, timeoutMs: number): Promise<{ s: number | null; last: readonly string[] }> {
  let last: readonly string[] = [];
  const ok = await waitFor(async () => {
    try {
      last = (await checkRoutes(lab)).failures;
    } catch (e) {
      // While machines boot the client itself may fail: not a full site yet.
      last = [e instanceof Error ? e.message : String(e)];
    }
    return last.length === 0;
  }, timeoutMs, 2000);
  return { s: ok ? secs(Date.now() - t0) : null, last };
}

/** Deterministic shuffle (a printed seed reproduces the order). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const routingScenario: MachineScenario = { name: "routing", title: ROUTING_TITLE, run: (lab) => checkRoutes(lab) };

/** Hosts that hold state others wait for: databases and Gluster servers. */
function stateHosts(graph: Graph): string[] {
  return graph.hosts.filter((h) => h.roles.some((r) => r.kind === "db-primary" || r.kind === "db-replica" || r.kind === "gluster-server")).map((h) => h.name);
}

const coldStart: MachineScenario = {
  name: "cold-start",
  title: "every machine powered off, then booted in a random order (and with databases and Gluster 60 s late): the whole site with no command from outside",
  run: async (lab) => {
    const figures: Figures = {};
    const failures: string[] = [];
    const all = [...lab.hosts.values()];
    const seed = Date.now() % 100_000;
    const rounds: { name: string; late: readonly string[] }[] = [{ name: "random", late: [] }];
    if (stateHosts(lab.graph).length > 0) rounds.push({ name: "state last", late: stateHosts(lab.graph) });
    for (const round of rounds) {
      await Promise.all(all.map((h) => h.powerOff()));
      const order = shuffled(all.map((h) => h.name), seed);
      const t0 = Date.now();
      for (const n of order.filter((x) => !round.late.includes(x))) await hostOf(lab, n).boot();
      if (round.late.length > 0) {
        await sleep(60_000);
        for (const n of round.late) await hostOf(lab, n).boot();
      }
      const r = await secondsToFullSite(lab, t0, 180_000);
      figures[`${round.name}: s to full site`] = r.s;
      if (round.name === "random") figures["seed"] = seed;
      if (r.s === null) failures.push(`${round.name} order (${order.join(",")}): no full site 180 s after the first boot: ${r.last.join("; ")}`);
    }
    return { figures, failures };
  },
};

/** A replica's replication threads, both "Yes". */
async function replicating(h: LabHost): Promise<boolean> {
  const r = await h.sh("mariadb -e 'SHOW SLAVE STATUS\\G' | grep -E 'Slave_(IO|SQL)_Running:'", 10_000);
  return (r.stdout.match(/: Yes/g) ?? []).length === 2;
}

/** Every Gluster client mount of the host is mounted and listable. */
async function mountsUp(graph: Graph, h: LabHost): Promise<boolean> {
  const host = graph.hosts.find((x) => x.name === h.name);
  const mounts = (host?.roles ?? []).flatMap((r) => (r.kind === "gluster-client" ? [r.mount] : []));
  for (const m of mounts) if ((await h.sh(`mountpoint -q ${quote(m)} && ls ${quote(m)} >/dev/null`, 10_000)).code !== 0) return false;
  return true;
}

const reboot: MachineScenario = {
  name: "reboot",
  title: "each machine rebooted in turn under load: 0 failed requests while an LB or web host reboots; replication and mounts come back by themselves",
  run: async (lab) => {
    const figures: Figures = {};
    const failures: string[] = [];
    const members = defaultMembers(lab);
    const ok = (r: HttpRecord): boolean => isReal(r, members);
    for (const h of lab.graph.hosts) {
      const host = hostOf(lab, h.name);
      const serving = h.roles.some((r) => r.kind === "load-balancer" || r.kind === "web");
      const load = serving ? healthLoad(lab, 20, 40) : Promise.resolve([]);
      const t0 = Date.now();
      await sleep(serving ? 2000 : 0);
      await host.powerOff();
      await host.boot();
      const up = await systemUp(host, 180_000);
      const back = secs(Date.now() - t0 - (serving ? 2000 : 0));
      const recs = await load;
      // After the load (its client has a time budget): everything the stack runs on the host is back by itself: no failed unit (a pool's load alone would not see a WordPress host's php-fpm).
      let failed = "";
      const clean = await waitFor(async () => (failed = (await host.sh("systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\\n' ' '", 10_000)).stdout.trim()) === "", 60_000, 2000);
      if (!clean) failures.push(`${h.name}: failed units 60 s after its reboot: ${failed}`);
      figures[`${h.name} up s`] = up ? back : null;
      if (!up) failures.push(`${h.name}: systemd not running 180 s after boot`);
      if (serving) {
        const f = loadFigures(recs, ok);
        figures[`${h.name} failed`] = `${f.failed}/${f.sent}`;
        if (f.failed > 0) failures.push(`${h.name} reboot: ${f.failed} of ${f.sent} requests failed (${failureKinds(recs, ok)}); longest gap ${longestGap(recs, ok)} s`);
      }
      if (h.roles.some((r) => r.kind === "db-replica")) {
        const rep = await waitFor(() => replicating(host), 60_000, 1000);
        if (!rep) failures.push(`${h.name}: replication not running 60 s after its reboot`);
      }
      if (h.roles.some((r) => r.kind === "db-primary")) {
        for (const other of lab.graph.hosts.filter((x) => x.roles.some((r) => r.kind === "db-replica"))) {
          const rep = await waitFor(() => replicating(hostOf(lab, other.name)), 60_000, 1000);
          if (!rep) failures.push(`${other.name}: replication not running 60 s after the primary ${h.name} rebooted`);
        }
      }
      for (const c of lab.graph.hosts.filter((x) => x.roles.some((r) => r.kind === "gluster-client"))) {
        const m = await waitFor(() => mountsUp(lab.graph, hostOf(lab, c.name)), 60_000, 1000);
        if (!m) failures.push(`${c.name}: Gluster mount not back 60 s after ${h.name} rebooted`);
      }
    }
    return { figures, failures };
  },
};

/** The FUSE client of a mount on the host: its PID as the host's own processes show it. */
async function fusePid(h: LabHost, mount: string): Promise<number | undefined> {
  const r = await h.sh(`for p in /proc/[0-9]*; do if tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q '^/usr/sbin/glusterfs .* ${mount.replace(/'/g, "")} *$'; then echo \${p#/proc/}; fi; done`, 10_000);
  const pid = Number(r.stdout.trim().split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

const glusterClientCrash: MachineScenario = {
  name: "gluster-client-crash",
  title: "kill -9 of a WordPress host's FUSE client: it leaves its pool within seconds, the mount comes back by itself, 0 failed requests",
  run: async (lab) => {
    const figures: Figures = {};
    const failures: string[] = [];
    const pool = lab.graph.pools.find((p) => p.app === "wordpress" && p.volume !== undefined);
    const victimName = pool?.members[0]?.host;
    const victim = victimName === undefined ? undefined : lab.graph.hosts.find((h) => h.name === victimName);
    const mount = victim?.roles.flatMap((r) => (r.kind === "gluster-client" ? [r.mount] : []))[0];
    if (!pool || !victim || mount === undefined) return { figures, failures: ["no WordPress pool with a Gluster volume"] };
    const host = hostOf(lab, victim.name);
    const lb = hostOf(lab, lab.graph.loadBalancer.hosts[0]!);
    const members = membersOf(pool);
    const path = routeUrl(pool.paths[0] ?? "/");
    const ok = (r: HttpRecord): boolean => isReal(r, members);
    const pid = await fusePid(host, mount);
    if (pid === undefined) return { figures, failures: [`${victim.name}: no glusterfs client process for ${mount}`] };
    const load = clientHttp(lab.layout, lab.graph, { requests: [{ path }], count: 200, rate: 5, timeoutMs: REQUEST_TIMEOUT_MS });
    await sleep(3000);
    const t0 = Date.now();
    await host.sh(`kill -KILL ${pid}`);
    // Its health endpoint, asked from a load balancer as nginx's checks would.
    const health = `curl -s -o /dev/null -m 3 -w '%{http_code}' -H ${quote(`Host: ${lab.graph.site.domain}`)} http://${victim.address}${HEALTH_PATH}`;
    const sick = await waitFor(async () => (await lb.sh(health, 10_000)).stdout.trim() !== "200", 30_000, 250);
    figures["health fails after s"] = sick ? secs(Date.now() - t0) : null;
    if (!sick) failures.push(`${victim.name}'s health endpoint still answers 200 30 s after its Gluster client died`);
    const back = await waitFor(async () => (await host.sh(`mountpoint -q ${quote(mount)} && ls ${quote(mount)} >/dev/null`, 10_000)).code === 0, 120_000, 1000);
    figures["mount back s"] = back ? secs(Date.now() - t0) : null;
    if (!back) failures.push(`${victim.name}: ${mount} not back 120 s after its client was killed (nothing remounts it)`);
    const recs = await load;
    const f = loadFigures(recs, ok);
    figures["failed"] = `${f.failed}/${f.sent}`;
    if (f.failed > 0) failures.push(`${f.failed} of ${f.sent} requests to ${path} failed (${failureKinds(recs, ok)})`);
    return { figures, failures };
  },
};

export function machineScenarios(graph: Graph, _opts: MachinesOptions): MachineScenario[] {
  const out: MachineScenario[] = [routingScenario];
  const shared = (x: HostScenario): MachineScenario => ({ name: x.name, title: x.title, run: (lab) => x.run(lab) });
  if (graph.loadBalancer.failover?.mode === "vrrp" && graph.loadBalancer.hosts.length >= 2) out.push(...[lbLinkDownAny, lbCrash, lbNginxDown].map(shared));
  out.push(...webHostScenarios(graph).map(shared));
  if (graph.pools.some((p) => p.app === "wordpress")) out.push(wordpressUser);
  if (graph.pools.some((p) => p.app === "wordpress" && p.volume !== undefined)) out.push(glusterClientCrash);
  if (graph.databases.some((d) => d.replicas.length > 0)) out.push(dbPowerCut);
  if (graph.databases.length > 0 || graph.pools.some((p) => p.app === "wordpress")) out.push(rotateSecrets);
  out.push(reboot, coldStart);
  return out;
}
