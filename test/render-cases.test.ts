// Rendered files for throwaway topologies, read back through the consistency
// parsers: 2 vs 3 load balancers, MariaDB vs MySQL replication, and prefix
// routes that must never capture a longer sibling path.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildText, rootFile, type Build } from "./consistency/build.js";
import {
  checkDatabases,
  checkFirewalls,
  checkKeepalived,
  checkLoadBalancers,
  checkPrimaryGrants,
  checkWordPress,
  DB_CONFIG,
  FIREWALL,
  KEEPALIVED_CONF,
  LB_CONF,
  PRIMARY_SQL,
  proxiedPool,
  REPLICA_SQL,
  webConf,
} from "./consistency/checks.js";
import {
  directives,
  iniValue,
  matchLocation,
  nftAccepted,
  nftInput,
  nginxLocations,
  nginxServers,
  parseIni,
  parseNginx,
  primarySql,
  replicaSql,
  vrrpInstance,
  type NginxLocation,
} from "./consistency/parse.js";

// ------------------------------------------------------ 2 vs 3 LBs ----

const ADDRESSES: Record<string, string> = { lb1: "10.1.0.11", lb2: "10.1.0.12", lb3: "10.1.0.13" };

const lbTopology = (lbs: readonly string[]): string => `
name: lbs
site: { domain: example.org, admin_email: a@example.org }
network: { subnet: 10.1.0.0/24, admin: 10.1.0.0/28 }
hosts:
${Object.entries(ADDRESSES)
  .map(([h, a]) => `  ${h}: { address: ${a} }`)
  .join("\n")}
  w1: { address: 10.1.0.21 }
  w2: { address: 10.1.0.22 }
loadbalancer:
  hosts: [${lbs.join(", ")}]
  vip: 10.1.0.100
  routes:
    - { path: /, pool: web }
pools:
  web: { hosts: [w1, w2], app: static }
`;

for (const lbs of [
  ["lb1", "lb2"],
  ["lb1", "lb2", "lb3"],
  ["lb3", "lb1", "lb2"],
]) {
  test(`${lbs.length} LBs [${lbs.join(", ")}]: complete unicast peer sets, distinct priorities falling with the order`, () => {
    const b = buildText(lbTopology(lbs));
    const instances = lbs.map((lb) => ({ lb, i: vrrpInstance(rootFile(b, lb, KEEPALIVED_CONF), lb) }));
    for (const { lb, i } of instances) {
      const others = lbs.filter((o) => o !== lb).map((o) => ADDRESSES[o]!);
      assert.is(i.srcIp, ADDRESSES[lb], `${lb}: unicast_src_ip`);
      assert.equal([...i.peers].sort(), others.sort(), `${lb}: unicast_peer is every other LB`);
      assert.is(i.peers.length, lbs.length - 1, `${lb}: no peer twice, never itself`);
      // VRRP reaches it from exactly those peers.
      const vrrpFrom = [...nftAccepted(nftInput(rootFile(b, lb, FIREWALL), lb))].filter((a) => a.endsWith("-> ip/112"));
      assert.equal(vrrpFrom.sort(), others.map((a) => `${a} -> ip/112`).sort(), `${lb}: VRRP admitted from the peers`);
    }
    const prios = instances.map(({ i }) => i.priority);
    assert.is(new Set(prios).size, lbs.length, `distinct priorities: ${prios.join(", ")}`);
    assert.equal(prios, [...prios].sort((x, y) => y - x), `the first LB has the highest priority: ${prios.join(", ")}`);
    assert.ok(prios.every((p) => p >= 1 && p <= 254), "priorities in 1..254");
    assert.is(new Set(instances.map(({ i }) => i.routerId)).size, 1, "one virtual_router_id");
    checkKeepalived(b);
    checkFirewalls(b);
  });
}

// --------------------------------------------------- MariaDB vs MySQL ----

const dbTopology = (engine: "mariadb" | "mysql"): string => `
name: engines
site: { domain: example.org, admin_email: a@example.org }
network: { subnet: 10.1.0.0/24, admin: 10.1.0.0/28 }
hosts:
  lb1: { address: 10.1.0.11 }
  lb2: { address: 10.1.0.12 }
  w1: { address: 10.1.0.21 }
  w2: { address: 10.1.0.22 }
  d1: { address: 10.1.0.31 }
  d2: { address: 10.1.0.32 }
  d3: { address: 10.1.0.33 }
loadbalancer:
  hosts: [lb1, lb2]
  vip: 10.1.0.100
  routes:
    - { path: /, pool: web }
pools:
  web: { hosts: [w1, w2], app: wordpress, database: wp }
databases:
  wp: { engine: ${engine}, primary: d2, replicas: [d1, d3], name: wordpress }
`;

const PRIMARY = "d2";
const REPLICAS = ["d1", "d3"];

function options(b: Build, host: string, engine: "mariadb" | "mysql"): (k: string) => string | undefined {
  const path = engine === "mariadb" ? "/etc/mysql/mariadb.conf.d/60-hacompile.cnf" : "/etc/mysql/mysql.conf.d/60-hacompile.cnf";
  const ini = parseIni(rootFile(b, host, path), `${host}:${path}`);
  const section = engine === "mariadb" ? "mariadbd" : "mysqld";
  assert.ok(ini.has(section), `${host}: [${section}]`);
  return (k) => iniValue(ini, section, k);
}

/**
 * Issue 14, item 8: durable commits and crash-safe replicas on every server,
 * and replicas whose replication only the bootstrap starts, after its checks.
 */
function checkDurability(o: (k: string) => string | undefined, h: string, skipStart: string | undefined): void {
  assert.is(o("sync_binlog"), "1", `${h}: sync_binlog`);
  assert.is(o("innodb_flush_log_at_trx_commit"), "1", `${h}: innodb_flush_log_at_trx_commit`);
  assert.is(o("relay_log_recovery"), "ON", `${h}: relay_log_recovery`);
  if (skipStart !== undefined) assert.is(o(skipStart), "ON", `${h}: ${skipStart}`);
}

test("mariadb: CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos, START SLAVE, gtid_strict_mode, no MySQL GTID settings", () => {
  const b = buildText(dbTopology("mariadb"));
  for (const r of REPLICAS) {
    const sql = rootFile(b, r, REPLICA_SQL);
    const rs = replicaSql(sql, r);
    assert.is(rs.statement, "CHANGE MASTER TO");
    assert.is(rs.options.get("MASTER_HOST"), "10.1.0.32", `${r}: follows the primary`);
    assert.is(rs.options.get("MASTER_USE_GTID"), "slave_pos");
    assert.ok(![...rs.options.keys()].some((k) => k.startsWith("SOURCE_")), `${r}: no MySQL option names`);
    assert.ok(rs.after.includes("START SLAVE;"), `${r}: START SLAVE`);
    assert.not.ok(rs.after.includes("START REPLICA;"), `${r}: no START REPLICA`);
    assert.ok(sql.indexOf("SET SESSION sql_log_bin = 0;") < sql.indexOf("CHANGE MASTER TO"), `${r}: the replica's own statements stay out of its binlog`);
  }
  for (const h of [PRIMARY, ...REPLICAS]) {
    const o = options(b, h, "mariadb");
    const replica = REPLICAS.includes(h);
    assert.is(o("gtid_strict_mode"), "ON", `${h}: gtid_strict_mode`);
    assert.is(o("binlog_format"), "ROW", `${h}: binlog_format`);
    for (const k of ["gtid_mode", "enforce_gtid_consistency", "super_read_only"]) assert.is(o(k), undefined, `${h}: no ${k} (MySQL only)`);
    assert.is(o("read_only"), replica ? "ON" : undefined, `${h}: read_only on replicas only`);
    checkDurability(o, h, replica ? "skip_slave_start" : undefined);
  }
  // HyperDB's lag check speaks MariaDB, with the privilege MariaDB needs for it.
  const hyperdb = rootFile(b, "w1", DB_CONFIG);
  assert.match(hyperdb, "'SHOW SLAVE STATUS'");
  assert.match(hyperdb, "Seconds_Behind_Master");
  const grants = primarySql(rootFile(b, PRIMARY, PRIMARY_SQL), PRIMARY).grants.filter((g) => g.user === "wordpress" && g.on === "*.*");
  assert.equal([...new Set(grants.map((g) => g.privileges))], ["SLAVE MONITOR"]);
  checkDatabases(b);
  checkPrimaryGrants(b);
  checkWordPress(b);
  checkFirewalls(b);
});

test("mysql: CHANGE REPLICATION SOURCE TO ... SOURCE_AUTO_POSITION=1, START REPLICA, gtid_mode, enforce_gtid_consistency, super_read_only on replicas", () => {
  const b = buildText(dbTopology("mysql"));
  const accounts = primarySql(rootFile(b, PRIMARY, PRIMARY_SQL), PRIMARY).accounts;
  for (const r of REPLICAS) {
    const sql = rootFile(b, r, REPLICA_SQL);
    const rs = replicaSql(sql, r);
    assert.is(rs.statement, "CHANGE REPLICATION SOURCE TO");
    assert.is(rs.options.get("SOURCE_HOST"), "10.1.0.32", `${r}: follows the primary`);
    assert.is(rs.options.get("SOURCE_AUTO_POSITION"), "1");
    assert.ok(![...rs.options.keys()].some((k) => k.startsWith("MASTER_")), `${r}: no MariaDB option names`);
    // caching_sha2_password fails over plain TCP without one of these.
    const ssl = rs.options.get("SOURCE_SSL") === "1";
    assert.ok(ssl || rs.options.get("GET_SOURCE_PUBLIC_KEY") === "1", `${r}: SOURCE_SSL=1 or GET_SOURCE_PUBLIC_KEY=1`);
    if (ssl) {
      const account = accounts.find((a) => a.user === rs.options.get("SOURCE_USER") && a.host === b.topology.hosts[r]!.address);
      assert.ok(account?.requireSsl, `${r}: its replication account requires SSL, as the replica connects`);
    }
    assert.ok(rs.after.includes("START REPLICA;"), `${r}: START REPLICA`);
    assert.not.ok(rs.after.includes("START SLAVE;"), `${r}: no START SLAVE (removed in MySQL 8.4)`);
    assert.ok(sql.indexOf("SET SESSION sql_log_bin = 0;") < sql.indexOf("CHANGE REPLICATION SOURCE TO"), `${r}: the replica's own statements stay out of its binlog`);
  }
  for (const h of [PRIMARY, ...REPLICAS]) {
    const o = options(b, h, "mysql");
    const replica = REPLICAS.includes(h);
    assert.is(o("gtid_mode"), "ON", `${h}: gtid_mode`);
    assert.is(o("enforce_gtid_consistency"), "ON", `${h}: enforce_gtid_consistency`);
    assert.is(o("gtid_strict_mode"), undefined, `${h}: no gtid_strict_mode (MariaDB only)`);
    assert.ok(o("binlog_format") === undefined || o("binlog_format") === "ROW", `${h}: binlog_format is ROW (8.4's default)`);
    checkDurability(o, h, replica ? "skip_replica_start" : undefined);
    assert.is(o("read_only"), replica ? "ON" : undefined, `${h}: read_only on replicas only`);
    assert.is(o("super_read_only"), replica ? "ON" : undefined, `${h}: super_read_only on replicas only`);
  }
  // SHOW SLAVE STATUS is gone from MySQL 8.4: the lag check must use the new words.
  const hyperdb = rootFile(b, "w1", DB_CONFIG);
  assert.match(hyperdb, "'SHOW REPLICA STATUS'");
  assert.match(hyperdb, "Seconds_Behind_Source");
  assert.not.match(hyperdb, "SHOW SLAVE STATUS");
  const grants = primarySql(rootFile(b, PRIMARY, PRIMARY_SQL), PRIMARY).grants.filter((g) => g.user === "wordpress" && g.on === "*.*");
  assert.equal([...new Set(grants.map((g) => g.privileges))], ["REPLICATION CLIENT"]);
  checkDatabases(b);
  checkPrimaryGrants(b);
  checkWordPress(b);
  checkFirewalls(b);
});

// ------------------------------------------------------ prefix routes ----

const ROUTES = `
name: routes
site: { domain: example.org, admin_email: a@example.org }
network: { subnet: 10.1.0.0/24, admin: 10.1.0.0/28 }
hosts:
  lb1: { address: 10.1.0.11 }
  lb2: { address: 10.1.0.12 }
  w1: { address: 10.1.0.21 }
  b1: { address: 10.1.0.22 }
  a1: { address: 10.1.0.23 }
  s1: { address: 10.1.0.24 }
loadbalancer:
  hosts: [lb1, lb2]
  vip: 10.1.0.100
  routes:
    - { path: /blog, pool: blog }
    - { path: /blog/archive, pool: archive }
    - { path: /shop, pool: shop }
    - { path: /, pool: web }
pools:
  web: { hosts: [w1], app: static }
  blog: { hosts: [b1], app: static }
  archive: { hosts: [a1], app: static }
  shop: { hosts: [s1], app: static }
`;

/** Request path -> the pool that must answer it. */
const EXPECTED_ROUTING: [string, string][] = [
  ["/blog", "blog"],
  ["/blog/", "blog"],
  ["/blogger", "web"],
  ["/blog/archive", "archive"],
  ["/blog/archive/", "archive"],
  ["/blog/archive/x", "archive"],
  ["/blog/archivex", "blog"],
  ["/shop", "shop"],
  ["/shop/cart", "shop"],
  ["/shopping", "web"],
  ["/", "web"],
  ["/about", "web"],
];

function lbLocations(b: Build, lb: string): NginxLocation[] {
  const servers = nginxServers(parseNginx(rootFile(b, lb, LB_CONF), lb), lb);
  const pub = servers.filter((s) => !s.listen.every((l) => l.startsWith("127.0.0.1:")));
  assert.is(pub.length, 1, `${lb}: one public server`);
  return nginxLocations(pub[0]!.body, lb);
}

test("a prefix route never captures a longer sibling path: = /p and ^~ /p/, never a bare location /p", () => {
  const b = buildText(ROUTES);
  for (const lb of ["lb1", "lb2"]) {
    const locations = lbLocations(b, lb);
    const has = (modifier: string, path: string): NginxLocation | undefined => locations.find((l) => l.modifier === modifier && l.path === path);
    for (const [prefix, pool] of [
      ["/blog", "blog"],
      ["/blog/archive", "archive"],
      ["/shop", "shop"],
    ] as const) {
      const exact = has("=", prefix);
      const below = has("^~", `${prefix}/`);
      assert.ok(exact, `${lb}: location = ${prefix}`);
      assert.ok(below, `${lb}: location ^~ ${prefix}/`);
      assert.is(proxiedPool(exact!.body, lb), pool, `${lb}: = ${prefix} -> ${pool}`);
      assert.is(proxiedPool(below!.body, lb), pool, `${lb}: ^~ ${prefix}/ -> ${pool}`);
      // `location /blog` would also take /blogger.
      assert.not.ok(
        locations.some((l) => l.path === prefix && l.modifier !== "="),
        `${lb}: no prefix location ${prefix} without the trailing slash`,
      );
    }
    // The URI goes upstream as the client sent it: proxy_pass names only the upstream.
    for (const l of locations) {
      for (const p of directives(l.body, "proxy_pass")) assert.match(p.args[0]!, /^http:\/\/pool_[\w-]+$/, `${lb}: ${l.path} passes the URI unstripped`);
    }
    for (const [uri, pool] of EXPECTED_ROUTING) {
      const l = matchLocation(locations, uri, lb);
      assert.ok(l, `${lb}: some location takes ${uri}`);
      assert.is(proxiedPool(l!.body, lb), pool, `${lb}: ${uri} -> pool ${pool} (matched location ${l!.modifier} ${l!.path})`);
    }
  }
  checkLoadBalancers(b);
});

test("each pool's own nginx serves the unstripped paths routed to it", () => {
  const b = buildText(ROUTES);
  const memberOf: Record<string, string> = { web: "w1", blog: "b1", archive: "a1", shop: "s1" };
  for (const [uri, pool] of EXPECTED_ROUTING) {
    const host = memberOf[pool]!;
    const conf = parseNginx(rootFile(b, host, webConf(pool)), host);
    const l = matchLocation(nginxLocations(nginxServers(conf, host)[0]!.body, host), uri, host);
    assert.ok(l, `${host}: some location takes ${uri}`);
    const refuses = directives(l!.body, "return").some((r) => r.args[0] === "404");
    assert.not.ok(refuses, `${host}: ${uri} reaches content, not the 404 catch-all (matched ${l!.modifier} ${l!.path})`);
  }
});

test.run();
