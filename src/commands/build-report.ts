// Where `build` says things. As text: diagnostics and notes on stderr, the
// one "wrote" line on stdout. With --json: nothing as text; everything goes
// into one JSON document on stdout at the end (diagnostics, notes, the check
// summary, what was written), so a program reads a single value.
import { painted } from "../colour.js";
import { diagnosticJson, formatDiagnostic, type Diagnostic, type Position, type Severity } from "../diagnostics.js";

/** A problem known by file (an output path, the secrets file), with a position when there is one. */
export interface FileProblem {
  readonly file: string;
  readonly code: string;
  readonly message: string;
  readonly severity: Severity;
  readonly pos?: Position;
}

export interface Written {
  readonly out: string;
  readonly files: number;
  readonly targets: readonly string[];
}

export class BuildReport {
  private readonly diagnostics: Record<string, unknown>[] = [];
  private readonly notes: string[] = [];
  private check: Record<string, unknown> | undefined;
  private written: Written | undefined;

  constructor(private readonly json: boolean) {}

  diagnose(ds: readonly Diagnostic[]): void {
    if (this.json) this.diagnostics.push(...ds.map(diagnosticJson));
    else for (const d of ds) process.stderr.write(painted(formatDiagnostic(d), process.stderr) + "\n");
  }

  problem(p: FileProblem): void {
    if (this.json || p.pos !== undefined) {
      this.diagnose([{ code: p.code, severity: p.severity, message: p.message, path: [], file: p.file, pos: p.pos ?? { line: 1, col: 1 } }]);
      return;
    }
    // A path, not a place in a file: no line and column to point at.
    process.stderr.write(`${p.file}: ${p.severity === "warning" ? "warning: " : ""}${p.message} [${p.code}]\n`);
  }

  /** A line for people (secrets generated, check's findings): a note in JSON. */
  note(text: string): void {
    if (this.json) this.notes.push(text);
    else process.stderr.write(text + "\n");
  }

  summary(counts: { errors: number; warnings: number; notes: number }, line: string): void {
    if (this.json) this.check = { ...counts };
    else process.stderr.write(line + "\n");
  }

  wrote(w: Written): void {
    if (this.json) this.written = w;
    else process.stdout.write(`wrote ${w.files} files to ${w.out} (${w.targets.join(", ")})\n`);
  }

  /** The JSON document, once, at the end (text mode has said everything already). */
  finish(exitCode: number): void {
    if (!this.json) return;
    const doc = {
      ok: exitCode === 0,
      diagnostics: this.diagnostics,
      notes: this.notes,
      ...(this.check ? { check: this.check } : {}),
      ...(this.written ? { written: this.written } : {}),
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
  }
}
