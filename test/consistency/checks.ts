// Cross-file consistency of one build: every value that several rendered
// files share is read back from each file (through ./parse.ts) and compared
// across the files and with the topology the user wrote. Derived values the
// topology leaves implicit (priorities, server ids, the router id) are
// compared with the graph, and for uniqueness among themselves.
import { createHash } from "node:crypto";
import * as assert from "uvu/assert";
import type { Topology } from "../../schema/topology.js";
import { hostByName, rolesOf } from "../../src/graph/model.js";
import { SALT_NAMES } from "../../src/secrets.js";
import { addressOf, hasRootFile, rootFile, rootFilesUnder, type Build } from "./build.js";
import {
  directives,
  glusterBootstrap,
  glusterdOptions,
  hostPort,
  hyperdbServers,
  iniValue,
  matchLocation,
  must,
  nftAccepted,
  nftInput,
  nginxLocations,
  nginxServers,
  nginxUpstreams,
  parseIni,
  parseNginx,
  phpDefines,
  phpStringArray,
  primarySql,
  replicaSql,
  systemdEscapePath,
  vrrpInstance,
  type HostPort,
  type NginxDirective,
} from "./parse.js";

export const LB_CONF = "/etc/nginx/hacompile/lb.conf";
export const KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf";
export const CHECK_NGINX = "/usr/local/sbin/hacompile-check-nginx";
export const DB_CONFIG = "/etc/wordpress/db-config.php";
export const PRIMARY_SQL = "/etc/hacompile/db/primary.sql";
export const REPLICA_SQL = "/etc/hacompile/db/replica.sql";
export const PRIMARY_CLIENT_CNF = "/etc/hacompile/db/primary-client.cnf";
export const GLUSTER_BOOTSTRAP = "/usr/local/sbin/hacompile-gluster-bootstrap";
export const GLUSTER_MOUNT_SCRIPT = "/usr/local/sbin/hacompile-gluster-mount";
export const GLUSTERD_VOL = "/etc/glusterfs/glusterd.vol";
export const FIREWALL = "/etc/hacompile/firewall.nft";
export const webConf = (pool: string): string => `/etc/nginx/hacompile/web-${pool}.conf`;
export const wpConfig = (domain: string): string => `/etc/wordpress/config-${domain}.php`;

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const unique = (xs: Iterable<string>): string[] => sorted(new Set(xs));
const where = (host: string, path: string): string => `${host}:${path}`;

function poolHosts(t: Topology): [pool: string, host: string][] {
  return Object.entries(t.pools).flatMap(([p, def]) => def.hosts.map((h): [string, string] => [p, h]));
}

function lbAddresses(t: Topology): string[] {
  return t.loadbalancer.hosts.map((h) => addressOf(t, h));
}

/** The public server of an LB's nginx: the one not on 127.0.0.1. */
function publicServer(b: Build, lb: string): { listen: string[]; body: readonly NginxDirective[] } {
  const servers = nginxServers(parseNginx(rootFile(b, lb, LB_CONF), where(lb, LB_CONF)), where(lb, LB_CONF));
  const pub = servers.filter((s) => !s.listen.every((l) => l.startsWith("127.0.0.1:")));
  assert.is(pub.length, 1, `${lb}: one public server block in ${LB_CONF}`);
  return pub[0]!;
}

export const HAPROXY_CONF = "/etc/haproxy/haproxy.cfg";

/** The haproxy engine's public binds, as nginx listens are written ("addr:port" or "port"); the local health frontend left out. */
function haproxyPublicBinds(text: string): string[] {
  return [...text.matchAll(/^ +bind (\S+)$/gm)]
    .map((m) => m[1]!)
    .filter((l) => !l.startsWith("127.0.0.1:"))
    .map((l) => (l.startsWith(":") ? l.slice(1) : l));
}

/** Every backend member of the haproxy engine ("server <name> <addr>:<port> ..."). */
function haproxyServers(text: string): { address: string; port: number }[] {
  return [...text.matchAll(/^ +server \S+ (\d+\.\d+\.\d+\.\d+):(\d+)\b/gm)].map((m) => ({ address: m[1]!, port: Number(m[2]) }));
}

function single(d: readonly NginxDirective[], name: string, at: string): string {
  const found = directives(d, name);
  assert.is(found.length, 1, `${at}: one ${name}`);
  return must(found[0]!.args[0], `${name} argument`, at);
}

/** nginx sizes and PHP shorthand sizes, in MiB. */
function mib(size: string, at: string): number {
  const m = /^(\d+)([mMgG])$/.exec(size);
  if (!m) throw new Error(`${at}: size '${size}' is not in m or g`);
  return Number(m[1]) * (m[2]!.toLowerCase() === "g" ? 1024 : 1);
}

/** The pool whose route a URI takes: the longest route that is the URI itself or a whole-segment prefix of it. */
export function routeFor(routes: readonly { path: string; pool: string }[], uri: string): string | undefined {
  let best: { path: string; pool: string } | undefined;
  for (const r of routes) {
    const hit = r.path === "/" || uri === r.path || uri.startsWith(`${r.path}/`);
    if (hit && (!best || r.path.length > best.path.length)) best = r;
  }
  return best?.pool;
}

/** The pool a location sends to, from its `proxy_pass http://pool_<name>`. */
export function proxiedPool(body: readonly NginxDirective[], at: string): string | undefined {
  const pass = directives(body, "proxy_pass")[0]?.args[0];
  if (pass === undefined) return undefined;
  const m = /^http:\/\/pool_([\w-]+)$/.exec(pass);
  if (!m) throw new Error(`${at}: proxy_pass ${pass} names no pool upstream`);
  return m[1]!;
}

// ------------------------------------------------------ load balancers ----

export function checkLoadBalancers(b: Build): void {
  // The haproxy engine's config is not cross-checked here yet (its golden and
  // `haproxy -c` by hand are, for now): this check reads the nginx engine's.
  if (b.graph.loadBalancer.engine !== "nginx") return;
  const t = b.topology;
  const routes = t.loadbalancer.routes;
  const routed = unique(routes.map((r) => r.pool));
  const parsed: string[] = [];
  for (const lb of t.loadbalancer.hosts) {
    const at = where(lb, LB_CONF);
    const conf = parseNginx(rootFile(b, lb, LB_CONF), at);
    const upstreams = nginxUpstreams(conf, at);
    assert.equal(sorted(upstreams.keys()), routed.map((p) => `pool_${p}`), `${at}: one upstream per routed pool`);
    for (const pool of routed) {
      const def = must(t.pools[pool], `pool ${pool} in the topology`, at);
      const members = upstreams.get(`pool_${pool}`)!;
      assert.equal(members, def.hosts.map((h): HostPort => ({ address: addressOf(t, h), port: def.port })), `${at}: pool_${pool} members`);
      // Each member's own nginx listens where the LB sends.
      for (const h of def.hosts) {
        const wat = where(h, webConf(pool));
        const listens = nginxServers(parseNginx(rootFile(b, h, webConf(pool)), wat), wat).flatMap((s) => s.listen);
        assert.ok(listens.includes(`${addressOf(t, h)}:${def.port}`), `${wat}: listens on ${addressOf(t, h)}:${def.port} (${listens.join(", ")})`);
      }
    }

    const server = publicServer(b, lb);
    const failover = t.loadbalancer.failover;
    // The VIP (vrrp), the droplet's anchor IP (digitalocean: never every
    // address, which served the site on each LB's own public address), or
    // every address of a single LB.
    const want =
      failover.mode === "vrrp"
        ? `${must(t.loadbalancer.vip, "vip", at)}:${b.graph.ports.http}`
        : failover.mode === "digitalocean"
          ? `${must(failover.anchor_ips[lb], "anchor IP", at)}:${b.graph.ports.http}`
          : `${b.graph.ports.http}`;
    assert.ok(server.listen.includes(want), `${at}: listens on ${want} (${server.listen.join(", ")})`);
    assert.is(single(server.body, "server_name", at), t.site.domain);

    // Routes: every location that proxies names a routed pool, and each route
    // path goes where the topology says, matched the way nginx matches.
    const locations = nginxLocations(server.body, at);
    for (const l of locations) {
      const pool = proxiedPool(l.body, at);
      if (pool !== undefined) assert.ok(routed.includes(pool), `${at}: location ${l.path} proxies to unrouted pool ${pool}`);
    }
    const probes = routes.flatMap((r) => (r.path === "/" ? ["/", "/x"] : [r.path, `${r.path}/`, `${r.path}/x`, `${r.path}x`]));
    for (const uri of probes) {
      const l = matchLocation(locations, uri, at);
      const got = l ? proxiedPool(l.body, at) : undefined;
      assert.is(got, routeFor(routes, uri), `${at}: ${uri} goes to the pool its route names`);
    }

    // The keepalived check script probes the health server this file defines.
    const health = nginxServers(conf, at).find((s) => s.listen.every((l) => l.startsWith("127.0.0.1:")));
    const healthListen = hostPort(must(health?.listen[0], "health server", at), at);
    assert.ok(nginxLocations(health!.body, at).some((l) => l.modifier === "=" && l.path === "/health"), `${at}: location = /health`);
    if (failover.mode !== "none") {
      assert.match(rootFile(b, lb, CHECK_NGINX), `http://127.0.0.1:${healthListen.port}/health`, `${lb}: check script probes the health server`);
    }

    // One body size from the LB through the web nginx to PHP.
    const body = mib(single(server.body, "client_max_body_size", at), at);
    for (const [pool, h] of poolHosts(t)) {
      const wat = where(h, webConf(pool));
      const web = nginxServers(parseNginx(rootFile(b, h, webConf(pool)), wat), wat)[0]!;
      assert.is(mib(single(web.body, "client_max_body_size", wat), wat), body, `${wat}: client_max_body_size as on the LB`);
      if (t.pools[pool]!.app === "wordpress") {
        const fpmPath = rootFilesUnder(b, h, "/etc/php/").find((p) => p.endsWith(`/pool.d/hacompile-${pool}.conf`));
        const fat = where(h, must(fpmPath, "php-fpm pool file", h));
        const fpm = parseIni(rootFile(b, h, fpmPath!), fat);
        for (const k of ["upload_max_filesize", "post_max_size"]) {
          assert.is(mib(must(iniValue(fpm, pool, `php_admin_value[${k}]`), k, fat), fat), body, `${fat}: ${k} as on the LB`);
        }
      }
    }
    // Each droplet listens on its own anchor IP (checked above); the rest is alike.
    const listen = failover.mode === "digitalocean" ? server.listen.map((l) => l.replace(/^[\d.]+:/, "anchor:")) : server.listen;
    parsed.push(JSON.stringify({ upstreams: [...upstreams], locations, listen }));
  }
  assert.is(new Set(parsed).size, 1, "every LB routes and listens alike");
}

// ----------------------------------------------------------- graph.json ----

/** The graph.json every target sits beside is the compiled graph, and its hosts are the topology's. */
export function checkGraphJson(b: Build): void {
  const json = JSON.parse(must(b.files.get("graph.json"), "graph.json", "output")) as unknown;
  assert.equal(json, JSON.parse(JSON.stringify(b.graph)), "graph.json is the compiled graph");
  const t = b.topology;
  assert.equal(
    b.graph.hosts.map((h) => `${h.name} ${h.address}`),
    Object.entries(t.hosts)
      .map(([n, h]) => `${n} ${h.address}`)
      .sort(),
    "graph hosts and addresses are the topology's",
  );
}

// ---------------------------------------------------------- keepalived ----

/**
 * The interface VRRP must run on: the topology's, or the documented default,
 * eth0, or eth1 with failover digitalocean (a droplet's VPC address is on
 * eth1; eth0 carries its public address).
 */
export function vrrpInterface(t: Build["topology"]): string {
  return t.network.interface ?? (t.loadbalancer.failover.mode === "digitalocean" ? "eth1" : "eth0");
}

export function checkKeepalived(b: Build): void {
  const t = b.topology;
  const failover = t.loadbalancer.failover;
  const everyHost = Object.keys(t.hosts);
  if (failover.mode === "none") {
    for (const h of everyHost) assert.not.ok(hasRootFile(b, h, KEEPALIVED_CONF), `${h}: no keepalived without failover`);
    return;
  }
  for (const h of everyHost) {
    if (!t.loadbalancer.hosts.includes(h)) assert.not.ok(hasRootFile(b, h, KEEPALIVED_CONF), `${h} is no LB: no keepalived`);
  }
  const vrrp = must(b.graph.loadBalancer.failover, "failover in the graph", "graph").vrrp;
  const instances = t.loadbalancer.hosts.map((lb) => ({ lb, i: vrrpInstance(rootFile(b, lb, KEEPALIVED_CONF), where(lb, KEEPALIVED_CONF)) }));
  for (const { lb, i } of instances) {
    const at = where(lb, KEEPALIVED_CONF);
    assert.is(i.state, "BACKUP", `${at}: state`);
    assert.is(i.interface, vrrpInterface(t), `${at}: interface`);
    assert.not.ok(i.hasAuthentication, `${at}: no authentication block`);
    assert.is(i.srcIp, addressOf(t, lb), `${at}: unicast_src_ip is the host's own address`);
    const others = t.loadbalancer.hosts.filter((h) => h !== lb).map((h) => addressOf(t, h));
    assert.equal(sorted(i.peers), sorted(others), `${at}: unicast peers are every other LB`);
    assert.is(i.priority, rolesOf(hostByName(b.graph, lb), "load-balancer")[0]!.priority, `${at}: priority as in the graph`);
  }
  const first = instances[0]!.i;
  for (const { lb, i } of instances) {
    const at = where(lb, KEEPALIVED_CONF);
    assert.is(i.name, first.name, `${at}: instance name`);
    assert.is(i.routerId, first.routerId, `${at}: virtual_router_id`);
    assert.equal(i.vips, first.vips, `${at}: virtual_ipaddress`);
  }
  assert.is(first.routerId, failover.router_id ?? vrrp.routerId, "virtual_router_id: the topology's, or the derived one");
  assert.ok(first.routerId >= 1 && first.routerId <= 255, "virtual_router_id in 1..255");
  const prios = instances.map(({ i }) => i.priority);
  assert.equal(prios, [...prios].sort((x, y) => y - x), "priorities fall with the topology's order");
  assert.is(new Set(prios).size, prios.length, "priorities are distinct");
  const vip = must(t.loadbalancer.vip, "vip", "topology");
  if (failover.mode === "vrrp") {
    const prefix = t.network.subnet.split("/")[1];
    assert.equal(first.vips, [`${vip}/${prefix} dev ${vrrpInterface(t)}`], "the VIP, in the subnet's prefix");
  } else {
    assert.is(first.vips.length, 1, "one placeholder address");
    assert.match(first.vips[0]!, /^169\.254\.\d+\.\d+\/32 dev lo$/, "a link-local /32 on lo, never the reserved IP");
  }
}

// ------------------------------------------------------ web and trust ----

export function checkWebTrust(b: Build): void {
  const t = b.topology;
  const trusted = unique([...lbAddresses(t), ...(t.loadbalancer.vip ? [t.loadbalancer.vip] : [])]);
  for (const [pool, h] of poolHosts(t)) {
    const wat = where(h, webConf(pool));
    const web = nginxServers(parseNginx(rootFile(b, h, webConf(pool)), wat), wat)[0]!;
    const realIp = directives(web.body, "set_real_ip_from").map((d) => d.args[0]!);
    assert.equal(sorted(realIp), trusted, `${wat}: set_real_ip_from is exactly the LBs and the VIP`);
    if (t.pools[pool]!.app === "wordpress") {
      const cat = where(h, wpConfig(t.site.domain));
      assert.equal(sorted(phpStringArray(rootFile(b, h, wpConfig(t.site.domain)), "hacompile_lb_addresses", cat)), trusted, `${cat}: LB addresses`);
    }
  }
}

// ------------------------------------------- WordPress, HyperDB, grants ----

/** MariaDB's mysql_native_password hash: '*' and SHA1(SHA1(password)) in upper-case hex. */
export function nativePasswordHash(password: string): string {
  const inner = createHash("sha1").update(password).digest();
  return `*${createHash("sha1").update(inner).digest("hex").toUpperCase()}`;
}

function secretMatches(engine: string, stored: { secret: string; hashed: boolean }, password: string): boolean {
  return engine === "mariadb" ? stored.hashed && stored.secret === nativePasswordHash(password) : !stored.hashed && stored.secret === password;
}

export function checkWordPress(b: Build): void {
  const t = b.topology;
  const wpPools = Object.entries(t.pools).filter(([, p]) => p.app === "wordpress");
  for (const [h] of Object.entries(t.hosts)) {
    const inWp = wpPools.some(([, p]) => p.hosts.includes(h));
    assert.is(hasRootFile(b, h, wpConfig(t.site.domain)), inWp, `${h}: a WordPress config exactly on WordPress hosts`);
    assert.is(hasRootFile(b, h, DB_CONFIG), inWp, `${h}: a HyperDB config exactly on WordPress hosts`);
  }
  for (const [pool, def] of wpPools) {
    const dbName = must(def.database, "database of a WordPress pool", pool);
    const db = must(t.databases[dbName], `database ${dbName}`, pool);
    const user = db.user ?? db.name;
    const password = must(b.secrets.databases[dbName], `secrets of ${dbName}`, "secrets").app;
    const route = must(t.loadbalancer.routes.find((r) => r.pool === pool), `route to ${pool}`, "topology");
    const scheme = t.loadbalancer.tls ? "https" : "http";
    const home = `${scheme}://${t.site.domain}${route.path === "/" ? "" : route.path}`;
    const servers: string[] = [];
    for (const h of def.hosts) {
      const cat = where(h, wpConfig(t.site.domain));
      const d = phpDefines(rootFile(b, h, wpConfig(t.site.domain)), cat);
      for (const s of SALT_NAMES) assert.is(d.get(s), b.secrets.salts[s], `${cat}: ${s} is the topology's secret`);
      assert.is(d.get("DB_NAME"), db.name, `${cat}: DB_NAME`);
      assert.is(d.get("DB_USER"), user, `${cat}: DB_USER`);
      assert.is(d.get("DB_PASSWORD"), password, `${cat}: DB_PASSWORD`);
      assert.is(d.get("DB_HOST"), `${addressOf(t, db.primary)}:${db.port}`, `${cat}: DB_HOST is the primary`);
      assert.is(d.get("WP_HOME"), home, `${cat}: WP_HOME`);
      assert.is(d.get("WP_SITEURL"), home, `${cat}: WP_SITEURL`);
      assert.is(d.get("DB_CONFIG_FILE"), DB_CONFIG, `${cat}: DB_CONFIG_FILE`);

      const hat = where(h, DB_CONFIG);
      const hs = hyperdbServers(rootFile(b, h, DB_CONFIG), hat);
      assert.equal(
        hs.map((s) => `${s.host}:${s.port} w${s.write} r${s.read}`),
        [
          `${addressOf(t, db.primary)}:${db.port} w1 r1`,
          ...db.replicas.map((r) => `${addressOf(t, r)}:${db.port} w0 r1`),
        ],
        `${hat}: the primary writes and reads, each replica only reads`,
      );
      for (const s of hs) {
        assert.equal([s.user, s.password, s.name], [d.get("DB_USER"), d.get("DB_PASSWORD"), d.get("DB_NAME")], `${hat}: ${s.host} as in the site config`);
      }
      assert.is(new Set(hs.map((s) => s.dataset)).size, 1, `${hat}: one dataset`);
      servers.push(JSON.stringify(hs));
    }
    assert.is(new Set(servers).size, 1, `pool ${pool}: the same HyperDB servers on every host`);
  }
}

export function checkPrimaryGrants(b: Build): void {
  const t = b.topology;
  for (const [dbName, db] of Object.entries(t.databases)) {
    const primary = db.primary;
    const at = where(primary, PRIMARY_SQL);
    const sql = primarySql(rootFile(b, primary, PRIMARY_SQL), at);
    const secrets = must(b.secrets.databases[dbName], `secrets of ${dbName}`, "secrets");
    const user = db.user ?? db.name;
    assert.ok(sql.databases.includes(db.name), `${at}: creates ${db.name}`);
    const clients = unique(
      Object.values(t.pools)
        .filter((p) => p.database === dbName)
        .flatMap((p) => p.hosts.map((h) => addressOf(t, h))),
    );
    const app = sql.accounts.filter((a) => a.user === user);
    assert.equal(sorted(app.map((a) => a.host)), clients, `${at}: the app user exists only from the app hosts`);
    assert.equal(sorted(sql.kept.get(user) ?? []), clients, `${at}: stale app accounts are every other host`);
    for (const a of app) {
      assert.ok(secretMatches(db.engine, a, secrets.app), `${at}: ${user}@${a.host} has the app password`);
      assert.not.ok(a.local, `${at}: app accounts replicate`);
      assert.ok(
        sql.grants.some((g) => g.user === user && g.host === a.host && g.privileges === "ALL PRIVILEGES" && g.on === `\`${db.name}\`.*`),
        `${at}: ${user}@${a.host} has every privilege on ${db.name}`,
      );
    }
    // Every member may replicate from another after a promotion (issue 14, item 18).
    const members = sorted([primary, ...db.replicas].map((h) => addressOf(t, h)));
    const repl = sql.accounts.filter((a) => a.user !== user);
    assert.equal(sorted(repl.map((a) => a.host)), members, `${at}: a replication account from each member's address, nothing else`);
    for (const a of repl) {
      assert.not.ok(a.local, `${at}: ${a.user}@${a.host} replicates, so that a promoted replica has it`);
      assert.ok(secretMatches(db.engine, a, secrets.replication), `${at}: ${a.user}@${a.host} has the replication password`);
      const grants = sql.grants.filter((g) => g.user === a.user && g.host === a.host);
      assert.equal(grants.map((g) => `${g.privileges} ON ${g.on}`), ["REPLICATION SLAVE ON *.*"], `${at}: ${a.user}@${a.host} only replicates`);
    }
    // Each replica logs in as the account the primary made for its address.
    for (const r of db.replicas) {
      const rat = where(r, REPLICA_SQL);
      const rs = replicaSql(rootFile(b, r, REPLICA_SQL), rat);
      const p = rs.statement === "CHANGE MASTER TO" ? "MASTER" : "SOURCE";
      const account = repl.find((a) => a.host === addressOf(t, r));
      assert.is(rs.options.get(`${p}_USER`), account?.user, `${rat}: ${p}_USER is the primary's account for ${r}`);
      assert.is(rs.options.get(`${p}_PASSWORD`), secrets.replication, `${rat}: ${p}_PASSWORD`);
      assert.ok(account && secretMatches(db.engine, account, must(rs.options.get(`${p}_PASSWORD`), "password", rat)), `${rat}: password as granted`);
      const cat = where(r, PRIMARY_CLIENT_CNF);
      const client = parseIni(rootFile(b, r, PRIMARY_CLIENT_CNF), cat);
      assert.equal(
        ["host", "port", "user", "password"].map((k) => iniValue(client, "client", k)),
        [addressOf(t, primary), String(db.port), account?.user, secrets.replication],
        `${cat}: the wait-for-primary login`,
      );
    }
  }
}

// ------------------------------------------------------------ databases ----

/** The one 60-hacompile.cnf of a database host, and its server section. */
function dbOptions(b: Build, host: string, engine: string): { path: string; get: (k: string) => string | undefined } {
  const paths = rootFilesUnder(b, host, "/etc/mysql/").filter((p) => p.endsWith("/60-hacompile.cnf"));
  assert.equal(paths, [engine === "mariadb" ? "/etc/mysql/mariadb.conf.d/60-hacompile.cnf" : "/etc/mysql/mysql.conf.d/60-hacompile.cnf"], `${host}: one option file`);
  const path = paths[0]!;
  const ini = parseIni(rootFile(b, host, path), where(host, path));
  const section = engine === "mariadb" ? "mariadbd" : "mysqld";
  assert.ok(ini.has(section), `${host}:${path}: [${section}]`);
  return { path, get: (k) => iniValue(ini, section, k) };
}

export function checkDatabases(b: Build): void {
  const t = b.topology;
  const ids = new Map<string, string>();
  const dbHosts = new Set<string>();
  for (const [dbName, db] of Object.entries(t.databases)) {
    const graphDb = must(b.graph.databases.find((d) => d.name === dbName), `database ${dbName} in the graph`, "graph");
    for (const [host, replica] of [[db.primary, false], ...db.replicas.map((r): [string, boolean] => [r, true])] as [string, boolean][]) {
      dbHosts.add(host);
      const o = dbOptions(b, host, db.engine);
      const at = where(host, o.path);
      const id = must(o.get("server_id"), "server_id", at);
      assert.not.ok(ids.has(id), `${at}: server_id ${id} also on ${ids.get(id)}`);
      ids.set(id, host);
      const member = [graphDb.primary, ...graphDb.replicas].find((m) => m.host === host);
      assert.is(Number(id), member?.serverId, `${at}: server_id as in the graph`);
      assert.is(o.get("bind_address"), addressOf(t, host), `${at}: bind_address`);
      assert.is(o.get("port"), String(db.port), `${at}: port`);
      assert.ok(o.get("log_bin"), `${at}: log_bin`);
      assert.is(o.get("read_only"), replica ? "ON" : undefined, `${at}: read_only only on replicas`);
      if (db.engine === "mysql") {
        assert.equal([o.get("gtid_mode"), o.get("enforce_gtid_consistency")], ["ON", "ON"], `${at}: GTIDs`);
        assert.is(o.get("super_read_only"), replica ? "ON" : undefined, `${at}: super_read_only only on replicas`);
      } else {
        assert.is(o.get("gtid_strict_mode"), "ON", `${at}: gtid_strict_mode`);
        assert.is(o.get("gtid_mode"), undefined, `${at}: no MySQL gtid_mode`);
      }
      assert.is(hasRootFile(b, host, REPLICA_SQL), replica, `${host}: replica.sql only on replicas`);
      assert.is(hasRootFile(b, host, PRIMARY_SQL), !replica, `${host}: primary.sql only on the primary`);
      if (replica) {
        const rat = where(host, REPLICA_SQL);
        const rs = replicaSql(rootFile(b, host, REPLICA_SQL), rat);
        if (db.engine === "mariadb") {
          assert.is(rs.statement, "CHANGE MASTER TO", rat);
          assert.is(rs.options.get("MASTER_USE_GTID"), "slave_pos", `${rat}: MASTER_USE_GTID`);
          assert.ok(rs.after.includes("START SLAVE;"), `${rat}: START SLAVE`);
        } else {
          assert.is(rs.statement, "CHANGE REPLICATION SOURCE TO", rat);
          assert.is(rs.options.get("SOURCE_AUTO_POSITION"), "1", `${rat}: SOURCE_AUTO_POSITION`);
          assert.ok(rs.after.includes("START REPLICA;"), `${rat}: START REPLICA`);
        }
        const p = db.engine === "mariadb" ? "MASTER" : "SOURCE";
        assert.is(rs.options.get(`${p}_HOST`), addressOf(t, db.primary), `${rat}: ${p}_HOST is the primary`);
        assert.is(rs.options.get(`${p}_PORT`), dbOptions(b, db.primary, db.engine).get("port"), `${rat}: ${p}_PORT is the primary's port`);
      }
    }
  }
  for (const h of Object.keys(t.hosts)) {
    if (dbHosts.has(h)) continue;
    assert.equal(rootFilesUnder(b, h, "/etc/mysql/"), [], `${h} holds no database`);
    assert.not.ok(hasRootFile(b, h, PRIMARY_SQL) || hasRootFile(b, h, REPLICA_SQL), `${h}: no database bootstrap`);
  }
}

// -------------------------------------------------------------- Gluster ----

interface MountUnit {
  readonly host: string;
  readonly server: string;
  readonly volume: string;
  readonly where: string;
  readonly backups: readonly string[];
}

/** Every GlusterFS .mount unit of a host. */
export function glusterMounts(b: Build, host: string): MountUnit[] {
  const out: MountUnit[] = [];
  for (const path of rootFilesUnder(b, host, "/etc/systemd/system/").filter((p) => p.endsWith(".mount"))) {
    const at = where(host, path);
    const ini = parseIni(rootFile(b, host, path), at);
    if (iniValue(ini, "Mount", "Type") !== "glusterfs") continue;
    const what = must(/^([\d.]+):\/([\w-]+)$/.exec(must(iniValue(ini, "Mount", "What"), "What=", at)), "What=address:/volume", at);
    const mountPoint = must(iniValue(ini, "Mount", "Where"), "Where=", at);
    assert.is(path, `/etc/systemd/system/${systemdEscapePath(mountPoint)}.mount`, `${at}: unit name matches Where=`);
    const options = must(iniValue(ini, "Mount", "Options"), "Options=", at).split(",");
    assert.ok(options.includes("_netdev"), `${at}: _netdev`);
    const backups = options.find((o) => o.startsWith("backup-volfile-servers="));
    out.push({
      host,
      server: what[1]!,
      volume: what[2]!,
      where: mountPoint,
      backups: backups ? backups.slice("backup-volfile-servers=".length).split(":") : [],
    });
  }
  return out;
}

export function checkGluster(b: Build): void {
  const t = b.topology;
  const servers = new Set(Object.values(t.volumes).flatMap((v) => v.bricks));
  const ports = new Set<string>();
  for (const [name, v] of Object.entries(t.volumes)) {
    const order = unique(v.bricks);
    const first = v.bricks[0]!;
    for (const s of order) assert.is(hasRootFile(b, s, GLUSTER_BOOTSTRAP), s === first, `${s}: the bootstrap runs on the first brick server only`);
    const at = where(first, GLUSTER_BOOTSTRAP);
    const boot = glusterBootstrap(rootFile(b, first, GLUSTER_BOOTSTRAP), at);
    const vol = must(boot.volumes.find((x) => x.name === name), `ensure_volume ${name}`, at);
    const brickPath = v.brick_path ?? `/srv/gluster/${name}/brick`;
    assert.equal(vol.bricks, v.bricks.map((h) => `${addressOf(t, h)}:${brickPath}`), `${at}: bricks in the topology's order`);
    assert.equal([vol.replica, vol.arbiter], [v.replica, v.arbiter], `${at}: replica and arbiter`);
    const serverAddrs = unique(v.bricks.map((h) => addressOf(t, h)));
    assert.equal(sorted(boot.peers), serverAddrs.filter((a) => a !== addressOf(t, first)), `${at}: PEERS are the other brick servers`);

    const clients = Object.values(t.pools)
      .filter((p) => p.volume === name)
      .flatMap((p) => p.hosts);
    for (const c of clients) {
      const mounts = glusterMounts(b, c).filter((m) => m.volume === name);
      assert.is(mounts.length, 1, `${c}: one mount of ${name}`);
      const m = mounts[0]!;
      assert.is(m.where, v.mount, `${c}: mounts ${name} at the topology's path`);
      assert.is(m.server, addressOf(t, first), `${c}: What= is the first brick server`);
      assert.equal(sorted([m.server, ...m.backups]), serverAddrs, `${c}: What= and backup-volfile-servers= name every brick server once`);
      // Ordered after the mount, never bound to it: a volume not served yet at
      // boot must not fail php-fpm for good (issue 14 item 3); nginx keeps the
      // host out of its pool instead, by the marker on the volume.
      const dropIns = rootFilesUnder(b, c, "/etc/systemd/system/").filter((p) => /\/php[\d.]+-fpm\.service\.d\//.test(p));
      const entries = (key: string): string[] => dropIns.flatMap((p) => [...rootFile(b, c, p).matchAll(new RegExp(`^${key}=(.+)$`, "gm"))].flatMap((x) => x[1]!.split(" ")));
      assert.ok(entries("After").includes(systemdEscapePath(v.mount) + ".mount"), `${c}: php-fpm starts after the mount of ${v.mount}`);
      assert.equal([...entries("RequiresMountsFor"), ...entries("Requires"), ...entries("BindsTo"), ...entries("Requisite")], [], `${c}: php-fpm does not require the mount`);
      const web = rootFilesUnder(b, c, "/etc/nginx/hacompile/").map((p) => rootFile(b, c, p)).join("\n");
      const helper = rootFile(b, c, GLUSTER_MOUNT_SCRIPT);
      const marker = must(/^readonly MARKER=(\S+)$/m.exec(helper)?.[1], "readonly MARKER=", where(c, GLUSTER_MOUNT_SCRIPT));
      assert.ok(web.includes(`if (!-f ${v.mount}/${marker}) {`), `${c}: nginx serves only while ${v.mount}/${marker}, which the mount helper keeps, is there`);
      // The volume's owner is the user php-fpm runs the pool as (issue 14 item 2).
      const fpmUsers = rootFilesUnder(b, c, "/etc/php/8.2/fpm/pool.d/").flatMap((p) => [...rootFile(b, c, p).matchAll(/^user = (\S+)$/gm)].map((x) => x[1]!));
      assert.equal(fpmUsers.length, 1, `${c}: one php-fpm pool`);
      assert.is(vol.owner, fpmUsers[0], `${at}: volume ${name} is given to php-fpm's user on ${c}`);
    }
    for (const s of order) {
      const gat = where(s, GLUSTERD_VOL);
      const o = glusterdOptions(rootFile(b, s, GLUSTERD_VOL), gat);
      ports.add(`${o.get("transport.socket.listen-port")} ${o.get("base-port")}-${o.get("max-port")}`);
    }
  }
  assert.ok(ports.size <= 1, `every brick server pins the same ports: ${[...ports].join(" | ")}`);
  for (const h of Object.keys(t.hosts)) {
    if (!servers.has(h)) assert.not.ok(hasRootFile(b, h, GLUSTERD_VOL), `${h} is no brick server`);
    const mounted = glusterMounts(b, h).map((m) => m.volume);
    const wanted = Object.values(t.pools)
      .filter((p) => p.hosts.includes(h) && p.volume !== undefined)
      .map((p) => p.volume!);
    assert.equal(sorted(mounted), sorted(wanted), `${h}: mounts exactly its pool's volumes`);
  }
}

// ------------------------------------------------------------- firewall ----

/**
 * What each host's firewall must accept, derived from the other files: the
 * LB upstreams name who reaches the web ports, HyperDB configs and replica
 * SQL who reaches the databases, mount units and brick lists who reaches the
 * brick servers, keepalived peers who sends VRRP. Not from the graph's links,
 * which the firewall renderer itself reads.
 */
export function expectedInbound(b: Build): Map<string, Set<string>> {
  const t = b.topology;
  const byAddress = new Map(Object.entries(t.hosts).map(([n, h]) => [h.address, n]));
  const out = new Map(Object.keys(t.hosts).map((h) => [h, new Set<string>([`${t.network.admin} -> tcp/22`])]));
  const allow = (toAddress: string, from: string, service: string): void => {
    const host = must(byAddress.get(toAddress), `host with address ${toAddress}`, "topology");
    out.get(host)!.add(`${from} -> ${service}`);
  };
  for (const lb of t.loadbalancer.hosts) {
    const me = addressOf(t, lb);
    // Open to anyone only on the address nginx serves the site on (the VIP or
    // anchor IP it listens on); anywhere when it listens on every address.
    const haproxy = b.graph.loadBalancer.engine === "haproxy" ? rootFile(b, lb, HAPROXY_CONF) : undefined;
    for (const l of haproxy !== undefined ? haproxyPublicBinds(haproxy) : publicServer(b, lb).listen) {
      const [addr, port] = l.includes(":") ? l.split(":") : [undefined, l];
      out.get(lb)!.add(`any -> tcp/${port}${addr === undefined ? "" : ` to ${addr}`}`);
    }
    if (hasRootFile(b, lb, KEEPALIVED_CONF)) {
      for (const peer of vrrpInstance(rootFile(b, lb, KEEPALIVED_CONF), lb).peers) allow(peer, me, "ip/112");
    }
    const members = haproxy !== undefined ? haproxyServers(haproxy) : [...nginxUpstreams(parseNginx(rootFile(b, lb, LB_CONF), lb), lb).values()].flat();
    for (const m of members) allow(m.address, me, `tcp/${m.port}`);
  }
  const glusterPorts = (server: string): string[] => {
    const at = where(server, GLUSTERD_VOL);
    const o = glusterdOptions(rootFile(b, server, GLUSTERD_VOL), at);
    const listen = Number(must(o.get("transport.socket.listen-port"), "listen-port", at));
    const ports: number[] = [listen, listen + 1]; // 24008: glusterd's RDMA/management port, opened beside 24007
    const last = Number(must(o.get("max-port"), "max-port", at));
    for (let p = Number(must(o.get("base-port"), "base-port", at)); p <= last; p++) ports.push(p);
    return ports.map((p) => `tcp/${p}`);
  };
  const volumeServers = new Map<string, string[]>();
  for (const h of Object.keys(t.hosts)) {
    const me = addressOf(t, h);
    if (hasRootFile(b, h, DB_CONFIG)) {
      for (const s of hyperdbServers(rootFile(b, h, DB_CONFIG), h)) allow(s.host, me, `tcp/${s.port}`);
      const dbHost = hostPort(must(phpDefines(rootFile(b, h, wpConfig(t.site.domain)), h).get("DB_HOST"), "DB_HOST", h), h);
      allow(dbHost.address, me, `tcp/${dbHost.port}`);
    }
    if (hasRootFile(b, h, REPLICA_SQL)) {
      const rs = replicaSql(rootFile(b, h, REPLICA_SQL), h);
      const p = rs.statement === "CHANGE MASTER TO" ? "MASTER" : "SOURCE";
      allow(must(rs.options.get(`${p}_HOST`), "host", h), me, `tcp/${rs.options.get(`${p}_PORT`)}`);
    }
    if (hasRootFile(b, h, GLUSTER_BOOTSTRAP)) {
      for (const v of glusterBootstrap(rootFile(b, h, GLUSTER_BOOTSTRAP), h).volumes) {
        volumeServers.set(v.name, unique(v.bricks.map((x) => x.split(":")[0]!)));
      }
    }
  }
  for (const servers of volumeServers.values()) {
    for (const to of servers) {
      const host = byAddress.get(to)!;
      for (const from of servers) if (from !== to) for (const p of glusterPorts(host)) allow(to, from, p);
    }
  }
  for (const h of Object.keys(t.hosts)) {
    for (const m of glusterMounts(b, h)) {
      for (const to of must(volumeServers.get(m.volume), `bootstrap of volume ${m.volume}`, h)) {
        for (const p of glusterPorts(byAddress.get(to)!)) allow(to, addressOf(t, h), p);
      }
    }
  }
  return out;
}

export function checkFirewalls(b: Build): void {
  const expected = expectedInbound(b);
  for (const [host, want] of expected) {
    const at = where(host, FIREWALL);
    const input = nftInput(rootFile(b, host, FIREWALL), at);
    assert.is(input.policy, "drop", `${at}: inbound policy`);
    assert.equal(sorted(nftAccepted(input)), sorted(want), `${at}: accepts exactly what the other files need`);
  }
}
