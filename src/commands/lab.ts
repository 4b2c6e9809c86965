// `hacompile lab up|test|down <topology>`: runs the topology's bundle output
// for real in network namespaces. (The lab issue implements it.)
import { EXIT_USAGE } from "./common.js";

export interface LabOptions {
  out?: string;
  json?: string;
}

export async function labCommand(action: string, file: string, opts: LabOptions): Promise<number> {
  void file;
  void opts;
  process.stderr.write(`hacompile: lab ${action}: not implemented yet\n`);
  return EXIT_USAGE;
}
