// What a machines lab started, written after every change so that `down`
// (this process after a failure, or another one later) removes exactly that:
// processes by PID and start time, namespaces, mounts and cgroups by path.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabOwner } from "../owner.js";
import type { ProcRecord } from "./procs.js";

export interface MachineRecord {
  readonly host: string;
  /** The staging network namespace holding eth0 while the machine is off. */
  readonly ns: string;
  /** The bridge-side veth end in the switch namespace. */
  readonly port: string;
  /** The machine's folder: upper, work and the merged root. */
  readonly dir: string;
  /** The running systemd-nspawn, absent while the machine is off. */
  nspawn?: ProcRecord;
}

export interface MachinesState {
  readonly topology: string;
  readonly target: "systemd" | "bundle";
  /** The process that brought it up, and how (absent in states of older versions). */
  readonly owner?: LabOwner;
  /** Built with the secrets in user-data (target systemd); absent in older states. */
  readonly inlineSecrets?: boolean;
  namespaces: string[];
  /** Overlay mount points in the root mount namespace. */
  mounts: string[];
  /** Cgroup folders made for the machines, deepest last. */
  cgroups: string[];
  /** tinyproxy and the socat relays. */
  procs: ProcRecord[];
  machines: Record<string, MachineRecord>;
}

const FILE = "state.json";

export function emptyMachinesState(topology: string, target: "systemd" | "bundle", owner?: LabOwner, inlineSecrets = false): MachinesState {
  return { topology, target, owner, inlineSecrets, namespaces: [], mounts: [], cgroups: [], procs: [], machines: {} };
}

export function saveMachinesState(workDir: string, s: MachinesState): void {
  mkdirSync(workDir, { recursive: true });
  const tmp = join(workDir, `${FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(s, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, join(workDir, FILE));
}

export function loadMachinesState(workDir: string): MachinesState | undefined {
  const p = join(workDir, FILE);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, "utf8")) as MachinesState;
}
