// The compose network's address plan. Docker hands out addresses to any
// container that joins the network without a fixed one (the entrance, a test
// client); it must never hand out a host's address or the VIP, which only
// keepalived may hold. So the gateway is an explicitly unused address, and the
// dynamic pool (`ip_range`) is a block of the subnet holding none of them.
import type { Graph } from "../../src/graph/model.js";

export interface Ipam {
  readonly subnet: string;
  readonly gateway: string;
  readonly ipRange: string;
}

export function ipToInt(ip: string): number {
  const parts = ip.split(".").map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Whether the VIP is an address of the compose network; a provider's reserved IP (digitalocean) lies outside it. */
export function vipInSubnet(graph: Graph): boolean {
  const first = ipToInt(graph.network.networkAddress);
  const last = first + blockSize(graph.network.prefixLength) - 1;
  const vip = ipToInt(graph.loadBalancer.vip);
  return vip >= first && vip <= last;
}

/** Addresses only keepalived or a host may hold: every host's and the VIP (when it is in the subnet). */
export function reservedAddresses(graph: Graph): number[] {
  const out = graph.hosts.map((h) => ipToInt(h.address));
  if (vipInSubnet(graph)) out.push(ipToInt(graph.loadBalancer.vip));
  return [...new Set(out)].sort((a, b) => a - b);
}

/** The lowest address of the subnet that is neither a host's, the VIP, nor the network or broadcast address. */
function pickGateway(first: number, last: number, taken: ReadonlySet<number>): number | undefined {
  for (let a = first + 1; a < last; a++) if (!taken.has(a)) return a;
  return undefined;
}

/**
 * The largest aligned block inside the subnet that holds no taken address and
 * at least one address Docker can hand out (not the subnet's network or
 * broadcast address); the lowest such block when several are as large.
 */
function pickRange(first: number, prefix: number, taken: readonly number[]): { start: number; prefix: number } | undefined {
  const last = first + blockSize(prefix) - 1;
  for (let p = prefix + 1; p <= 32; p++) {
    const size = blockSize(p);
    for (let start = first; start <= last; start += size) {
      const end = start + size - 1;
      if (taken.some((a) => a >= start && a <= end)) continue;
      const usable = size - (start === first ? 1 : 0) - (end === last ? 1 : 0);
      if (usable > 0) return { start, prefix: p };
    }
  }
  return undefined;
}

export function planIpam(graph: Graph): Ipam {
  const { networkAddress, prefixLength, subnet } = graph.network;
  const first = ipToInt(networkAddress);
  const last = first + blockSize(prefixLength) - 1;
  const reserved = reservedAddresses(graph);
  const gateway = pickGateway(first, last, new Set(reserved));
  if (gateway === undefined) {
    throw new Error(`compose: the subnet ${subnet} has no free address left for the Docker network's gateway; use a larger subnet`);
  }
  const range = pickRange(first, prefixLength, [...reserved, gateway]);
  if (range === undefined) {
    throw new Error(
      `compose: no block of the subnet ${subnet} is free of the host addresses, the VIP and the gateway ${intToIp(gateway)}, ` +
        `so Docker could hand one of them to another container; use a larger subnet`,
    );
  }
  return { subnet, gateway: intToIp(gateway), ipRange: `${intToIp(range.start)}/${range.prefix}` };
}

/**
 * `extra_hosts` entries: inside the stack the site's domain is the VIP, as the
 * public DNS says for the real deployment. WordPress requests its own URL
 * (the pretty-permalink probe while it installs, wp-cron): those requests
 * must reach this stack's load balancers, not whatever the name means to the
 * Docker host's resolver (the production site, or a lookup that times out).
 */
export function siteHosts(graph: Graph): string[] {
  return vipInSubnet(graph) ? [`${graph.site.domain}:${graph.loadBalancer.vip}`] : [];
}
