// What every command shares: exit codes, usage errors, reading a topology
// and printing diagnostics.
import { readFileSync } from "node:fs";
import { compile, type CompileResult } from "../compile.js";
import { diagnosticJson, formatDiagnostic, type Diagnostic } from "../diagnostics.js";

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called: exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function readDiagnostic(file: string, e: unknown): Diagnostic {
  const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "cannot read the file";
  return { code: "read-error", severity: "error", message: reason, path: [], file, pos: { line: 1, col: 1 } };
}

export function readTopology(file: string): CompileResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { diagnostics: [readDiagnostic(file, e)] };
  }
  return compile(text, file);
}

export function report(ds: readonly Diagnostic[], json: boolean): void {
  if (json) process.stdout.write(JSON.stringify({ diagnostics: ds.map(diagnosticJson) }, null, 2) + "\n");
  else for (const d of ds) process.stderr.write(formatDiagnostic(d) + "\n");
}
