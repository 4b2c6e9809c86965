// Replication SQL for MySQL 8.4 must use 8.4's statements (CHANGE
// REPLICATION SOURCE TO, START REPLICA): MySQL cannot run here, so the
// statements are checked against what 8.4 removed.
import { readFileSync } from "node:fs";
import { eachFile, verdict } from "../each-file.js";
import type { Check } from "../types.js";
import { checkMysql84Sql } from "./mysql84-sql.js";

export const mysqlSqlCheck: Check = (ctx) => {
  const mysqlHosts = new Set(
    ctx.graph.databases.filter((d) => d.engine === "mysql").flatMap((d) => [d.primary.host, ...d.replicas.map((r) => r.host)]),
  );
  const hosts = ctx.hosts.filter((h) => mysqlHosts.has(h.host));
  return eachFile({ ...ctx, hosts }, "sql", "mysql-8.4-sql", undefined, (abs) => verdict(checkMysql84Sql(readFileSync(abs, "utf8"))));
};
