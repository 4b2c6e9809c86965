// What the systemd and bundle targets add to every host's files: one
// hacompile.target that pulls in every service of the host, and drop-ins that
// tie Debian's own units to it and order them after their dependencies (our
// own units carry their ordering themselves). Both targets install the same
// extra files, so a host booted from user-data and a host installed from the
// bundle start the same units in the same order at every boot.
import { generatedBy } from "../../src/render/common/header.js";
import type { Graph } from "../../src/graph/model.js";
import { healthFile, HEALTH_SCRIPT } from "./health.js";
import { unitFile, type UnitEntry } from "../../src/render/common/systemd-unit.js";
import { file, timerUnitOf, type HostFile, type HostPlan, type ServiceSpec } from "../../src/render/types.js";

export const TARGET_UNIT = "hacompile.target";
export const UNIT_DIR = "/etc/systemd/system";
/** Drop-in name for packaged units; distinct from the renderers' own drop-ins (hacompile-mounts.conf...). */
export const DROP_IN_NAME = "hacompile.conf";

/** The unit hacompile.target starts for a service: the timer for periodic ones, not the job itself. */
export function startUnitOf(s: ServiceSpec): string {
  return s.schedule !== undefined ? timerUnitOf(s) : s.unit;
}

/**
 * The unit to restart when a file of `service` changes, or undefined when the
 * host runs no such service. A changed file of a periodic job only matters
 * to its timer (the job itself reads its files at the next run).
 */
export function restartUnitOf(plan: HostPlan, service: string): string | undefined {
  const s = plan.services.find((x) => x.name === service);
  return s === undefined ? undefined : startUnitOf(s);
}

export function unitPath(unit: string): string {
  return `${UNIT_DIR}/${unit}`;
}

export function dropInPath(unit: string, name: string): string {
  return `${UNIT_DIR}/${unit}.d/${name}`;
}

function targetUnit(graph: Graph, plan: HostPlan, extraWants: readonly string[]): string {
  const wants: UnitEntry[] = [...plan.services.map(startUnitOf), ...extraWants].map((u) => ["Wants", u] as const);
  return unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: every service of ${plan.host.name} (topology ${graph.name})`],
          // A target orders itself after what it Wants=, so reaching it means every service was started.
          ...wants,
        ],
      ],
      ["Install", [["WantedBy", "multi-user.target"]]],
    ],
    `${generatedBy(graph)}\nStarts this host's services; their order lives in the units (After=). Start: systemctl start ${TARGET_UNIT}\nActive means started, not healthy (Wants= survives a failed service): ask ${HEALTH_SCRIPT}`,
  );
}

function packagedDropIn(graph: Graph, plan: HostPlan, s: ServiceSpec): string {
  const after: UnitEntry[] = [];
  for (const dep of s.after) {
    const d = plan.services.find((x) => x.name === dep);
    // Always found: planHosts refuses a dependency the host does not run.
    if (d !== undefined) after.push(["After", d.unit]);
  }
  return unitFile(
    [["Unit", [["PartOf", TARGET_UNIT], ...after]]],
    `${generatedBy(graph)}\nTies Debian's ${s.unit} to ${TARGET_UNIT} and orders it after the services it needs on this host.`,
  );
}

/**
 * hacompile.target, the health command, and one drop-in per packaged unit, as host files so the
 * targets install them like any other. `extraWants` are units a target adds
 * of its own (the metadata firewall of the systemd target).
 */
export function hostUnitFiles(graph: Graph, plan: HostPlan, extraWants: readonly string[] = []): HostFile[] {
  const out: HostFile[] = [file(unitPath(TARGET_UNIT), targetUnit(graph, plan, extraWants), "systemd", "hacompile"), healthFile(graph, plan)];
  for (const s of plan.services) {
    if (!s.packaged) continue;
    out.push(file(dropInPath(s.unit, DROP_IN_NAME), packagedDropIn(graph, plan, s), "systemd", s.name));
  }
  return out;
}

/**
 * Units to `systemctl enable`: hacompile.target, and every unit of ours whose
 * [Install] asks for an earlier or other target (the firewall at sysinit,
 * timers at timers.target) so it also starts there at boot, not only through
 * hacompile.target. Debian enables its own units when it installs them.
 */
export function unitsToEnable(plan: HostPlan, extra: readonly HostFile[] = []): string[] {
  const out = [TARGET_UNIT];
  const files = [...plan.files, ...extra];
  const hasInstall = (unit: string): boolean =>
    files.some((f) => f.path === unitPath(unit) && /^\[Install\]\s*$/m.test(f.content));
  for (const s of plan.services) {
    const u = startUnitOf(s);
    if (!s.packaged && hasInstall(u) && !out.includes(u)) out.push(u);
  }
  for (const f of extra) {
    const u = f.path.startsWith(`${UNIT_DIR}/`) ? f.path.slice(UNIT_DIR.length + 1) : "";
    if (/^[^/]+\.(service|timer|mount)$/.test(u) && hasInstall(u) && !out.includes(u)) out.push(u);
  }
  return out;
}

/** The plan's files plus `extra`, sorted by path; two files at one path is a bug. */
export function mergeFiles(plan: HostPlan, extra: readonly HostFile[]): HostFile[] {
  const all = [...plan.files, ...extra];
  const seen = new Set<string>();
  for (const f of all) {
    if (seen.has(f.path)) throw new Error(`target invariant: two files at ${f.path} on ${plan.host.name}`);
    seen.add(f.path);
  }
  return all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Octal mode as install(1) and cloud-init spell it: 0644, 4755. */
export function octal(mode: number): string {
  return mode.toString(8).padStart(4, "0");
}
