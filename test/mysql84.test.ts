// MySQL 8.4 checks that run without MySQL: the option-name allowlist and the
// removed replication SQL.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MYSQL84_OPTIONS, MYSQL84_SOURCE } from "../src/verify/checks/mysql84-options.js";
import { MYSQL84_SQL_SOURCE, checkMysql84Sql } from "../src/verify/checks/mysql84-sql.js";

const VALID = [
  "server_id",
  "log_bin",
  "gtid_mode",
  "enforce_gtid_consistency",
  "bind_address",
  "relay_log",
  "skip_name_resolve",
  "read_only",
  "super_read_only",
  "binlog_format",
  "binlog_expire_logs_seconds",
  "log_replica_updates",
  "port",
  "datadir",
  "socket",
  "pid_file",
  "log_error",
  "user",
  "max_connections",
  "innodb_buffer_pool_size",
  "character_set_server",
  "collation_server",
  "mysqlx",
  "report_host",
  "replica_parallel_workers",
  "relay_log_recovery",
  "sync_binlog",
  "innodb_flush_log_at_trx_commit",
  "innodb_redo_log_capacity",
  "replica_preserve_commit_order",
  "mysql_native_password",
  "authentication_policy",
];

// Removed in 8.4 or earlier (manual: What Is New in MySQL 8.4 / 8.0).
const REMOVED = [
  "expire_logs_days",
  "default_authentication_plugin",
  "master_info_repository",
  "relay_log_info_repository",
  "master_info_file",
  "relay_log_info_file",
  "query_cache_size",
  "query_cache_type",
  "binlog_transaction_dependency_tracking",
  "transaction_write_set_extraction",
  "slave_rows_search_algorithms",
  "character_set_client_handshake",
  "avoid_temporal_upgrade",
  "have_ssl",
  "ssl",
  "old",
  "new",
  "log_bin_use_v1_row_events",
  "group_replication_ip_whitelist",
];

test("mysql84 options: source names the 8.4 manual", () => {
  assert.match(MYSQL84_SOURCE, /8\.4/);
  assert.match(MYSQL84_SOURCE, /https:\/\/dev\.mysql\.com\/doc\/refman\/8\.4\//);
  assert.ok(MYSQL84_OPTIONS.size > 500, `only ${MYSQL84_OPTIONS.size} names`);
});

test("mysql84 options: typical server options are known", () => {
  for (const name of VALID) assert.ok(MYSQL84_OPTIONS.has(name), name);
});

test("mysql84 options: options removed in 8.4 or earlier are not", () => {
  for (const name of REMOVED) assert.not.ok(MYSQL84_OPTIONS.has(name), name);
});

test("mysql84 options: names are normalised, unique and sorted", () => {
  const names = [...MYSQL84_OPTIONS];
  for (const n of names) assert.ok(/^[a-z0-9_.]+$/.test(n), n);
  assert.equal(names, [...names].sort());
});

test("mysql84 options: deprecated aliases 8.4 still accepts are kept", () => {
  // Listed in the 8.4 table (deprecated, not removed).
  for (const name of ["log_slave_updates", "slave_parallel_workers", "skip_slave_start", "master_verify_checksum"]) {
    assert.ok(MYSQL84_OPTIONS.has(name), name);
  }
});

test("mysql84 sql: source names the 8.4 manual", () => {
  assert.match(MYSQL84_SQL_SOURCE, /https:\/\/dev\.mysql\.com\/doc\/refman\/8\.4\//);
});

test("mysql84 sql: 8.4 replication statements pass", () => {
  const sql = "CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.1', SOURCE_AUTO_POSITION=1, SOURCE_SSL=1; START REPLICA;";
  assert.equal(checkMysql84Sql(sql), []);
  const more = [
    "STOP REPLICA;",
    "RESET REPLICA ALL;",
    "RESET BINARY LOGS AND GTIDS;",
    "SHOW BINARY LOG STATUS;",
    "SHOW REPLICA STATUS;",
    "CREATE USER 'repl'@'10.0.0.%' IDENTIFIED WITH caching_sha2_password BY 'x';",
    "CHANGE REPLICATION SOURCE TO SOURCE_USER='repl', SOURCE_PASSWORD='p', GET_SOURCE_PUBLIC_KEY=1 FOR CHANNEL '';",
  ].join("\n");
  assert.equal(checkMysql84Sql(more), []);
});

test("mysql84 sql: CHANGE MASTER and START SLAVE are flagged with their line", () => {
  const sql = ["-- replica bootstrap", "CHANGE MASTER TO", "  MASTER_HOST='10.0.0.1';", "START SLAVE;"].join("\n");
  const problems = checkMysql84Sql(sql);
  assert.ok(problems.some((p) => p.startsWith("line 2:") && p.includes("CHANGE MASTER TO")), problems.join("\n"));
  assert.ok(problems.some((p) => p.startsWith("line 4:") && p.includes("START SLAVE")), problems.join("\n"));
});

test("mysql84 sql: every removed statement is flagged", () => {
  const removed = [
    "stop slave",
    "RESET SLAVE ALL",
    "SHOW SLAVE STATUS",
    "SHOW MASTER STATUS",
    "RESET MASTER",
    "SHOW SLAVE HOSTS",
    "PURGE MASTER LOGS TO 'binlog.000002'",
    "SHOW MASTER LOGS",
    "FLUSH HOSTS",
  ];
  for (const stmt of removed) assert.is(checkMysql84Sql(`${stmt};`).length, 1, stmt);
});

test("mysql84 sql: MASTER_* options in CHANGE REPLICATION SOURCE are flagged", () => {
  const problems = checkMysql84Sql("CHANGE REPLICATION SOURCE TO\n  SOURCE_HOST='h',\n  MASTER_AUTO_POSITION=1,\n  GET_MASTER_PUBLIC_KEY=1;");
  assert.is(problems.length, 2, problems.join("\n"));
  assert.match(problems[0]!, /^line 3: MASTER_AUTO_POSITION .*SOURCE_AUTO_POSITION/);
  assert.match(problems[1]!, /^line 4: GET_MASTER_PUBLIC_KEY .*GET_SOURCE_PUBLIC_KEY/);
  assert.is(checkMysql84Sql("START REPLICA UNTIL MASTER_LOG_FILE='b.1', MASTER_LOG_POS=4;").length, 2);
});

test("mysql84 sql: MASTER_USE_GTID (MariaDB) is flagged", () => {
  const problems = checkMysql84Sql("CHANGE REPLICATION SOURCE TO SOURCE_HOST='h', MASTER_USE_GTID=slave_pos;");
  assert.is(problems.length, 1, problems.join("\n"));
  assert.match(problems[0]!, /MariaDB/);
});

test("mysql84 sql: mysql_native_password is flagged, quoted or not", () => {
  assert.is(checkMysql84Sql("CREATE USER 'r'@'%' IDENTIFIED WITH mysql_native_password BY 'x';").length, 1);
  assert.is(checkMysql84Sql("ALTER USER 'r'@'%' IDENTIFIED WITH 'mysql_native_password' BY 'x';").length, 1);
  assert.equal(checkMysql84Sql("SET GLOBAL mysql_native_password_proxy_users = OFF;"), []);
});

test("mysql84 sql: comments and string literals are ignored", () => {
  const sql = [
    "-- was: CHANGE MASTER TO MASTER_HOST='x'; START SLAVE;",
    "# STOP SLAVE;",
    "/* RESET MASTER;",
    "   SHOW SLAVE STATUS; */",
    "SELECT 'START SLAVE', \"CHANGE MASTER TO\", 'it''s; RESET MASTER', 'a\\'; STOP SLAVE';",
    "CHANGE REPLICATION SOURCE TO SOURCE_HOST='MASTER_HOST', SOURCE_AUTO_POSITION=1; -- MASTER_PORT=3306",
    "START REPLICA;",
  ].join("\n");
  assert.equal(checkMysql84Sql(sql), []);
});

test("mysql84 sql: executable /*!...*/ comments are code", () => {
  const problems = checkMysql84Sql("/*!80000 START SLAVE */;");
  assert.is(problems.length, 1, problems.join("\n"));
});

test.run();
