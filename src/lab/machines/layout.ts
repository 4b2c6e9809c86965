// Where a machines lab lives: namespace names, the cache of the base tree,
// the per-machine folders. Pure, so the naming rules are tested without root.
import type { Graph } from "../../graph/model.js";
import { contains, parseCidr, toDotted, toInt } from "../../graph/ipv4.js";
import { clientAddress, type LabLayout } from "../layout.js";

/** Work folders of every machines lab: overlays, seeds, logs, state. */
export const MACHINES_ROOT = "/tmp/hacompile-machines";

/**
 * The base tree and the packages' cache survive between runs here, so a CI
 * machine fills it once. HACOMPILE_CI_CACHE moves it, as for compose-up.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return `${env["HACOMPILE_CI_CACHE"] ?? "/var/cache/hacompile-ci"}/machines`;
}

export interface MachinesLayout extends LabLayout {
  /** Cgroup folder name under each hierarchy (`hcm.<topology>`). */
  readonly cgroup: string;
  /** The unix socket that carries the apt relay from the root namespace into `sw`. */
  readonly relaySocket: string;
}

/**
 * `hcm.` and not the namespace lab's `hcl.`: the two labs never see each
 * other's namespaces, and a `down` of one never removes the other.
 */
export function machinesLayout(topology: string): MachinesLayout {
  const prefix = `hcm.${topology}.`;
  const workDir = `${MACHINES_ROOT}/${topology}`;
  return {
    topology,
    prefix,
    sw: `${prefix}_sw`,
    client: `${prefix}_client`,
    workDir,
    bridge: "br0",
    cgroup: `hcm.${topology}`,
    relaySocket: `${workDir}/relay.sock`,
  };
}

/** A machine's staging network namespace: nspawn moves its eth0 from there into the machine. */
export function machineNs(layout: MachinesLayout, host: string): string {
  return `${layout.prefix}${host}`;
}

/** The bridge-side end of a machine's veth, in `sw` (IFNAMSIZ allows 15 characters). */
export function machinePort(index: number): string {
  return `vh${index}`;
}

/**
 * The apt relay's address on the bridge: the highest free address below the
 * client's, so it is neither a host, the VIP, the admin range nor the client.
 */
export function relayAddress(graph: Graph): string {
  const net = parseCidr(graph.network.subnet);
  const first = toInt(graph.network.networkAddress);
  const client = toInt(clientAddress(graph));
  const admin = parseCidr(graph.network.admin);
  const used = new Set([...graph.hosts.map((h) => h.address), graph.loadBalancer.vip]);
  for (let a = client - 1; a > first; a--) {
    const addr = toDotted(a);
    if (!used.has(addr) && !contains(admin, addr) && contains(net, addr)) return addr;
  }
  throw new Error(`no free address for the apt relay in ${graph.network.subnet}`);
}

/** The relay's port on the bridge address, as apt's proxy setting names it. */
export const RELAY_PORT = 3128;
