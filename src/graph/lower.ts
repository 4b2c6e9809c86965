// Lowering: a valid topology becomes the resolved, target-neutral graph.
// Every value a renderer needs is derived here, once. Iteration follows
// sorted names or the user's own order, never object insertion accidents.
import type { Topology } from "../../schema/topology.js";
import { broadcastOf, netmaskOf, networkOf, parseCidr, toDotted, toInt } from "./ipv4.js";
import {
  GRAPH_VERSION,
  type Brick,
  type Database,
  type DbRole,
  type Failover,
  type Graph,
  type Host,
  type HostFacts,
  type LbEngine,
  type Link,
  type Pool,
  type Ports,
  type Role,
  type Route,
  type Volume,
  type Vrrp,
  type WebRole,
} from "./model.js";

export const DEFAULT_PORTS = {
  http: 80,
  https: 443,
  lbHealth: 8081,
  glusterd: [24007, 24008],
  glusterBrickBase: 49152,
} as const;

const byName = <T extends { name: string }>(a: T, b: T): number => cmp(a.name, b.name);

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** FNV-1a, so the derived router id is stable across Node versions and machines. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function lowerVrrp(t: Topology): Vrrp {
  const f = t.loadbalancer.failover;
  if (f.mode === "none") throw new Error("lowerVrrp: no failover");
  const n = t.loadbalancer.hosts.length;
  return {
    // Derived from the name so that two topologies on one segment rarely collide;
    // `hacompile check` reports collisions when several topologies are given.
    routerId: f.router_id ?? (fnv1a(t.name) % 255) + 1,
    version: f.version,
    advertInterval: f.advert_interval,
    peers: f.mode === "vrrp" ? f.peers : "unicast",
    preempt: f.preempt,
    preemptDelay: f.preempt ? f.preempt_delay : 0,
    // A failed nginx check puts the instance into FAULT (weight 0) rather than
    // lowering its priority. A weight drop would keep the sick LB MASTER until
    // the backup's preempt_delay ran out (measured: 6.6 s with the default 5 s
    // delay, against 2.0 s for FAULT), and under nopreempt it would never move
    // the VIP at all.
    trackWeight: 0,
  };
}

/** 100 for the last host, +10 for each step up the preference order. */
export function defaultPriorities(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 100 + 10 * (n - 1 - i));
}

function priorityOf(t: Topology, rank: number): number {
  const f = t.loadbalancer.failover;
  const n = t.loadbalancer.hosts.length;
  if (f.mode !== "none" && f.priorities) return f.priorities[rank] ?? 100;
  return defaultPriorities(n)[rank] ?? 100;
}

function lowerFailover(t: Topology): Failover | undefined {
  const f = t.loadbalancer.failover;
  if (f.mode === "vrrp") return { mode: "vrrp", vrrp: lowerVrrp(t) };
  if (f.mode === "digitalocean") {
    // In host order, so graph.json is stable whatever order the topology lists them in.
    const anchors = Object.fromEntries(t.loadbalancer.hosts.map((h) => [h, f.anchor_ips[h]!]));
    return { mode: "digitalocean", vrrp: lowerVrrp(t), tokenFile: f.token_file, anchors };
  }
  return undefined;
}

/**
 * The interface that carries the hosts' addresses when the topology does not
 * say: eth0 on most machines, but a DigitalOcean droplet has its public
 * address on eth0 and its VPC address (the one the topology names) on eth1,
 * as DigitalOcean's own keepalived guide uses.
 */
export function defaultInterface(t: Topology): string {
  return t.loadbalancer.failover.mode === "digitalocean" ? "eth1" : "eth0";
}

/** Longest prefix first, '/' last: the order a reader expects and the order nginx decides by. */
function sortRoutes(routes: readonly Route[]): Route[] {
  return [...routes].sort((a, b) => b.path.length - a.path.length || cmp(a.path, b.path));
}

/** Offset of the address inside the subnet: unique per host, stable, readable (10.10.0.31/24 -> 31). */
function hostOffset(t: Topology, address: string): number {
  return toInt(address) - networkOf(parseCidr(t.network.subnet));
}

function lowerPools(t: Topology, routes: readonly Route[]): Pool[] {
  return Object.entries(t.pools)
    .map(([name, p]): Pool => {
      const port = p.app === "http" ? p.port : DEFAULT_PORTS.http;
      return {
        name,
        app: p.app,
        port,
        members: p.hosts.map((h) => ({ host: h, address: t.hosts[h]!.address, port })),
        paths: routes.filter((r) => r.pool === name).map((r) => r.path),
        ...(p.database !== undefined ? { database: p.database } : {}),
        ...(p.volume !== undefined ? { volume: p.volume } : {}),
      };
    })
    .sort(byName);
}

function lowerDatabases(t: Topology, pools: readonly Pool[]): Database[] {
  return Object.entries(t.databases)
    .map(([name, d]): Database => {
      const member = (h: string): Database["primary"] => {
        const address = t.hosts[h]!.address;
        return { host: h, address, serverId: hostOffset(t, address) };
      };
      const clientPools = pools.filter((p) => p.database === name);
      const clientAddresses = uniqSorted(clientPools.flatMap((p) => p.members.map((m) => m.address)), addrCmp);
      return {
        name,
        engine: d.engine,
        schema: d.name,
        user: d.user ?? d.name,
        replicationUser: "repl",
        port: d.port,
        primary: member(d.primary),
        replicas: d.replicas.map(member),
        clientPools: clientPools.map((p) => p.name),
        clientAddresses,
      };
    })
    .sort(byName);
}

function lowerVolumes(t: Topology, pools: readonly Pool[]): Volume[] {
  return Object.entries(t.volumes)
    .map(([name, v]): Volume => {
      const path = v.brick_path ?? `/srv/gluster/${name}/brick`;
      const bricks: Brick[] = v.bricks.map((h, i) => ({
        host: h,
        address: t.hosts[h]!.address,
        path,
        arbiter: v.arbiter === 1 && i % v.replica === v.replica - 1,
      }));
      const clients = uniqSorted(pools.filter((p) => p.volume === name).flatMap((p) => p.members.map((m) => m.host)), cmp);
      return { name, replica: v.replica, arbiter: v.arbiter, bricks, mount: v.mount, clients, servers: uniq(v.bricks) };
    })
    .sort(byName);
}

function lowerHosts(
  t: Topology,
  pools: readonly Pool[],
  dbs: readonly Database[],
  vols: readonly Volume[],
  failover: Failover | undefined,
  vip: string,
): Host[] {
  const roles = new Map<string, Role[]>(Object.keys(t.hosts).map((h) => [h, []]));
  const add = (h: string, r: Role): void => void roles.get(h)?.push(r);
  t.loadbalancer.hosts.forEach((h, rank) => add(h, { kind: "load-balancer", rank, priority: priorityOf(t, rank) }));
  for (const p of pools) for (const m of p.members) add(m.host, { kind: "web", pool: p.name });
  for (const d of dbs) {
    add(d.primary.host, { kind: "db-primary", database: d.name, serverId: d.primary.serverId });
    for (const r of d.replicas) add(r.host, { kind: "db-replica", database: d.name, serverId: r.serverId });
  }
  for (const v of vols) {
    for (const s of v.servers) add(s, { kind: "gluster-server", volume: v.name, brickPath: v.bricks[0]!.path });
    for (const c of v.clients) add(c, { kind: "gluster-client", volume: v.name, mount: v.mount });
  }
  const kindOrder: Role["kind"][] = ["load-balancer", "web", "db-primary", "db-replica", "gluster-server", "gluster-client"];
  const roleKey = (r: Role): string =>
    `${kindOrder.indexOf(r.kind)}:${"pool" in r ? r.pool : "database" in r ? r.database : "volume" in r ? r.volume : ""}`;
  return Object.entries(t.hosts)
    .map(([name, h]): Host => {
      const own = [...(roles.get(name) ?? [])].sort((a, b) => cmp(roleKey(a), roleKey(b)));
      return { name, address: h.address, roles: own, facts: hostFacts(name, own, failover, vip, t.loadbalancer.engine) };
    })
    .sort(byName);
}

/**
 * HostFacts from a host's roles. Validation has already made a web host
 * serve one pool and a database host serve one database, so the first role
 * of each kind is the only one.
 */
function hostFacts(name: string, roles: readonly Role[], failover: Failover | undefined, vip: string, engine: LbEngine): HostFacts {
  const lb = roles.some((r) => r.kind === "load-balancer");
  const web = roles.find((r): r is WebRole => r.kind === "web");
  const db = roles.find((r): r is DbRole => r.kind === "db-primary" || r.kind === "db-replica");
  const lbListen = lb ? lbListenAddress(name, failover, vip) : undefined;
  return {
    runsNginx: (lb && engine === "nginx") || web !== undefined,
    ...(web ? { webPool: web.pool } : {}),
    ...(db ? { database: { name: db.database, role: db.kind === "db-primary" ? "primary" : "replica" } } : {}),
    ...(lbListen !== undefined ? { lbListen } : {}),
  };
}

/**
 * Where a load balancer serves. With vrrp, the VIP (bound before keepalived
 * moves it here, hence ip_nonlocal_bind). With digitalocean, the host's
 * anchor IP: a reserved IP's traffic arrives there, and listening on
 * everything would also answer on the droplet's own public address, which
 * would bypass the reserved IP. A single LB without failover serves on its
 * own addresses.
 */
function lbListenAddress(host: string, failover: Failover | undefined, vip: string): string | undefined {
  if (failover?.mode === "vrrp") return vip;
  if (failover?.mode === "digitalocean") {
    const anchor = failover.anchors[host];
    if (anchor === undefined) throw new Error(`graph invariant: no anchor IP for ${host}`);
    return anchor;
  }
  return undefined;
}

function brickPortRange(vols: readonly Volume[]): readonly [number, number] {
  const perHost = new Map<string, number>();
  for (const v of vols) for (const b of v.bricks) perHost.set(b.host, (perHost.get(b.host) ?? 0) + 1);
  const most = Math.max(0, ...perHost.values());
  // Each brick process takes one port; twice that leaves room for a brick that
  // restarts while its old port is still in TIME_WAIT. Minimum 4.
  const size = Math.max(4, 2 * most);
  return [DEFAULT_PORTS.glusterBrickBase, DEFAULT_PORTS.glusterBrickBase + size - 1];
}

function lowerLinks(t: Topology, pools: readonly Pool[], dbs: readonly Database[], vols: readonly Volume[], ports: Ports): Link[] {
  const links: Link[] = [];
  const tcp = (kind: Link["kind"], from: string, to: string, ...ranges: (readonly [number, number])[]): void =>
    void links.push({ kind, from, to, protocol: "tcp", ports: ranges });
  const lbs = t.loadbalancer.hosts;
  tcp("http", "client", "vip", [ports.http, ports.http]);
  if (t.loadbalancer.tls) tcp("https", "client", "vip", [ports.https, ports.https]);
  if (t.loadbalancer.failover.mode !== "none")
    for (const a of lbs) for (const b of lbs) if (a !== b) links.push({ kind: "vrrp", from: a, to: b, protocol: "vrrp", ports: [] });
  const routed = new Set(t.loadbalancer.routes.map((r) => r.pool));
  for (const p of pools.filter((x) => routed.has(x.name)))
    for (const lb of lbs) for (const m of p.members) tcp("upstream", lb, m.host, [m.port, m.port]);
  for (const d of dbs) {
    for (const p of pools.filter((x) => x.database === d.name))
      for (const m of p.members) {
        tcp("mysql-rw", m.host, d.primary.host, [d.port, d.port]);
        for (const r of d.replicas) tcp("mysql-ro", m.host, r.host, [d.port, d.port]);
      }
    for (const r of d.replicas) tcp("mysql-replication", r.host, d.primary.host, [d.port, d.port]);
  }
  for (const v of vols) {
    for (const a of v.servers) for (const b of v.servers) if (a !== b) tcp("gluster-peer", a, b, ports.glusterd, ports.glusterBricks);
    // A client that is also a brick server reaches itself over loopback: no link.
    for (const c of v.clients) for (const s of v.servers) if (c !== s) tcp("gluster-client", c, s, ports.glusterd, ports.glusterBricks);
  }
  for (const h of Object.keys(t.hosts)) tcp("ssh", "admin", h, [22, 22]);
  const key = (l: Link): string => `${l.kind}\u0000${l.from}\u0000${l.to}`;
  const seen = new Set<string>();
  return links
    .filter((l) => (seen.has(key(l)) ? false : (seen.add(key(l)), true)))
    .sort((a, b) => cmp(a.kind, b.kind) || cmp(a.from, b.from) || cmp(a.to, b.to));
}

export function lower(t: Topology): Graph {
  const net = parseCidr(t.network.subnet);
  const routes = sortRoutes(t.loadbalancer.routes);
  const pools = lowerPools(t, routes);
  const databases = lowerDatabases(t, pools);
  const volumes = lowerVolumes(t, pools);
  const ports: Ports = {
    http: DEFAULT_PORTS.http,
    https: DEFAULT_PORTS.https,
    lbHealth: DEFAULT_PORTS.lbHealth,
    glusterd: DEFAULT_PORTS.glusterd,
    glusterBricks: brickPortRange(volumes),
  };
  const failover = lowerFailover(t);
  const firstLb = t.loadbalancer.hosts[0]!;
  const vip = t.loadbalancer.vip ?? t.hosts[firstLb]!.address;
  const tls = t.loadbalancer.tls;
  return {
    version: GRAPH_VERSION,
    name: t.name,
    site: {
      domain: t.site.domain,
      title: t.site.title,
      adminEmail: t.site.admin_email,
      scheme: tls ? "https" : "http",
      uploadMaxMb: t.site.upload_max_mb,
    },
    network: {
      subnet: `${toDotted(networkOf(net))}/${net.prefix}`,
      networkAddress: toDotted(networkOf(net)),
      prefixLength: net.prefix,
      netmask: netmaskOf(net),
      broadcast: toDotted(broadcastOf(net)),
      interface: t.network.interface ?? defaultInterface(t),
      interfaceStated: t.network.interface !== undefined,
      admin: t.network.admin,
    },
    ports,
    hosts: lowerHosts(t, pools, databases, volumes, failover, vip),
    loadBalancer: {
      engine: t.loadbalancer.engine,
      hosts: t.loadbalancer.hosts,
      vip,
      ...(failover ? { failover } : {}),
      ...(tls ? { tls: { certificate: tls.certificate, key: tls.key, redirect: tls.redirect } } : {}),
      routes,
      defaultPool: routes.find((r) => r.path === "/")!.pool,
    },
    pools,
    databases,
    volumes,
    ...(t.backup ? { backup: { path: t.backup.path } } : {}),
    links: lowerLinks(t, pools, databases, volumes, ports),
  };
}

function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function uniqSorted<T>(xs: readonly T[], c: (a: T, b: T) => number): T[] {
  return uniq(xs).sort(c);
}

function addrCmp(a: string, b: string): number {
  return toInt(a) - toInt(b);
}
