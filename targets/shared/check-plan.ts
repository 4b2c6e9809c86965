// What the systemd and bundle targets rely on in a host plan, checked rather
// than assumed, so a renderer that breaks the contract shows up in a test
// instead of on a VM. Pure: plan in, problems out (empty = fine).
import { timerUnitOf, type HostPlan, type ServiceSpec } from "../../src/render/types.js";
import { unitPath } from "./host-units.js";

function unitText(plan: HostPlan, unit: string): string | undefined {
  return plan.files.find((f) => f.path === unitPath(unit))?.content;
}

/** Values of `Key=` lines, split on whitespace (systemd allows several units per line). */
function directiveValues(text: string, key: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = new RegExp(`^\\s*${key}\\s*=(.*)$`).exec(line);
    if (m?.[1] !== undefined) out.push(...m[1].trim().split(/\s+/).filter((w) => w !== ""));
  }
  return out;
}

function checkOwnUnit(plan: HostPlan, s: ServiceSpec, problems: string[]): void {
  const at = `${plan.host.name}: service ${s.name}`;
  const text = unitText(plan, s.unit);
  if (text === undefined) return void problems.push(`${at}: no file ${unitPath(s.unit)} (the unit is not packaged)`);
  if (s.schedule !== undefined && unitText(plan, timerUnitOf(s)) === undefined) {
    problems.push(`${at}: periodic, but no ${unitPath(timerUnitOf(s))}`);
  }
  // A oneshot without it goes back to inactive: every install.sh run and every start of the target would run it again.
  if (s.kind === "oneshot" && s.schedule === undefined && s.unit.endsWith(".service") && !/^\s*RemainAfterExit\s*=\s*(yes|true|1|on)\s*$/m.test(text)) {
    problems.push(`${at}: oneshot ${s.unit} lacks RemainAfterExit=yes`);
  }
  const after = directiveValues(text, "After");
  for (const dep of s.after) {
    const d = plan.services.find((x) => x.name === dep);
    if (d !== undefined && !after.includes(d.unit)) problems.push(`${at}: ${s.unit} has no After=${d.unit} (it runs after ${dep})`);
  }
}

export function checkHostPlan(plan: HostPlan): string[] {
  const problems: string[] = [];
  for (const s of plan.services) {
    for (const dep of s.after) {
      if (!plan.services.some((x) => x.name === dep)) problems.push(`${plan.host.name}: service ${s.name} runs after ${dep}, which this host does not run`);
    }
    if (!s.packaged) checkOwnUnit(plan, s, problems);
  }
  return problems;
}
