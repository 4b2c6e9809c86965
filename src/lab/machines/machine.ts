// One booted machine: an overlay over the base tree, its NoCloud seed, a
// staging network namespace whose eth0 nspawn moves into the machine, and
// systemd-nspawn --boot with systemd as PID 1. Everything it makes is put
// into the state before it exists, so a failure at any point is undone.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { must, run, sleep, waitFor, type RunResult } from "../exec.js";
import { childrenOf, startDetached, stopProc, alive, type ProcRecord } from "./procs.js";
import type { MachinesLayout } from "./layout.js";
import { SEED_DIR, type Seed } from "./seed.js";
import { saveMachinesState, type MachineRecord, type MachinesState } from "./state.js";

/** The cgroup hierarchies nspawn needs a group of the machine's own in (hybrid v1 + v2 here). */
function cgroupDirs(layout: MachinesLayout, host: string): string[] {
  const mem = /^\d+:memory:(.*)$/m.exec(readFileSync("/proc/self/cgroup", "utf8"))?.[1] ?? "/";
  return [
    `/sys/fs/cgroup/systemd/${layout.cgroup}/${host}`,
    `/sys/fs/cgroup/unified/${layout.cgroup}/${host}`,
    // A child of our own memory group: otherwise every machine shares one.
    `/sys/fs/cgroup/memory${mem === "/" ? "" : mem}/${layout.cgroup}.${host}`,
  ].filter((d) => existsSync(d.split("/").slice(0, 5).join("/")));
}

export async function addNetns(layout: MachinesLayout, state: MachinesState, ns: string): Promise<void> {
  if (existsSync(`/run/netns/${ns}`)) throw new Error(`network namespace ${ns} exists already: run 'hacompile lab down ... --machines' first`);
  state.namespaces.push(ns);
  saveMachinesState(layout.workDir, state);
  await must("ip", ["netns", "add", ns]);
  await must("ip", ["-n", ns, "link", "set", "lo", "up"]);
}

/** The machine's cable: eth0 in the staging namespace, its peer on the bridge. */
export async function plugVeth(layout: MachinesLayout, m: MachineRecord, ifname: string): Promise<void> {
  await must("ip", ["-n", layout.sw, "link", "add", m.port, "type", "veth", "peer", "name", ifname, "netns", m.ns]);
  await must("ip", ["-n", layout.sw, "link", "set", m.port, "master", layout.bridge, "up"]);
}

/** Overlay root, seed and apt proxy for a new machine. */
export async function prepareMachine(layout: MachinesLayout, state: MachinesState, m: MachineRecord, base: string, seed: Seed, aptProxy: string): Promise<void> {
  for (const d of ["upper", "work", "root"]) mkdirSync(join(m.dir, d), { recursive: true });
  const root = join(m.dir, "root");
  state.mounts.push(root);
  saveMachinesState(layout.workDir, state);
  await must("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${base},upperdir=${join(m.dir, "upper")},workdir=${join(m.dir, "work")}`, root]);
  const seedDir = join(root, SEED_DIR);
  mkdirSync(seedDir, { recursive: true });
  for (const [name, text] of Object.entries(seed)) writeFileSync(join(seedDir, name), text, { mode: 0o600 });
  writeFileSync(join(root, "etc/apt/apt.conf.d/90hacompile-lab-proxy"), aptProxy);
}

/**
 * nspawn in the staging namespace, in its own mount namespace with a
 * read-only /sys (else it refuses to move eth0 without udev), in cgroups of
 * the machine's own. Resolves with the nspawn record once PID 1 exists.
 */
export async function bootMachine(layout: MachinesLayout, state: MachinesState, m: MachineRecord, ifname: string): Promise<ProcRecord> {
  if (!(await run("ip", ["-n", m.ns, "link", "show", ifname])).stdout.includes(ifname)) await plugVeth(layout, m, ifname);
  const groups = cgroupDirs(layout, m.host);
  for (const g of groups) {
    if (!state.cgroups.includes(g)) state.cgroups.push(g);
    mkdirSync(g, { recursive: true });
  }
  saveMachinesState(layout.workDir, state);
  const join1 = groups.map((g) => `echo $$ > '${g}/cgroup.procs'`).join(" && ");
  const script = `${join1 || "true"} && exec nsenter --net=/run/netns/${m.ns} unshare -m --propagation slave sh -c 'mount -o remount,bind,ro /sys && exec "$@"' sh "$@"`;
  const nspawn = [
    "systemd-nspawn", "--boot", "-D", join(m.dir, "root"), `--machine=${layout.cgroup}.${m.host}`, `--hostname=${m.host}`,
    "--register=no", "--keep-unit", "--private-network", `--network-interface=${ifname}`, "--resolv-conf=off",
    "--timezone=off", "--link-journal=no", "--console=read-only", "--bind=/dev/fuse",
  ];
  const p = await startDetached(`nspawn:${m.host}`, "sh", ["-c", script, "sh", ...nspawn], join(m.dir, "console.log"));
  m.nspawn = p;
  saveMachinesState(layout.workDir, state);
  if (!(await waitFor(() => pid1(m) !== undefined, 30_000, 100))) throw new Error(`${m.host}: no PID 1 30 s after systemd-nspawn started (see ${join(m.dir, "console.log")})`);
  return p;
}

/** The machine's init, seen from here: the child of systemd-nspawn. */
export function pid1(m: MachineRecord): number | undefined {
  if (!m.nspawn || !alive(m.nspawn)) return undefined;
  const c = childrenOf(m.nspawn.pid);
  return c.length === 1 ? c[0] : undefined;
}

/** `sh -c cmd` inside the machine (all its namespaces), bounded. */
export async function inMachine(m: MachineRecord, cmd: string, timeoutMs = 30_000, input?: string): Promise<RunResult> {
  const pid = pid1(m);
  if (pid === undefined) return { code: 255, stdout: "", stderr: `${m.host} is not running`, timedOut: false };
  return run("nsenter", ["-t", String(pid), "-a", "--", "sh", "-c", cmd], { timeoutMs, ...(input !== undefined ? { input } : {}) });
}

export interface Readiness {
  readonly system: string;
  readonly cloudInit: string;
  readonly seconds: number;
}

/** Waits for systemd (running or degraded) and then cloud-init, each bounded; the states as found. */
export async function waitReady(m: MachineRecord, timeoutMs: number): Promise<Readiness> {
  const t0 = Date.now();
  let system = "";
  await waitFor(async () => {
    const r = await inMachine(m, "systemctl is-system-running", 10_000);
    system = r.stdout.trim() || r.stderr.trim();
    return system === "running" || system === "degraded";
  }, timeoutMs, 500);
  const left = Math.max(5_000, timeoutMs - (Date.now() - t0));
  const ci = await inMachine(m, `timeout ${Math.ceil(left / 1000)} cloud-init status --wait --long; true`, left + 5_000);
  const cloudInit = /^status: (\S+)/m.exec(ci.stdout)?.[1] ?? (ci.stdout.trim() || "unknown");
  return { system, cloudInit, seconds: Math.round((Date.now() - t0) / 100) / 10 };
}

/**
 * systemd powers off on SIGRTMIN+4. Node knows no real-time signal names;
 * glibc's SIGRTMIN is 34 on Linux (the kernel's 32 plus the two it keeps).
 */
const SIGRTMIN_PLUS_4 = 38;

/** Graceful power-off (systemd's SIGRTMIN+4), waiting for nspawn to exit. */
export async function powerOff(layout: MachinesLayout, state: MachinesState, m: MachineRecord, timeoutMs = 60_000): Promise<boolean> {
  const pid = pid1(m);
  if (pid !== undefined) process.kill(pid, SIGRTMIN_PLUS_4);
  const ok = m.nspawn ? await waitFor(() => !alive(m.nspawn!), timeoutMs, 100) : true;
  if (!ok && m.nspawn) await stopProc(m.nspawn, 5000);
  delete m.nspawn;
  saveMachinesState(layout.workDir, state);
  return ok;
}

/** Power cut: SIGKILL of the machine's PID 1; nspawn then exits by itself. */
export async function powerCut(layout: MachinesLayout, state: MachinesState, m: MachineRecord): Promise<void> {
  const pid = pid1(m);
  if (pid !== undefined) process.kill(pid, "SIGKILL");
  if (m.nspawn) await waitFor(() => !alive(m.nspawn!), 20_000, 50);
  if (m.nspawn && alive(m.nspawn)) await stopProc(m.nspawn, 5000);
  delete m.nspawn;
  saveMachinesState(layout.workDir, state);
}

export async function setLink(layout: MachinesLayout, m: MachineRecord, up: boolean): Promise<void> {
  await must("ip", ["-n", layout.sw, "link", "set", m.port, up ? "up" : "down"]);
}

export { sleep };
