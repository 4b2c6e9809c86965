// The lab's network: one namespace per host and one for the client, joined
// by a bridge inside a namespace of the lab's own (`sw`). Created this way the
// machine's own namespace never sees an interface, an address or a route.
import { existsSync, statSync } from "node:fs";
import { must, run } from "./exec.js";
import type { LabLayout } from "./layout.js";
import { saveState, type LabState } from "./state.js";

const netnsPath = (ns: string): string => `/run/netns/${ns}`;

export function netnsInode(ns: string): number {
  return statSync(netnsPath(ns)).ino;
}

async function addNamespace(layout: LabLayout, state: LabState, ns: string): Promise<void> {
  if (existsSync(netnsPath(ns))) throw new Error(`network namespace ${ns} exists already: run 'hacompile lab down' first`);
  await must("ip", ["netns", "add", ns]);
  state.namespaces.push(ns);
  state.netnsInodes[ns] = netnsInode(ns);
  saveState(layout.workDir, state);
  await must("ip", ["-n", ns, "link", "set", "lo", "up"]);
}

export async function createSwitch(layout: LabLayout, state: LabState): Promise<void> {
  await addNamespace(layout, state, layout.sw);
  // No STP and no forwarding delay: a port forwards as soon as it is up, like a plain switch.
  await must("ip", ["-n", layout.sw, "link", "add", layout.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  await must("ip", ["-n", layout.sw, "link", "set", layout.bridge, "up"]);
}

/** A namespace whose `ifname` is plugged into the switch at `port` and has `address/prefix`. */
export async function addNode(
  layout: LabLayout,
  state: LabState,
  key: string,
  ns: string,
  port: string,
  ifname: string,
  cidr: string,
): Promise<void> {
  await addNamespace(layout, state, ns);
  await must("ip", ["-n", layout.sw, "link", "add", port, "type", "veth", "peer", "name", ifname, "netns", ns]);
  state.ports[key] = port;
  saveState(layout.workDir, state);
  await must("ip", ["-n", layout.sw, "link", "set", port, "master", layout.bridge, "up"]);
  await must("ip", ["-n", ns, "addr", "add", cidr, "dev", ifname]);
  await must("ip", ["-n", ns, "link", "set", ifname, "up"]);
}

/** Pulls a host's cable (or plugs it back): its switch port goes down, so its link loses carrier. */
export async function setPort(layout: LabLayout, port: string, up: boolean): Promise<void> {
  await must("ip", ["-n", layout.sw, "link", "set", port, up ? "up" : "down"]);
}

/** Namespaces of this lab that exist now, whatever the state file says. */
export async function labNamespaces(layout: LabLayout): Promise<string[]> {
  const r = await run("ip", ["netns", "list"]);
  return r.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.startsWith(layout.prefix));
}

/** PIDs of the processes in a network namespace. */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run("ip", ["netns", "pids", ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

export async function deleteNamespace(ns: string): Promise<void> {
  await run("ip", ["netns", "del", ns]);
}

/** IPv4 addresses on an interface of a namespace. */
export async function addressesOf(ns: string, ifname: string): Promise<string[]> {
  const r = await run("ip", ["-n", ns, "-o", "-4", "addr", "show", "dev", ifname]);
  if (r.code !== 0) return [];
  return [...r.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
}
