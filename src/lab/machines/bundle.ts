// The bundle target on booted machines, as its README says: each host's
// folder copied over SSH, then install.sh run as the machine's sudo user
// (a fresh host lets no root log in). SSH leaves from an address of the
// topology's admin range, the only one the generated firewalls let in.
import { join } from "node:path";
import { contains, parseCidr, toDotted, toInt } from "../../graph/ipv4.js";
import type { Graph } from "../../graph/model.js";
import { LabError, must, run, type RunResult } from "../exec.js";
import type { MachinesLab } from "./up.js";

/** The sudo user the bundle machines are handed out with. */
export const BUNDLE_USER = "admin";

/** The first address of the admin range that no host uses: where the lab's SSH comes from. */
export function adminAddress(graph: Graph): string {
  const admin = parseCidr(graph.network.admin);
  const used = new Set([...graph.hosts.map((h) => h.address), graph.loadBalancer.vip, graph.network.networkAddress]);
  for (let a = toInt(graph.network.networkAddress) + 1; a < toInt(graph.network.broadcast); a++) {
    const addr = toDotted(a);
    if (contains(admin, addr) && !used.has(addr)) return addr;
  }
  throw new LabError(`no free address in the admin range ${graph.network.admin}`);
}

function sshOptions(lab: MachinesLab): string[] {
  return ["-i", join(lab.layout.workDir, "ssh", "id_ed25519"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", `BindAddress=${adminAddress(lab.graph)}`, "-o", "ConnectTimeout=10"];
}

/** `ssh admin@<host> CMD` from the client namespace. */
export function sshRun(lab: MachinesLab, address: string, cmd: string, timeoutMs: number): Promise<RunResult> {
  return run("nsenter", [`--net=/run/netns/${lab.layout.client}`, "--", "ssh", ...sshOptions(lab), `${BUNDLE_USER}@${address}`, cmd], { timeoutMs });
}

/**
 * Copies every host's bundle and runs its install.sh with sudo, all hosts at
 * once (their bootstraps wait for each other). Returns one sentence per host
 * whose install failed: what a user sees, reported by the scenarios, not a
 * failure of the lab.
 */
export async function installBundles(lab: MachinesLab): Promise<string[]> {
  await must("ip", ["-n", lab.layout.client, "addr", "replace", `${adminAddress(lab.graph)}/${lab.graph.network.prefixLength}`, "dev", "eth0"]);
  const results = await Promise.all(
    lab.graph.hosts.map(async (h) => {
      const t0 = Date.now();
      const cp = await run("nsenter", [`--net=/run/netns/${lab.layout.client}`, "--", "scp", "-O", "-q", "-r", ...sshOptions(lab), join(lab.outDir, "bundle", h.name), `${BUNDLE_USER}@${h.address}:hacompile`], { timeoutMs: 120_000 });
      // The copy is the lab's part: when it fails, the lab is broken.
      if (cp.code !== 0) throw new LabError(`${h.name}: scp of the bundle failed: ${cp.stderr.trim()}`);
      const r = await sshRun(lab, h.address, "sudo ./hacompile/install.sh", 900_000);
      const tail = (r.stdout + r.stderr).trim().split("\n").slice(-3).join(" | ");
      lab.log(`  ${h.name}: install.sh exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${tail}`);
      return r.code === 0 ? "" : `${h.name}: install.sh exit ${r.code}: ${tail}`;
    }),
  );
  return results.filter((x) => x !== "");
}
