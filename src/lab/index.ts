// The lab's three actions. Every failure tears down what was started.
import { cpus } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { compileForLab, LabBusy, labUp, type Compiled, type Lab } from "./up.js";
import { labLayout, type LabLayout } from "./layout.js";
import { leftovers, teardown } from "./down.js";
import { formatReport, tally, type LabReport, type Scenario, type ScenarioResult, type Skipped } from "./scenario.js";
import { scenariosFor } from "./scenarios/index.js";
import { installSites, waitForVip } from "./site.js";
import type { LabAction } from "./owner.js";
import { loadState } from "./state.js";

const log = (line: string): void => {
  process.stdout.write(line + "\n");
};

const seconds = (ms: number): number => Math.round(ms / 100) / 10;

/** One teardown per lab and process: a signal and a failing run may both ask for it. */
const teardowns = new Map<string, Promise<void>>();
function teardownOnce(layout: LabLayout): Promise<void> {
  let p = teardowns.get(layout.workDir);
  if (!p) {
    p = teardown(layout);
    teardowns.set(layout.workDir, p);
  }
  return p;
}

/** The running lab: a signal stops its supervisor's restarts first, and the scenarios. */
let running: Lab | undefined;
let interrupted = false;

/**
 * Ctrl-C or a TERM while the lab runs: tear everything down before exiting,
 * as for any other failure. Returns the function that removes the handlers.
 */
function teardownOnSignal(layout: LabLayout): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    log(`${sig}: tearing the lab down`);
    interrupted = true;
    running?.sup.release();
    teardownOnce(layout)
      .catch((e: unknown) => log(`teardown: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => process.exit(130));
  };
  // on, not once: execa's signal-exit kills the process again with the same
  // signal when it finds no other listener, which would cut the teardown short.
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

async function upOrClean(file: string, compiled: Compiled, action: LabAction): Promise<Lab> {
  try {
    const lab = await labUp(file, compiled, action, log);
    running = lab;
    await waitForVip(lab);
    await installSites(lab);
    return lab;
  } catch (e) {
    if (e instanceof LabBusy) throw e;
    log("lab up failed: tearing down");
    await teardownOnce(labLayout(compiled.graph.name));
    throw e;
  }
}

export async function labUpCommand(file: string): Promise<number> {
  const compiled = compileForLab(file);
  const untrap = teardownOnSignal(labLayout(compiled.graph.name));
  let lab: Lab;
  try {
    lab = await upOrClean(file, compiled, "up");
  } finally {
    untrap();
  }
  lab.sup.release();
  const { graph, layout } = lab;
  log(`lab ${graph.name} is up; stop it with: hacompile lab down ${file}`);
  log(`  the site: ip netns exec ${layout.client} curl -H 'Host: ${graph.site.domain}' http://${graph.loadBalancer.vip}/`);
  log("  a host's shell: nsenter --target <pid> --mount --net (each host's pid below)");
  for (const [h, holder] of lab.holders) log(`  ${h.padEnd(12)} ${holder.pid}`);
  return 0;
}

export async function labDown(file: string): Promise<number> {
  const { graph } = compileForLab(file);
  const layout = labLayout(graph.name);
  const state = loadState(layout.workDir);
  await teardownOnce(layout);
  const left = state ? await leftovers(layout, state) : [];
  for (const l of left) log(`left behind: ${l}`);
  log(left.length === 0 ? `lab ${graph.name} is down` : `lab ${graph.name}: teardown incomplete`);
  return left.length === 0 ? 0 : 1;
}

export async function labTest(file: string, jsonPath: string | undefined, only: readonly string[] = []): Promise<number> {
  const t0 = Date.now();
  const compiled = compileForLab(file);
  const all = scenariosFor(compiled.graph);
  const scenarios = all.scenarios.filter((s) => only.length === 0 || only.includes(s.name));
  const skipped = all.skipped;
  const untrap = teardownOnSignal(labLayout(compiled.graph.name));
  try {
    return await runTest(file, compiled, jsonPath, t0, scenarios, skipped);
  } finally {
    untrap();
  }
}

async function runTest(
  file: string,
  compiled: Compiled,
  jsonPath: string | undefined,
  t0: number,
  scenarios: readonly Scenario[],
  skipped: readonly Skipped[],
): Promise<number> {
  let lab: Lab;
  try {
    lab = await upOrClean(file, compiled, "test");
  } catch (e) {
    // CI reads the last line: every scenario failed, since none could run.
    log(`lab up failed: ${e instanceof Error ? e.message : String(e)}`);
    log(`0 passed, ${scenarios.length + 1} failed`);
    return 1;
  }
  const tUp = Date.now();
  const results: ScenarioResult[] = [];
  for (const s of skipped) log(`not applicable: ${s.name}: ${s.reason}`);
  lab.sup.watch = true;
  try {
    for (const s of scenarios) {
      if (interrupted) break;
      log(`--- ${s.name}: ${s.title}`);
      const st = Date.now();
      let r: ScenarioResult;
      try {
        const o = await s.run(lab);
        r = { name: s.name, title: s.title, result: o.failures.length === 0 ? "pass" : "fail", seconds: seconds(Date.now() - st), figures: o.figures, failures: o.failures };
      } catch (e) {
        r = { name: s.name, title: s.title, result: "fail", seconds: seconds(Date.now() - st), figures: {}, failures: [`could not run: ${e instanceof Error ? e.message : String(e)}`] };
      }
      results.push(r);
      log(`    ${r.result} in ${r.seconds} s`);
    }
  } finally {
    lab.sup.release();
  }
  const tScen = Date.now();
  await teardownOnce(lab.layout);
  const left = await leftovers(lab.layout, lab.state);
  const tDown = Date.now();
  results.push({
    name: "teardown",
    title: "no namespace, process or mount of the lab is left",
    result: left.length === 0 ? "pass" : "fail",
    seconds: seconds(tDown - tScen),
    figures: { "left behind": left.length },
    failures: left,
  });
  const { passed, failed } = tally(results);
  const report: LabReport = {
    topology: lab.graph.name,
    cores: cpus().length,
    seconds: { up: seconds(tUp - t0), scenarios: seconds(tScen - tUp), down: seconds(tDown - tScen), total: seconds(tDown - t0) },
    scenarios: results,
    passed,
    failed,
  };
  if (jsonPath !== undefined) {
    const p = resolve(jsonPath);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, JSON.stringify(report, null, 2) + "\n");
  }
  log("");
  for (const l of formatReport(report)) log(l);
  return failed === 0 ? 0 : 1;
}
