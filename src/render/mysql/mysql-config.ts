// MariaDB (default) / MySQL 8.4 server configuration for database hosts:
// one option file that sorts after the distribution's own and carries
// everything replication needs, plus the database daemon's ServiceSpec.
// The helpers exported here (which database a host serves, the engine's
// names and paths) are shared with mysql-bootstrap and mysql-backup.
import { generatedByRebuild } from "../common/header.js";
import { databaseByName, type Database, type DbMember, type Graph, type Host } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { file, type HostFile, type Renderer, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/mysql");

export type Engine = Database["engine"];

/** Everything that differs between the two engines, in one place. */
export interface EngineFacts {
  readonly engine: Engine;
  /** ServiceSpec name of the daemon (conventions.md). */
  readonly service: "mariadb" | "mysql";
  readonly unit: "mariadb.service" | "mysql.service";
  readonly daemon: "mariadbd" | "mysqld";
  /** The command-line client (also reads option files given by --defaults-file). */
  readonly client: "mariadb" | "mysql";
  /** Our server option file: Debian's includedir reads it after 50-server.cnf. */
  readonly confPath: string;
  /** The option group only this engine's server reads. */
  readonly group: "mariadbd" | "mysqld";
  readonly serverPackages: readonly string[];
}

const MARIADB: EngineFacts = {
  engine: "mariadb",
  service: "mariadb",
  unit: "mariadb.service",
  daemon: "mariadbd",
  client: "mariadb",
  confPath: "/etc/mysql/mariadb.conf.d/60-hacompile.cnf",
  group: "mariadbd",
  serverPackages: ["mariadb-client", "mariadb-server"],
};

// MySQL 8.4 is not in Debian: these are the names of Oracle's APT repository
// (repo.mysql.com, mysql-8.4-lts), whose my.cnf includes mysql.conf.d/.
const MYSQL: EngineFacts = {
  engine: "mysql",
  service: "mysql",
  unit: "mysql.service",
  daemon: "mysqld",
  client: "mysql",
  confPath: "/etc/mysql/mysql.conf.d/60-hacompile.cnf",
  group: "mysqld",
  serverPackages: ["mysql-client", "mysql-server"],
};

export function engineFacts(engine: Engine): EngineFacts {
  return engine === "mysql" ? MYSQL : MARIADB;
}

/** The one database a host serves (the schema allows one per host) and its place in it. */
export interface DbPlacement {
  readonly db: Database;
  readonly role: "primary" | "replica";
  readonly self: DbMember;
  readonly facts: EngineFacts;
}

/** HostFacts.database (decided while lowering) resolved to the database, the member and the engine's names. */
export function dbPlacement(graph: Graph, host: Host): DbPlacement | undefined {
  const placed = host.facts.database;
  if (!placed) return undefined;
  const db = databaseByName(graph, placed.name);
  const self = placed.role === "primary" ? db.primary : db.replicas.find((r) => r.host === host.name);
  if (!self) throw new Error(`graph invariant: ${host.name} is not a member of database ${db.name}`);
  return { db, role: placed.role, self, facts: engineFacts(db.engine) };
}

/**
 * An option-file value. The format has escapes but no quoting that is the
 * same in every reader, so values that would need it are refused; the graph
 * (addresses, numbers, fixed names) and the secrets alphabet never produce one.
 * Candidate for src/render/common/quote.ts.
 */
export function cnfValue(s: string): string {
  if (!/^[A-Za-z0-9_.:/@+-]+$/.test(s)) throw new Error(`value cannot be an option-file value: ${JSON.stringify(s)}`);
  return s;
}

/**
 * Binary logs are kept this long. Longer than the nightly backup interval so
 * that a restore can roll forward from the last backup, and long enough for a
 * replica that was down for a few days to catch up without reseeding.
 */
export const BINLOG_EXPIRE_SECONDS = 7 * 24 * 3600;

export const mysqlConfig: Renderer = {
  name: "mysql-config",
  render: ({ graph }, host) => {
    const p = dbPlacement(graph, host);
    if (!p) return {};
    return { files: [serverConf(graph, host, p)], services: [daemonService(p.facts)], packages: p.facts.serverPackages };
  },
};

function serverConf(graph: Graph, host: Host, p: DbPlacement): HostFile {
  const content = renderTemplate(`mysql-config-${p.facts.engine}.cnf.ejs`, {
    header: generatedByRebuild(graph),
    what: `Database '${p.db.name}' (${p.facts.engine}), ${p.role} on ${host.name}.`,
    group: p.facts.group,
    serverId: p.self.serverId,
    bindAddress: cnfValue(p.self.address),
    port: p.db.port,
    binlogExpireSeconds: BINLOG_EXPIRE_SECONDS,
    replica: p.role === "replica",
  });
  return file(p.facts.confPath, content, "mycnf", p.facts.service);
}

function daemonService(f: EngineFacts): ServiceSpec {
  return {
    name: f.service,
    unit: f.unit,
    packaged: true,
    kind: "daemon",
    // The daemon itself stays in the foreground. Started as root by a
    // supervisor it switches to `user = mysql` from our option file (systemd
    // starts it as mysql already). A supervisor must provide what the packaged
    // unit does: /run/mysqld owned by mysql (tmpfiles.d on Debian).
    command: [f.daemon],
    after: [],
  };
}
