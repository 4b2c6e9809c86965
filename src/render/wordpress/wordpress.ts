// WordPress from Debian's `wordpress` package: the per-site config that
// Debian's /usr/share/wordpress/wp-config.php loads, and the one cron timer
// per pool. Also the WordPress facts the web renderers share (paths, the
// pool a host serves, the route prefix, the addresses allowed to speak for
// the client), kept here so php-fpm, web-nginx and hyperdb import them from
// one place without an import cycle.
import { generatedByFor } from "../common/header.js";
import { databaseOfPool, hostByName, webPoolOf, type Database, type Graph, type Host, type Pool } from "../../graph/model.js";
import { SALT_NAMES } from "../../secrets.js";
import { templateRenderer } from "../common/ejs.js";
import { NGINX_HTTPD_PACKAGE } from "../nginx/nginx-main.js";
import { CRON_MAX_SECONDS } from "../common/timeouts.js";
import { execLine, php } from "../common/quote.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type Contribution, type HostFile, type RenderContext, type Renderer, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/wordpress");

/** Debian's WordPress code (ABSPATH). */
export const WP_CODE_DIR = "/usr/share/wordpress";
/** Debian's WP_CONTENT_DIR: themes, plugins, HyperDB's db.php; uploads/ is the shared volume. */
export const WP_CONTENT_DIR = "/var/lib/wordpress/wp-content";
/** HyperDB's config, named by DB_CONFIG_FILE in the site config. */
export const DB_CONFIG_PATH = "/etc/wordpress/db-config.php";
/** fastcgi param nginx fills with the TCP peer ($realip_remote_addr), before real_ip rewrote REMOTE_ADDR. */
export const PEER_ADDR_PARAM = "HACOMPILE_PEER_ADDR";

const CRON_SCHEDULE = "*:0/5";

/**
 * Debian's wordpress Depends on `apache2 | httpd` and `libapache2-mod-php |
 * php`. apt takes the first alternative unless another one is installed in
 * the same transaction, so without these it installs and enables apache2 and
 * mod_php, which race nginx for port 80 after a reboot. nginx Provides httpd;
 * the `php` metapackage depends on php8.2, which php8.2-fpm satisfies.
 */
const WORDPRESS_DEPENDENCY_CHOICES: readonly string[] = [NGINX_HTTPD_PACKAGE, "php"];
const CRON_UNIT = "hacompile-wp-cron";

/** Debian's wp-config.php requires /etc/wordpress/config-<Host header>.php. */
export function siteConfigPath(graph: Graph): string {
  return `/etc/wordpress/config-${graph.site.domain}.php`;
}

/**
 * The WordPress pool a host serves, if any. One per host (a web host serves
 * one pool, validate.ts), which Debian's layout needs too: it has
 * one /etc/wordpress/config-<domain>.php and one wp-content per host, so a
 * second WordPress pool on the same host cannot be configured apart.
 */
export function wordpressPoolOf(graph: Graph, host: Host): Pool | undefined {
  const pool = webPoolOf(graph, host);
  return pool?.app === "wordpress" ? pool : undefined;
}

/** The route prefix the LB passes on unstripped; '/' for a pool no route names. */
export function poolPrefix(pool: Pool): string {
  return pool.paths[0] ?? "/";
}

/** WP_HOME and WP_SITEURL: the public URL of the pool's prefix, no trailing '/'. */
export function siteUrl(graph: Graph, pool: Pool): string {
  const prefix = poolPrefix(pool);
  return `${graph.site.scheme}://${graph.site.domain}${prefix === "/" ? "" : prefix}`;
}

/** Addresses that may set X-Forwarded-*: every LB host and the VIP (which is an LB address without failover). */
export function lbTrustedAddresses(graph: Graph): string[] {
  const out: string[] = [];
  for (const name of graph.loadBalancer.hosts) out.push(hostByName(graph, name).address);
  out.push(graph.loadBalancer.vip);
  return [...new Set(out)];
}

/** The site config: database, salts, URLs, HTTPS detection, HyperDB's config path. */
function siteConfig(ctx: RenderContext, host: Host, pool: Pool): HostFile {
  const { graph, secrets } = ctx;
  const db = databaseOfPool(graph, pool);
  const dbSecrets = secrets.databases[db.name];
  if (!dbSecrets) throw new Error(`secrets invariant: no secrets for database ${db.name}`);
  const url = siteUrl(graph, pool);
  const content = renderTemplate("wordpress-config.php.ejs", {
    header: generatedByFor(graph, `WordPress pool ${pool.name} on ${host.name}`),
    constants: [
      ["DB_NAME", php(db.schema)],
      ["DB_USER", php(db.user)],
      ["DB_PASSWORD", php(dbSecrets.app)],
      ["DB_HOST", php(`${db.primary.address}:${db.port}`)],
      ["DB_CHARSET", php("utf8mb4")],
      ["DB_COLLATE", php("")],
    ],
    salts: SALT_NAMES.map((n) => [n, php(secrets.salts[n])]),
    urls: [
      ["WP_HOME", php(url)],
      ["WP_SITEURL", php(url)],
      ["WP_CONTENT_DIR", php(WP_CONTENT_DIR)],
      ["WP_CONTENT_URL", php(`${url}/wp-content`)],
    ],
    tablePrefix: php(tablePrefix(db, pool)),
    dbConfigFile: php(DB_CONFIG_PATH),
    lbAddresses: lbTrustedAddresses(graph).map(php),
    peerParam: php(PEER_ADDR_PARAM),
    peerName: PEER_ADDR_PARAM,
  });
  return file(siteConfigPath(graph), content, "php", "php-fpm", { mode: 0o640, group: "www-data", secret: true });
}

/**
 * WordPress's table prefix: 'wp_' when the pool has the database to itself;
 * when several pools share one database each gets its own tables, or they
 * would all be one site.
 */
export function tablePrefix(db: Database, pool: Pool): string {
  return db.clientPools.length > 1 ? `wp_${pool.name.replace(/-/g, "_")}_` : "wp_";
}

/**
 * DISABLE_WP_CRON stops every page view from spawning wp-cron over the LB;
 * instead one host per pool (the first member) requests wp-cron.php through
 * its own nginx, so cron runs in the same php-fpm pool, limits and config as
 * the site (the php CLI would not know the Host header Debian's config needs).
 */
function cronArgv(graph: Graph, host: Host, pool: Pool): string[] {
  const prefix = poolPrefix(pool);
  const base = `http://${host.address}:${pool.port}${prefix === "/" ? "" : prefix}`;
  return ["/usr/bin/curl", "-fsS", "--max-time", String(CRON_MAX_SECONDS), "-o", "/dev/null", "-H", `Host: ${graph.site.domain}`, `${base}/wp-cron.php?doing_wp_cron`];
}

function cronFiles(graph: Graph, pool: Pool, argv: readonly string[]): HostFile[] {
  const service = unitFile(
    [
      ["Unit", [["Description", `hacompile: WordPress cron for pool ${pool.name}`], ["After", "nginx.service php8.2-fpm.service"]]],
      [
        "Service",
        [
          ["Type", "oneshot"],
          // curl needs no rights: no reason to run it as root or as www-data (which reads the DB password).
          ["DynamicUser", true],
          ["ExecStart", execLine(argv)],
        ],
      ],
    ],
    generatedByFor(graph, `WordPress cron, pool ${pool.name}`),
  );
  const timer = unitFile(
    [
      ["Unit", [["Description", `hacompile: WordPress cron for pool ${pool.name}, every 5 minutes`]]],
      ["Timer", [["OnCalendar", CRON_SCHEDULE], ["Unit", `${CRON_UNIT}.service`]]],
      ["Install", [["WantedBy", "timers.target"]]],
    ],
    generatedByFor(graph, `WordPress cron timer, pool ${pool.name}`),
  );
  return [
    file(`/etc/systemd/system/${CRON_UNIT}.service`, service, "systemd", "wp-cron"),
    file(`/etc/systemd/system/${CRON_UNIT}.timer`, timer, "systemd", "wp-cron"),
  ];
}

function cronService(argv: readonly string[]): ServiceSpec {
  return {
    name: "wp-cron",
    unit: `${CRON_UNIT}.service`,
    packaged: false,
    kind: "oneshot",
    command: argv,
    after: ["nginx", "php-fpm"],
    schedule: CRON_SCHEDULE,
  };
}

function render(ctx: RenderContext, host: Host): Contribution {
  const pool = wordpressPoolOf(ctx.graph, host);
  if (!pool) return {};
  const files: HostFile[] = [siteConfig(ctx, host, pool)];
  const services: ServiceSpec[] = [];
  // The theme is only a Recommends of Debian's wordpress, which every target installs
  // without: with no theme WordPress answers every page with an empty body.
  // php8.2-cli runs the site's install program (wordpress-install.ts) on one
  // host; every host has it, so that the pool's hosts share one image.
  const packages = ["wordpress", "wordpress-theme-twentytwentythree", "php8.2-cli", ...WORDPRESS_DEPENDENCY_CHOICES];
  if (pool.members[0]?.host === host.name) {
    const argv = cronArgv(ctx.graph, host, pool);
    files.push(...cronFiles(ctx.graph, pool, argv));
    services.push(cronService(argv));
    packages.push("curl");
  }
  return { files, services, packages };
}

export const wordpress: Renderer = { name: "wordpress", render };
