// Database server options. MariaDB files are checked by mariadbd itself
// (`--help --verbose` parses every option and exits non-zero on an unknown
// one; never --validate-config, which is MySQL-only and makes MariaDB start
// InnoDB). MySQL 8.4 cannot be installed here: its files are checked against
// the option names of the 8.4 reference manual (mysql84-options.ts).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstLines, hasTool, runTool } from "../run.js";
import { eachFile, verdict } from "../each-file.js";
import type { Check } from "../types.js";
import { MYSQL84_OPTIONS, MYSQL84_SOURCE } from "./mysql84-options.js";

const MYSQL_GROUPS = new Set(["mysqld", "server", "mysqld-8.4", "client", "mysql", "mysqldump"]);

export function checkMysql84Options(text: string): string[] {
  const problems: string[] = [];
  let group = "";
  text.split("\n").forEach((line, i) => {
    const l = line.trim();
    if (l === "" || l.startsWith("#") || l.startsWith(";")) return;
    const g = /^\[([^\]]+)\]$/.exec(l);
    if (g) {
      group = g[1]!;
      if (!MYSQL_GROUPS.has(group)) problems.push(`line ${i + 1}: unexpected group [${group}]`);
      return;
    }
    const name = (l.split("=")[0] ?? "").trim().replace(/-/g, "_").replace(/^(loose|skip|enable|disable)_(?=.)/, (m, p: string) => (p === "loose" ? "" : m));
    if (group === "mysqld" || group === "server" || group === "mysqld-8.4") {
      const base = name.replace(/^(skip|enable|disable)_/, "");
      if (!MYSQL84_OPTIONS.has(name) && !MYSQL84_OPTIONS.has(base)) problems.push(`line ${i + 1}: '${name}' is not a MySQL 8.4 server option (${MYSQL84_SOURCE})`);
    }
  });
  return problems;
}

export const mycnfCheck: Check = (ctx) =>
  eachFile(ctx, "mycnf", "mariadbd", undefined, async (abs, _h, f) => {
    if (f.path.includes("/mysql.conf.d/")) return { ...verdict(checkMysql84Options(readFileSync(abs, "utf8"))), tool: "mysql-8.4-options" };
    if (!(await hasTool("mariadbd"))) return { status: "skipped", message: "mariadbd not installed" };
    const datadir = mkdtempSync(join(tmpdir(), "hacompile-datadir-"));
    try {
      const r = await runTool("mariadbd", [`--defaults-file=${abs}`, `--datadir=${datadir}`, "--skip-networking", "--help", "--verbose"]);
      // A bad plugin value logs [ERROR] yet exits 0: both count.
      const ok = r.code === 0 && !/\[ERROR\]/.test(r.stderr);
      return { status: ok ? "ok" : "fail", message: ok ? "" : `exit ${r.code}: ${firstLines(r.stderr)}` };
    } finally {
      rmSync(datadir, { recursive: true, force: true });
    }
  });
