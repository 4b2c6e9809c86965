// The host interface (../host.ts) for booted machines.
import type { LabHost } from "../host.js";
import { sh as quote } from "../../render/common/quote.js";
import { LabError, waitFor } from "../exec.js";
import { bootMachine, inMachine, powerCut, powerOff, pid1, setLink } from "./machine.js";
import type { MachinesLab } from "./up.js";

export function machineHosts(lab: MachinesLab): Map<string, LabHost> {
  const out = new Map<string, LabHost>();
  for (const h of lab.graph.hosts) {
    const m = lab.state.machines[h.name];
    if (!m) continue;
    const killed = new Map<string, string>();
    out.set(h.name, {
      name: h.name,
      address: h.address,
      sh: (cmd, timeoutMs, input) => inMachine(m, cmd, timeoutMs, input),
      kill: async (unit, signal) => {
        // The unit's main process as systemd in the machine knows it, killed by PID.
        const r = await inMachine(m, `pid=$(systemctl show -p MainPID --value ${quote(unit)}) && [ "$pid" -gt 0 ] && kill -s ${signal.slice(3)} "$pid" && echo "$pid"`);
        if (r.code !== 0) throw new LabError(`${h.name}: no main process of ${unit} to kill`);
        killed.set(unit, r.stdout.trim());
      },
      start: async (unit) => {
        const r = await inMachine(m, `systemctl start ${quote(unit)}`, 60_000);
        if (r.code !== 0) throw new LabError(`${h.name}: systemctl start ${unit} failed: ${r.stderr.trim()}`);
      },
      // Polled from inside (about 50 ms a look through nsenter): active again
      // with a main process other than the one killed.
      restartedAfterKill: async (unit, timeoutMs) => {
        const old = killed.get(unit) ?? "";
        let at: number | null = null;
        await waitFor(async () => {
          const r = await inMachine(m, `systemctl show -p ActiveState -p MainPID ${quote(unit)}`, 5000);
          const pid = /^MainPID=(\d+)$/m.exec(r.stdout)?.[1] ?? "0";
          if (/^ActiveState=active$/m.test(r.stdout) && pid !== "0" && pid !== old) at = Date.now();
          return at !== null;
        }, timeoutMs, 100);
        return at;
      },
      link: (up) => setLink(lab.layout, m, up),
      powerOff: async () => {
        await powerOff(lab.layout, lab.state, m);
      },
      powerCut: () => powerCut(lab.layout, lab.state, m),
      boot: async () => {
        await bootMachine(lab.layout, lab.state, m, lab.graph.network.interface);
      },
      isOn: () => pid1(m) !== undefined,
    });
  }
  return out;
}
