// `hacompile graph`: the topology as mermaid, dot or SVG.
import { realpathSync, writeFileSync } from "node:fs";
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
  else return writeOut(String(opts.out), file, text);
  return EXIT_OK;
}

/** The picture to -o: a mistake in the path is one line and exit 1, never an internal error; the topology itself is never overwritten. */
function writeOut(out: string, topology: string, text: string): number {
  const same = (a: string, b: string): boolean => {
    try {
      return realpathSync(a) === realpathSync(b);
    } catch {
      return false;
    }
  };
  if (same(out, topology)) {
    process.stderr.write(`${out}: is the topology itself; choose another -o for the picture [out-is-input]\n`);
    return EXIT_INVALID;
  }
  try {
    writeFileSync(out, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    const why = code === "EISDIR" ? "is a folder" : code === "ENOENT" ? "its folder does not exist" : code === "ENOTDIR" ? "a path under a file" : `cannot write it (${code})`;
    process.stderr.write(`${out}: ${why}; choose another -o [out-write-error]\n`);
    return EXIT_INVALID;
  }
  return EXIT_OK;
}
