// `lab up --machines`: the relay, the base tree, the network, one booted
// machine per topology host with the generated output, and the stack's own
// start. Every step records what it made before making it, so the caller's
// teardown removes it whatever fails.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Graph } from "../../graph/model.js";
import type { HostPlan } from "../../render/types.js";
import type { Secrets } from "../../secrets.js";
import { bundle } from "../../../targets/bundle/index.js";
import { systemd } from "../../../targets/systemd/index.js";
import type { OutFile } from "../../../targets/types.js";
import { LabError, must, run } from "../exec.js";
import { adminClientAddress, clientAddress } from "../layout.js";
import { labNamespaces } from "../netns.js";
import { abandoned, thisProcess, type LabAction } from "../owner.js";
import { ensureBase } from "./base.js";
import { cacheDir, machineNs, machinePort, machinesLayout, relayAddress, RELAY_PORT, type MachinesLayout } from "./layout.js";
import { addNetns, bootMachine, inMachine, plugVeth, prepareMachine, waitReady, type Readiness } from "./machine.js";
import { mirrorHosts, readMirrors, startProxy, startRelay } from "./relay.js";
import { aptProxyConf, seedFor } from "./seed.js";
import { machinesTeardown } from "./teardown.js";
import { emptyMachinesState, loadMachinesState, saveMachinesState, type MachineRecord, type MachinesState } from "./state.js";

export type MachineTarget = "systemd" | "bundle";

export interface MachinesOptions {
  readonly target: MachineTarget;
  readonly inlineSecrets: boolean;
}

export interface MachinesLab {
  readonly layout: MachinesLayout;
  readonly graph: Graph;
  readonly secrets: Secrets;
  readonly plans: readonly HostPlan[];
  readonly state: MachinesState;
  readonly opts: MachinesOptions;
  /** The generated output, as `hacompile build` writes it (out/<target>/...). */
  readonly outDir: string;
  readonly relay: string;
  readonly clientAddress: string;
  readonly log: (line: string) => void;
  /** Seconds of each phase of `up`, for the report. */
  readonly figures: Record<string, number>;
}

export class MachinesBusy extends LabError {}

/** A first boot with cloud-init installing packages through the relay: bounded, with room for a loaded CI box. */
export const FIRST_BOOT_TIMEOUT_MS = 900_000;

const secondsSince = (t: number): number => Math.round((Date.now() - t) / 100) / 10;

export function writeOut(dir: string, files: readonly OutFile[]): void {
  for (const f of files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content, { mode: f.mode });
  }
}

async function preflight(): Promise<void> {
  if (process.platform !== "linux") throw new LabError("the machines lab needs Linux");
  if (process.getuid?.() !== 0) throw new LabError("the machines lab needs root (namespaces, mounts, systemd-nspawn)");
  const missing: string[] = [];
  for (const tool of ["systemd-nspawn", "debootstrap", "tinyproxy", "socat", "ip", "nsenter", "unshare", "ssh", "ssh-keygen"]) {
    if ((await run("sh", ["-c", 'command -v "$1"', "sh", tool])).code !== 0) missing.push(tool);
  }
  if (missing.length > 0) throw new LabError(`missing: ${missing.join(", ")} (apt-get install systemd-container debootstrap tinyproxy socat openssh-client)`);
  if ((await run("sh", ["-c", "test -c /dev/fuse"])).code !== 0) throw new LabError("/dev/fuse is missing (Gluster mounts need it)");
}

/** The lab's record of itself; machines are added by host name. */
export async function machinesLabUp(graph: Graph, secrets: Secrets, plans: readonly HostPlan[], opts: MachinesOptions, action: LabAction, log: (l: string) => void): Promise<MachinesLab> {
  await preflight();
  const layout = machinesLayout(graph.name);
  const before = loadMachinesState(layout.workDir);
  if (before !== undefined && abandoned(before.owner)) {
    log(`a machines lab of ${graph.name} was left by a 'lab test' that no longer runs (pid ${before.owner?.pid}): tearing it down first`);
    await machinesTeardown(layout, log);
  }
  if ((await labNamespaces(layout)).length > 0 || loadMachinesState(layout.workDir) !== undefined) {
    throw new MachinesBusy(`a machines lab of ${graph.name} is up already (or was not torn down): hacompile lab down <topology> --machines`);
  }
  rmSync(layout.workDir, { recursive: true, force: true });
  const state = emptyMachinesState(graph.name, opts.target, thisProcess(action), opts.inlineSecrets);
  saveMachinesState(layout.workDir, state);
  const figures: Record<string, number> = {};
  const outDir = join(layout.workDir, "out");
  const target = opts.target === "systemd" ? systemd : bundle;
  writeOut(join(outDir, target.name), target.emit(graph, plans, { inlineSecrets: opts.inlineSecrets }).files);

  // The relay first: debootstrap fetches through tinyproxy too.
  const t0 = Date.now();
  const relayDir = join(layout.workDir, "relay");
  mkdirSync(relayDir, { recursive: true });
  const mirrors = readMirrors();
  const record = (p: (typeof state.procs)[number]): void => {
    state.procs.push(p);
    saveMachinesState(layout.workDir, state);
  };
  const proxy = await startProxy(relayDir, mirrorHosts(mirrors), record);
  const base = await ensureBase(cacheDir(), mirrors, proxy.port, log);
  figures["base tree s"] = base.seconds;

  const relay = relayAddress(graph);
  const client = clientAddress(graph);
  const prefix = graph.network.prefixLength;
  await addNetns(layout, state, layout.sw);
  // No STP, no forwarding delay, no multicast snooping (VRRP adverts must reach every port).
  await must("ip", ["-n", layout.sw, "link", "add", layout.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0"]);
  await must("ip", ["-n", layout.sw, "addr", "add", `${relay}/${prefix}`, "dev", layout.bridge]);
  await must("ip", ["-n", layout.sw, "link", "set", layout.bridge, "up"]);
  await startRelay(relayDir, proxy, layout.relaySocket, layout.sw, relay, record);
  await addNetns(layout, state, layout.client);
  await must("ip", ["-n", layout.sw, "link", "add", "vclient", "type", "veth", "peer", "name", "eth0", "netns", layout.client]);
  await must("ip", ["-n", layout.sw, "link", "set", "vclient", "master", layout.bridge, "up"]);
  await must("ip", ["-n", layout.client, "addr", "add", `${client}/${prefix}`, "dev", "eth0"]);
  // The lab's own requests come from an admin-network address, as in the
  // namespace lab: only the admin network sees X-Served-By and the health path.
  const admin = adminClientAddress(graph);
  if (admin !== undefined) await must("ip", ["-n", layout.client, "addr", "add", `${admin}/${prefix}`, "dev", "eth0"]);
  await must("ip", ["-n", layout.client, "link", "set", "eth0", "up"]);
  figures["relay and network s"] = secondsSince(t0) - base.seconds;

  const lab: MachinesLab = { layout, graph, secrets, plans, state, opts, outDir, relay, clientAddress: client, log, figures };
  if (opts.target === "bundle") {
    mkdirSync(join(layout.workDir, "ssh"), { recursive: true, mode: 0o700 });
    await must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `hacompile-lab-${graph.name}`, "-f", join(layout.workDir, "ssh", "id_ed25519")]);
  }
  const runId = String(Date.now());
  const t1 = Date.now();
  for (const [i, h] of graph.hosts.entries()) {
    const m: MachineRecord = { host: h.name, ns: machineNs(layout, h.name), port: machinePort(i), dir: join(layout.workDir, "machines", h.name) };
    state.machines[h.name] = m;
    await addNetns(layout, state, m.ns);
    await plugVeth(layout, m, graph.network.interface);
    const userData = opts.target === "systemd" ? readFileSync(join(outDir, "systemd", h.name, "user-data"), "utf8") : bundleHostUserData(lab);
    await prepareMachine(layout, state, m, base.root, seedFor(graph, h, userData, runId), aptProxyConf(relay, RELAY_PORT));
  }
  await Promise.all(Object.values(state.machines).map((m) => bootMachine(layout, state, m, graph.network.interface)));
  log(`${graph.hosts.length} machines booting (${secondsSince(t1)} s to start them)`);
  const ready = await Promise.all(
    Object.values(state.machines).map(async (m): Promise<[string, Readiness]> => {
      const r = await waitReady(m, FIRST_BOOT_TIMEOUT_MS);
      log(`  ${m.host}: systemd ${r.system}, cloud-init ${r.cloudInit} after ${r.seconds} s`);
      return [m.host, r];
    }),
  );
  figures["first boot s"] = secondsSince(t1);
  const bad = ready.filter(([, r]) => r.system !== "running" && r.system !== "degraded");
  if (bad.length > 0) throw new LabError(`machines not up: ${bad.map(([h, r]) => `${h} (${r.system})`).join(", ")}`);
  log(`all ${graph.hosts.length} machines booted, cloud-init finished (${figures["first boot s"]} s)`);
  return lab;
}

/**
 * The lab that `lab up` left running, for `lab test --running`: the same
 * record `up` returned, rebuilt from its state file. Only a lab whose owner
 * was `lab up` and whose machines all run qualifies; anything else is a
 * usage mistake the message explains.
 */
export function attachMachinesLab(graph: Graph, secrets: Secrets, plans: readonly HostPlan[], log: (l: string) => void): MachinesLab {
  const layout = machinesLayout(graph.name);
  const state = loadMachinesState(layout.workDir);
  const up = `hacompile lab up <topology> --machines`;
  if (state === undefined) throw new LabError(`no machines lab of ${graph.name} is up: start one with ${up}`);
  if (state.owner?.action !== "up") throw new LabError(`the machines lab of ${graph.name} belongs to a 'lab test' run, not to 'lab up'; --running tests only a lab that ${up} left running`);
  const off = graph.hosts.filter((h) => state.machines[h.name]?.nspawn === undefined).map((h) => h.name);
  if (off.length > 0) throw new LabError(`machines of ${graph.name} not running: ${off.join(", ")} (a lab up that did not finish? hacompile lab down <topology> --machines, then up again)`);
  const opts: MachinesOptions = { target: state.target, inlineSecrets: state.inlineSecrets === true };
  const outDir = join(layout.workDir, "out");
  return { layout, graph, secrets, plans, state, opts, outDir, relay: relayAddress(graph), clientAddress: clientAddress(graph), log, figures: {} };
}

/**
 * The bundle target's machine: a fresh host with only sshd and a sudo user
 * whose key the lab holds, as a cloud provider hands out. Its user-data is
 * the lab's own, not generated.
 */
export function bundleHostUserData(lab: Pick<MachinesLab, "layout">): string {
  const key = readFileSync(join(lab.layout.workDir, "ssh", "id_ed25519.pub"), "utf8").trim();
  return ["#cloud-config", "users:", "  - name: admin", "    sudo: ALL=(ALL) NOPASSWD:ALL", "    shell: /bin/bash", "    ssh_authorized_keys:", `      - ${key}`, "ssh_pwauth: false", ""].join("\n");
}

export { inMachine };
