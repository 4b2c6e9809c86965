// Database: writes through the application user on the primary reach every
// replica (MASTER_GTID_WAIT on each), with the lag of each write measured;
// then a replica is stopped, misses writes, is started again and catches up
// with nothing lost (row counts and table checksums equal to the primary's).
import type { Database, Graph } from "../../graph/model.js";
import { hostByName } from "../../graph/model.js";
import { BOOTSTRAP_SERVICE } from "../../render/mysql/mysql-bootstrap.js";
import { sqlString } from "../../render/common/quote.js";
import { LabError, nowMs, sleep } from "../exec.js";
import { percentile, round } from "../http.js";
import type { Figures, Outcome, Scenario } from "../scenario.js";
import { appCredentials, appTarget, rootTarget, sql, SqlSession } from "../sql.js";
import type { Lab } from "../up.js";
import { specOf } from "./common.js";

const TABLE = "hacompile_lab";
const LAG_WRITES = 100;
const OFFLINE_WRITES = 200;
const GOAL_LAG_P50_MS = 50;

/** A host that connects as the application user (the grants admit only those). */
function appHost(graph: Graph, db: Database): string {
  const addr = db.clientAddresses[0];
  const h = graph.hosts.find((x) => x.address === addr);
  if (!h) throw new LabError(`database ${db.name} has no application host`);
  return h.name;
}

function holder(lab: Lab, host: string): NonNullable<ReturnType<Lab["holders"]["get"]>> {
  const h = lab.holders.get(host);
  if (!h) throw new LabError(`no lab host ${host}`);
  return h;
}

/** Row count and checksum of every table of the schema, `table count checksum` per line. */
async function tableSums(lab: Lab, host: string, schema: string): Promise<Map<string, string>> {
  const t = rootTarget(holder(lab, host));
  const tables = await sql(t, `SELECT table_name FROM information_schema.tables WHERE table_schema = ${sqlString(schema)} AND table_type = 'BASE TABLE' ORDER BY table_name;`);
  const out = new Map<string, string>();
  for (const name of tables) {
    const q = "`" + schema + "`.`" + name + "`";
    const [count] = await sql(t, `SELECT COUNT(*) FROM ${q};`);
    const [sum] = await sql(t, `CHECKSUM TABLE ${q};`);
    out.set(name, `${count} rows, checksum ${sum?.split("\t")[1] ?? "?"}`);
  }
  return out;
}

async function gtidWaitAll(sessions: readonly SqlSession[], gtid: string, timeoutS: number): Promise<string[]> {
  return Promise.all(sessions.map(async (s) => (await s.query(`SELECT MASTER_GTID_WAIT(${sqlString(gtid)}, ${timeoutS});`, (timeoutS + 5) * 1000)).rows[0] ?? "?"));
}

function runFor(db: Database): (lab: Lab) => Promise<Outcome> {
  return async (lab) => {
    const { graph } = lab;
    const figures: Figures = {};
    const failures: string[] = [];
    const creds = appCredentials(lab.layout.workDir, db, lab.secrets.databases[db.name]!.app);
    const app = new SqlSession(appTarget(holder(lab, appHost(graph, db)), creds, db, hostByName(graph, db.primary.host).address));
    let replicas = db.replicas.map((r) => new SqlSession(rootTarget(holder(lab, r.host))));
    try {
      await app.query(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (id BIGINT AUTO_INCREMENT PRIMARY KEY, batch VARCHAR(16) NOT NULL, v CHAR(64) NOT NULL, created TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB;`,
      );
      // Lag: each write is committed through the application user, then every
      // replica is asked to wait for its GTID. The time from the primary's
      // answer to the replica's is an upper bound of the replication delay.
      const lags: number[] = [];
      let notApplied = 0;
      for (let i = 0; i < LAG_WRITES; i++) {
        const w = await app.query(`INSERT INTO ${TABLE} (batch, v) VALUES ('lag', SHA2('${i}', 256)); SELECT @@last_gtid;`);
        const gtid = w.rows[0] ?? "";
        const waits = await Promise.all(replicas.map((s) => s.query(`SELECT MASTER_GTID_WAIT(${sqlString(gtid)}, 5);`, 10_000)));
        for (const r of waits) {
          if (r.rows[0] !== "0") notApplied++;
          lags.push(r.at - w.at);
        }
      }
      figures["writes"] = LAG_WRITES;
      figures["lag p50 ms"] = round(percentile(lags, 50), 2);
      figures["lag p95 ms"] = round(percentile(lags, 95), 2);
      figures["lag max ms"] = round(Math.max(0, ...lags), 2);
      if (notApplied > 0) failures.push(`${notApplied} write(s) not applied on a replica within 5 s (MASTER_GTID_WAIT)`);
      const p50 = percentile(lags, 50);
      if (p50 >= GOAL_LAG_P50_MS) failures.push(`replica lag p50 ${round(p50, 1)} ms, goal under ${GOAL_LAG_P50_MS} ms`);

      // A replica stopped like `systemctl stop`, writes it misses, then started again.
      const victim = db.replicas[0];
      if (victim !== undefined) {
        for (const s of replicas) s.close();
        replicas = [];
        await lab.sup.stop(victim.host, "mariadb");
        const inserts = Array.from({ length: OFFLINE_WRITES }, (_, i) => `INSERT INTO ${TABLE} (batch, v) VALUES ('offline', SHA2('offline${i}', 256));`);
        await app.query(inserts.join("\n"), 60_000);
        const [pos] = (await app.query("SELECT @@gtid_binlog_pos;")).rows;
        const startedAt = nowMs();
        await lab.sup.start(victim.host, specOf(lab, victim.host, "mariadb"));
        // As systemd does (the bootstrap unit is bound to the daemon and
        // wanted by it): a replica's server never starts replication itself
        // (skip_slave_start), its bootstrap does after checking the primary.
        const boot = await lab.sup.oneshot(victim.host, specOf(lab, victim.host, BOOTSTRAP_SERVICE), 60_000);
        if (boot.code !== 0) failures.push(`${victim.host}: its database bootstrap failed after the restart (exit ${boot.code})`);
        let waited: string | undefined;
        for (let i = 0; i < 40 && waited === undefined; i++) {
          try {
            [waited] = await sql(rootTarget(holder(lab, victim.host)), `SELECT MASTER_GTID_WAIT(${sqlString(pos ?? "")}, 30);`, 40_000);
          } catch {
            await sleep(250);
          }
        }
        figures["missed writes"] = OFFLINE_WRITES;
        figures["caught up s"] = waited === "0" ? round((nowMs() - startedAt) / 1000, 2) : null;
        if (waited !== "0") failures.push(`${victim.host} did not catch up with the primary within 30 s of its restart`);
      }
      replicas = db.replicas.map((r) => new SqlSession(rootTarget(holder(lab, r.host))));
      const settled = await gtidWaitAll(replicas, (await app.query("SELECT @@gtid_binlog_pos;")).rows[0] ?? "", 10);
      if (settled.some((x) => x !== "0")) failures.push("a replica did not reach the primary's last GTID within 10 s");

      const primarySums = await tableSums(lab, db.primary.host, db.schema);
      figures["tables compared"] = primarySums.size;
      figures["rows"] = primarySums.get(TABLE) ?? null;
      for (const r of db.replicas) {
        const sums = await tableSums(lab, r.host, db.schema);
        for (const [t, v] of primarySums) {
          if (sums.get(t) !== v) failures.push(`${r.host}: table ${t} differs from the primary (${sums.get(t) ?? "missing"} against ${v})`);
        }
      }
      await app.query(`DROP TABLE ${TABLE};`);
    } finally {
      app.close();
      for (const s of replicas) s.close();
    }
    return { figures, failures };
  };
}

export function databaseScenarios(graph: Graph): Scenario[] {
  return graph.databases
    .filter((d) => d.replicas.length > 0 && d.clientAddresses.length > 0)
    .map((db) => ({
      name: `database:${db.name}`,
      title: `writes through the app user reach every replica (lag p50 under ${GOAL_LAG_P50_MS} ms); a stopped replica catches up with nothing lost`,
      run: runFor(db),
    }));
}
