// The two faces of a check report: text for people, grouped by layer, in the
// `file:line:col: severity: message [code]` shape editors jump to, each with
// its fix on the next line; and JSON with the same content.
import { dotted } from "../diagnostics.js";
import { countFindings, type Counts } from "./index.js";
import { LAYERS, LAYER_TITLES, type Finding } from "./types.js";

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export function countsText(c: Counts): string {
  return `${plural(c.errors, "error", "errors")}, ${plural(c.warnings, "warning", "warnings")}, ${plural(c.infos, "note", "notes")}`;
}

export function formatFinding(f: Finding): string {
  const sev = f.severity === "info" ? "note" : f.severity;
  return `${f.file}:${f.pos.line}:${f.pos.col}: ${sev}: ${f.message} [${f.code}]\n    fix: ${f.fix}`;
}

/** Sorted findings (see sortFindings), one section per layer that has any. */
export function formatReport(fs: readonly Finding[]): string {
  const out: string[] = [];
  for (const layer of LAYERS) {
    const here = fs.filter((f) => f.layer === layer);
    if (here.length === 0) continue;
    out.push(`${LAYER_TITLES[layer]}:`);
    for (const f of here) out.push(formatFinding(f).replace(/^/gm, "  "));
  }
  out.push(`check: ${countsText(countFindings(fs))}`);
  return out.join("\n") + "\n";
}

/** The one line `build` prints. */
export function summaryLine(fs: readonly Finding[]): string {
  return `check: ${countsText(countFindings(fs))} (hacompile check for details)`;
}

export function findingJson(f: Finding): Record<string, unknown> {
  return {
    file: f.file,
    line: f.pos.line,
    col: f.pos.col,
    severity: f.severity,
    code: f.code,
    layer: f.layer,
    subject: f.subject,
    message: f.message,
    fix: f.fix,
    ...(f.path ? { path: dotted(f.path) } : {}),
    ...(f.hosts ? { hosts: [...f.hosts] } : {}),
  };
}

export function reportJson(fs: readonly Finding[]): string {
  const c = countFindings(fs);
  return JSON.stringify({ findings: fs.map(findingJson), summary: { errors: c.errors, warnings: c.warnings, notes: c.infos } }, null, 2) + "\n";
}
