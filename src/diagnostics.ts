// Diagnostics are values: a stable kebab-case code, a message in the user's
// words, and where it applies. The path is a topology path (keys and list
// indexes); the loader resolves it to a line and column at the edge.

export type Severity = "error" | "warning";
export type TopologyPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** The topology path the diagnostic is about. */
  readonly path: TopologyPath;
  /** Points at the key rather than the value (unknown keys, duplicate keys). */
  readonly atKey?: boolean;
  /** Filled in by the loader from the YAML source. */
  readonly file?: string;
  readonly pos?: Position;
}

export function error(code: string, path: TopologyPath, message: string, atKey = false): Diagnostic {
  return { code, severity: "error", message, path, ...(atKey ? { atKey } : {}) };
}

export function warning(code: string, path: TopologyPath, message: string): Diagnostic {
  return { code, severity: "warning", message, path };
}

/** Dotted path in the user's words: `pools.web.hosts[1]`. */
export function dotted(path: TopologyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out === "" ? "(top level)" : out;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file ?? "<input>"}:${d.pos?.line ?? 1}:${d.pos?.col ?? 1}`;
  const sev = d.severity === "warning" ? "warning: " : "";
  return `${where}: ${sev}${d.message} [${d.code}]`;
}

/** Sorted by file, line, column, then code and message: stable output. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      (a.file ?? "").localeCompare(b.file ?? "") ||
      (a.pos?.line ?? 0) - (b.pos?.line ?? 0) ||
      (a.pos?.col ?? 0) - (b.pos?.col ?? 0) ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** The JSON form printed by `--json`: the same content as the text form. */
export function diagnosticJson(d: Diagnostic): Record<string, unknown> {
  return {
    file: d.file ?? "<input>",
    line: d.pos?.line ?? 1,
    col: d.pos?.col ?? 1,
    severity: d.severity,
    code: d.code,
    message: d.message,
    path: dotted(d.path),
  };
}
