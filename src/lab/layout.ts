// Where a lab lives: its namespace names, interface names and work folder.
// Pure, so the naming rules are tested without root.
import type { Graph } from "../graph/model.js";
import { contains, networkOf, parseCidr, toDotted, toInt } from "../graph/ipv4.js";

/** The folder every lab's work dir sits under (hosts' upper layers, logs, state). */
export const LAB_ROOT = "/tmp/hacompile-lab";

export interface LabLayout {
  readonly topology: string;
  /** Every namespace of this lab starts with it: `hcl.<topology>.` */
  readonly prefix: string;
  /** The namespace that holds the bridge joining the hosts. */
  readonly sw: string;
  /** The namespace that plays the internet: it sends traffic to the VIP. */
  readonly client: string;
  readonly workDir: string;
  readonly bridge: string;
}

/**
 * Host names are DNS labels, which never hold '.' or '_': `hcl.<topology>.<host>`
 * cannot collide with the lab's own `_sw` and `_client`, nor with another
 * topology's lab.
 */
export function labLayout(topology: string): LabLayout {
  const prefix = `hcl.${topology}.`;
  return { topology, prefix, sw: `${prefix}_sw`, client: `${prefix}_client`, workDir: `${LAB_ROOT}/${topology}`, bridge: "br0" };
}

export function hostNs(layout: LabLayout, host: string): string {
  return `${layout.prefix}${host}`;
}

/** The bridge-side end of a host's veth, in the `sw` namespace (IFNAMSIZ allows 15 characters). */
export function switchPort(index: number): string {
  return `v${index}`;
}

export const CLIENT_PORT = "vclient";

/**
 * The client's address: the highest one of the subnet that no host, the VIP
 * nor the admin range uses, so that it is "someone on the internet" to the
 * firewalls.
 */
export function clientAddress(graph: Graph): string {
  const net = parseCidr(graph.network.subnet);
  const first = toInt(graph.network.networkAddress);
  const last = toInt(graph.network.broadcast) - 1;
  const used = new Set([...graph.hosts.map((h) => h.address), graph.loadBalancer.vip]);
  const admin = parseCidr(graph.network.admin);
  for (let a = last; a > first; a--) {
    const addr = toDotted(a);
    if (!used.has(addr) && !contains(admin, addr) && contains(net, addr)) return addr;
  }
  throw new Error(`no free address for the lab's client in ${graph.network.subnet}`);
}

/**
 * A second address of the client, inside the admin network: the lab's own
 * requests come from it, since web hosts name themselves (X-Served-By) and
 * answer their health endpoint to the admin network only. The highest
 * address of the admin range that no host nor the VIP uses; undefined when
 * the range holds none or lies outside the subnet.
 */
export function adminClientAddress(graph: Graph): string | undefined {
  const net = parseCidr(graph.network.subnet);
  const admin = parseCidr(graph.network.admin);
  const used = new Set([...graph.hosts.map((h) => h.address), graph.loadBalancer.vip]);
  const first = networkOf(admin);
  for (let a = first + admin.size - 2; a > first; a--) {
    const addr = toDotted(a);
    if (!used.has(addr) && contains(net, addr) && addr !== graph.network.broadcast && addr !== graph.network.networkAddress) return addr;
  }
  return undefined;
}
