// SQL that MySQL 8.4 no longer accepts, for checking the replication bootstrap
// SQL without a MySQL 8.4 server to run it.
//
// Every rule below is from the MySQL 8.4 Reference Manual, "What Is New in
// MySQL 8.4 since MySQL 8.0", Features Removed in MySQL 8.4
// (https://dev.mysql.com/doc/refman/8.4/en/mysql-nutshell.html):
// - "Replication SQL syntax": removed, and now a syntax error, are CHANGE
//   MASTER TO, RESET MASTER, SHOW MASTER STATUS, PURGE MASTER LOGS, SHOW
//   MASTER LOGS (source side) and START SLAVE, STOP SLAVE, SHOW SLAVE STATUS,
//   SHOW SLAVE HOSTS, RESET SLAVE (replica side);
// - the MASTER_* options of CHANGE REPLICATION SOURCE TO (MASTER_HOST ...
//   MASTER_LOG_POS, GET_MASTER_PUBLIC_KEY) and of START REPLICA
//   (MASTER_LOG_FILE, MASTER_LOG_POS) are removed: use SOURCE_*;
// - FLUSH HOSTS is removed (TRUNCATE TABLE performance_schema.host_cache);
// - mysql_native_password is "no longer enabled by default" (Features Added:
//   "MySQL native password authentication changes"; also
//   https://dev.mysql.com/doc/refman/8.4/en/native-pluggable-authentication.html):
//   an account IDENTIFIED WITH it cannot log in unless the server runs with
//   mysql_native_password=ON.
// MASTER_USE_GTID is MariaDB syntax (CHANGE MASTER TO ... MASTER_USE_GTID);
// MySQL has never had it.
//
// Comments (-- , #, /* */) and the contents of string literals and quoted
// identifiers are blanked before matching, so a removed statement named in a
// comment or a string does not count. The body of a /*!NNNNN ... */ versioned
// comment is kept: MySQL executes it. The one rule that looks inside strings is
// IDENTIFIED WITH 'mysql_native_password' (or `...`), where the plugin name is
// quoted.

export const MYSQL84_SQL_SOURCE =
  "MySQL 8.4 Reference Manual, What Is New in MySQL 8.4 since MySQL 8.0 (Features Removed in MySQL 8.4), https://dev.mysql.com/doc/refman/8.4/en/mysql-nutshell.html";

interface Rule {
  re: RegExp;
  message: string;
}

// Matched against the masked text; \s+ lets a statement span lines.
const REMOVED_STATEMENTS: Rule[] = [
  { re: /\bCHANGE\s+MASTER\s+TO\b/gi, message: "CHANGE MASTER TO was removed in MySQL 8.4; use CHANGE REPLICATION SOURCE TO" },
  { re: /\bRESET\s+MASTER\b/gi, message: "RESET MASTER was removed in MySQL 8.4; use RESET BINARY LOGS AND GTIDS" },
  { re: /\bSHOW\s+MASTER\s+STATUS\b/gi, message: "SHOW MASTER STATUS was removed in MySQL 8.4; use SHOW BINARY LOG STATUS" },
  { re: /\bPURGE\s+MASTER\s+LOGS\b/gi, message: "PURGE MASTER LOGS was removed in MySQL 8.4; use PURGE BINARY LOGS" },
  { re: /\bSHOW\s+MASTER\s+LOGS\b/gi, message: "SHOW MASTER LOGS was removed in MySQL 8.4; use SHOW BINARY LOGS" },
  { re: /\bSTART\s+SLAVE\b/gi, message: "START SLAVE was removed in MySQL 8.4; use START REPLICA" },
  { re: /\bSTOP\s+SLAVE\b/gi, message: "STOP SLAVE was removed in MySQL 8.4; use STOP REPLICA" },
  { re: /\bRESET\s+SLAVE\b/gi, message: "RESET SLAVE was removed in MySQL 8.4; use RESET REPLICA" },
  { re: /\bSHOW\s+SLAVE\s+STATUS\b/gi, message: "SHOW SLAVE STATUS was removed in MySQL 8.4; use SHOW REPLICA STATUS" },
  { re: /\bSHOW\s+SLAVE\s+HOSTS\b/gi, message: "SHOW SLAVE HOSTS was removed in MySQL 8.4; use SHOW REPLICAS" },
  {
    re: /\bFLUSH\s+(?:(?:LOCAL|NO_WRITE_TO_BINLOG)\s+)?HOSTS\b/gi,
    message: "FLUSH HOSTS was removed in MySQL 8.4; use TRUNCATE TABLE performance_schema.host_cache",
  },
  { re: /\bMASTER_USE_GTID\b/gi, message: "MASTER_USE_GTID is MariaDB syntax; MySQL 8.4 uses SOURCE_AUTO_POSITION = 1 with gtid_mode=ON" },
  {
    re: /\bmysql_native_password\b/gi,
    message: "mysql_native_password is disabled by default in MySQL 8.4 (needs mysql_native_password=ON); use caching_sha2_password",
  },
];

// Statements whose MASTER_* options 8.4 removed.
const SOURCE_STATEMENT = /^\s*(?:CHANGE\s+REPLICATION\s+SOURCE\s+TO|START\s+REPLICA)\b/i;
const MASTER_OPTION = /\b(GET_MASTER_PUBLIC_KEY|MASTER_(?!USE_GTID\b)[A-Z0-9_]+)\b/gi;
// Looks inside string literals: comments blanked, strings kept.
const NATIVE_PASSWORD_LITERAL = /\bIDENTIFIED\s+WITH\s+(['"`])mysql_native_password\1/gi;

/** Replaces what is not SQL code with spaces, keeping offsets and newlines. */
function mask(sql: string, keepStrings: boolean): string {
  const out = sql.split("");
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to && k < out.length; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1] ?? "";
    if (c === "#" || (c === "-" && next === "-" && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!)))) {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      const versioned = /^\/\*!\d*/.exec(sql.slice(i, i + 9));
      if (versioned) {
        // Executed by MySQL: blank only the markers.
        blank(i, i + versioned[0].length);
        if (end !== -1) blank(end, end + 2);
      } else blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === "\\" && c !== "`") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      if (!keepStrings) blank(i + 1, Math.min(j, sql.length));
      i = j + 1;
    } else i++;
  }
  return out.join("");
}

function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text[k] === "\n") n++;
  return n;
}

/** Problems ("line N: ...") in SQL meant for MySQL 8.4; empty when none. */
export function checkMysql84Sql(sql: string): string[] {
  const code = mask(sql, false);
  const found: { at: number; message: string }[] = [];
  for (const rule of REMOVED_STATEMENTS) {
    for (const m of code.matchAll(rule.re)) found.push({ at: m.index, message: rule.message });
  }
  for (const m of mask(sql, true).matchAll(NATIVE_PASSWORD_LITERAL)) {
    found.push({ at: m.index, message: REMOVED_STATEMENTS[REMOVED_STATEMENTS.length - 1]!.message });
  }
  let start = 0;
  for (const stmt of code.split(";")) {
    if (SOURCE_STATEMENT.test(stmt)) {
      for (const m of stmt.matchAll(MASTER_OPTION)) {
        const name = m[1]!.toUpperCase();
        const replacement = name === "GET_MASTER_PUBLIC_KEY" ? "GET_SOURCE_PUBLIC_KEY" : name.replace(/^MASTER_/, "SOURCE_");
        found.push({ at: start + m.index, message: `${name} was removed from CHANGE REPLICATION SOURCE TO / START REPLICA in MySQL 8.4; use ${replacement}` });
      }
    }
    start += stmt.length + 1;
  }
  const seen = new Set<string>();
  return found
    .sort((a, b) => a.at - b.at)
    .map((f) => `line ${lineAt(sql, f.at)}: ${f.message}`)
    .filter((p) => (seen.has(p) ? false : (seen.add(p), true)));
}
