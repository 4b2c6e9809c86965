// `hacompile check`: single points of failure and keepalived election rules.
import { checkKeepalived, checkTopologies, hasCheckErrors, type CheckReport, type Source } from "../check/index.js";
import { formatReport, reportJson } from "../check/format.js";
import { diagnosticJson, hasErrors, type Diagnostic } from "../diagnostics.js";
import { painted } from "../colour.js";
import { readTextFile } from "../io/text-file.js";
import { EXIT_INVALID, EXIT_OK, report, UsageError } from "./common.js";

export interface CheckOptions {
  json?: boolean;
  keepalived?: boolean;
}

function readSources(files: readonly string[]): { sources: Source[]; unreadable: Diagnostic[] } {
  const sources: Source[] = [];
  const unreadable: Diagnostic[] = [];
  for (const file of files) {
    const read = readTextFile(file);
    if ("diagnostic" in read) unreadable.push(read.diagnostic);
    else sources.push({ file, text: read.text });
  }
  return { sources, unreadable };
}

export async function check(files: readonly string[], opts: CheckOptions): Promise<number> {
  if (files.length === 0) throw new UsageError("check needs at least one topology (or keepalived.conf with --keepalived)");
  const { sources, unreadable } = readSources(files);
  const r: CheckReport = opts.keepalived ? checkKeepalived(sources) : checkTopologies(sources);
  const diagnostics = [...unreadable, ...r.diagnostics];
  if (opts.json) {
    const out = JSON.parse(reportJson(r.findings)) as Record<string, unknown>;
    process.stdout.write(JSON.stringify({ diagnostics: diagnostics.map(diagnosticJson), ...out }, null, 2) + "\n");
  } else {
    report(diagnostics, false);
    // A topology with errors is not checked: a "0 errors" summary for it
    // would read as a clean bill. Its validation errors (above) are the answer.
    const unchecked = new Set(diagnostics.filter((d) => d.severity === "error").map((d) => d.file));
    if (unchecked.size < files.length) process.stdout.write(painted(formatReport(r.findings), process.stdout));
    if (unchecked.size > 0) process.stderr.write(`check: ${unchecked.size} of ${files.length} file(s) not checked: fix the errors above first\n`);
  }
  return hasErrors(diagnostics) || hasCheckErrors(r.findings) ? EXIT_INVALID : EXIT_OK;
}
