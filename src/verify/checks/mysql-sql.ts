// Replication SQL for MySQL 8.4 must use 8.4's statements (CHANGE
// REPLICATION SOURCE TO, START REPLICA): MySQL cannot run here, so the
// statements are checked against what 8.4 removed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hostLabel, type Check, type CheckResult } from "../types.js";
import { checkMysql84Sql } from "./mysql84-sql.js";

export const mysqlSqlCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  const mysqlHosts = new Set(
    ctx.graph.databases.filter((d) => d.engine === "mysql").flatMap((d) => [d.primary.host, ...d.replicas.map((r) => r.host)]),
  );
  for (const h of ctx.hosts) {
    if (!mysqlHosts.has(h.host)) continue;
    for (const f of h.files.filter((x) => x.kind === "sql")) {
      const problems = checkMysql84Sql(readFileSync(join(h.root, f.path), "utf8"));
      out.push({ tool: "mysql-8.4-sql", file: hostLabel(h, f.path), status: problems.length ? "fail" : "ok", message: problems.join("; ") });
    }
  }
  return out;
};
