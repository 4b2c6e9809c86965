// Database bootstrap, run at every start of the database daemon by
// hacompile-db-bootstrap.service (oneshot, bound to the daemon) and safe to
// run again. On the primary it creates the application database, the
// application accounts (one per app host address, nothing else) and the
// replication accounts (one per member address, REPLICATION SLAVE only), all
// replicated. On a replica it waits, bounded, for the primary to accept the
// replication account, refuses a history that diverged from the primary's,
// then points replication at it with the engine's own GTID syntax (again
// whenever the settings changed, such as a rotated password) and checks that
// both threads run.
// Passwords live only in root-only files fed to the client on stdin or read
// through --defaults-file, never on a command line.
import { generatedByRebuild } from "../common/header.js";
import { createHash } from "node:crypto";
import type { Database, Graph, Host } from "../../graph/model.js";
import type { DatabaseSecrets } from "../../secrets.js";
import { templateRenderer } from "../common/ejs.js";
import { lagPrivilege } from "../wordpress/hyperdb.js";
import { cnfValue, dbPlacement, type DbPlacement, type EngineFacts } from "./mysql-config.js";
import { sh, sqlIdent, sqlString } from "../common/quote.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type HostFile, type Renderer, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/mysql");

export const BOOTSTRAP_SCRIPT = "/usr/local/sbin/hacompile-db-bootstrap";
export const BOOTSTRAP_UNIT = "hacompile-db-bootstrap.service";
export const BOOTSTRAP_SERVICE = "db-bootstrap";
/** Root-only files of the bootstrap (SQL holding passwords, the client option file). */
export const DB_ETC = "/etc/hacompile/db";
const PRIMARY_SQL = `${DB_ETC}/primary.sql`;
const REPLICA_SQL = `${DB_ETC}/replica.sql`;
const PRIMARY_CLIENT_CNF = `${DB_ETC}/primary-client.cnf`;
/** State, not configuration: the digest of the replica SQL last applied with success. */
const REPLICA_APPLIED = "/var/lib/hacompile/db/replica.applied";

/**
 * Every wait is bounded twice, by tries and by a deadline, so a hung connect
 * cannot stretch it. Local: under systemd the packaged unit is Type=notify
 * and the server is ready when we start; a supervisor may start us as soon as
 * the process exists, and InnoDB recovery can take a while.
 */
const LOCAL_WAIT = { tries: 90, delay: 2, deadline: 180 } as const;
/** Primary: hosts boot in any order, and the primary must first run its own bootstrap. */
const PRIMARY_WAIT = { tries: 120, delay: 3, deadline: 600, connectTimeout: 3 } as const;
/** After START: the I/O thread retries its connection every CONNECT_RETRY seconds. */
const RUNNING_WAIT = { tries: 30, delay: 2 } as const;
/** Seconds between the replica's own reconnection attempts to the primary. */
const CONNECT_RETRY = 5;
/** systemd must not kill the script before its own bounds end it. */
const TIMEOUT_START = LOCAL_WAIT.deadline + PRIMARY_WAIT.deadline + RUNNING_WAIT.tries * RUNNING_WAIT.delay + 120;

/** Accounts the server itself owns: an application user with one of these names would be altered or dropped. */
const RESERVED_USERS = new Set(["root", "mysql", "mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema", "debian-sys-maint"]);

export const mysqlBootstrap: Renderer = {
  name: "mysql-bootstrap",
  render: ({ graph, secrets }, host) => {
    const p = dbPlacement(graph, host);
    if (!p) return {};
    checkUsers(p.db);
    const pw = secrets.databases[p.db.name];
    if (!pw) throw new Error(`secrets: no passwords for database ${p.db.name}`);
    const sqlFiles = p.role === "primary" ? [primarySql(graph, host, p, pw)] : [replicaSql(graph, host, p, pw), primaryClientCnf(graph, p, pw)];
    return {
      files: [...sqlFiles, bootstrapScript(graph, host, p), bootstrapUnit(graph, host, p)],
      services: [bootstrapService(p.facts)],
    };
  },
};

function checkUsers(db: Database): void {
  // Candidates for a schema check; here they stop a build that would break the server.
  if (RESERVED_USERS.has(db.user)) throw new Error(`database ${db.name}: user '${db.user}' is reserved by the server`);
  if (db.user === db.replicationUser) throw new Error(`database ${db.name}: user '${db.user}' is the replication user's name`);
}

const account = (user: string, address: string): string => `${sqlString(user)}@${sqlString(address)}`;

/**
 * `_` and `%` are wildcards in a GRANT's database name: `wp_site`.* would
 * also match `wpXsite`. Escaped, the grant covers exactly the one database.
 */
const grantDatabase = (schema: string): string => sqlIdent(schema.replace(/[\\_%]/g, (c) => `\\${c}`));

/**
 * How an account gets its password. MariaDB writes CREATE/ALTER USER to the
 * binary log as typed, so a plain IDENTIFIED BY would put the password in
 * every binlog and every replica's relay log: give it the
 * mysql_native_password hash instead (SHA1(SHA1(password)), which does not
 * by itself let anyone log in). MySQL 8.4 already logs such statements with
 * the caching_sha2_password hash, and has no way to take that hash as input
 * that is portable across servers.
 */
function identifiedBy(f: EngineFacts, password: string): string {
  if (f.engine === "mysql") return `IDENTIFIED BY ${sqlString(password)}`;
  const inner = createHash("sha1").update(password, "utf8").digest();
  const hash = "*" + createHash("sha1").update(inner).digest("hex").toUpperCase();
  return `IDENTIFIED BY PASSWORD ${sqlString(hash)}`;
}

/** The SQL condition "Host is not one of these" (TRUE when there are none). */
const hostNotIn = (addresses: readonly string[]): string =>
  addresses.length === 0 ? "TRUE" : `Host NOT IN (${addresses.map(sqlString).join(", ")})`;

function primarySql(graph: Graph, host: Host, p: DbPlacement, pw: DatabaseSecrets): HostFile {
  const { db } = p;
  // Every member, the primary included: any of them may replicate from
  // another after a promotion, and the accounts are replicated to all.
  const memberAddresses = [db.primary.address, ...db.replicas.map((r) => r.address)];
  const content = renderTemplate("mysql-bootstrap-primary.sql.ejs", {
    header: generatedByRebuild(graph),
    what: `Database '${db.name}' (${p.facts.engine}): run on the primary ${host.name} by ${BOOTSTRAP_SCRIPT}.`,
    schema: sqlIdent(db.schema),
    grantDatabase: grantDatabase(db.schema),
    lagPrivilege: lagPrivilege(db),
    appAccounts: db.clientAddresses.map((a) => account(db.user, a)),
    appIdentified: identifiedBy(p.facts, pw.app),
    appUser: sqlString(db.user),
    appStale: hostNotIn(db.clientAddresses),
    replAccounts: memberAddresses.map((a) => account(db.replicationUser, a)),
    replIdentified: identifiedBy(p.facts, pw.replication),
    replUser: sqlString(db.replicationUser),
    replStale: hostNotIn(memberAddresses),
    // MySQL replicas connect with SOURCE_SSL=1; refuse the account anything else.
    replRequire: p.facts.engine === "mysql" ? " REQUIRE SSL" : "",
  });
  return file(PRIMARY_SQL, content, "sql", BOOTSTRAP_SERVICE, { mode: 0o600, secret: true });
}

/** The replica's CHANGE ... TO options, already quoted, in the engine's own spelling. */
function replicationOptions(p: DbPlacement, pw: DatabaseSecrets): string[] {
  const { db } = p;
  if (p.facts.engine === "mysql")
    return [
      `SOURCE_HOST = ${sqlString(db.primary.address)}`,
      `SOURCE_PORT = ${db.port}`,
      `SOURCE_USER = ${sqlString(db.replicationUser)}`,
      `SOURCE_PASSWORD = ${sqlString(pw.replication)}`,
      `SOURCE_AUTO_POSITION = 1`,
      // caching_sha2_password (8.4's default) refuses a first login over plain
      // TCP without RSA key exchange; TLS (8.4 creates its own certificates)
      // both solves that and keeps the password off the wire.
      `SOURCE_SSL = 1`,
      `SOURCE_CONNECT_RETRY = ${CONNECT_RETRY}`,
    ];
  return [
    `MASTER_HOST = ${sqlString(db.primary.address)}`,
    `MASTER_PORT = ${db.port}`,
    `MASTER_USER = ${sqlString(db.replicationUser)}`,
    `MASTER_PASSWORD = ${sqlString(pw.replication)}`,
    `MASTER_USE_GTID = slave_pos`,
    `MASTER_CONNECT_RETRY = ${CONNECT_RETRY}`,
  ];
}

function replicaSql(graph: Graph, host: Host, p: DbPlacement, pw: DatabaseSecrets): HostFile {
  const mysql = p.facts.engine === "mysql";
  const content = renderTemplate("mysql-bootstrap-replica.sql.ejs", {
    header: generatedByRebuild(graph),
    what: `Database '${p.db.name}' (${p.facts.engine}): run on the replica ${host.name} by ${BOOTSTRAP_SCRIPT}.`,
    change: mysql ? "CHANGE REPLICATION SOURCE TO" : "CHANGE MASTER TO",
    options: replicationOptions(p, pw),
    start: mysql ? "START REPLICA" : "START SLAVE",
  });
  return file(REPLICA_SQL, content, "sql", BOOTSTRAP_SERVICE, { mode: 0o600, secret: true });
}

/** The replication account's login to the primary, for the readiness probe. */
function primaryClientCnf(graph: Graph, p: DbPlacement, pw: DatabaseSecrets): HostFile {
  const content = renderTemplate("mysql-bootstrap-client.cnf.ejs", {
    header: generatedByRebuild(graph),
    host: cnfValue(p.db.primary.address),
    port: p.db.port,
    user: cnfValue(p.db.replicationUser),
    password: cnfValue(pw.replication),
    // The account is REQUIRE SSL on MySQL; MariaDB's client has no ssl-mode.
    sslMode: p.facts.engine === "mysql" ? "REQUIRED" : "",
  });
  return file(PRIMARY_CLIENT_CNF, content, "mycnf", BOOTSTRAP_SERVICE, { mode: 0o600, secret: true });
}

/** Engine-specific replica status vocabulary for the script. */
function statusWords(f: EngineFacts): Record<string, string> {
  const mysql = f.engine === "mysql";
  return {
    statusSql: sh(mysql ? "SHOW REPLICA STATUS\\G" : "SHOW SLAVE STATUS\\G"),
    startSql: sh(mysql ? "START REPLICA" : "START SLAVE"),
    stopSql: sh(mysql ? "STOP REPLICA" : "STOP SLAVE"),
    resetHint: sh(mysql ? "STOP REPLICA; RESET REPLICA ALL;" : "STOP SLAVE; RESET SLAVE ALL;"),
    fHost: mysql ? "Source_Host" : "Master_Host",
    fPort: mysql ? "Source_Port" : "Master_Port",
    fIo: mysql ? "Replica_IO_Running" : "Slave_IO_Running",
    fSql: mysql ? "Replica_SQL_Running" : "Slave_SQL_Running",
  };
}

function bootstrapScript(graph: Graph, host: Host, p: DbPlacement): HostFile {
  const replica = p.role === "replica";
  const content = renderTemplate("mysql-bootstrap.sh.ejs", {
    header: generatedByRebuild(graph),
    what: `Database '${p.db.name}' (${p.facts.engine}), ${p.role} on ${host.name}.`,
    replica,
    engine: p.facts.engine,
    client: sh(p.facts.client),
    applied: sh(REPLICA_APPLIED),
    local: LOCAL_WAIT,
    primarySql: sh(PRIMARY_SQL),
    replicaSql: sh(REPLICA_SQL),
    primaryCnf: sh(PRIMARY_CLIENT_CNF),
    primaryHost: sh(p.db.primary.address),
    primaryPort: p.db.port,
    primaryWait: PRIMARY_WAIT,
    running: RUNNING_WAIT,
    ...statusWords(p.facts),
  });
  return file(BOOTSTRAP_SCRIPT, content, "shell", BOOTSTRAP_SERVICE, { mode: 0o755 });
}

function bootstrapUnit(graph: Graph, host: Host, p: DbPlacement): HostFile {
  const daemon = p.facts.unit;
  // A replica talks to the primary over the network; the primary only to itself.
  const network = p.role === "replica" ? " network-online.target" : "";
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: bootstrap database ${p.db.name} (${p.role} on ${host.name})`],
          // Stopped whenever the daemon stops, crashes included, and started
          // again with it (WantedBy below): a replica's server never starts
          // replication itself (skip_slave_start), this script does, after
          // its checks, at every start of the server.
          ["BindsTo", daemon],
          ...(network ? ([["Wants", network.trim()]] as const) : []),
          ["After", daemon + network],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          ["ExecStart", BOOTSTRAP_SCRIPT],
          ["TimeoutStartSec", TIMEOUT_START],
        ],
      ],
      ["Install", [["WantedBy", `multi-user.target ${daemon}`]]],
    ],
    `${generatedByRebuild(graph)}\nRuns at every start of ${daemon}: the script converges and does nothing when all is in place.`,
  );
  return file(`/etc/systemd/system/${BOOTSTRAP_UNIT}`, content, "systemd", BOOTSTRAP_SERVICE);
}

function bootstrapService(f: EngineFacts): ServiceSpec {
  return {
    name: BOOTSTRAP_SERVICE,
    unit: BOOTSTRAP_UNIT,
    packaged: false,
    kind: "oneshot",
    command: [BOOTSTRAP_SCRIPT],
    after: [f.service],
  };
}
