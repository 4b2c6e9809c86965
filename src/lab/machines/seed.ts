// The NoCloud seed a machine boots with: meta-data (instance id, host name),
// the network-config (v2, static, from the topology's addresses) and the
// user-data, which is the generated file itself, byte for byte. Pure.
import type { Graph, Host } from "../../graph/model.js";

export interface Seed {
  readonly "meta-data": string;
  readonly "network-config": string;
  readonly "user-data": string;
}

/** Where cloud-init's NoCloud datasource looks on the machine's own disk. */
export const SEED_DIR = "/var/lib/cloud/seed/nocloud";

/** A new instance id per lab run: cloud-init runs its first-boot modules once per instance. */
export function metaData(host: Host, runId: string): string {
  return `instance-id: ${host.name}-${runId}\nlocal-hostname: ${host.name}\n`;
}

/** Network config version 2: the topology's interface with its address, nothing else (no gateway: the lab has no internet). */
export function networkConfig(graph: Graph, host: Host): string {
  return [
    "version: 2",
    "ethernets:",
    `  ${graph.network.interface}:`,
    `    match: { name: ${graph.network.interface} }`,
    `    addresses: [ ${host.address}/${graph.network.prefixLength} ]`,
    "",
  ].join("\n");
}

export function seedFor(graph: Graph, host: Host, userData: string, runId: string): Seed {
  return { "meta-data": metaData(host, runId), "network-config": networkConfig(graph, host), "user-data": userData };
}

/** apt's proxy on the machine: the relay on the bridge, as a cloud image built for such a network would carry. */
export function aptProxyConf(relay: string, port: number): string {
  return `Acquire::http::Proxy "http://${relay}:${port}";\nAcquire::https::Proxy "http://${relay}:${port}";\n`;
}
