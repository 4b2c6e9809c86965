// Teardown: everything the lab started goes, by PID and by namespace, and a
// check that nothing is left: no namespace of the lab, no process inside one
// of its namespaces, no mount of its work folder or namespaces.
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run, sleep } from "./exec.js";
import type { LabLayout } from "./layout.js";
import { deleteNamespace, labNamespaces, netnsInode } from "./netns.js";
import { loadState, type LabState } from "./state.js";

function nsInode(pid: number, kind: "net" | "mnt"): number | undefined {
  try {
    const m = /\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Processes inside any of the lab's network or mount namespaces (a PID alone may have been reused). */
export function labProcesses(netInodes: ReadonlySet<number>, mntInodes: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const net = nsInode(pid, "net");
    const mnt = nsInode(pid, "mnt");
    if ((net !== undefined && netInodes.has(net)) || (mnt !== undefined && mntInodes.has(mnt))) out.push(pid);
  }
  return out;
}

function inodes(state: LabState | undefined, names: readonly string[]): { net: Set<number>; mnt: Set<number> } {
  const net = new Set<number>(Object.values(state?.netnsInodes ?? {}));
  for (const n of names) {
    try {
      net.add(netnsInode(n));
    } catch {
      // Gone already.
    }
  }
  const mnt = new Set<number>(Object.values(state?.holders ?? {}).map((h) => h.mntInode));
  return { net, mnt };
}

function signalAll(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // Gone already.
    }
  }
}

/** Mounts of the machine's own namespace that belong to the lab. */
function labMounts(layout: LabLayout): string[] {
  const info = readFileSync("/proc/self/mountinfo", "utf8").split("\n");
  return info.filter((l) => l.includes(layout.workDir) || l.includes(`/run/netns/${layout.prefix}`));
}

/** Each host's /var/log (its upper layer: only what the host wrote) moves beside the supervisor's logs. */
function keepHostLogs(workDir: string): void {
  const hosts = join(workDir, "hosts");
  if (!existsSync(hosts)) return;
  for (const h of readdirSync(hosts)) {
    const from = join(hosts, h, "upper", "var", "log");
    if (!existsSync(from)) continue;
    const to = join(workDir, "logs", h, "var-log");
    rmSync(to, { recursive: true, force: true });
    mkdirSync(join(workDir, "logs", h), { recursive: true });
    renameSync(from, to);
  }
}

/** Removes the lab: FUSE mounts, every process in its namespaces, the namespaces, its work files (logs stay). */
export async function teardown(layout: LabLayout): Promise<void> {
  const state = loadState(layout.workDir);
  const names = [...new Set([...(state?.namespaces ?? []), ...(await labNamespaces(layout))])];
  const { net, mnt } = inodes(state, names);
  // Unmount FUSE first: a client killed under a mount leaves it answering ENOTCONN to whoever looks.
  for (const h of Object.values(state?.holders ?? {})) {
    if (nsInode(h.pid, "mnt") !== h.mntInode) continue;
    await run("nsenter", ["--target", String(h.pid), "--mount", "--", "umount", "-a", "-l", "-t", "fuse.glusterfs"], { timeoutMs: 5000 });
  }
  signalAll(labProcesses(net, mnt), "SIGTERM");
  for (let i = 0; i < 30 && labProcesses(net, mnt).length > 0; i++) await sleep(100);
  for (let i = 0; i < 50; i++) {
    const left = labProcesses(net, mnt);
    if (left.length === 0) break;
    signalAll(left, "SIGKILL");
    await sleep(100);
  }
  for (const n of names) await deleteNamespace(n);
  // Files are not what the lab must not leave behind: keeping logs is best effort.
  try {
    keepHostLogs(layout.workDir);
  } catch {
    // A log folder that cannot move stays where it was, and goes with the rest.
  }
  if (existsSync(layout.workDir)) {
    for (const e of readdirSync(layout.workDir)) if (e !== "logs") rmSync(join(layout.workDir, e), { recursive: true, force: true });
  }
}

/** What the lab left behind, as sentences; empty when nothing. */
export async function leftovers(layout: LabLayout, state: LabState): Promise<string[]> {
  const out: string[] = [];
  const names = await labNamespaces(layout);
  if (names.length > 0) out.push(`namespaces left: ${names.join(", ")}`);
  const procs = labProcesses(new Set(Object.values(state.netnsInodes)), new Set(Object.values(state.holders).map((h) => h.mntInode)));
  if (procs.length > 0) out.push(`processes left in the lab's namespaces: ${procs.join(", ")}`);
  const mounts = labMounts(layout);
  if (mounts.length > 0) out.push(`mounts left: ${mounts.length} (${mounts[0]!.split(" ").slice(3, 5).join(" ")}...)`);
  return out;
}
