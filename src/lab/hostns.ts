// One lab host: its network namespace plus a mount namespace of its own,
// kept alive by a `sleep` (the holder). Inside, /etc, /usr and /var are
// overlays whose upper layers belong to the host, /run is a fresh tmpfs and
// /sys shows the host's own interfaces, so the generated files sit at their
// real paths and the real programs run them unmodified, several hosts on one
// machine, and nothing is written to the machine's own folders.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { sh } from "../render/common/quote.js";
import { LabError, run, waitFor, type RunOptions, type RunResult } from "./exec.js";
import type { HolderRecord } from "./state.js";
import { runtimeDirs } from "./units.js";

/** Folders overlaid per host: everything a package or the bundle writes outside /run and /srv. */
const OVERLAID = ["etc", "usr", "var"] as const;

export function nsenterArgs(holderPid: number): string[] {
  return ["--target", String(holderPid), "--mount", "--net", "--"];
}

function mntInode(pid: number): number | undefined {
  try {
    const m = /^mnt:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/mnt`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the holder of a new mount namespace inside network namespace `ns`. */
export async function startHolder(ns: string): Promise<HolderRecord> {
  const own = mntInode(process.pid);
  // nsenter and unshare exec (no fork): the PID is the sleep's, inside both namespaces.
  const child = spawn("nsenter", [`--net=/run/netns/${ns}`, "--", "unshare", "--mount", "--propagation", "private", "--", "sleep", "infinity"], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LabError(`could not start the holder of ${ns}`);
  let inode: number | undefined;
  const ok = await waitFor(() => {
    inode = mntInode(pid);
    return inode !== undefined && inode !== own;
  }, 5000, 10);
  if (!ok || inode === undefined) throw new LabError(`the holder of ${ns} (pid ${pid}) did not get its own mount namespace`);
  return { pid, mntInode: inode };
}

/** Runs argv inside a host (both namespaces). */
export function inHost(holder: HolderRecord, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run("nsenter", [...nsenterArgs(holder.pid), ...argv], opts);
}

/** A shell script inside a host; a failure is a LabError naming `what`. */
export async function shInHost(holder: HolderRecord, what: string, script: string, opts: RunOptions = {}): Promise<string> {
  const r = await inHost(holder, ["sh", "-c", script], opts);
  if (r.code !== 0) throw new LabError(`${what}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return r.stdout;
}

/** tmpfiles.d as boot applies it: the runtime folders packages expect under /run. */
function machineRuntimeDirs(): ReturnType<typeof runtimeDirs> {
  const texts: string[] = [];
  for (const dir of ["/usr/lib/tmpfiles.d", "/etc/tmpfiles.d"]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith(".conf")) texts.push(readFileSync(join(dir, f), "utf8"));
  }
  return runtimeDirs(texts);
}

/**
 * "Boots" the host: private /sys, overlays over the machine's /etc, /usr and
 * /var, a real folder of its own as /srv (brick folders need the extended
 * attributes of a real file system), a fresh /run with the runtime folders
 * and a fresh /tmp.
 */
export async function bootHost(holder: HolderRecord, workDir: string, hostDir: string): Promise<void> {
  const lines = ["set -eu", "mount -t sysfs sysfs /sys"];
  for (const d of OVERLAID) {
    const upper = join(hostDir, "upper", d);
    const work = join(hostDir, "work", d);
    mkdirSync(upper, { recursive: true });
    mkdirSync(work, { recursive: true });
    lines.push(`mount -t overlay overlay -o ${sh(`lowerdir=/${d},upperdir=${upper},workdir=${work}`)} /${d}`);
  }
  const srv = join(hostDir, "srv");
  mkdirSync(srv, { recursive: true, mode: 0o755 });
  lines.push(`mount --bind ${sh(srv)} /srv`);
  lines.push("mount -t tmpfs -o mode=0755,nosuid,nodev hacompile-lab-run /run", "mkdir -m 1777 /run/lock");
  // A /tmp of its own (two MariaDB installs in one /tmp trip over each
  // other's temporary tables), with the lab's work folder kept at its path.
  lines.push(
    "mkdir /run/.hacompile-lab",
    `mount --bind ${sh(workDir)} /run/.hacompile-lab`,
    "mount -t tmpfs -o mode=1777,nosuid,nodev hacompile-lab-tmp /tmp",
    `mkdir -p ${sh(workDir)}`,
    `mount --move /run/.hacompile-lab ${sh(workDir)}`,
    "rmdir /run/.hacompile-lab",
  );
  for (const d of machineRuntimeDirs()) {
    lines.push(`mkdir -p ${sh(d.path)} && chmod ${d.mode} ${sh(d.path)} && chown ${sh(`${d.user}:${d.group}`)} ${sh(d.path)} 2>/dev/null || true`);
  }
  await shInHost(holder, "booting the host's mounts", lines.join("\n"));
}
