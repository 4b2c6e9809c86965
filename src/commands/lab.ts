// `hacompile lab up|test|down <topology>`: runs the topology's bundle output
// for real, each host in network and mount namespaces of its own, and breaks
// it on purpose (test). Root, Linux.
import { LabError } from "../lab/exec.js";
import { labDown, labTest, labUpCommand } from "../lab/index.js";
import type { MachinesOptions } from "../lab/machines/up.js";
import { EXIT_INVALID, UsageError } from "./common.js";

export interface LabOptions {
  json?: string;
  machines?: boolean;
  target?: string;
  inlineSecrets?: boolean;
  only?: string;
  running?: boolean;
}

function machinesOptions(o: LabOptions): MachinesOptions {
  const target = o.target ?? "systemd";
  if (target !== "systemd" && target !== "bundle") throw new UsageError(`--target ${target}: the machines lab runs systemd or bundle`);
  if (o.inlineSecrets && target !== "systemd") throw new UsageError("--inline-secrets is for --target systemd");
  return { target, inlineSecrets: o.inlineSecrets === true };
}

async function machinesCommand(action: string, file: string, o: LabOptions): Promise<number> {
  const m = await import("../lab/machines/index.js");
  const only = (o.only ?? "").split(",").filter((x) => x !== "");
  if (o.running && action !== "test") throw new UsageError("--running is for lab test (the scenarios on a lab that lab up left running)");
  if (o.running && (o.target !== undefined || o.inlineSecrets)) throw new UsageError("--running tests the lab as it was brought up: its --target and --inline-secrets come from lab up");
  switch (action) {
    case "up":
      return m.machinesUpCommand(file, machinesOptions(o));
    case "down":
      return m.machinesDownCommand(file);
    case "test":
      return m.machinesTestCommand(file, o.json, machinesOptions(o), only, o.running === true);
    default:
      throw new UsageError(`unknown lab action '${action}'; actions: up, test, down`);
  }
}

export async function labCommand(action: string, file: string, opts: LabOptions): Promise<number> {
  try {
    if (opts.machines) return await machinesCommand(action, file, opts);
    if (opts.target !== undefined || opts.inlineSecrets || opts.running) throw new UsageError("--target, --inline-secrets and --running need --machines");
    switch (action) {
      case "up":
        return await labUpCommand(file);
      case "down":
        return await labDown(file);
      case "test":
        return await labTest(file, opts.json, (opts.only ?? "").split(",").filter((x) => x !== ""));
      default:
        throw new UsageError(`unknown lab action '${action}'; actions: up, test, down`);
    }
  } catch (e) {
    if (e instanceof LabError) {
      process.stderr.write(`hacompile: lab ${action}: ${e.message}\n`);
      return EXIT_INVALID;
    }
    throw e;
  }
}
