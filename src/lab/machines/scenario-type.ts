// What a machines scenario is, on its own: the scenario files import it, and
// scenarios.ts imports them to list them, so defining it there made a circle.
import type { HostLab } from "../host.js";
import type { Outcome } from "../scenario.js";
import type { MachinesLab } from "./up.js";

export interface MachineScenario {
  readonly name: string;
  readonly title: string;
  readonly run: (lab: HostLab, machines: MachinesLab) => Promise<Outcome>;
}
