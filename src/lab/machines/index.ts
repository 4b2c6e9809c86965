// `hacompile lab up|test|down <topology> --machines`: the same scenarios as
// the namespace lab, on booted machines. Every failure, a signal included,
// tears the machines lab down.
import { cpus } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { compileForLab } from "../up.js";
import { waitFor } from "../exec.js";
import { clientHttp, isReal } from "../http.js";
import type { HostLab } from "../host.js";
import { figuresText, formatReport, tally, type LabReport, type ScenarioResult } from "../scenario.js";
import { HEALTH_PATH } from "../scenarios/common.js";
import { checkRoutes } from "../scenarios/routing.js";
import { machineScenarios } from "./scenarios.js";
import { machineHosts } from "./hosts.js";
import { machinesLayout, type MachinesLayout } from "./layout.js";
import { inMachine } from "./machine.js";
import { copySecrets } from "./secrets.js";
import { loadMachinesState, type MachinesState } from "./state.js";
import { machinesLeftovers, machinesTeardown } from "./teardown.js";
import { installBundles } from "./bundle.js";
import type { LabAction } from "../owner.js";
import { attachMachinesLab, MachinesBusy, machinesLabUp, type MachinesLab, type MachinesOptions } from "./up.js";

const log = (line: string): void => {
  process.stdout.write(line + "\n");
};
const seconds = (ms: number): number => Math.round(ms / 100) / 10;
/** How long the stack gets to serve after its machines are up (packages are installed by then). */
const SITE_WAIT_MS = 180_000;
/**
 * No systemd job on any machine for this long: nothing is left to bring the
 * site up. Longer than the timers that act between jobs (the uploads mount
 * is tried every 15 s): three quiet looks 10 s apart gave up on a site that
 * served a few seconds later.
 */
const QUIET_MS = 45_000;

const teardowns = new Map<string, Promise<void>>();
function teardownOnce(layout: MachinesLayout): Promise<void> {
  let p = teardowns.get(layout.workDir);
  if (!p) {
    p = machinesTeardown(layout, log);
    teardowns.set(layout.workDir, p);
  }
  return p;
}

let interrupted = false;
function teardownOnSignal(layout: MachinesLayout): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: tearing the machines down`);
    teardownOnce(layout)
      .catch((e: unknown) => log(`teardown: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => process.exit(130));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

export function asHostLab(lab: MachinesLab): HostLab {
  return { kind: "machines", graph: lab.graph, secrets: lab.secrets, plans: lab.plans, layout: lab.layout, hosts: machineHosts(lab), log: lab.log };
}

/** The default pool answers /hacompile-health through the VIP: the stack is serving. */
export async function siteServes(lab: HostLab, timeoutMs: number): Promise<boolean> {
  const pool = lab.graph.pools.find((p) => p.name === lab.graph.loadBalancer.defaultPool);
  const members = pool ? pool.members.map((m) => m.host) : [];
  return waitFor(async () => {
    const [r] = await clientHttp(lab.layout, lab.graph, { requests: [{ path: HEALTH_PATH }], count: 1, rate: 1, timeoutMs: 3000 });
    return r !== undefined && isReal(r, members);
  }, timeoutMs, 1000);
}

/** No machine has a systemd job left: whatever was going to start has started or failed. */
async function settled(lab: MachinesLab): Promise<boolean> {
  for (const m of Object.values(lab.state.machines)) {
    const r = await inMachine(m, "systemctl list-jobs --no-legend | wc -l", 10_000);
    if (r.code !== 0 || r.stdout.trim() !== "0") return false;
  }
  return true;
}

/**
 * Waits for the whole site (every route answered by every member of its pool,
 * the routing check), bounded; gives up early once every machine has been
 * settled (no systemd job anywhere) for QUIET_MS, since nothing is then left
 * to bring the site up. Waiting for the default pool alone let
 * the scenarios start while the blog pool's hosts still waited for their
 * uploads mount (503 until the volume's marker is visible).
 */
async function siteServesOrSettles(lab: MachinesLab): Promise<boolean> {
  const end = Date.now() + SITE_WAIT_MS;
  let quietSince: number | undefined;
  const hl = asHostLab(lab);
  while (Date.now() < end) {
    if ((await siteServes(hl, 10_000)) && (await checkRoutes(hl)).failures.length === 0) return true;
    if (!(await settled(lab))) quietSince = undefined;
    else if (quietSince === undefined) quietSince = Date.now();
    if (quietSince !== undefined && Date.now() - quietSince >= QUIET_MS) return false;
  }
  return false;
}

/** Each machine's failed units and hacompile.target's state, for a report that says why. */
export async function machineStatus(lab: MachinesLab): Promise<string[]> {
  const out: string[] = [];
  for (const m of Object.values(lab.state.machines)) {
    const r = await inMachine(m, "systemctl is-active hacompile.target; systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\\n' ' '", 15_000);
    out.push(`${m.host}: ${r.stdout.trim().replace(/\n/g, "; failed: ") || r.stderr.trim()}`);
  }
  return out;
}

/** Up, then the stack's secrets or bundles the way the README says, then the wait for the site. */
async function upAndStart(file: string, opts: MachinesOptions, action: LabAction): Promise<MachinesLab> {
  const { graph, secrets, plans } = compileForLab(file);
  const layout = machinesLayout(graph.name);
  try {
    const lab = await machinesLabUp(graph, secrets, plans, opts, action, log);
    const t0 = Date.now();
    if (opts.target === "bundle") {
      const failed = await installBundles(lab);
      lab.figures["bundles installed s"] = seconds(Date.now() - t0);
      lab.figures["install.sh failed"] = failed.length;
      for (const f of failed) log(`  install failed: ${f}`);
    } else if (!opts.inlineSecrets) {
      const n = await copySecrets(join(lab.outDir, "systemd"), Object.values(lab.state.machines), (h) => graph.hosts.find((x) => x.name === h)!.address);
      log(`secrets: ran the ${n} commands of every SECRETS.txt (${seconds(Date.now() - t0)} s)`);
    }
    const t1 = Date.now();
    const ok = await siteServesOrSettles(lab);
    lab.figures["site serving s"] = ok ? seconds(Date.now() - t1) : -1;
    if (ok) log(`the site answers through the VIP (${lab.figures["site serving s"]} s after the stack was started)`);
    else {
      // Not a lab failure: the stack did not come up by itself. The scenarios say what a user sees.
      log(`the site does not answer through the VIP ${seconds(Date.now() - t1)} s after the machines were up, and nothing is left starting; each machine:`);
      for (const l of await machineStatus(lab)) log(`  ${l}`);
    }
    return lab;
  } catch (e) {
    if (e instanceof MachinesBusy) throw e;
    log(`machines up failed: ${e instanceof Error ? e.message : String(e)}; tearing down`);
    await teardownOnce(layout);
    throw e;
  }
}

export async function machinesUpCommand(file: string, opts: MachinesOptions): Promise<number> {
  const { graph } = compileForLab(file);
  const untrap = teardownOnSignal(machinesLayout(graph.name));
  let lab: MachinesLab;
  try {
    lab = await upAndStart(file, opts, "up");
  } finally {
    untrap();
  }
  log(`machines lab ${graph.name} is up; stop it with: hacompile lab down ${file} --machines`);
  log(`  the site: ip netns exec ${lab.layout.client} curl -H 'Host: ${graph.site.domain}' http://${graph.loadBalancer.vip}/`);
  log("  a machine's shell: nsenter -t <PID 1> -a (each machine's PID 1 below)");
  for (const m of Object.values(lab.state.machines)) log(`  ${m.host.padEnd(12)} ${m.nspawn ? (await import("./machine.js")).pid1(m) ?? "-" : "-"}`);
  return 0;
}

export async function machinesDownCommand(file: string): Promise<number> {
  const { graph } = compileForLab(file);
  const layout = machinesLayout(graph.name);
  const state = loadMachinesState(layout.workDir);
  await teardownOnce(layout);
  const left = state ? await machinesLeftovers(layout, state) : [];
  for (const l of left) log(`left behind: ${l}`);
  log(left.length === 0 ? `machines lab ${graph.name} is down` : `machines lab ${graph.name}: teardown incomplete`);
  return left.length === 0 ? 0 : 1;
}

/**
 * `lab test --machines`: up, every scenario, teardown and the check that
 * nothing is left. With `running`, the scenarios run on the lab that `lab up`
 * left running (its own target and secrets mode), which stays up afterwards:
 * no boot to wait for while working on one scenario.
 */
export async function machinesTestCommand(file: string, jsonPath: string | undefined, opts: MachinesOptions, only: readonly string[], running = false): Promise<number> {
  const t0 = Date.now();
  const { graph, secrets, plans } = compileForLab(file);
  const layout = machinesLayout(graph.name);
  const untrap = running ? (): void => undefined : teardownOnSignal(layout);
  try {
    let lab: MachinesLab;
    try {
      lab = running ? attachMachinesLab(graph, secrets, plans, log) : await upAndStart(file, opts, "test");
    } catch (e) {
      const planned = machineScenarios(graph, opts).filter((s) => only.length === 0 || only.includes(s.name));
      log(`machines up failed: ${e instanceof Error ? e.message : String(e)}`);
      log(`0 passed, ${planned.length + (running ? 0 : 1)} failed`);
      return 1;
    }
    opts = lab.opts;
    const planned = machineScenarios(graph, opts).filter((s) => only.length === 0 || only.includes(s.name));
    const tUp = Date.now();
    const hl = asHostLab(lab);
    const results: ScenarioResult[] = [];
    for (const s of planned) {
      if (interrupted) break;
      log(`--- ${s.name}: ${s.title}`);
      const st = Date.now();
      let r: ScenarioResult;
      try {
        const o = await s.run(hl, lab);
        r = { name: s.name, title: s.title, result: o.failures.length === 0 ? "pass" : "fail", seconds: seconds(Date.now() - st), figures: o.figures, failures: o.failures };
      } catch (e) {
        r = { name: s.name, title: s.title, result: "fail", seconds: seconds(Date.now() - st), figures: {}, failures: [`could not run: ${e instanceof Error ? e.message : String(e)}`] };
      }
      results.push(r);
      // Figures on the scenario's own line: an interrupted run still shows them.
      log(`    ${r.result} in ${r.seconds} s: ${figuresText(r.figures)}${r.failures.length > 0 ? "; " + r.failures.join("; ") : ""}`);
    }
    const tScen = Date.now();
    if (!running) {
      const state: MachinesState = JSON.parse(JSON.stringify(lab.state)) as MachinesState;
      await teardownOnce(layout);
      const left = await machinesLeftovers(layout, state);
      results.push({ name: "teardown", title: "no machine, namespace, process, mount or cgroup of the lab is left", result: left.length === 0 ? "pass" : "fail", seconds: seconds(Date.now() - tScen), figures: { "left behind": left.length }, failures: left });
    }
    const tDown = Date.now();
    const { passed, failed } = tally(results);
    const report: LabReport & { machines: Record<string, number | string> } = {
      topology: `${graph.name} (machines, target ${opts.target}${opts.inlineSecrets ? ", inline secrets" : ""})`,
      cores: cpus().length,
      seconds: { up: seconds(tUp - t0), scenarios: seconds(tScen - tUp), down: seconds(tDown - tScen), total: seconds(tDown - t0) },
      scenarios: results,
      passed,
      failed,
      machines: lab.figures,
    };
    if (jsonPath !== undefined) {
      const p = resolve(jsonPath);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, JSON.stringify(report, null, 2) + "\n");
    }
    log("");
    log(`up: ${Object.entries(lab.figures).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    for (const l of formatReport(report)) log(l);
    if (running) log(`the lab stays up; stop it with: hacompile lab down ${file} --machines`);
    return failed === 0 ? 0 : 1;
  } finally {
    untrap();
  }
}
