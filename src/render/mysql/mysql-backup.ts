// Nightly database backup on one host per database: the first replica, so
// that the primary never carries the backup's I/O (the primary only when
// there is no replica). A timer runs a script that takes a consistent copy
// into a timestamped folder, makes it restorable, and keeps the newest few,
// on the topology's backup destination off the host when it names one.
import { generatedByRebuild } from "../common/header.js";
import type { Graph, Host } from "../../graph/model.js";
import { backupDestination } from "../common/backup-destination.js";
import { templateRenderer } from "../common/ejs.js";
import { BOOTSTRAP_SERVICE, BOOTSTRAP_UNIT } from "./mysql-bootstrap.js";
import { dbPlacement, type DbPlacement } from "./mysql-config.js";
import { sh } from "../common/quote.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type HostFile, type Renderer, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/mysql");

export const BACKUP_SCRIPT = "/usr/local/sbin/hacompile-db-backup";
export const BACKUP_UNIT = "hacompile-db-backup.service";
export const BACKUP_TIMER = "hacompile-db-backup.timer";
export const BACKUP_SERVICE = "db-backup";
/** Night-time, when WordPress traffic is lowest; the random delay spreads several topologies on one hypervisor. */
export const BACKUP_SCHEDULE = "*-*-* 03:15:00";
const RANDOMIZED_DELAY = "30min";
/** A week of nightly copies: enough to go back before an unnoticed bad change. */
export const BACKUPS_KEPT = 7;

export const mysqlBackup: Renderer = {
  name: "mysql-backup",
  render: ({ graph }, host) => {
    const p = dbPlacement(graph, host);
    if (!p || backupHost(p) !== host.name) return {};
    return {
      files: [backupScript(graph, host, p), backupUnit(graph, p), backupTimer(graph, p)],
      services: [backupService(p)],
      // mariadb-backup is its own package; mysqldump ships with mysql-client.
      packages: p.facts.engine === "mariadb" ? ["mariadb-backup"] : ["mysql-client"],
    };
  },
};

function backupHost(p: DbPlacement): string {
  return (p.db.replicas[0] ?? p.db.primary).host;
}

function backupScript(graph: Graph, host: Host, p: DbPlacement): HostFile {
  const dest = backupDestination(graph, "db", p.db.name);
  const content = renderTemplate(`mysql-backup-${p.facts.engine}.sh.ejs`, {
    header: generatedByRebuild(graph),
    what: `Database '${p.db.name}' (${p.facts.engine}) on ${host.name}, the ${p.role}.`,
    root: sh(dest.root),
    mountPoint: dest.mountPoint === undefined ? "" : sh(dest.mountPoint),
    keep: BACKUPS_KEPT,
    schema: sh(p.db.schema),
    // On a replica, record the primary's GTID position too: that is what a
    // replica seeded from this copy starts from.
    slaveInfo: p.role === "replica",
  });
  return file(BACKUP_SCRIPT, content, "shell", BACKUP_SERVICE, { mode: 0o755 });
}

function backupUnit(graph: Graph, p: DbPlacement): HostFile {
  const after = `${p.facts.unit} ${BOOTSTRAP_UNIT}`;
  const { mountPoint } = backupDestination(graph, "db", p.db.name);
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: backup of database ${p.db.name}`],
          ["Requires", p.facts.unit],
          ["After", after],
          // Mounts the destination first (from fstab) when there is one.
          ...(mountPoint === undefined ? [] : ([["RequiresMountsFor", mountPoint]] as const)),
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["ExecStart", BACKUP_SCRIPT],
          // The copy competes with replication and queries for the disk: let them win.
          ["Nice", 10],
          ["IOSchedulingClass", "idle"],
        ],
      ],
    ],
    `${generatedByRebuild(graph)}\nStarted by ${BACKUP_TIMER}.`,
  );
  return file(`/etc/systemd/system/${BACKUP_UNIT}`, content, "systemd", BACKUP_SERVICE);
}

function backupTimer(graph: Graph, p: DbPlacement): HostFile {
  const content = unitFile(
    [
      ["Unit", [["Description", `hacompile: nightly backup of database ${p.db.name}`]]],
      [
        "Timer",
        [
          ["OnCalendar", BACKUP_SCHEDULE],
          ["RandomizedDelaySec", RANDOMIZED_DELAY],
          // A host that was off at 03:15 backs up when it comes back.
          ["Persistent", true],
        ],
      ],
      ["Install", [["WantedBy", "timers.target"]]],
    ],
    generatedByRebuild(graph),
  );
  return file(`/etc/systemd/system/${BACKUP_TIMER}`, content, "systemd", BACKUP_SERVICE);
}

function backupService(p: DbPlacement): ServiceSpec {
  return {
    name: BACKUP_SERVICE,
    unit: BACKUP_UNIT,
    packaged: false,
    kind: "oneshot",
    command: [BACKUP_SCRIPT],
    after: [p.facts.service, BOOTSTRAP_SERVICE],
    schedule: BACKUP_SCHEDULE,
  };
}
