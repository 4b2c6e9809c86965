// Long-running processes the machines lab starts (tinyproxy, socat relays,
// one systemd-nspawn per machine): started detached so `lab up` can exit and
// leave them running, recorded by PID plus start time so that `down` signals
// exactly them and never a later process that reused the PID.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { sleep } from "../exec.js";
import { startTimeOf } from "../owner.js";

export { startTimeOf };

export interface ProcRecord {
  readonly name: string;
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: tells the process apart from a later one with the same PID. */
  readonly startTime: string;
}

/** Whether the recorded process still runs (not merely its PID). */
export function alive(p: ProcRecord): boolean {
  return startTimeOf(p.pid) === p.startTime;
}

/** Starts `file args` in its own session, output appended to `logFile`; resolves once its PID is known. */
export async function startDetached(name: string, file: string, args: readonly string[], logFile: string): Promise<ProcRecord> {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(file, [...args], { detached: true, stdio: ["ignore", fd, fd], env: { ...process.env, LC_ALL: "C" } });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${name}: could not start ${file}`);
    child.unref();
    // Swallow the child's late error events: the record is what we follow.
    child.on("error", () => undefined);
    const st = startTimeOf(pid);
    if (st === undefined) throw new Error(`${name}: ${file} exited at once (see ${logFile})`);
    return { name, pid, startTime: st };
  } finally {
    closeSync(fd);
  }
}

function signal(p: ProcRecord, sig: NodeJS.Signals): void {
  if (!alive(p)) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    // Gone between the check and the signal.
  }
}

/** TERM, then KILL after `graceMs`; resolves when it is gone (or after the KILL's own bound). */
export async function stopProc(p: ProcRecord, graceMs: number): Promise<boolean> {
  signal(p, "SIGTERM");
  for (let t = 0; t < graceMs && alive(p); t += 100) await sleep(100);
  if (!alive(p)) return true;
  signal(p, "SIGKILL");
  for (let t = 0; t < 5000 && alive(p); t += 100) await sleep(100);
  return !alive(p);
}

/** The direct children of a process (the kernel's list; needs CONFIG_PROC_CHILDREN, as Debian's kernels have). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter((s) => s !== "")
      .map(Number);
  } catch {
    return [];
  }
}
