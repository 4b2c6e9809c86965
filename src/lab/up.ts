// `lab up`: compile the topology, write its bundle, build the network, boot
// and install every host from its bundle, then start every service in order.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build } from "../build.js";
import { formatDiagnostic, hasErrors } from "../diagnostics.js";
import type { Graph, Host } from "../graph/model.js";
import { cryptoRandom, defaultSecretsPath, readSecretsFile, writeSecretsFile } from "../io/secrets-file.js";
import { sh } from "../render/common/quote.js";
import type { HostFile, HostPlan } from "../render/types.js";
import { completeSecrets, type Secrets } from "../secrets.js";
import { bundle, bundleFiles } from "../../targets/bundle/index.js";
import { readTextFile } from "../io/text-file.js";
import { DEFAULT_TARGET_OPTIONS } from "../../targets/types.js";
import { LabError, must, run } from "./exec.js";
import { bootHost, shInHost, startHolder } from "./hostns.js";
import { adminClientAddress, CLIENT_PORT, clientAddress, hostNs, labLayout, switchPort, type LabLayout } from "./layout.js";
import { addNode, createSwitch, labNamespaces } from "./netns.js";
import { startSteps, topoOrder, type Step } from "./order.js";
import { applySysctl, freshPackageState, mountPoint, runInstall, SYSTEMCTL_SHIM } from "./prepare.js";
import { teardown } from "./down.js";
import { abandoned, thisProcess, type LabAction } from "./owner.js";
import { emptyState, loadState, saveState, type HolderRecord, type LabState } from "./state.js";
import { Supervisor } from "./supervisor.js";
import { restartPolicy, type RestartPolicy } from "./units.js";

export interface Lab {
  readonly layout: LabLayout;
  readonly graph: Graph;
  readonly secrets: Secrets;
  readonly plans: readonly HostPlan[];
  /** Each host's files as its bundle installs them (the plan's plus the unit drop-ins). */
  readonly files: ReadonlyMap<string, readonly HostFile[]>;
  readonly state: LabState;
  readonly holders: Map<string, HolderRecord>;
  readonly sup: Supervisor;
  readonly clientAddress: string;
  readonly log: (line: string) => void;
}

/** Another run's lab is there: this run started nothing and must remove nothing. */
export class LabBusy extends LabError {}

/** A oneshot's bound; the bootstraps' own waits are shorter. */
const ONESHOT_TIMEOUT_MS = 240_000;

export interface Compiled {
  readonly graph: Graph;
  readonly secrets: Secrets;
  readonly plans: readonly HostPlan[];
}

/** The topology and its secrets, as `build` reads them (a missing secret is generated into the secrets file). */
export function compileForLab(file: string): Compiled {
  const read = readTextFile(file);
  if ("diagnostic" in read) throw new LabError(formatDiagnostic(read.diagnostic));
  // No target: the lab writes the bundle itself (writeBundle) where it needs it.
  const result = build(read.text, {
    file,
    targets: [],
    secrets: (graph) => {
      const secretsPath = defaultSecretsPath(file);
      const { secrets, generated } = completeSecrets(graph, readSecretsFile(secretsPath), cryptoRandom);
      if (generated.length > 0) {
        writeSecretsFile(secretsPath, secrets);
        process.stderr.write(`generated ${generated.length} secret(s) in ${secretsPath} (mode 0600)\n`);
      }
      return secrets;
    },
  });
  for (const d of result.diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
  if (hasErrors(result.diagnostics) || !result.graph || !result.secrets || !result.hosts) throw new LabError(`${file} does not compile`);
  return { graph: result.graph, secrets: result.secrets, plans: result.hosts };
}

/** What the lab cannot run, in sentences; empty when it can run the topology. */
export function unsupported(graph: Graph): string[] {
  const out: string[] = [];
  for (const d of graph.databases) if (d.engine !== "mariadb") out.push(`database ${d.name}: the lab runs MariaDB only (Debian has no MySQL ${d.engine} server)`);
  if (graph.loadBalancer.failover?.mode === "digitalocean") out.push("failover mode digitalocean needs the provider's API; the lab runs vrrp only");
  if (graph.loadBalancer.tls !== undefined) out.push("TLS on the load balancers needs the certificate files; the lab runs plain HTTP only");
  return out;
}

async function preflight(plans: readonly HostPlan[]): Promise<void> {
  if (process.platform !== "linux") throw new LabError("the lab needs Linux (network and mount namespaces)");
  if (process.getuid?.() !== 0) throw new LabError("the lab needs root: it creates network and mount namespaces");
  const pkgs = [...new Set(plans.flatMap((p) => p.packages))].sort();
  const r = await run("dpkg-query", ["-W", "-f=${Package} ${db:Status-Status}\\n", ...pkgs]);
  const installed = new Set(r.stdout.split("\n").filter((l) => l.endsWith(" installed")).map((l) => l.split(" ")[0]));
  const missing = pkgs.filter((p) => !installed.has(p));
  if (missing.length > 0) throw new LabError(`packages the hosts need are not installed here: apt-get install --no-install-recommends ${missing.join(" ")}`);
  for (const tool of ["ip", "nsenter", "unshare", "mount", "nft"]) {
    if ((await run("sh", ["-c", 'command -v "$1"', "sh", tool])).code !== 0) throw new LabError(`${tool} is missing`);
  }
}

function writeBundle(dir: string, graph: Graph, plans: readonly HostPlan[]): void {
  for (const f of bundle.emit(graph, plans, DEFAULT_TARGET_OPTIONS).files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content, { mode: f.mode });
  }
}

/** The packaged unit as Debian ships it, then the drop-ins the bundle adds. */
function unitTexts(files: readonly HostFile[], unit: string, packaged: boolean): string[] {
  const texts: string[] = [];
  if (packaged) {
    for (const d of ["/lib/systemd/system", "/usr/lib/systemd/system"]) {
      if (existsSync(join(d, unit))) {
        texts.push(readFileSync(join(d, unit), "utf8"));
        break;
      }
    }
  } else {
    const own = files.find((f) => f.path === `/etc/systemd/system/${unit}`);
    if (own) texts.push(own.content);
  }
  const dropIns = files.filter((f) => f.path.startsWith(`/etc/systemd/system/${unit}.d/`) && f.path.endsWith(".conf")).sort((a, b) => (a.path < b.path ? -1 : 1));
  return [...texts, ...dropIns.map((f) => f.content)];
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function installHost(lab: Lab, host: Host, plan: HostPlan): Promise<void> {
  const holder = lab.holders.get(host.name)!;
  const hostDir = join(lab.layout.workDir, "hosts", host.name);
  const logs = join(lab.layout.workDir, "logs", host.name);
  mkdirSync(logs, { recursive: true });
  await bootHost(holder, lab.layout.workDir, hostDir);
  await runInstall(holder, join(lab.layout.workDir, "bundle", host.name), join(lab.layout.workDir, "shim"), join(logs, "install.log"));
  await applySysctl(holder, host.name, lab.files.get(host.name) ?? []);
  await freshPackageState(holder, plan, join(logs, "package-state.log"));
}

async function runStep(lab: Lab, s: Step): Promise<void> {
  const files = lab.files.get(s.host) ?? [];
  if (s.service.kind === "daemon") {
    await lab.sup.start(s.host, s.service);
    lab.log(`  ${s.id}: started`);
    return;
  }
  const where = s.service.unit.endsWith(".mount") ? mountPoint(files, s.service.unit) : undefined;
  if (where !== undefined) await shInHost(lab.holders.get(s.host)!, `${s.id}: mount point`, `mkdir -p ${sh(where)}`);
  const t0 = Date.now();
  const r = await lab.sup.oneshot(s.host, s.service, ONESHOT_TIMEOUT_MS);
  if (r.code !== 0) {
    const tail = readFileSync(lab.sup.logPath(s.host, s.service.name), "utf8").trim().split("\n").slice(-4).join(" | ");
    throw new LabError(`${s.id} failed (exit ${r.code}${r.timedOut ? ", timed out" : ""}): ${tail}`);
  }
  lab.log(`  ${s.id}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const line of loudLines(readFileSync(lab.sup.logPath(s.host, s.service.name), "utf8"))) lab.log(`  ${s.id}: ${line}`);
}

/**
 * What a step shouted between banners of asterisks (the HyperDB install
 * saying that it is NOT installed, as it is here without a route out): a
 * step that succeeds in a degraded way says so in the lab's own output.
 */
export function loudLines(log: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const raw of log.split("\n")) {
    const line = raw.replace(/^[\w-]+: /, "");
    if (/^\*{20,}$/.test(line.trim())) {
      inside = !inside;
      continue;
    }
    if (inside && line.trim() !== "") out.push(line.trim());
  }
  return out;
}

/** Runs the steps as soon as their dependencies are through; the first failure fails the whole. */
async function runSteps(lab: Lab, steps: readonly Step[]): Promise<void> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const started = new Map<string, Promise<void>>();
  const go = (s: Step): Promise<void> => {
    let p = started.get(s.id);
    if (!p) {
      p = (async () => {
        await Promise.all(s.deps.map((d) => go(byId.get(d)!)));
        await runStep(lab, s);
      })();
      started.set(s.id, p);
    }
    return p;
  };
  const all = topoOrder(steps).map((s) => go(s));
  await new Promise<void>((resolve, reject) => {
    let n = 0;
    for (const p of all) p.then(() => (++n === all.length ? resolve() : undefined), reject);
    if (all.length === 0) resolve();
  });
}

/** Brings the lab up; on any failure the caller tears it down. */
export async function labUp(file: string, compiled: Compiled, action: LabAction, log: (line: string) => void): Promise<Lab> {
  const { graph, secrets, plans } = compiled;
  const why = unsupported(graph);
  if (why.length > 0) throw new LabError(`the lab cannot run this topology: ${why.join("; ")}`);
  await preflight(plans);
  const layout = labLayout(graph.name);
  const before = loadState(layout.workDir);
  if (before !== undefined && abandoned(before.owner)) {
    log(`a lab of ${graph.name} was left by a 'lab test' that no longer runs (pid ${before.owner?.pid}): tearing it down first`);
    await teardown(layout);
  }
  if ((await labNamespaces(layout)).length > 0 || loadState(layout.workDir) !== undefined) {
    throw new LabBusy(`a lab of ${graph.name} is up already (or was not torn down): hacompile lab down ${file}`);
  }
  rmSync(layout.workDir, { recursive: true, force: true });
  mkdirSync(join(layout.workDir, "shim"), { recursive: true });
  writeFileSync(join(layout.workDir, "shim", "systemctl"), SYSTEMCTL_SHIM, { mode: 0o755 });
  writeBundle(join(layout.workDir, "bundle"), graph, plans);
  const state = emptyState(graph.name, thisProcess(action));
  saveState(layout.workDir, state);

  const files = new Map(plans.map((p) => [p.host.name, bundleFiles(graph, p)]));
  const policies = new Map<string, RestartPolicy>();
  for (const p of plans) {
    for (const s of p.services) policies.set(`${p.host.name}/${s.name}`, restartPolicy(unitTexts(files.get(p.host.name) ?? [], s.unit, s.packaged)));
  }
  const holders = new Map<string, HolderRecord>();
  const lab: Lab = {
    layout,
    graph,
    secrets,
    plans,
    files,
    state,
    holders,
    sup: new Supervisor(layout.workDir, state, holders, policies),
    clientAddress: clientAddress(graph),
    log,
  };

  const t0 = Date.now();
  const prefix = graph.network.prefixLength;
  await createSwitch(layout, state);
  for (const [i, h] of graph.hosts.entries()) {
    const ns = hostNs(layout, h.name);
    await addNode(layout, state, h.name, ns, switchPort(i), graph.network.interface, `${h.address}/${prefix}`);
    const holder = await startHolder(ns);
    holders.set(h.name, holder);
    state.holders[h.name] = holder;
    saveState(layout.workDir, state);
  }
  await addNode(layout, state, "client", layout.client, CLIENT_PORT, "eth0", `${lab.clientAddress}/${prefix}`);
  // Added second in the same subnet, so a secondary address: used only by
  // requests that bind it (the lab's HTTP client), never as the default source.
  const admin = adminClientAddress(graph);
  if (admin !== undefined) await must("ip", ["-n", layout.client, "addr", "add", `${admin}/${prefix}`, "dev", "eth0"]);
  log(`network: ${graph.hosts.length} hosts and a client (${lab.clientAddress}${admin !== undefined ? `, ${admin} in the admin network` : ""}) on a bridge in ${layout.sw} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const t1 = Date.now();
  await mapLimit(plans, 4, (p) => installHost(lab, p.host, p));
  log(`hosts booted and installed from their bundles (${((Date.now() - t1) / 1000).toFixed(1)} s)`);

  const t2 = Date.now();
  await runSteps(lab, startSteps(graph, plans));
  log(`services started (${((Date.now() - t2) / 1000).toFixed(1)} s)`);
  return lab;
}
