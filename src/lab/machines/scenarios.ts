// The scenarios of the machines lab, each through the host interface.
import type { Graph } from "../../graph/model.js";
import type { HostLab } from "../host.js";
import type { Outcome } from "../scenario.js";
import type { MachinesLab, MachinesOptions } from "./up.js";

export interface MachineScenario {
  readonly name: string;
  readonly title: string;
  readonly run: (lab: HostLab, machines: MachinesLab) => Promise<Outcome>;
}

export function machineScenarios(_graph: Graph, _opts: MachinesOptions): MachineScenario[] {
  return [];
}
