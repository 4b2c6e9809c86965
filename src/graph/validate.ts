// Semantic checks on a schema-valid topology: references, addresses, and the
// rules a schema cannot say. Each rule is a small function that returns its
// diagnostics; all of them run, so the user sees every problem at once.
import type { Topology } from "../../schema/topology.js";
import { error, warning, type Diagnostic } from "../diagnostics.js";
import { didYouMean } from "../suggest.js";
import { broadcastOf, contains, hasHostBits, networkOf, parseCidr, toInt } from "./ipv4.js";

type Rule = (t: Topology) => Diagnostic[];

const entries = <V>(r: Record<string, V>): [string, V][] => Object.entries(r);
/** Own keys only: `in` would find Object.prototype's, and 'constructor' is a valid DNS label. */
const defines = (r: Record<string, unknown>, name: string): boolean => Object.hasOwn(r, name);

const references: Rule = (t) => {
  const out: Diagnostic[] = [];
  const host = (name: string, path: (string | number)[]): void => {
    if (defines(t.hosts, name)) return;
    const hint = didYouMean(name, Object.keys(t.hosts));
    out.push(error("unknown-host", path, `unknown host '${name}'${hint || "; hosts are defined under 'hosts'"}`));
  };
  t.loadbalancer.hosts.forEach((h, i) => host(h, ["loadbalancer", "hosts", i]));
  t.loadbalancer.routes.forEach((r, i) => {
    if (!defines(t.pools, r.pool)) out.push(error("unknown-pool", ["loadbalancer", "routes", i, "pool"], `unknown pool '${r.pool}'${didYouMean(r.pool, Object.keys(t.pools))}`));
  });
  for (const [name, p] of entries(t.pools)) {
    p.hosts.forEach((h, i) => host(h, ["pools", name, "hosts", i]));
    if (p.database !== undefined && !defines(t.databases, p.database))
      out.push(error("unknown-database", ["pools", name, "database"], `unknown database '${p.database}'${didYouMean(p.database, Object.keys(t.databases))}`));
    if (p.volume !== undefined && !defines(t.volumes, p.volume))
      out.push(error("unknown-volume", ["pools", name, "volume"], `unknown volume '${p.volume}'${didYouMean(p.volume, Object.keys(t.volumes))}`));
  }
  for (const [name, d] of entries(t.databases)) {
    host(d.primary, ["databases", name, "primary"]);
    d.replicas.forEach((h, i) => host(h, ["databases", name, "replicas", i]));
  }
  for (const [name, v] of entries(t.volumes)) v.bricks.forEach((h, i) => host(h, ["volumes", name, "bricks", i]));
  return out;
};

const addresses: Rule = (t) => {
  const out: Diagnostic[] = [];
  const net = parseCidr(t.network.subnet);
  if (hasHostBits(net)) out.push(error("cidr-host-bits", ["network", "subnet"], `network.subnet ${t.network.subnet} has host bits set`));
  if (hasHostBits(parseCidr(t.network.admin)))
    out.push(error("cidr-host-bits", ["network", "admin"], `network.admin ${t.network.admin} has host bits set`));
  const reserved = new Set([networkOf(net), broadcastOf(net)]);
  const seen = new Map<string, string>();
  for (const [name, h] of entries(t.hosts)) {
    const path = ["hosts", name, "address"];
    const first = seen.get(h.address);
    if (first !== undefined) out.push(error("duplicate-address", path, `address ${h.address} of '${name}' is already used by '${first}'`));
    else seen.set(h.address, name);
    if (!contains(net, h.address))
      out.push(error("address-outside-subnet", path, `address ${h.address} of '${name}' is outside network.subnet ${t.network.subnet}`));
    else if (reserved.has(toInt(h.address)))
      out.push(error("address-reserved", path, `address ${h.address} of '${name}' is the network or broadcast address of ${t.network.subnet}`));
  }
  const vip = t.loadbalancer.vip;
  const mode = t.loadbalancer.failover.mode;
  if (vip !== undefined && mode === "vrrp") {
    const path = ["loadbalancer", "vip"];
    if (!contains(net, vip)) out.push(error("vip-outside-subnet", path, `loadbalancer.vip ${vip} is outside network.subnet ${t.network.subnet}`));
    else if (reserved.has(toInt(vip)))
      out.push(error("vip-reserved", path, `loadbalancer.vip ${vip} is the network or broadcast address of ${t.network.subnet}`));
    const owner = seen.get(vip);
    if (owner !== undefined) out.push(error("vip-is-host-address", path, `loadbalancer.vip ${vip} is the address of host '${owner}'`));
  }
  if (vip === undefined && mode !== "none")
    out.push(error("missing-key", ["loadbalancer"], `loadbalancer: missing required key 'vip' (needed by failover mode ${mode})`));
  if (vip !== undefined && mode === "none")
    out.push(error("vip-without-failover", ["loadbalancer", "vip"], "loadbalancer.vip needs a failover mode: with failover none the LB's own address is the entrance"));
  return out;
};

const loadBalancer: Rule = (t) => {
  const out: Diagnostic[] = [];
  const lb = t.loadbalancer;
  const f = lb.failover;
  const dup = firstDuplicate(lb.hosts);
  if (dup !== undefined) out.push(error("duplicate-host", ["loadbalancer", "hosts", dup], `host '${lb.hosts[dup]}' is listed twice`));
  // Outside vrrp mode the LB's nginx listens on every address of its host,
  // so a web server on the same host cannot have port 80 (or 443).
  if (f.mode !== "vrrp") {
    const lbPorts = lb.tls ? [80, 443] : [80];
    for (const [name, p] of entries(t.pools))
      p.hosts.forEach((h, i) => {
        const port = p.app === "http" ? p.port : 80;
        if (lb.hosts.includes(h) && lbPorts.includes(port))
          out.push(error("lb-web-port-clash", ["pools", name, "hosts", i], `host '${h}' is a load balancer listening on all addresses (failover ${f.mode}); pool '${name}' cannot serve port ${port} there`));
      });
  }
  if (f.mode === "digitalocean") out.push(...anchorIps(t, f.anchor_ips));
  if (f.mode === "none") {
    if (lb.hosts.length > 1)
      out.push(error("lb-hosts-without-failover", ["loadbalancer", "hosts"], "several load balancer hosts need a failover mode (vrrp or digitalocean) to share one entrance"));
    return out;
  }
  if (lb.hosts.length < 2)
    out.push(error("too-few-lb-hosts", ["loadbalancer", "hosts"], `failover mode ${f.mode} needs at least two load balancer hosts`));
  if (f.router_id !== undefined && (f.router_id < 1 || f.router_id > 255))
    out.push(error("vrrp-router-id-range", ["loadbalancer", "failover", "router_id"], `loadbalancer.failover.router_id must be 1-255, not ${f.router_id}`));
  if (f.priorities !== undefined) {
    if (f.priorities.length !== lb.hosts.length)
      out.push(
        error("vrrp-priority-count", ["loadbalancer", "failover", "priorities"], `loadbalancer.failover.priorities has ${f.priorities.length} values for ${lb.hosts.length} hosts`),
      );
    f.priorities.forEach((p, i) => {
      if (p < 1 || p > 254)
        out.push(error("vrrp-priority-range", ["loadbalancer", "failover", "priorities", i], `priority ${p} must be 1-254 (255 is reserved for the address owner)`));
    });
    const d = firstDuplicate(f.priorities);
    if (d !== undefined)
      out.push(error("vrrp-priority-duplicate", ["loadbalancer", "failover", "priorities", d], `priority ${f.priorities[d]} is given twice: the election would be decided by address`));
  }
  if (f.version === 2 && !Number.isInteger(f.advert_interval))
    out.push(
      error("fractional-advert-v2", ["loadbalancer", "failover", "advert_interval"], `advert_interval ${f.advert_interval} needs VRRP version 3; version 2 counts whole seconds`),
    );
  return out;
};

const routes: Rule = (t) => {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  t.loadbalancer.routes.forEach((r, i) => {
    if (seen.has(r.path)) out.push(error("duplicate-route", ["loadbalancer", "routes", i, "path"], `route path '${r.path}' is given twice`));
    seen.add(r.path);
  });
  if (!seen.has("/")) out.push(error("missing-default-route", ["loadbalancer", "routes"], "loadbalancer.routes needs a default route with path '/'"));
  for (const [name, p] of entries(t.pools)) {
    const n = t.loadbalancer.routes.filter((r) => r.pool === name).length;
    // WordPress knows one home URL (WP_HOME); a second prefix would redirect to the first.
    if (p.app === "wordpress" && n > 1)
      out.push(error("wordpress-one-route", ["pools", name], `pool '${name}' runs WordPress and can be the target of one route only, not ${n}`));
  }
  const routed = new Set(t.loadbalancer.routes.map((r) => r.pool));
  for (const name of Object.keys(t.pools))
    if (!routed.has(name)) out.push(warning("unused-pool", ["pools", name], `pool '${name}' is not the target of any route`));
  return out;
};

const pools: Rule = (t) => {
  const out: Diagnostic[] = [];
  const member = new Map<string, string>();
  for (const [name, p] of entries(t.pools)) {
    p.hosts.forEach((h, i) => {
      const other = member.get(h);
      // One pool per web host: one default server on the port, one site config.
      if (other !== undefined && other !== name)
        out.push(error("host-in-two-pools", ["pools", name, "hosts", i], `host '${h}' already serves pool '${other}'; a web host serves one pool`));
      member.set(h, name);
    });
    if (p.hosts.length === 0) out.push(error("empty-pool", ["pools", name, "hosts"], `pool '${name}' has no hosts`));
    const d = firstDuplicate(p.hosts);
    if (d !== undefined) out.push(error("duplicate-host", ["pools", name, "hosts", d], `host '${p.hosts[d]}' is listed twice`));
    if (p.app === "wordpress" && p.database === undefined)
      out.push(error("wordpress-needs-database", ["pools", name], `pool '${name}' runs WordPress and needs a 'database'`));
    if (p.app === "wordpress" && p.port !== 80)
      out.push(error("wordpress-port", ["pools", name, "port"], `pool '${name}' runs WordPress behind nginx on port 80; 'port' applies to app: http`));
  }
  return out;
};

const databases: Rule = (t) => {
  const out: Diagnostic[] = [];
  const owner = new Map<string, string>();
  for (const [name, d] of entries(t.databases)) {
    const user = d.user ?? d.name;
    // Accounts the server or hacompile already owns: taking one over would
    // change the server's own access (root, mysql, debian-sys-maint) or the
    // replication account's grants.
    if (RESERVED_SQL_USERS.has(user))
      out.push(error("reserved-sql-user", ["databases", name, d.user !== undefined ? "user" : "name"], `database user '${user}' is reserved; name the application user with 'user'`));
    const members: [string, (string | number)[]][] = [
      [d.primary, ["databases", name, "primary"]],
      ...d.replicas.map((r, i): [string, (string | number)[]] => [r, ["databases", name, "replicas", i]]),
    ];
    d.replicas.forEach((r, i) => {
      if (r === d.primary) out.push(error("replica-is-primary", ["databases", name, "replicas", i], `replica '${r}' is also the primary of '${name}'`));
    });
    const dup = firstDuplicate(d.replicas);
    if (dup !== undefined) out.push(error("duplicate-replica", ["databases", name, "replicas", dup], `replica '${d.replicas[dup]}' is listed twice`));
    for (const [h, path] of members) {
      const o = owner.get(h);
      // One mysqld per host: a host serving two clusters would need two server ids.
      if (o !== undefined && o !== name)
        out.push(error("host-in-two-databases", path, `host '${h}' already serves database '${o}'; a host runs one database server`));
      owner.set(h, name);
    }
  }
  return out;
};

const volumes: Rule = (t) => {
  const out: Diagnostic[] = [];
  for (const [name, v] of entries(t.volumes)) {
    if (v.bricks.length % v.replica !== 0)
      out.push(error("brick-count", ["volumes", name, "bricks"], `volume '${name}' has ${v.bricks.length} bricks, not a multiple of replica ${v.replica}`));
    const dup = firstDuplicate(v.bricks);
    // One brick path per volume and host: a second brick on the same host would be the same folder.
    if (dup !== undefined)
      out.push(error("duplicate-brick", ["volumes", name, "bricks", dup], `host '${v.bricks[dup]}' holds a brick of '${name}' already`));
    if (v.arbiter === 1 && v.replica !== 3)
      out.push(error("arbiter-needs-replica-3", ["volumes", name, "arbiter"], `an arbiter needs 'replica: 3' (two data bricks and the arbiter)`));
  }
  return out;
};

const RESERVED_SQL_USERS = new Set(["root", "mysql", "mariadb_sys", "debian_sys_maint", "repl", "mysql_sys", "mysql_session", "mysql_infoschema"]);

/** Exactly one anchor IP per load balancer, each its own. */
function anchorIps(t: Topology, anchors: Readonly<Record<string, string>>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const path = ["loadbalancer", "failover", "anchor_ips"];
  for (const h of t.loadbalancer.hosts)
    if (!defines(anchors, h)) out.push(error("missing-anchor-ip", path, `loadbalancer.failover.anchor_ips has no anchor IP for load balancer '${h}'`));
  const seen = new Map<string, string>();
  for (const [h, ip] of entries(anchors)) {
    if (!t.loadbalancer.hosts.includes(h)) out.push(error("unknown-host", [...path, h], `'${h}' is not a load balancer host${didYouMean(h, t.loadbalancer.hosts)}`));
    const other = seen.get(ip);
    if (other !== undefined) out.push(error("duplicate-anchor-ip", [...path, h], `anchor IP ${ip} is given for '${other}' already`));
    seen.set(ip, h);
  }
  return out;
}

const rules: readonly Rule[] = [references, addresses, loadBalancer, haproxyLimits, routes, pools, databases, volumes];

export function validateTopology(t: Topology): Diagnostic[] {
  return rules.flatMap((r) => r(t));
}

function firstDuplicate<T>(xs: readonly T[]): number | undefined {
  const seen = new Set<T>();
  for (let i = 0; i < xs.length; i++) {
    if (seen.has(xs[i]!)) return i;
    seen.add(xs[i]!);
  }
  return undefined;
}

/**
 * What the HAProxy engine does not do yet (render/haproxy/): TLS termination
 * (HAProxy wants the certificate and key in one PEM, which the topology
 * names apart), and a load balancer that is also a web host (HAProxy would
 * bind port 80 beside that host's nginx; with the nginx engine one nginx
 * serves both).
 */
function haproxyLimits(t: Topology): Diagnostic[] {
  const lb = t.loadbalancer;
  if (lb.engine !== "haproxy") return [];
  const out: Diagnostic[] = [];
  if (lb.tls !== undefined)
    out.push(error("haproxy-no-tls-yet", ["loadbalancer", "tls"], "loadbalancer.engine haproxy does not terminate TLS yet; use engine nginx for TLS"));
  for (const [name, p] of entries(t.pools))
    p.hosts.forEach((h, i) => {
      if (lb.hosts.includes(h))
        out.push(error("haproxy-lb-web-host", ["pools", name, "hosts", i], `host '${h}' is a load balancer running HAProxy; with loadbalancer.engine haproxy it cannot also serve pool '${name}' yet`));
    });
  return out;
}
