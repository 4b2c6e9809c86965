// The intermediate graph: fully resolved and target-neutral. Every derived
// value (priorities, server ids, router id, upstream members, brick lists,
// ports) is decided here, once, so renderers only format. Nothing here knows
// about compose, systemd or file paths on a build machine, and nothing here
// is a secret: secrets are passed to renderers separately.

export const GRAPH_VERSION = 1;

export type RoleKind =
  | "load-balancer"
  | "web"
  | "db-primary"
  | "db-replica"
  | "gluster-server"
  | "gluster-client";

export interface LoadBalancerRole {
  readonly kind: "load-balancer";
  /** keepalived priority: distinct, highest for the first host. */
  readonly priority: number;
  /** Position in the preference order, 0 = usual active. */
  readonly rank: number;
}

export interface WebRole {
  readonly kind: "web";
  readonly pool: string;
}

export interface DbRole {
  readonly kind: "db-primary" | "db-replica";
  readonly database: string;
  /** Unique across every database host of the topology. */
  readonly serverId: number;
}

export interface GlusterServerRole {
  readonly kind: "gluster-server";
  readonly volume: string;
  readonly brickPath: string;
}

export interface GlusterClientRole {
  readonly kind: "gluster-client";
  readonly volume: string;
  readonly mount: string;
}

export type Role = LoadBalancerRole | WebRole | DbRole | GlusterServerRole | GlusterClientRole;

export interface Host {
  readonly name: string;
  readonly address: string;
  /** Sorted by kind, then by the name they refer to. */
  readonly roles: readonly Role[];
  /** What the roles mean for this host, decided once while lowering. */
  readonly facts: HostFacts;
}

/**
 * Facts several renderers need about one host, derived from its roles and
 * the rest of the graph. They are computed once by lower.ts so that no
 * renderer re-derives them or exports them to another renderer.
 */
export interface HostFacts {
  /** nginx runs here: every web host, and every load balancer when the engine is nginx. */
  readonly runsNginx: boolean;
  /** The pool this host is a web member of (a web host serves one pool). */
  readonly webPool?: string;
  /** The database this host is a member of (one per host) and its place in it. */
  readonly database?: HostDatabase;
  /**
   * The address a load balancer serves on: the VIP (vrrp failover) or the
   * host's anchor IP (digitalocean); absent when it serves on all of its own
   * addresses (one load balancer without failover) or is no load balancer.
   */
  readonly lbListen?: string;
}

export interface HostDatabase {
  readonly name: string;
  readonly role: "primary" | "replica";
}

export interface Site {
  readonly domain: string;
  readonly title: string;
  readonly adminEmail: string;
  /** https when TLS is configured on the load balancers. */
  readonly scheme: "http" | "https";
  /** Largest request body, MiB, the same at LB, web nginx and PHP. */
  readonly uploadMaxMb: number;
}

export interface Network {
  readonly subnet: string;
  readonly networkAddress: string;
  readonly prefixLength: number;
  readonly netmask: string;
  readonly broadcast: string;
  readonly interface: string;
  /** False when the topology left `interface` to its default (which `check` cannot confirm). */
  readonly interfaceStated: boolean;
  /** CIDR allowed to reach SSH. */
  readonly admin: string;
}

export interface Vrrp {
  readonly routerId: number;
  readonly version: 2 | 3;
  readonly advertInterval: number;
  readonly peers: "unicast" | "multicast";
  readonly preempt: boolean;
  /** Seconds; 0 when preempt is false (nopreempt). */
  readonly preemptDelay: number;
  /**
   * Priority change when the nginx check fails; 0 means the instance goes to
   * FAULT and gives the VIP up at once (see lower.ts for why that is the
   * default). `hacompile check` audits configs where it is not 0.
   */
  readonly trackWeight: number;
}

export type Failover =
  | { readonly mode: "vrrp"; readonly vrrp: Vrrp }
  | {
      readonly mode: "digitalocean";
      readonly vrrp: Vrrp;
      /** Root-only file on each LB host that holds the API token. */
      readonly tokenFile: string;
      /** Each LB's anchor IP by host name: where the reserved IP's traffic arrives. */
      readonly anchors: Readonly<Record<string, string>>;
    };

export interface Tls {
  readonly certificate: string;
  readonly key: string;
  readonly redirect: boolean;
}

export interface Route {
  /** '/' or a prefix without trailing '/'; matches itself and below it, never a longer sibling. */
  readonly path: string;
  readonly pool: string;
}

export type LbEngine = "nginx" | "haproxy";

export interface LoadBalancer {
  /** The proxy the load balancer hosts run: same routes, health checks and failover with either. */
  readonly engine: LbEngine;
  /** In preference order. */
  readonly hosts: readonly string[];
  /** The floating IP (vrrp) or the provider's reserved IP (digitalocean). */
  readonly vip: string;
  /** Absent for a single load balancer without failover. */
  readonly failover?: Failover;
  readonly tls?: Tls;
  /** Longest prefix first; '/' (the default route) last. */
  readonly routes: readonly Route[];
  /** The pool that serves '/'. */
  readonly defaultPool: string;
}

export interface UpstreamMember {
  readonly host: string;
  readonly address: string;
  readonly port: number;
}

export interface Pool {
  readonly name: string;
  readonly app: "wordpress" | "static" | "http";
  readonly port: number;
  readonly members: readonly UpstreamMember[];
  /** Route prefixes that lead to this pool, longest first. */
  readonly paths: readonly string[];
  readonly database?: string;
  readonly volume?: string;
}

export interface DbMember {
  readonly host: string;
  readonly address: string;
  readonly serverId: number;
}

export interface Database {
  readonly name: string;
  readonly engine: "mariadb" | "mysql";
  /** The SQL database name. */
  readonly schema: string;
  /** The application user. */
  readonly user: string;
  /** The least-privilege replication user. */
  readonly replicationUser: string;
  readonly port: number;
  readonly primary: DbMember;
  readonly replicas: readonly DbMember[];
  /** Pools whose hosts connect to this database. */
  readonly clientPools: readonly string[];
  /** Addresses of every host that connects as the app user. */
  readonly clientAddresses: readonly string[];
}

export interface Brick {
  readonly host: string;
  readonly address: string;
  readonly path: string;
  /** The last brick of each replica set when an arbiter is asked for. */
  readonly arbiter: boolean;
}

export interface Volume {
  readonly name: string;
  readonly replica: number;
  readonly arbiter: 0 | 1;
  /** In creation order: consecutive groups of `replica` form a replica set. */
  readonly bricks: readonly Brick[];
  readonly mount: string;
  /** Hosts that mount the volume (the hosts of pools that use it). */
  readonly clients: readonly string[];
  /** Brick servers, each once, in order: the first runs the bootstrap. */
  readonly servers: readonly string[];
}

export type LinkKind =
  | "http"
  | "https"
  | "upstream"
  | "vrrp"
  | "mysql-rw"
  | "mysql-ro"
  | "mysql-replication"
  | "gluster-peer"
  | "gluster-client"
  | "ssh";

export interface Link {
  readonly kind: LinkKind;
  /** A host name, or "client" (anyone on the internet) or "admin" (the admin network). */
  readonly from: string;
  /** A host name, or "vip". */
  readonly to: string;
  /** "tcp", "udp" or "vrrp" (IP protocol 112). */
  readonly protocol: "tcp" | "vrrp";
  /** Port ranges as [first, last]; empty for VRRP. */
  readonly ports: readonly (readonly [number, number])[];
}

export interface Ports {
  readonly http: number;
  readonly https: number;
  /** Health endpoint of each LB's nginx on 127.0.0.1, probed by keepalived. */
  readonly lbHealth: number;
  readonly glusterd: readonly [number, number];
  /** Pinned brick port range (glusterd.vol base-port..max-port). */
  readonly glusterBricks: readonly [number, number];
}

/** Where backups go when the topology names a destination off the hosts. */
export interface Backup {
  /** A mount point on every backup host. */
  readonly path: string;
}

export interface Graph {
  readonly version: typeof GRAPH_VERSION;
  readonly name: string;
  readonly site: Site;
  readonly network: Network;
  readonly ports: Ports;
  /** Sorted by name. */
  readonly hosts: readonly Host[];
  readonly loadBalancer: LoadBalancer;
  /** Sorted by name. */
  readonly pools: readonly Pool[];
  readonly databases: readonly Database[];
  readonly volumes: readonly Volume[];
  readonly backup?: Backup;
  /** Sorted by kind, from, to. */
  readonly links: readonly Link[];
}

/** Roles of one kind on a host, typed. */
export function rolesOf<K extends RoleKind>(host: Host, kind: K): Extract<Role, { kind: K }>[] {
  return host.roles.filter((r): r is Extract<Role, { kind: K }> => r.kind === kind);
}

export function hasRole(host: Host, kind: RoleKind): boolean {
  return host.roles.some((r) => r.kind === kind);
}

/**
 * Lookups by name, built once per graph on first use: renderers look things
 * up for every host, and a linear search there makes a build quadratic in
 * hosts. A graph is never changed after lowering, so the index stays valid.
 */
interface GraphIndex {
  readonly hosts: ReadonlyMap<string, Host>;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly databases: ReadonlyMap<string, Database>;
  /** Positions in graph.links by the link's `to`, ascending. */
  readonly linksTo: ReadonlyMap<string, readonly number[]>;
}

const indexes = new WeakMap<Graph, GraphIndex>();

function indexOf(graph: Graph): GraphIndex {
  let ix = indexes.get(graph);
  if (!ix) {
    const linksTo = new Map<string, number[]>();
    graph.links.forEach((l, i) => {
      const list = linksTo.get(l.to);
      if (list) list.push(i);
      else linksTo.set(l.to, [i]);
    });
    ix = {
      hosts: new Map(graph.hosts.map((h) => [h.name, h])),
      pools: new Map(graph.pools.map((p) => [p.name, p])),
      databases: new Map(graph.databases.map((d) => [d.name, d])),
      linksTo,
    };
    indexes.set(graph, ix);
  }
  return ix;
}

export function hostByName(graph: Graph, name: string): Host {
  const h = indexOf(graph).hosts.get(name);
  if (!h) throw new Error(`graph invariant: no host ${name}`);
  return h;
}

export function poolByName(graph: Graph, name: string): Pool {
  const p = indexOf(graph).pools.get(name);
  if (!p) throw new Error(`graph invariant: no pool ${name}`);
  return p;
}

export function databaseByName(graph: Graph, name: string): Database {
  const d = indexOf(graph).databases.get(name);
  if (!d) throw new Error(`graph invariant: no database ${name}`);
  return d;
}

/** The pool `host` serves as a web host, if any (HostFacts.webPool). */
export function webPoolOf(graph: Graph, host: Host): Pool | undefined {
  return host.facts.webPool === undefined ? undefined : poolByName(graph, host.facts.webPool);
}

/** The database a pool's hosts connect to; an invariant for WordPress pools, which validation requires to have one. */
export function databaseOfPool(graph: Graph, pool: Pool): Database {
  if (pool.database === undefined) throw new Error(`graph invariant: pool ${pool.name} has no database`);
  return databaseByName(graph, pool.database);
}

/** The links that end at any of `ends` (host names or "vip"), in the graph's order. */
export function linksTo(graph: Graph, ...ends: string[]): Link[] {
  const ix = indexOf(graph);
  const at = ends.flatMap((e) => ix.linksTo.get(e) ?? []);
  if (ends.length > 1) at.sort((a, b) => a - b);
  return at.map((i) => graph.links[i]!);
}
