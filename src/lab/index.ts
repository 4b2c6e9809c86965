// The lab's three actions. Every failure tears down what was started.
import { compileForLab, labUp, type Lab } from "./up.js";
import { labLayout } from "./layout.js";
import { leftovers, teardown } from "./down.js";
import { loadState } from "./state.js";

const log = (line: string): void => {
  process.stdout.write(line + "\n");
};

async function upOrClean(file: string): Promise<Lab> {
  try {
    return await labUp(file, log);
  } catch (e) {
    const { graph } = compileForLab(file);
    log("lab up failed: tearing down");
    await teardown(labLayout(graph.name));
    throw e;
  }
}

export async function labUpCommand(file: string): Promise<number> {
  const lab = await upOrClean(file);
  lab.sup.release();
  log(`lab ${lab.graph.name} is up. Enter a host: nsenter --target <pid> --mount --net (pids below); stop: hacompile lab down ${file}`);
  for (const [h, holder] of lab.holders) log(`  ${h.padEnd(12)} ${holder.pid}`);
  return 0;
}

export async function labDown(file: string): Promise<number> {
  const { graph } = compileForLab(file);
  const layout = labLayout(graph.name);
  const state = loadState(layout.workDir);
  await teardown(layout);
  const left = state ? await leftovers(layout, state) : [];
  for (const l of left) log(`left behind: ${l}`);
  log(left.length === 0 ? `lab ${graph.name} is down` : `lab ${graph.name}: teardown incomplete`);
  return left.length === 0 ? 0 : 1;
}

export async function labTest(file: string, jsonPath: string | undefined): Promise<number> {
  void jsonPath;
  const lab = await upOrClean(file);
  const state = lab.state;
  lab.sup.release();
  await teardown(lab.layout);
  const left = await leftovers(lab.layout, state);
  for (const l of left) log(`left behind: ${l}`);
  return left.length === 0 ? 0 : 1;
}
