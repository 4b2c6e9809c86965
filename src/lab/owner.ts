// Who brought a lab up. `lab up` leaves its lab running on purpose, for the
// user; `lab test` tears its own down when it ends. A `test` lab whose process
// no longer runs was left by a run that was killed (SIGKILL, a machine or CI
// job stopped mid-run): the next `lab test` removes it instead of refusing to
// start, while a lab a user brought up with `lab up` is never taken away.
import { readFileSync } from "node:fs";

export type LabAction = "up" | "test";

export interface LabOwner {
  readonly action: LabAction;
  readonly pid: number;
  /** Field 22 of /proc/PID/stat: tells the process apart from a later one with the same PID. */
  readonly startTime: string;
}

export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19];
  } catch {
    return undefined;
  }
}

/** This process, as the owner of a lab it brings up. */
export function thisProcess(action: LabAction): LabOwner {
  return { action, pid: process.pid, startTime: startTimeOf(process.pid) ?? "" };
}

/**
 * Whether a lab may be removed without asking: brought up by `lab test`
 * (never `lab up`) whose process is gone. A state without an owner (older
 * versions) is not abandoned: `lab down` is the way.
 */
export function abandoned(owner: LabOwner | undefined, startTime: (pid: number) => string | undefined = startTimeOf): boolean {
  if (owner === undefined || owner.action !== "test") return false;
  return startTime(owner.pid) !== owner.startTime;
}
