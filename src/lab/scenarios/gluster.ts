// GlusterFS: a file written on one client is read on another; the app's
// user creates uploads/YYYY/MM on it; a client's FUSE process is killed (the
// host answers 503, not 500, until the mount helper's next round remounts
// it); a brick server's processes are killed (reads and writes go on), it is
// started again (self-heal ends with 0 pending, bricks equal); its link is
// cut (the clients' stall is measured: goal under 10 s), then restored and
// healed.
import type { Graph, Volume } from "../../graph/model.js";
import { sh } from "../../render/common/quote.js";
import { LabError, nowMs, sleep, waitFor } from "../exec.js";
import { inHost } from "../hostns.js";
import { round } from "../http.js";
import { namespacePids, setPort } from "../netns.js";
import type { Figures, Outcome, Scenario } from "../scenario.js";
import type { Lab } from "../up.js";
import { specOf } from "./common.js";
import { hostNs } from "../layout.js";
import { readFileSync } from "node:fs";
import { MOUNT_SCRIPT } from "../../render/gluster/gluster-client.js";
import { WEB_USER } from "../../render/php-fpm/php-fpm.js";
import { HEALTH_PATH } from "../../render/nginx/web-nginx.js";

const GOAL_STALL_S = 10;
/** Files written and read back while a brick server is down. */
const OPS_WHILE_DOWN = 10;
const HEAL_TIMEOUT_MS = 90_000;

interface Op {
  readonly ok: boolean;
  readonly seconds: number;
}

function holderOf(lab: Lab, host: string): NonNullable<ReturnType<Lab["holders"]["get"]>> {
  const h = lab.holders.get(host);
  if (!h) throw new LabError(`no lab host ${host}`);
  return h;
}

/** A shell step on a host, bounded by `timeout`; how long it took and whether it worked. */
async function step(lab: Lab, host: string, script: string, timeoutS = 60): Promise<Op & { out: string }> {
  const t0 = nowMs();
  const r = await inHost(holderOf(lab, host), ["timeout", String(timeoutS), "sh", "-c", script], { timeoutMs: (timeoutS + 10) * 1000 });
  return { ok: r.code === 0, seconds: round((nowMs() - t0) / 1000, 2), out: r.stdout.trim() };
}

/** Writes a 64 KiB file (fsync'd, then renamed into place) on a client; its sha256 in `out`. */
function write(lab: Lab, host: string, f: string): Promise<Op & { out: string }> {
  return step(lab, host, `head -c 65536 /dev/urandom > ${sh(f)}.tmp && sync ${sh(f)}.tmp && mv ${sh(f)}.tmp ${sh(f)} && sha256sum < ${sh(f)}`);
}

/** Writes a file on one client and checks its sha256 on the other. */
async function writeRead(lab: Lab, dir: string, writer: string, reader: string, name: string): Promise<Op> {
  const f = `${dir}/${name}`;
  const w = await write(lab, writer, f);
  if (!w.ok) return { ok: false, seconds: w.seconds };
  const r = await step(lab, reader, `sha256sum < ${sh(f)}`);
  return { ok: r.ok && r.out === w.out, seconds: round(w.seconds + r.seconds, 2) };
}

/** Pending heal entries over all bricks, or undefined while a brick cannot report. */
async function pendingHeal(lab: Lab, cli: string, volume: string): Promise<number | undefined> {
  const r = await step(lab, cli, `gluster --mode=script volume heal ${sh(volume)} info`, 30);
  if (!r.ok) return undefined;
  const counts = [...r.out.matchAll(/^Number of entries: (\S+)$/gm)].map((m) => m[1]!);
  const bricks = [...r.out.matchAll(/^Brick /gm)].length;
  if (counts.length !== bricks || counts.some((c) => !/^\d+$/.test(c))) return undefined;
  return counts.reduce((a, c) => a + Number(c), 0);
}

async function healed(lab: Lab, cli: string, volume: string): Promise<number | null> {
  const t0 = nowMs();
  await step(lab, cli, `gluster --mode=script volume heal ${sh(volume)}`, 30);
  const ok = await waitFor(async () => (await pendingHeal(lab, cli, volume)) === 0, HEAL_TIMEOUT_MS, 1000);
  return ok ? round((nowMs() - t0) / 1000, 1) : null;
}

/** sha256 of every file under a folder (the brick's own .glusterfs left out), sorted by name. */
function sumsScript(dir: string): string {
  return `cd ${sh(dir)} && find . -path ./.glusterfs -prune -o -type f -print | LC_ALL=C sort | while read -r f; do printf '%s %s\\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$f"; done`;
}

/** Every data brick holds what the clients see (the arbiter holds names only). */
async function bricksEqual(lab: Lab, v: Volume, client: string, dir: string): Promise<string[]> {
  const problems: string[] = [];
  const want = (await step(lab, client, sumsScript(dir))).out;
  const sub = dir.slice(v.mount.length);
  for (const b of v.bricks) {
    const have = (await step(lab, b.host, sumsScript(`${b.path}${sub}`))).out;
    if (b.arbiter) {
      const names = (s: string): string => s.split("\n").map((l) => l.split(" ")[1]).join("\n");
      if (names(have) !== names(want)) problems.push(`arbiter brick on ${b.host} lists other files than the clients see`);
    } else if (have !== want) {
      problems.push(`brick on ${b.host} differs from what the clients see`);
    }
  }
  return problems;
}

/** Waits until every client of the volume is connected to `host`'s brick (`volume status ... clients`). */
async function clientsConnected(lab: Lab, cli: string, v: Volume, host: string): Promise<boolean> {
  const brick = v.bricks.find((b) => b.host === host);
  if (!brick) return false;
  const want = v.clients.map((c) => lab.graph.hosts.find((h) => h.name === c)!.address);
  return waitFor(async () => {
    const r = await step(lab, cli, `gluster --mode=script volume status ${sh(v.name)} ${sh(`${brick.address}:${brick.path}`)} clients`, 30);
    return r.ok && want.every((a) => r.out.includes(`${a}:`));
  }, 30_000, 1000);
}

/** kill -9 of every process of a host (its glusterd, bricks, self-heal daemon), as a crash would. */
async function crashHost(lab: Lab, host: string): Promise<void> {
  await lab.sup.kill(host, "glusterd");
  const holder = holderOf(lab, host).pid;
  for (const p of await namespacePids(hostNs(lab.layout, host))) {
    if (p === holder) continue;
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  await waitFor(async () => (await namespacePids(hostNs(lab.layout, host))).every((p) => p === holder), 10_000, 50);
}

/** The app's user creates uploads/YYYY/MM at the volume's root, as WordPress does (issue 14 item 2). */
async function appUserWrites(lab: Lab, v: Volume, host: string): Promise<boolean> {
  const dir = `${v.mount}/hacompile-lab-${WEB_USER}`;
  const r = await step(lab, host, `runuser -u ${sh(WEB_USER)} -- mkdir -p ${sh(`${dir}/2026/12`)} && runuser -u ${sh(WEB_USER)} -- touch ${sh(`${dir}/2026/12/upload.bin`)}`);
  await step(lab, host, `rm -rf ${sh(dir)}`);
  return r.ok;
}

/** kill -9 of the volume's FUSE client on `host` (the glusterfs process serving the mount). */
async function killClient(lab: Lab, v: Volume, host: string): Promise<boolean> {
  let killed = false;
  for (const p of await namespacePids(hostNs(lab.layout, host))) {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue;
    }
    if (!/(^|\/)glusterfs /.test(cmd) || !cmd.includes(` ${v.mount}`)) continue;
    process.kill(p, "SIGKILL");
    killed = true;
  }
  return killed;
}

/** The status of the host's own health endpoint, asked from the host itself (an insider). */
async function healthStatus(lab: Lab, host: string): Promise<string> {
  const h = lab.graph.hosts.find((x) => x.name === host);
  const pool = lab.graph.pools.find((p) => p.app === "wordpress" && p.members.some((m) => m.host === host));
  if (!h || !pool) return "no WordPress pool";
  const r = await step(lab, host, `curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H ${sh(`Host: ${lab.graph.site.domain}`)} ${sh(`http://${h.address}:${pool.port}${HEALTH_PATH}`)}`, 15);
  return r.out;
}

/** A killed FUSE client: 503 (out of the pool) until the helper's round remounts it (issue 14 items 3, 4). */
async function clientCrash(lab: Lab, v: Volume, host: string, figures: Figures, failures: string[]): Promise<void> {
  if (!(await killClient(lab, v, host))) {
    failures.push(`no glusterfs client process for ${v.mount} on ${host}`);
    return;
  }
  const dead = await healthStatus(lab, host);
  figures["health, client killed"] = dead;
  if (dead !== "503") failures.push(`${host}'s health answered ${dead} with its ${v.mount} client killed, expected 503`);
  // What the timer runs every 15 s on a real host; the lab has no timers.
  const round1 = await step(lab, host, sh(MOUNT_SCRIPT), 120);
  figures["remount s"] = round1.seconds;
  const back = await healthStatus(lab, host);
  figures["health, remounted"] = back;
  if (!round1.ok || back !== "200") failures.push(`after the mount helper's round ${host}'s health answered ${back} (helper ${round1.ok ? "ok" : "failed"})`);
}

function runFor(v: Volume): (lab: Lab) => Promise<Outcome> {
  return async (lab) => {
    const figures: Figures = {};
    const failures: string[] = [];
    const [c0, c1] = v.clients;
    if (c0 === undefined || c1 === undefined) throw new LabError(`volume ${v.name} has fewer than two clients`);
    const cli = v.servers[0]!;
    // The victim: a data brick's server that does not run the volume's bootstrap (the CLI host stays up).
    const victim = v.bricks.find((b) => !b.arbiter && b.host !== cli)?.host ?? v.servers[1];
    if (victim === undefined) throw new LabError(`volume ${v.name} has no second server`);
    figures["victim"] = victim;
    const dir = `${v.mount}/hacompile-lab`;
    await step(lab, c0, `rm -rf ${sh(dir)} && mkdir -p ${sh(dir)}`);

    const first = await writeRead(lab, dir, c0, c1, "first.bin");
    figures["write/read"] = first.ok ? `${c0}->${c1} ok` : "failed";
    if (!first.ok) failures.push(`a file written on ${c0} was not read back equal on ${c1}`);

    if (lab.graph.pools.some((p) => p.app === "wordpress" && p.volume === v.name)) {
      const owned = await appUserWrites(lab, v, c0);
      figures[`${WEB_USER} writes`] = owned ? "ok" : "refused";
      if (!owned) failures.push(`${WEB_USER} (php-fpm's user) cannot create uploads/YYYY/MM on ${v.name}`);
      await clientCrash(lab, v, c0, figures, failures);
    }

    // Brick server crash: writes and reads go on.
    await crashHost(lab, victim);
    const ops: Op[] = [];
    for (let i = 0; i < OPS_WHILE_DOWN; i++) ops.push(await writeRead(lab, dir, i % 2 === 0 ? c0 : c1, i % 2 === 0 ? c1 : c0, `down-${i}.bin`));
    const failedOps = ops.filter((o) => !o.ok).length;
    figures["ops with brick down"] = `${ops.length - failedOps}/${ops.length} ok`;
    figures["max op s"] = Math.max(...ops.map((o) => o.seconds));
    if (failedOps > 0) failures.push(`${failedOps} of ${ops.length} writes/reads failed while ${victim}'s processes were dead`);
    await lab.sup.start(victim, specOf(lab, victim, "glusterd"));
    const heal1 = await healed(lab, cli, v.name);
    figures["heal s"] = heal1;
    if (heal1 === null) failures.push(`self-heal did not reach 0 pending entries within ${HEAL_TIMEOUT_MS / 1000} s of ${victim}'s restart`);
    failures.push(...(await bricksEqual(lab, v, c0, dir)));

    // Link cut: how long a client stalls before the brick is dropped. The
    // clients must be connected to the restarted brick first, or the cut
    // would meet a brick they do not use.
    if (!(await clientsConnected(lab, cli, v, victim))) failures.push(`the clients did not reconnect to ${victim}'s brick within 30 s of its restart`);
    const port = lab.state.ports[victim]!;
    // Both clients write at once, as they would in production; each stalls on its own connection.
    await setPort(lab.layout, port, false);
    const cut = await Promise.all([write(lab, c0, `${dir}/cut-0.bin`), write(lab, c1, `${dir}/cut-1.bin`)]);
    const cross = await Promise.all([step(lab, c1, `sha256sum < ${sh(`${dir}/cut-0.bin`)}`), step(lab, c0, `sha256sum < ${sh(`${dir}/cut-1.bin`)}`)]);
    const after = await writeRead(lab, dir, c0, c1, "cut-2.bin");
    await setPort(lab.layout, port, true);
    const stall = Math.max(...cut.map((w) => w.seconds));
    figures["stall s"] = stall;
    figures["next op s"] = after.seconds;
    const cutOk = cut.every((w) => w.ok) && cross.every((r, i) => r.ok && r.out === cut[i]!.out) && after.ok;
    if (!cutOk) failures.push(`writes/reads failed while ${victim}'s link was cut`);
    if (stall >= GOAL_STALL_S) failures.push(`clients stalled ${stall} s after ${victim}'s link was cut, goal under ${GOAL_STALL_S} s`);
    await sleep(1000);
    const heal2 = await healed(lab, cli, v.name);
    figures["heal after cut s"] = heal2;
    if (heal2 === null) failures.push(`self-heal did not reach 0 pending entries after the link came back`);
    failures.push(...(await bricksEqual(lab, v, c0, dir)));
    await step(lab, c0, `rm -rf ${sh(dir)}`);
    return { figures, failures };
  };
}

export function glusterScenarios(graph: Graph): Scenario[] {
  return graph.volumes
    .filter((v) => v.replica >= 2 && v.clients.length >= 2)
    .map((v) => ({
      name: `gluster:${v.name}`,
      title: `written on one client, read on another; a brick server killed, restarted and healed; its link cut: stall under ${GOAL_STALL_S} s`,
      run: runFor(v),
    }));
}
