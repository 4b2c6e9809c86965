// Turning a booted lab host into an installed one: the bundle's own
// install.sh (users, files, modes), the host's sysctl files, and the state a
// Debian package's maintainer scripts leave on a fresh machine.
import { join } from "node:path";
import { sh } from "../render/common/quote.js";
import type { HostFile, HostPlan } from "../render/types.js";
import { LabError } from "./exec.js";
import { shInHost } from "./hostns.js";
import type { HolderRecord } from "./state.js";

/**
 * systemctl inside a lab host. There is no systemd there: the lab's own
 * supervisor starts the services, so install.sh's systemctl calls succeed and
 * change nothing ("inactive" makes it say "starting ...", which the lab does).
 */
export const SYSTEMCTL_SHIM = [
  "#!/bin/sh",
  "# hacompile lab: no systemd in a lab host; the lab starts the services itself.",
  'case "$1" in is-active) exit 3 ;; *) exit 0 ;; esac',
  "",
].join("\n");

/**
 * What each packaged unit's package leaves behind on a fresh Debian machine,
 * redone per host so that no host inherits this machine's state (the
 * overlays show the machine's /var underneath). MariaDB: the datadir that
 * the postinst creates with mariadb-install-db (the same options). GlusterFS:
 * the packaged state folder without a node UUID, peers or volumes.
 */
const FRESH_STATE: Readonly<Record<string, readonly string[]>> = {
  "mariadb.service": [
    "rm -rf /var/lib/mysql",
    "install -d -m 0755 -o mysql -g mysql /var/lib/mysql",
    "mariadb-install-db --rpm --cross-bootstrap --user=mysql --disable-log-bin --skip-test-db",
  ],
  "glusterd.service": ["cd /var/lib/glusterd && rm -rf glusterd.info options peers vols snaps glustershd nfs quotad bitd scrub"],
};

/** Runs the host's bundle install.sh in the host, with the systemctl shim first on PATH. */
export async function runInstall(holder: HolderRecord, bundleDir: string, shimDir: string, logFile: string): Promise<void> {
  await shInHost(
    holder,
    `${join(bundleDir, "install.sh")}`,
    `PATH=${sh(shimDir)}:/usr/sbin:/usr/bin:/sbin:/bin bash ${sh(join(bundleDir, "install.sh"))} >>${sh(logFile)} 2>&1 || { tail -n 5 ${sh(logFile)} >&2; exit 1; }`,
    { timeoutMs: 120_000 },
  );
}

/** `key = value` lines of a sysctl.d file. */
export function sysctlSettings(content: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const raw of content.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const m = /^([A-Za-z0-9_./-]+)\s*=\s*(.*)$/.exec(line);
    if (m) out.push({ key: m[1]!, value: m[2]!.trim() });
  }
  return out;
}

/**
 * Applies the host's sysctl.d files in its network namespace, as boot would.
 * Only net.* keys live per namespace; any other key would change the whole
 * machine, so the lab refuses it.
 */
export async function applySysctl(holder: HolderRecord, host: string, files: readonly HostFile[]): Promise<void> {
  const settings = files.filter((f) => f.kind === "sysctl").flatMap((f) => sysctlSettings(f.content));
  const foreign = settings.filter((s) => !s.key.startsWith("net."));
  if (foreign.length > 0) throw new LabError(`${host}: sysctl ${foreign.map((s) => s.key).join(", ")} is not per network namespace; the lab will not change it for the whole machine`);
  if (settings.length === 0) return;
  await shInHost(holder, `${host}: sysctl`, settings.map((s) => `sysctl -q -w ${sh(`${s.key}=${s.value}`)}`).join("\n"));
}

export async function freshPackageState(holder: HolderRecord, plan: HostPlan, logFile: string): Promise<void> {
  const lines = plan.services.filter((s) => s.packaged).flatMap((s) => FRESH_STATE[s.unit] ?? []);
  if (lines.length === 0) return;
  await shInHost(holder, `${plan.host.name}: fresh package state`, `set -e\nexec >>${sh(logFile)} 2>&1\n${lines.join("\n")}`, { timeoutMs: 60_000 });
}

/** systemd creates a mount unit's Where= folder before mounting; so does the lab. */
export function mountPoint(files: readonly HostFile[], unit: string): string | undefined {
  const f = files.find((x) => x.path === `/etc/systemd/system/${unit}`);
  const m = f ? /^Where=(.+)$/m.exec(f.content) : null;
  return m ? m[1]!.trim() : undefined;
}

