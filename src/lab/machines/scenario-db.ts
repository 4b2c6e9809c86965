// db-power-cut: the database primary loses power under a stream of committed
// writes, then boots. Every write it acknowledged must be on the primary and
// on every replica, replication must run again, and the tables must be equal
// (a replica that diverged must stop loudly, not replicate on).
import { sleep, waitFor } from "../exec.js";
import type { HostLab, LabHost } from "../host.js";
import { hostOf } from "../host.js";
import type { Figures, Outcome } from "../scenario.js";
import type { MachineScenario } from "./scenario-type.js";

const TABLE = "hacompile_lab.writes";
const secs = (ms: number): number => Math.round(ms / 100) / 10;

async function rows(h: LabHost, sql: string): Promise<string[] | undefined> {
  const r = await h.sh(`mariadb --batch --skip-column-names -e ${JSON.stringify(sql).replace(/\$/g, "\\$")}`, 30_000);
  return r.code === 0 ? r.stdout.split("\n").filter((l) => l !== "") : undefined;
}

async function threads(h: LabHost): Promise<string> {
  const r = await h.sh("mariadb -e 'SHOW SLAVE STATUS\\G' | grep -E '(Slave_(IO|SQL)_Running|Last_(IO|SQL)_Error):'", 10_000);
  return r.stdout.trim().replace(/\s+/g, " ");
}

async function run(lab: HostLab): Promise<Outcome> {
  const figures: Figures = {};
  const failures: string[] = [];
  const db = lab.graph.databases.find((d) => d.replicas.length > 0 && d.engine === "mariadb");
  if (!db) return { figures, failures: ["no MariaDB database with a replica"] };
  const primary = hostOf(lab, db.primary.host);
  const replicas = db.replicas.map((r) => hostOf(lab, r.host));
  if ((await rows(primary, `CREATE DATABASE IF NOT EXISTS hacompile_lab; CREATE TABLE IF NOT EXISTS ${TABLE} (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE=InnoDB; DELETE FROM ${TABLE}`)) === undefined) {
    return { figures, failures: [`${db.primary.host}: cannot create the test table as root`] };
  }
  // One client per committed insert: a number is printed only after the server said OK.
  const writer = primary.sh(`i=0; while [ $i -lt 5000 ]; do i=$((i+1)); mariadb -e "INSERT INTO ${TABLE} VALUES ($i, 'row $i')" || exit 1; echo $i; done`, 120_000);
  await sleep(6000);
  const tCut = Date.now();
  await primary.powerCut();
  const acked = (await writer).stdout.split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
  figures["acknowledged writes"] = acked.length;
  await primary.boot();
  const sqlUp = await waitFor(async () => (await rows(primary, "SELECT 1")) !== undefined, 180_000, 1000);
  figures["primary back s"] = sqlUp ? secs(Date.now() - tCut) : null;
  if (!sqlUp) return { figures, failures: [`${db.primary.host}: MariaDB not answering 180 s after the power came back`] };
  const onPrimary = new Set((await rows(primary, `SELECT id FROM ${TABLE}`)) ?? []);
  const lostP = acked.filter((i) => !onPrimary.has(String(i)));
  figures["lost on primary"] = lostP.length;
  if (lostP.length > 0) failures.push(`${lostP.length} acknowledged writes missing on the primary after the power cut (e.g. id ${lostP[0]})`);
  const pos = (await rows(primary, "SELECT @@gtid_binlog_pos"))?.[0] ?? "";
  const sumP = (await rows(primary, `CHECKSUM TABLE ${TABLE}`))?.[0]?.split("\t")[1];
  for (const r of replicas) {
    const t0 = Date.now();
    const caught = await waitFor(async () => (await rows(r, `SELECT MASTER_GTID_WAIT('${pos}', 5)`))?.[0] === "0", 180_000, 1000);
    figures[`${r.name} caught up s`] = caught ? secs(Date.now() - t0) : null;
    const st = await threads(r);
    if (!/Slave_IO_Running: Yes Slave_SQL_Running: Yes/.test(st)) failures.push(`${r.name}: replication not running after the primary's power cut: ${st}`);
    if (!caught) failures.push(`${r.name}: did not reach the primary's GTID position ${pos} within 180 s`);
    const onR = new Set((await rows(r, `SELECT id FROM ${TABLE}`)) ?? []);
    const lostR = acked.filter((i) => !onR.has(String(i)));
    if (lostR.length > 0) failures.push(`${r.name}: ${lostR.length} acknowledged writes missing (e.g. id ${lostR[0]})`);
    const sumR = (await rows(r, `CHECKSUM TABLE ${TABLE}`))?.[0]?.split("\t")[1];
    figures[`${r.name} checksum equal`] = sumR !== undefined && sumR === sumP;
    if (sumR !== sumP) failures.push(`${r.name}: CHECKSUM TABLE ${sumR} differs from the primary's ${sumP}`);
  }
  return { figures, failures };
}

export const dbPowerCut: MachineScenario = {
  name: "db-power-cut",
  title: "power cut of the database primary under committed writes, then boot: every acknowledged write on every server, replication running, checksums equal",
  run,
};
