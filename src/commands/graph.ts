// `hacompile graph`: the topology as mermaid, dot or SVG.
import { writeFileSync } from "node:fs";
import { hasErrors } from "../diagnostics.js";
import { draw, FORMATS, isFormat } from "../draw/index.js";
import { EXIT_INVALID, EXIT_OK, readTopology, report, UsageError } from "./common.js";

export interface GraphOptions {
  format?: string;
  out?: string;
}

export async function graphCommand(file: string, opts: GraphOptions): Promise<number> {
  const format = opts.format ?? "mermaid";
  if (!isFormat(format)) throw new UsageError(`unknown format '${format}'; formats: ${FORMATS.join(", ")}`);
  const result = readTopology(file);
  report(result.diagnostics, false);
  if (hasErrors(result.diagnostics) || !result.graph) return EXIT_INVALID;
  const text = await draw(result.graph, format);
  if (opts.out === undefined) process.stdout.write(text);
  else writeFileSync(opts.out, text);
  return EXIT_OK;
}
