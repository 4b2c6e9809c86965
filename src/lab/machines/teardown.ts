// Teardown of a machines lab, and the check that nothing is left. Machines
// get a graceful power-off first (bounded), then every recorded process is
// stopped by PID, then whatever still runs inside the lab's network
// namespaces (by PID, found through /proc), then mounts, namespaces, cgroups.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, sleep } from "../exec.js";
import { labProcesses } from "../down.js";
import { labNamespaces } from "../netns.js";
import type { MachinesLayout } from "./layout.js";
import { inMachine, powerOff } from "./machine.js";
import { alive, stopProc } from "./procs.js";
import { loadMachinesState, saveMachinesState, type MachinesState } from "./state.js";

function netnsInodes(names: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const n of names) {
    try {
      out.add(statSync(`/run/netns/${n}`).ino);
    } catch {
      // Gone already.
    }
  }
  return out;
}

/** Mount points at or under `dir` in our mount namespace, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p === dir || p.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
}

/** A cgroup folder and the groups systemd made inside it, deepest first. */
function cgroupTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...cgroupTree(join(dir, e.name)));
  out.push(dir);
  return out;
}

export async function machinesTeardown(layout: MachinesLayout, log: (l: string) => void): Promise<void> {
  const state = loadMachinesState(layout.workDir);
  const names = [...new Set([...(state?.namespaces ?? []), ...(await labNamespaces(layout))])];
  const inodes = netnsInodes(names);
  if (state) {
    const up = Object.values(state.machines).filter((m) => m.nspawn && alive(m.nspawn));
    // Each machine's journal outlives it, for the report's evidence.
    mkdirSync(join(layout.workDir, "logs"), { recursive: true });
    await Promise.all(
      up.map(async (m) => {
        const r = await inMachine(m, "journalctl --no-pager -o short-precise", 30_000);
        writeFileSync(join(layout.workDir, "logs", `${m.host}.journal`), r.stdout);
      }),
    );
    if (up.length > 0) log(`powering off ${up.length} machine(s)`);
    await Promise.all(up.map((m) => powerOff(layout, state, m, 30_000)));
    for (const p of state.procs) await stopProc(p, 3000);
    state.procs = [];
    saveMachinesState(layout.workDir, state);
  }
  // Anything still inside the lab's network namespaces: by PID, TERM then KILL.
  for (const sig of ["SIGTERM", "SIGKILL"] as const) {
    for (const pid of labProcesses(inodes, new Set())) {
      try {
        process.kill(pid, sig);
      } catch {
        // Gone already.
      }
    }
    for (let i = 0; i < 30 && labProcesses(inodes, new Set()).length > 0; i++) await sleep(100);
  }
  for (const m of mountsUnder(layout.workDir)) await run("umount", ["-l", m], { timeoutMs: 10_000 });
  for (const n of names) await run("ip", ["netns", "del", n]);
  for (const g of [...(state?.cgroups ?? [])].reverse()) {
    for (const d of cgroupTree(g)) {
      try {
        rmdirSync(d);
      } catch {
        // Still busy or gone: leftovers() reports it.
      }
    }
    // The per-lab parent folder (hcm.<topology>) of the systemd and unified hierarchies.
    const parent = g.slice(0, g.lastIndexOf("/"));
    if (parent.endsWith(`/${layout.cgroup}`)) {
      try {
        rmdirSync(parent);
      } catch {
        // Another machine's group is still there, or it is gone.
      }
    }
  }
  if (existsSync(layout.workDir) && mountsUnder(layout.workDir).length === 0) {
    for (const e of readdirSync(layout.workDir)) if (e !== "logs") rmSync(join(layout.workDir, e), { recursive: true, force: true });
  }
}

/** What is left, as sentences; empty when nothing. */
export async function machinesLeftovers(layout: MachinesLayout, state: MachinesState): Promise<string[]> {
  const out: string[] = [];
  const names = await labNamespaces(layout);
  if (names.length > 0) out.push(`namespaces left: ${names.join(", ")}`);
  const procs = [...state.procs, ...Object.values(state.machines).flatMap((m) => (m.nspawn ? [m.nspawn] : []))].filter(alive);
  if (procs.length > 0) out.push(`processes left: ${procs.map((p) => `${p.name} ${p.pid}`).join(", ")}`);
  const mounts = mountsUnder(layout.workDir);
  if (mounts.length > 0) out.push(`mounts left: ${mounts.join(", ")}`);
  const groups = state.cgroups.filter((g) => existsSync(g));
  if (groups.length > 0) out.push(`cgroups left: ${groups.join(", ")}`);
  return out;
}
