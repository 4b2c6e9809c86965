// HyperDB: WordPress's read/write split. Writes (and reads after a write in
// the same request) go to the primary; other reads are spread over the
// primary and the replicas, skipping a replica that lags or has stopped
// replicating. HyperDB's db.php is neither ours nor in Debian, so an install
// script fetches it (pinned, hash-checked) or copies a file the admin names.
import { generatedByFor } from "../common/header.js";
import { databaseOfPool, type Database, type Graph, type Host } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { php, sh } from "../common/quote.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type Contribution, type HostFile, type RenderContext, type Renderer, type ServiceSpec } from "../types.js";
import { DB_CONFIG_PATH, WP_CONTENT_DIR, wordpressPoolOf } from "./wordpress.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/wordpress");

export const INSTALL_SCRIPT = "/usr/local/sbin/hacompile-install-hyperdb";
const INSTALL_UNIT = "hacompile-install-hyperdb.service";
/** Optional overrides for the install script (a local db.php, a sha256, a mirror URL). */
export const INSTALL_ENV_FILE = "/etc/hacompile/hyperdb.env";

/** The `Version:` header of the pinned db.php (1.9 with its PHP 8 fixes). */
const HYPERDB_VERSION = "1.9";
/** Upstream's repository at a fixed commit: a tag or branch could move, a commit cannot. */
const HYPERDB_COMMIT = "d8f68ef589af5c64575f87f7a2c94699af20a57f";
export const HYPERDB_URL = `https://raw.githubusercontent.com/Automattic/HyperDB/${HYPERDB_COMMIT}/db.php`;
/** sha256 of HYPERDB_URL (50,882 bytes), given in issue 14: a download is installed only when it matches. */
export const HYPERDB_SHA256 = "77206d2ee49f663fe2a36c3f9cb16c7bc125fd882107761e7a51d389ad63103e";
/** Bytes of the pinned file: curl stops reading beyond this, so a wrong answer cannot fill the disk. */
export const HYPERDB_BYTES = 50882;

const DATASET = "global";
/** Seconds to wait for a TCP answer before HyperDB tries the next server. */
const CONNECT_TIMEOUT = 0.2;
/**
 * A replica further behind than this (seconds) is not read while another
 * server can answer. Replication on a LAN runs in milliseconds; two seconds
 * tolerates a burst but not a stalled replica.
 */
const LAG_THRESHOLD_SECONDS = 2;

interface LagQuery {
  readonly statement: string;
  readonly column: string;
}

/** MySQL 8.4 removed SHOW SLAVE STATUS; MariaDB keeps the old column name. */
function lagQuery(db: Database): LagQuery {
  return db.engine === "mysql"
    ? { statement: "SHOW REPLICA STATUS", column: "Seconds_Behind_Source" }
    : { statement: "SHOW SLAVE STATUS", column: "Seconds_Behind_Master" };
}

/** The privilege the app user needs on replicas for the lag check. */
export function lagPrivilege(db: Database): string {
  return db.engine === "mysql" ? "REPLICATION CLIENT" : "SLAVE MONITOR";
}

interface DbEntry {
  readonly comment: string;
  readonly fields: readonly (readonly [string, string])[];
}

function dbEntry(db: Database, password: string, address: string, write: 0 | 1, comment: string): DbEntry {
  return {
    comment,
    fields: [
      ["host", php(`${address}:${db.port}`)],
      ["user", php(db.user)],
      ["password", php(password)],
      ["name", php(db.schema)],
      ["write", String(write)],
      ["read", "1"],
      ["dataset", php(DATASET)],
      ["timeout", String(CONNECT_TIMEOUT)],
    ],
  };
}

function dbConfig(ctx: RenderContext, host: Host, db: Database): HostFile {
  const { graph, secrets } = ctx;
  const password = secrets.databases[db.name]?.app;
  if (password === undefined) throw new Error(`secrets invariant: no secrets for database ${db.name}`);
  const q = lagQuery(db);
  const content = renderTemplate("hyperdb-db-config.php.ejs", {
    header: generatedByFor(graph, `HyperDB servers of database ${db.name}, on ${host.name}`),
    lagThreshold: String(LAG_THRESHOLD_SECONDS),
    databases: [
      dbEntry(db, password, db.primary.address, 1, `primary ${db.primary.host}: writes, and reads`),
      ...db.replicas.map((r) => dbEntry(db, password, r.address, 0, `replica ${r.host}: reads only`)),
    ],
    lagStatement: php(q.statement),
    lagColumn: php(q.column),
    lagPrivilege: lagPrivilege(db),
  });
  return file(DB_CONFIG_PATH, content, "php", "php-fpm", { mode: 0o640, group: "www-data", secret: true });
}

function installScript(graph: Graph): HostFile {
  const content = renderTemplate("hyperdb-install.sh.ejs", {
    header: generatedByFor(graph, "installs HyperDB's db.php"),
    dest: sh(`${WP_CONTENT_DIR}/db.php`),
    version: sh(HYPERDB_VERSION),
    url: sh(HYPERDB_URL),
    sha256: sh(HYPERDB_SHA256),
    maxBytes: String(HYPERDB_BYTES),
    envFile: sh(INSTALL_ENV_FILE),
    dbConfig: sh(DB_CONFIG_PATH),
  });
  return file(INSTALL_SCRIPT, content, "shell", "install-hyperdb", { mode: 0o755 });
}

function installUnit(graph: Graph): HostFile {
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", "hacompile: install HyperDB's db.php for WordPress"],
          ["Wants", "network-online.target"],
          ["After", "network-online.target"],
          ["ConditionPathIsDirectory", WP_CONTENT_DIR],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          ["EnvironmentFile", `-${INSTALL_ENV_FILE}`],
          ["ExecStart", INSTALL_SCRIPT],
        ],
      ],
      ["Install", [["WantedBy", "multi-user.target"]]],
    ],
    generatedByFor(graph, "HyperDB install step"),
  );
  return file(`/etc/systemd/system/${INSTALL_UNIT}`, content, "systemd", "install-hyperdb");
}

function installService(): ServiceSpec {
  return { name: "install-hyperdb", unit: INSTALL_UNIT, packaged: false, kind: "oneshot", command: [INSTALL_SCRIPT], after: [] };
}

function render(ctx: RenderContext, host: Host): Contribution {
  const pool = wordpressPoolOf(ctx.graph, host);
  if (!pool) return {};
  const db = databaseOfPool(ctx.graph, pool);
  return {
    files: [dbConfig(ctx, host, db), installScript(ctx.graph), installUnit(ctx.graph)],
    services: [installService()],
    packages: ["curl"],
  };
}

export const hyperdb: Renderer = { name: "hyperdb", render };
