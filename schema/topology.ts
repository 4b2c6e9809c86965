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
function atMost<T extends z.ZodType>(record: T, max: number): T {
  const message = `must have at most ${max} entries`;
  formatCodes.set(message, "out-of-range");
  return record
    .refine((r) => r !== null && typeof r === "object" && Object.keys(r).length <= max, { message })
    .meta({ maxProperties: max });
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
    admin_email: Email,
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

export const Host = z.strictObject({ address: IPv4 });

export const VrrpFailover = z
  .strictObject({
    mode: z.literal("vrrp"),
    peers: z.enum(["unicast", "multicast"]).default("unicast"),
    version: z.union([z.literal(2), z.literal(3)]).default(3),
    advert_interval: z
      .number()
      .min(0.01)
      .max(255)
      .default(0.1)
      .meta({ description: "Seconds between adverts; fractions need VRRP version 3." }),
    preempt: z.boolean().default(true).meta({ description: "false gives nopreempt: the VIP stays where it is after a recovery." }),
    preempt_delay: z.number().int().min(0).max(1000).default(5),
    router_id: z
      .number()
      .int()
      .optional()
      .meta({ description: "virtual_router_id, 1-255; derived from the topology name when absent." }),
    priorities: z
      .array(z.number().int())
      .optional()
      .meta({ description: "Explicit priorities in host order, 1-254; derived from order when absent." }),
  })
  .meta({ description: "keepalived VRRP moves the VIP." });

export const DigitalOceanFailover = z
  .strictObject({
    mode: z.literal("digitalocean"),
    token_file: AbsPath.default("/etc/hacompile/do-token").meta({
      description: "Root-only file on each LB holding the API token; the token never appears in the topology.",
    }),
    anchor_ips: z.record(DnsLabel, IPv4).meta({
      description:
        "Each load balancer's anchor IP (the droplet's metadata: interfaces/public/0/anchor_ipv4/address). The reserved IP's traffic arrives there: nginx listens on it alone and the firewall opens the site on it alone, never on the droplet's own public address.",
    }),
    version: z.union([z.literal(2), z.literal(3)]).default(3),
    advert_interval: z.number().min(0.01).max(255).default(0.1),
    preempt: z.boolean().default(true),
    preempt_delay: z.number().int().min(0).max(1000).default(5),
    router_id: z.number().int().optional(),
    priorities: z.array(z.number().int()).optional(),
  })
  .meta({ description: "keepalived elects a master; its notify script moves a DigitalOcean reserved IP through the API." });

export const NoFailover = z
  .strictObject({ mode: z.literal("none") })
  .meta({ description: "A single load balancer without failover: a single point of failure, for trying things out." });

export const Failover = z.discriminatedUnion("mode", [VrrpFailover, DigitalOceanFailover, NoFailover]);

export const Tls = z.strictObject({
  certificate: AbsPath,
  key: AbsPath,
  redirect: z.boolean().default(true).meta({ description: "Redirect HTTP to HTTPS (the ACME challenge path stays on HTTP)." }),
});

export const Route = z.strictObject({ path: RoutePath, pool: DnsLabel });

export const LoadBalancer = z.strictObject({
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
  tls: Tls.optional(),
  engine: z.enum(["nginx", "haproxy"]).default("nginx").meta({
    description: "The proxy on the load balancers: nginx, or HAProxy (Debian's 2.6; without TLS, and on hosts that are no web hosts, for now).",
  }),
  routes: z.array(Route).min(1).max(MAX_ENTRIES).meta({ description: "Path prefix -> pool. The longest prefix wins; '/' is the default route." }),
});

export const Pool = z.strictObject({
  hosts: z.array(DnsLabel),
  app: z.enum(["wordpress", "static", "http"]),
  port: Port.default(80).meta({ description: "Port the pool's hosts serve on (the upstream port for app: http)." }),
  database: DnsLabel.optional(),
  volume: DnsLabel.optional(),
});

export const Database = z.strictObject({
  engine: z.enum(["mariadb", "mysql"]).default("mariadb"),
  primary: DnsLabel,
  replicas: z.array(DnsLabel).default([]),
  name: SqlIdent.meta({ description: "The application database." }),
  user: SqlIdent.optional().meta({ description: "The application user; defaults to the database name." }),
  port: Port.default(3306),
});

export const Volume = z.strictObject({
  type: z.literal("glusterfs"),
  replica: z.number().int().min(1).max(16),
  arbiter: z.union([z.literal(0), z.literal(1)]).default(0),
  bricks: z.array(DnsLabel).min(1),
  brick_path: AbsPath.optional().meta({ description: "Defaults to /srv/gluster/<volume>/brick." }),
  mount: AbsPath.meta({ description: "Where clients mount the volume." }),
});

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
    hosts: atMost(z.record(DnsLabel, Host), MAX_HOSTS),
    loadbalancer: LoadBalancer,
    pools: atMost(z.record(DnsLabel, Pool), MAX_ENTRIES),
    databases: atMost(z.record(DnsLabel, Database), MAX_ENTRIES).default({}),
    volumes: atMost(z.record(DnsLabel, Volume), MAX_ENTRIES).default({}),
    backup: Backup.optional(),
  })
  .meta({ title: "hacompile topology", description: "A whole high-availability web stack." });

export type Topology = z.output<typeof Topology>;
export type TopologyInput = z.input<typeof Topology>;
