// Secrets reach a systemd-target machine the way SECRETS.txt tells users:
// its `ssh root@<address> '<install ...>' < secrets/<path>` lines are run
// exactly as printed, from the host's output folder, with `ssh` standing for
// a way in that the lab has (nsenter into the machine): the remote command,
// its quoting and its standard input are the user's.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LabError, run } from "../exec.js";
import { pid1 } from "./machine.js";
import type { MachineRecord } from "./state.js";

/** The command lines of a SECRETS.txt: its indented `ssh root@...` lines, in order. */
export function secretsCommands(text: string): string[] {
  // The numbered steps only: the health check that follows them is for once
  // every host has its secrets (the lab then waits for the site instead).
  const end = text.indexOf("\nOnce every host has its secrets");
  return (end < 0 ? text : text.slice(0, end))
    .split("\n")
    .filter((l) => /^ {2}ssh root@\S+ /.test(l))
    .map((l) => l.trim());
}

/**
 * A shell function named ssh: `ssh root@ADDR CMD` runs CMD in the machine
 * with that address, with the caller's standard input.
 */
export function sshShim(byAddress: ReadonlyMap<string, number>): string {
  const cases = [...byAddress.entries()].map(([a, pid]) => `    root@${a}) pid=${pid} ;;`).join("\n");
  return ["ssh() {", '  case "$1" in', cases, '    *) echo "no machine at $1" >&2; return 255 ;;', "  esac", "  shift", '  nsenter -t "$pid" -a -- sh -c "$*"', "}", ""].join("\n");
}

/** Runs every host's SECRETS.txt commands from its folder; returns how many ran. */
export async function copySecrets(systemdOut: string, machines: readonly MachineRecord[], addressOf: (host: string) => string): Promise<number> {
  const pids = new Map<string, number>();
  for (const m of machines) {
    const pid = pid1(m);
    if (pid !== undefined) pids.set(addressOf(m.host), pid);
  }
  let n = 0;
  for (const m of machines) {
    const file = join(systemdOut, m.host, "SECRETS.txt");
    if (!existsSync(file)) continue;
    const cmds = secretsCommands(readFileSync(file, "utf8"));
    const script = sshShim(pids) + "set -e\n" + cmds.join("\n") + "\n";
    const r = await run("bash", ["-c", `cd "$1" && eval "$2"`, "bash", join(systemdOut, m.host), script], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new LabError(`${m.host}: SECRETS.txt's commands failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    n += cmds.length;
  }
  return n;
}
