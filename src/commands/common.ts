// What every command shares: exit codes, usage errors, reading a topology
// and printing diagnostics.
import { compile, type CompileResult } from "../compile.js";
import { diagnosticJson, formatDiagnostic, type Diagnostic } from "../diagnostics.js";
import { painted } from "../colour.js";
import { readTextFile } from "../io/text-file.js";

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called: exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function readTopology(file: string): CompileResult & { readonly text?: string } {
  // Bounded: never reads more than the size limit, whatever the file is.
  const read = readTextFile(file);
  if ("diagnostic" in read) return { diagnostics: [read.diagnostic] };
  return { ...compile(read.text, file), text: read.text };
}

export function report(ds: readonly Diagnostic[], json: boolean): void {
  if (json) process.stdout.write(JSON.stringify({ diagnostics: ds.map(diagnosticJson) }, null, 2) + "\n");
  else for (const d of ds) process.stderr.write(painted(formatDiagnostic(d), process.stderr) + "\n");
}
