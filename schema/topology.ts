// The topology language. This zod schema is the single source of truth:
// TypeScript types are inferred from it and schema/topology.schema.json is
// generated from it (`npm run schema`; a test fails when the file is stale).
//
// Every string that reaches a generated file is typed as narrowly as possible
// here, because names and paths flow into nginx, shell, SQL, PHP, unit files
// and file paths. The renderers still quote everything; this is the first wall.
import { z } from "zod";

/** Diagnostic code for each format message, so every bad name has a stable code. */
export const formatCodes = new Map<string, string>();

/** A string format with its own diagnostic code. */
function format(re: RegExp, code: string, message: string): z.ZodString {
  formatCodes.set(message, code);
  return z.string().regex(re, { message });
}

/** A DNS label (RFC 1123), lower case: host, pool, database and volume names. */
export const DnsLabel = format(
  /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
  "invalid-dns-label",
  "must be a DNS label: lower-case letters, digits and '-', 1-63 characters, not starting or ending with '-'",
).meta({ description: "A DNS label: lower-case letters, digits and '-', at most 63 characters." });

/** A fully qualified domain name, lower case, at least two labels. */
export const DomainName = format(
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
  "invalid-domain",
  "must be a lower-case domain name such as example.org",
);

const ipv4Octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const ipv4Re = `${ipv4Octet}(\\.${ipv4Octet}){3}`;

export const IPv4 = format(
  new RegExp(`^${ipv4Re}$`),
  "invalid-address",
  "must be an IPv4 address such as 10.0.0.1",
).meta({ description: "An IPv4 address in dotted decimal." });

export const CIDR = format(
  new RegExp(`^${ipv4Re}/(3[0-2]|[12]?[0-9])$`),
  "invalid-cidr",
  "must be an IPv4 network in CIDR notation such as 10.0.0.0/24",
).meta({ description: "An IPv4 network in CIDR notation." });

/**
 * An absolute, normalised POSIX path of safe characters: no '..', no '//', no
 * trailing '/'. A segment may start with '.' (/root/.config) but may not be
 * '.' or '..' alone.
 */
export const AbsPath = format(
  /^(?=.{1,255}$)(\/(?!\.\.?(?:\/|$))[A-Za-z0-9._@+-]+)+$/,
  "invalid-path",
  "must be an absolute normalised path of letters, digits and '._-@+' (no '..', '//' or trailing '/')",
).meta({ description: "An absolute normalised POSIX path." });

/** A URL path prefix: '/' or '/seg/seg' with unreserved characters and no trailing '/'. */
const routeNotAbsolute = "must start with '/'";
formatCodes.set(routeNotAbsolute, "route-not-absolute");
const routeInvalid = "must be '/' or a path prefix such as /blog: segments of letters, digits and '._~-', no trailing '/'";
formatCodes.set(routeInvalid, "invalid-route-path");
export const RoutePath = z
  .string()
  .startsWith("/", { message: routeNotAbsolute, abort: true })
  .regex(/^\/$|^(?=.{1,200}$)(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/, { message: routeInvalid })
  .meta({ description: "A URL path prefix such as /blog; '/' is the default route." });

/** An SQL identifier that never needs quoting in MariaDB or MySQL. */
export const SqlIdent = format(
  /^[a-z_][a-z0-9_]{0,31}$/,
  "invalid-sql-name",
  "must be an SQL name: lower-case letters, digits and '_', at most 32 characters",
);

export const Port = z.number().int().min(1).max(65535);

/** At most this many hosts: fleets of thousands are in scope (npm run bench builds 10,902), and runs must stay bounded (YAML duplicate-key checks grow with the square of a mapping). */
export const MAX_HOSTS = 16_384;
/** At most this many pools, databases, volumes and routes each. */
export const MAX_ENTRIES = 100;

/** A mapping of names with at most `max` entries (zod records have no size check of their own). */
function atMost<T extends z.ZodType>(record: T, max: number, description: string): T {
  const message = `must have at most ${max} entries`;
  formatCodes.set(message, "out-of-range");
  return record
    .refine((r) => r !== null && typeof r === "object" && Object.keys(r).length <= max, { message })
    .meta({ maxProperties: max, description });
}

/**
 * One line of human text (a site title): printable, not blank, at most 100
 * characters; no control or format characters (NUL, newlines, bidi
 * overrides, zero-width joiners), no lone surrogates.
 */
export const Title = format(
  /^(?=.*\S)[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]{1,100}$/u,
  "invalid-text",
  "must be one line of printable text, at most 100 characters",
);

export const Email = format(
  /^(?=.{1,254}$)[A-Za-z0-9._+-]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
  "invalid-email",
  "must be an e-mail address such as admin@example.org",
);

export const Site = z
  .strictObject({
    domain: DomainName.meta({ description: "Public domain: nginx server_name, WP_HOME and TLS names come from it." }),
    title: Title.default("WordPress").meta({ description: "Site title used by the WordPress install." }),
    admin_email: Email.meta({ description: "The WordPress administrator's e-mail address." }),
    upload_max_mb: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(64)
      .meta({ description: "Largest request body in MiB, applied end to end: LB, web nginx and PHP." }),
  })
  .meta({ description: "The public site." });

export const Network = z
  .strictObject({
    subnet: CIDR.meta({ description: "The private network every host sits on." }),
    // Never starting with '-': it would read as an option wherever it is an argument.
    interface: format(
      /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/,
      "invalid-interface",
      "must be a network interface name: letters, digits and '_.-', at most 15 characters, not starting with '-' or '.'",
    )
      .optional()
      .meta({
        description:
          "The interface that carries the hosts' addresses (VRRP runs on it). Default eth0; eth1 with failover digitalocean, where a droplet's VPC address is on eth1.",
      }),
    admin: CIDR.meta({ description: "Network allowed to reach SSH on every host." }),
  })
  .meta({ description: "The hosts' shared private network." });

export const Host = z
  .strictObject({ address: IPv4.meta({ description: "The host's address on network.subnet." }) })
  .meta({ description: "One machine; its roles come from the sections that name it." });

/**
 * The keepalived election both failover modes run. router_id and priorities
 * are range-checked by the semantic checks (codes vrrp-router-id-range,
 * vrrp-priority-range); the bounds are repeated as JSON Schema metadata so
 * that editors flag them too.
 */
const election = {
  version: z
    .union([z.literal(2), z.literal(3)])
    .default(3)
    .meta({ description: "VRRP protocol version; 3 allows advert intervals below a second." }),
  advert_interval: z
    .number()
    .min(0.01)
    .max(255)
    .default(0.1)
    .meta({ description: "Seconds between adverts; fractions need VRRP version 3. A dead master is noticed after about three intervals." }),
  preempt: z.boolean().default(true).meta({ description: "false gives nopreempt: the VIP stays where it is after a recovery." }),
  preempt_delay: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(5)
    .meta({ description: "Seconds a recovered, preferred load balancer waits before taking the VIP back." }),
  router_id: z
    .number()
    .int()
    .optional()
    .meta({ description: "virtual_router_id, 1-255; derived from the topology name when absent.", minimum: 1, maximum: 255 }),
  priorities: z
    .array(z.number().int().meta({ minimum: 1, maximum: 254 }))
    .optional()
    .meta({ description: "Explicit priorities in host order, 1-254; derived from order when absent." }),
};

export const VrrpFailover = z
  .strictObject({
    mode: z.literal("vrrp").meta({ description: "How the entrance moves between load balancers: vrrp, digitalocean or none." }),
    peers: z
      .enum(["unicast", "multicast"])
      .default("unicast")
      .meta({ description: "How keepalived reaches its peers: unicast to each LB's address (works on clouds), or multicast." }),
    ...election,
  })
  .meta({ description: "keepalived VRRP moves the VIP." });

export const DigitalOceanFailover = z
  .strictObject({
    mode: z.literal("digitalocean").meta({ description: "How the entrance moves between load balancers: vrrp, digitalocean or none." }),
    token_file: AbsPath.default("/etc/hacompile/do-token").meta({
      description: "Root-only file on each LB holding the API token; the token never appears in the topology.",
    }),
    anchor_ips: z.record(DnsLabel, IPv4).meta({
      description:
        "Each load balancer's anchor IP (the droplet's metadata: interfaces/public/0/anchor_ipv4/address). The reserved IP's traffic arrives there: nginx listens on it alone and the firewall opens the site on it alone, never on the droplet's own public address.",
    }),
    ...election,
  })
  .meta({ description: "keepalived elects a master; its notify script moves a DigitalOcean reserved IP through the API." });

export const NoFailover = z
  .strictObject({ mode: z.literal("none").meta({ description: "How the entrance moves between load balancers: vrrp, digitalocean or none." }) })
  .meta({ description: "A single load balancer without failover: a single point of failure, for trying things out." });

export const Failover = z
  .discriminatedUnion("mode", [VrrpFailover, DigitalOceanFailover, NoFailover])
  .meta({ description: "How the entrance survives a load balancer's failure; 'mode' picks the kind. Default: vrrp with unicast peers." });

export const Tls = z.strictObject({
  certificate: AbsPath.meta({ description: "Certificate chain (PEM) on each load balancer; you put it there (certbot, your CA)." }),
  key: AbsPath.meta({ description: "Its private key (PEM) on each load balancer, readable by root only." }),
  redirect: z.boolean().default(true).meta({ description: "Redirect HTTP to HTTPS (the ACME challenge path stays on HTTP)." }),
});

export const Route = z
  .strictObject({ path: RoutePath, pool: DnsLabel.meta({ description: "The pool that serves this path prefix." }) })
  .meta({ description: "One path prefix and the pool behind it." });

export const LoadBalancer = z
  .strictObject({
  hosts: z.array(DnsLabel).min(1).meta({ description: "Order is preference: the first is the usual active." }),
  vip: IPv4.optional().meta({
    description: "The floating IP (vrrp) or the provider's reserved IP (digitalocean); with failover none, the LB's own address.",
  }),
  failover: Failover.default({
    mode: "vrrp",
    peers: "unicast",
    version: 3,
    advert_interval: 0.1,
    preempt: true,
    preempt_delay: 5,
  }),
  tls: Tls.optional().meta({ description: "HTTPS on the load balancers (ports 80 and 443); without it the site is served on port 80 only." }),
  engine: z.enum(["nginx", "haproxy"]).default("nginx").meta({
    description: "The proxy on the load balancers: nginx, or HAProxy (Debian's 2.6; experimental: without TLS, on hosts that are no web hosts, not yet proven in the lab).",
  }),
  routes: z.array(Route).min(1).max(MAX_ENTRIES).meta({ description: "Path prefix -> pool. The longest prefix wins; '/' is the default route." }),
  })
  .meta({ description: "The load balancers: the site's entrance." });

export const Pool = z
  .strictObject({
  hosts: z.array(DnsLabel).meta({ description: "The web hosts that serve this pool; the load balancers spread requests over them." }),
  app: z
    .enum(["wordpress", "static", "http"])
    .meta({ description: "wordpress: nginx and php-fpm with WordPress; static: nginx serving files; http: your own server on 'port', proxied." }),
  port: Port.default(80).meta({ description: "Port the pool's hosts serve on (the upstream port for app: http)." }),
  database: DnsLabel.optional().meta({ description: "The database (under 'databases') WordPress uses; required for app: wordpress." }),
  volume: DnsLabel.optional().meta({ description: "The volume (under 'volumes') mounted as WordPress's uploads folder on every host of the pool." }),
  })
  .meta({ description: "A group of web hosts serving one application." });

export const Database = z
  .strictObject({
  engine: z.enum(["mariadb", "mysql"]).default("mariadb").meta({ description: "The server: MariaDB, or MySQL 8.4 from Oracle's packages." }),
  primary: DnsLabel.meta({ description: "The host that takes the writes." }),
  replicas: z
    .array(DnsLabel)
    .default([])
    .meta({ description: "Hosts that replicate from the primary (GTID); WordPress reads from them through HyperDB." }),
  name: SqlIdent.meta({ description: "The application database." }),
  user: SqlIdent.optional().meta({ description: "The application user; defaults to the database name." }),
  port: Port.default(3306).meta({ description: "The port the database servers listen on." }),
  })
  .meta({ description: "A MySQL-family database with a primary and its replicas." });

export const Volume = z
  .strictObject({
  type: z.literal("glusterfs").meta({ description: "The file system; glusterfs is the one there is." }),
  replica: z.number().int().min(1).max(16).meta({ description: "Copies of each file (bricks per replica set); 3 with an arbiter avoids split brain." }),
  arbiter: z
    .union([z.literal(0), z.literal(1)])
    .default(0)
    .meta({ description: "1: the last brick of each set holds metadata only and breaks ties (needs replica: 3)." }),
  bricks: z.array(DnsLabel).min(1).meta({ description: "The hosts that store the volume, one brick each; a multiple of 'replica'." }),
  brick_path: AbsPath.optional().meta({ description: "Defaults to /srv/gluster/<volume>/brick." }),
  mount: AbsPath.meta({ description: "Where clients mount the volume." }),
  })
  .meta({ description: "A GlusterFS volume shared by the hosts of the pools that use it." });

export const Backup = z
  .strictObject({
    path: AbsPath.meta({
      description:
        "A folder on storage that is not the hosts' own disk (an NFS export, a second disk), which you mount there on every host that takes backups: the first replica (or the primary) of each database and the first client of each volume. A backup refuses to run when the path is not a mount point. Backups land in <path>/<topology name>/db/<database>/ and <path>/<topology name>/volumes/<volume>/.",
    }),
  })
  .meta({ description: "Where the nightly database and uploads backups go; without it they stay on the host that takes them." });

export const Topology = z
  .strictObject({
    name: DnsLabel.meta({ description: "The topology's name: compose project, file names, derived VRRP router id." }),
    site: Site,
    network: Network,
    hosts: atMost(z.record(DnsLabel, Host), MAX_HOSTS, "Every machine, by name (a DNS label); the other sections refer to these names."),
    loadbalancer: LoadBalancer,
    pools: atMost(z.record(DnsLabel, Pool), MAX_ENTRIES, "Web pools, by name; routes send requests to them."),
    databases: atMost(z.record(DnsLabel, Database), MAX_ENTRIES, "Databases, by name; a WordPress pool names one.").default({}),
    volumes: atMost(z.record(DnsLabel, Volume), MAX_ENTRIES, "Shared volumes, by name; a WordPress pool names one for its uploads.").default({}),
    backup: Backup.optional(),
  })
  .meta({ title: "hacompile topology", description: "A whole high-availability web stack." });

export type Topology = z.output<typeof Topology>;
export type TopologyInput = z.input<typeof Topology>;
