// `hacompile validate`: diagnostics only.
import { hasErrors } from "../diagnostics.js";
import { EXIT_INVALID, EXIT_OK, readTopology, report } from "./common.js";

export async function validate(file: string, opts: { json?: boolean }): Promise<number> {
  const result = readTopology(file);
  report(result.diagnostics, opts.json === true);
  if (hasErrors(result.diagnostics)) return EXIT_INVALID;
  if (!opts.json) process.stdout.write(`${file}: valid\n`);
  return EXIT_OK;
}
