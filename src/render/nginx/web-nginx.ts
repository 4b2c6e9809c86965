// The web tier's nginx: one server per pool a host serves (app wordpress or
// static; an `http` pool runs its own server on the port, so nothing here).
// The LB passes route prefixes on unstripped: /blog/x arrives as /blog/x, and
// the prefix maps onto the app's directory with `alias`, so WordPress sees
// the public REQUEST_URI and builds its links from WP_HOME (which carries the
// prefix). A response names the host in X-Served-By, and the health
// endpoint answers, only to the load balancers, the admin network and the
// host itself: to anyone else they would reveal internal host names.
import { generatedByFor } from "../common/header.js";
import { webPoolOf, type Graph, type Host, type Pool } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { VOLUME_MARKER } from "../gluster/gluster-client.js";
import { FASTCGI_READ_TIMEOUT_SECONDS, FPM_PING_PATH, FPM_STATUS_PATH, fpmSocket } from "../php-fpm/php-fpm.js";
import { html, ngx } from "../common/quote.js";
import { file, type Contribution, type HostFile, type RenderContext, type Renderer } from "../types.js";
import { PEER_ADDR_PARAM, WP_CODE_DIR, WP_CONTENT_DIR, lbTrustedAddresses, poolPrefix } from "../wordpress/wordpress.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/nginx");

export const WEB_CONF_DIR = "/etc/nginx/hacompile";
/**
 * Answers 200 with the host name; on WordPress hosts it is php-fpm's ping, so
 * a dead PHP fails it, and a missing or dead uploads mount answers 503.
 */
export const HEALTH_PATH = "/hacompile-health";
/** WordPress's installer: only the admin network may reach it (the site is installed at first boot). */
export const INSTALLER_PATH = "wp-admin/install.php";

export function webConfPath(pool: Pool): string {
  return `${WEB_CONF_DIR}/web-${pool.name}.conf`;
}

export function staticRoot(pool: Pool): string {
  return `/var/www/${pool.name}`;
}

/** How one route prefix maps onto a directory. */
interface PrefixMap {
  /** `location = /blog` redirects to `/blog/`; absent for '/'. */
  readonly bare?: string;
  /** The prefix location, always ending in '/'. */
  readonly location: string;
}

function prefixMap(prefix: string): PrefixMap {
  return prefix === "/" ? { location: "/" } : { bare: ngx(prefix), location: ngx(`${prefix}/`) };
}

/** One address or CIDR an nginx geo block lists, with who it is. */
interface GeoEntry {
  readonly match: string;
  readonly who: string;
}

interface Common {
  readonly header: string;
  /** Addresses that may see X-Served-By and the health endpoint. */
  readonly insiders: readonly GeoEntry[];
  /** $variable: 1 for an insider (the client after real_ip), else 0. */
  readonly insiderVar: string;
  /** $variable: the host name for insiders, empty (no header) for others. */
  readonly servedByVar: string;
  readonly listen: readonly string[];
  readonly serverName: string;
  readonly host: string;
  readonly bodyMax: string;
  readonly realIpFrom: readonly string[];
  /** Some prefix is '/': no catch-all 404 needed. */
  readonly servesRoot: boolean;
}

/**
 * Who counts as inside: every LB address and the VIP (the LBs' own requests),
 * the admin network, this host (its cron, its own checks) and loopback.
 * nginx's geo reads $remote_addr after real_ip, so a request through an LB
 * is judged by the client's address, which the LB appended last to
 * X-Forwarded-For and which a client cannot forge there.
 */
export function insiders(graph: Graph, host: Host): GeoEntry[] {
  const out: GeoEntry[] = [];
  const add = (match: string, who: string): void => {
    if (!out.some((e) => e.match === match)) out.push({ match, who });
  };
  for (const a of lbTrustedAddresses(graph)) add(a, a === graph.loadBalancer.vip ? "the VIP" : "a load balancer");
  add(graph.network.admin, "the admin network");
  add(host.address, host.name);
  add("127.0.0.1", "loopback");
  return out;
}

/** nginx variable names allow [A-Za-z0-9_]; pool names may hold '-'. */
function poolVar(prefix: string, pool: Pool): string {
  return `$${prefix}_${pool.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function common(graph: Graph, host: Host, pool: Pool, prefixes: readonly string[], loopback: boolean): Common {
  const addr = `${ngx(host.address)}:${pool.port}`;
  return {
    header: generatedByFor(graph, `web pool ${pool.name} (${pool.app}) on ${host.name}`),
    insiders: insiders(graph, host).map((e) => ({ match: ngx(e.match), who: e.who })),
    insiderVar: poolVar("hacompile_insider", pool),
    servedByVar: poolVar("hacompile_served_by", pool),
    // default_server: the LB's Host header is the public name, whatever it is. Loopback is for php-fpm's ping/status.
    listen: [`${addr} default_server`, ...(loopback ? [`127.0.0.1:${pool.port}`] : [])],
    serverName: ngx(graph.site.domain),
    host: ngx(host.name),
    bodyMax: `${graph.site.uploadMaxMb}m`,
    realIpFrom: lbTrustedAddresses(graph).map(ngx),
    servesRoot: prefixes.includes("/"),
  };
}

/** The marker file the mount helper keeps at the root of the pool's volume, if it has one. */
function volumeMarker(graph: Graph, pool: Pool): string | undefined {
  const v = graph.volumes.find((x) => x.name === pool.volume);
  return v === undefined ? undefined : `${v.mount}/${VOLUME_MARKER}`;
}

function wordpressConf(graph: Graph, host: Host, pool: Pool): string {
  const prefix = poolPrefix(pool);
  const base = prefix === "/" ? "" : prefix;
  const marker = volumeMarker(graph, pool);
  return renderTemplate("web-nginx-wordpress.conf.ejs", {
    ...common(graph, host, pool, [prefix], true),
    ...(marker !== undefined ? { volumeMarker: ngx(marker) } : {}),
    adminNetwork: ngx(graph.network.admin),
    installerLocation: ngx(`${base}/${INSTALLER_PATH}`),
    installerFile: ngx(`${WP_CODE_DIR}/${INSTALLER_PATH}`),
    fastcgiReadTimeout: `${FASTCGI_READ_TIMEOUT_SECONDS}s`,
    socket: ngx(`unix:${fpmSocket(pool)}`),
    pingPath: ngx(FPM_PING_PATH),
    statusPath: ngx(FPM_STATUS_PATH),
    healthPath: ngx(HEALTH_PATH),
    prefix: prefixMap(prefix),
    contentLocation: ngx(`${base}/wp-content/`),
    contentDir: ngx(`${WP_CONTENT_DIR}/`),
    codeDir: ngx(`${WP_CODE_DIR}/`),
    uploadsLocation: ngx(`${base}/wp-content/uploads/`),
    frontController: ngx(`${base}/index.php`),
    peerParam: ngx(PEER_ADDR_PARAM),
  });
}

function staticConf(graph: Graph, host: Host, pool: Pool): string {
  const prefixes = pool.paths.length > 0 ? pool.paths : ["/"];
  return renderTemplate("web-nginx-static.conf.ejs", {
    ...common(graph, host, pool, prefixes, false),
    healthPath: ngx(HEALTH_PATH),
    prefixes: prefixes.map(prefixMap),
    rootDir: ngx(`${staticRoot(pool)}/`),
  });
}

/** A page that says which pool and which host answered, so the lab can tell hosts apart. */
function staticIndex(graph: Graph, host: Host, pool: Pool): HostFile {
  const content = renderTemplate("web-nginx-index.html.ejs", {
    header: generatedByFor(graph, `static pool ${pool.name} on ${host.name}`),
    pool: pool.name,
    host: host.name,
    title: html(graph.site.title),
  });
  return file(`${staticRoot(pool)}/index.html`, content, "text", "nginx");
}

function poolFiles(graph: Graph, host: Host, pool: Pool): HostFile[] {
  switch (pool.app) {
    case "wordpress":
      return [file(webConfPath(pool), wordpressConf(graph, host, pool), "nginx", "nginx")];
    case "static":
      return [file(webConfPath(pool), staticConf(graph, host, pool), "nginx", "nginx"), staticIndex(graph, host, pool)];
    case "http":
      // The pool's own HTTP server owns pool.port on this host.
      return [];
  }
}

function render(ctx: RenderContext, host: Host): Contribution {
  const pool = webPoolOf(ctx.graph, host);
  const files = pool ? poolFiles(ctx.graph, host, pool) : [];
  return files.length > 0 ? { files } : {};
}

export const webNginx: Renderer = { name: "web-nginx", render };
