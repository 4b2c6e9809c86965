// One quoting helper per output language. Templates never paste a raw string:
// every value goes through the helper for the language it lands in. The
// schema already narrows names and paths; these helpers are the second wall.

/** A POSIX shell word: bare when it is plainly safe, else single-quoted. */
export function sh(s: string): string {
  if (/^[A-Za-z0-9_.,:/@%+=-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An SQL identifier in backticks (MariaDB and MySQL). */
export function sqlIdent(s: string): string {
  if (s.includes("\u0000")) throw new Error("NUL in SQL identifier");
  return "`" + s.replace(/`/g, "``") + "`";
}

/** An SQL string literal; backslashes are escaped too (the default sql_mode treats them as escapes). */
export function sqlString(s: string): string {
  if (s.includes("\u0000")) throw new Error("NUL in SQL string");
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** A PHP single-quoted string literal. */
export function php(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * An nginx token. nginx has no escaping inside a value for `;`, `{`, `}`,
 * `$` (variables) or newlines that is safe everywhere, so values that would
 * need it are refused: the schema never lets one through.
 */
export function ngx(s: string): string {
  if (s === "" || /[\s;{}$"'\\#]/.test(s)) throw new Error(`value cannot be an nginx token: ${JSON.stringify(s)}`);
  return s;
}

/**
 * An HAProxy configuration word. HAProxy splits on spaces and treats quotes,
 * backslashes, '#' and '$' (environment variables) specially; every value
 * hacompile puts there (names, addresses, route paths, the domain) is
 * validated to avoid them, so this refuses rather than quotes.
 */
export function hap(s: string): string {
  if (s === "" || /[\s"'\\#$]/.test(s)) throw new Error(`value cannot be an HAProxy word: ${JSON.stringify(s)}`);
  return s;
}

/** A keepalived token (no whitespace, quotes, braces or comment characters). */
export function kad(s: string): string {
  if (s === "" || /[\s"'{}#!\\]/.test(s)) throw new Error(`value cannot be a keepalived token: ${JSON.stringify(s)}`);
  return s;
}

/** HTML text content or a double-quoted attribute value. */
export function html(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * A command line for systemd's ExecStart= (and the other Exec*= settings):
 * `$` becomes `$$` (systemd expands $VAR and ${VAR} in command lines), and a
 * word with whitespace, quotes, a backslash or ';' goes in double quotes with
 * C-style escapes. `%` is escaped by unit() when the line is written.
 */
export function execLine(argv: readonly string[]): string {
  return argv
    .map((a) => a.replace(/\$/g, "$$$$"))
    .map((a) => (/^[^\s"'\\;]+$/.test(a) ? a : `"${a.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`))
    .join(" ");
}

/** A systemd unit value (no newlines; `%` escaped as systemd specifiers). */
export function unit(s: string): string {
  if (/[\n\r]/.test(s)) throw new Error("newline in unit value");
  return s.replace(/%/g, "%%");
}

/** systemd's path escaping for mount unit names: /var/lib/x-y -> var-lib-x\x2dy.mount */
export function systemdEscapePath(p: string): string {
  const trimmed = p.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "-";
  // systemd escapes a '.' only as the very first character of the name, not
  // at the start of each segment: /srv/.x is srv-.x (systemd-escape --path).
  return trimmed
    .split("/")
    .map((seg, s) =>
      [...seg]
        .map((c, i) => (/[A-Za-z0-9:_]/.test(c) || (c === "." && (i > 0 || s > 0)) ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`))
        .join(""),
    )
    .join("-");
}
