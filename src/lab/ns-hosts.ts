// The host interface (host.ts) for the namespace lab: a host is a pair of
// namespaces under the lab's supervisor. It has no power switch: power-off,
// power cut and boot are refused with the reason, so a scenario that needs
// them runs on booted machines only (`--machines`).
import type { ServiceSpec } from "../render/types.js";
import { LabError, nowMs } from "./exec.js";
import type { HostLab, LabHost } from "./host.js";
import { inHost } from "./hostns.js";
import { setPort } from "./netns.js";
import type { Lab } from "./up.js";

const NO_POWER = "the namespace lab has no power switch: run with --machines";

export function namespaceHosts(lab: Lab): Map<string, LabHost> {
  const out = new Map<string, LabHost>();
  for (const h of lab.graph.hosts) {
    const holder = lab.holders.get(h.name);
    if (!holder) continue;
    const plan = lab.plans.find((p) => p.host.name === h.name);
    const specOf = (unit: string): ServiceSpec => {
      const s = plan?.services.find((x) => x.unit === unit || x.name === unit);
      if (!s) throw new LabError(`${h.name} runs no ${unit}`);
      return s;
    };
    const serviceOf = (unit: string): string => specOf(unit).name;
    const killedAt = new Map<string, number>();
    out.set(h.name, {
      name: h.name,
      address: h.address,
      sh: (cmd, timeoutMs, input) => inHost(holder, ["sh", "-c", cmd], { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(input !== undefined ? { input } : {}) }),
      // KILL is a crash (the unit's restart policy follows); TERM stops it for good, as the supervisor's kill.
      kill: (unit, signal) => {
        killedAt.set(serviceOf(unit), nowMs());
        return signal === "SIGKILL" ? lab.sup.crash(h.name, serviceOf(unit)) : lab.sup.kill(h.name, serviceOf(unit));
      },
      start: async (unit) => {
        await lab.sup.start(h.name, specOf(unit));
      },
      restartedAfterKill: async (unit, timeoutMs) => {
        const ev = await lab.sup.restartAfter(h.name, serviceOf(unit), killedAt.get(serviceOf(unit)) ?? 0, timeoutMs);
        return ev?.restartedAt ?? null;
      },
      link: (up) => setPort(lab.layout, lab.state.ports[h.name]!, up),
      powerOff: () => Promise.reject(new LabError(NO_POWER)),
      powerCut: () => Promise.reject(new LabError(NO_POWER)),
      boot: () => Promise.reject(new LabError(NO_POWER)),
      isOn: () => true,
    });
  }
  return out;
}

export function namespaceHostLab(lab: Lab): HostLab {
  return { kind: "namespaces", graph: lab.graph, secrets: lab.secrets, plans: lab.plans, layout: lab.layout, hosts: namespaceHosts(lab), log: lab.log };
}
