// `hacompile lab up|test|down <topology>`: runs the topology's bundle output
// for real, each host in network and mount namespaces of its own, and breaks
// it on purpose (test). Root, Linux.
import { LabError } from "../lab/exec.js";
import { labDown, labTest, labUpCommand } from "../lab/index.js";
import { EXIT_INVALID, UsageError } from "./common.js";

export interface LabOptions {
  json?: string;
}

export async function labCommand(action: string, file: string, opts: LabOptions): Promise<number> {
  try {
    switch (action) {
      case "up":
        return await labUpCommand(file);
      case "down":
        return await labDown(file);
      case "test":
        return await labTest(file, opts.json);
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
