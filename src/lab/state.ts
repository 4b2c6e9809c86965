// The lab's record of what it started, written after every change so that
// `lab down` (another process, or this one after a failure) removes exactly
// that: namespaces by name, processes by PID.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabOwner } from "./owner.js";

export interface HolderRecord {
  /** The `sleep` that keeps the host's mount namespace alive; daemons enter it with nsenter. */
  readonly pid: number;
  /** Inode of its mount namespace, to find processes left inside after teardown. */
  readonly mntInode: number;
}

export interface DaemonRecord {
  readonly host: string;
  readonly service: string;
  readonly pid: number;
}

export interface LabState {
  readonly topology: string;
  /** The process that brought it up, and how (absent in states of older versions). */
  readonly owner?: LabOwner;
  /** Namespaces in creation order. */
  namespaces: string[];
  /** Network namespace inodes by name. */
  netnsInodes: Record<string, number>;
  /** By host name (and "client"). */
  holders: Record<string, HolderRecord>;
  /** The bridge-side interface of each host, in the switch namespace. */
  ports: Record<string, string>;
  daemons: DaemonRecord[];
}

const FILE = "state.json";

export function emptyState(topology: string, owner?: LabOwner): LabState {
  return { topology, owner, namespaces: [], netnsInodes: {}, holders: {}, ports: {}, daemons: [] };
}

export function saveState(workDir: string, s: LabState): void {
  mkdirSync(workDir, { recursive: true });
  const tmp = join(workDir, `${FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(s, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, join(workDir, FILE));
}

export function loadState(workDir: string): LabState | undefined {
  const p = join(workDir, FILE);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, "utf8")) as LabState;
}
