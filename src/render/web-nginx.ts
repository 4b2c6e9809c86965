// The web tier's nginx: one server per pool a host serves (app wordpress or
// static; an `http` pool runs its own server on the port, so nothing here).
// The LB passes route prefixes on unstripped: /blog/x arrives as /blog/x, and
// the prefix maps onto the app's directory with `alias`, so WordPress sees
// the public REQUEST_URI and builds its links from WP_HOME (which carries the
// prefix). Every response names the host in X-Served-By.
import type { Graph, Host, Pool } from "../graph/model.js";
import { renderTemplate } from "./ejs.js";
import { FPM_PING_PATH, FPM_STATUS_PATH, fpmSocket } from "./php-fpm.js";
import { html, ngx } from "./quote.js";
import { file, type Contribution, type HostFile, type RenderContext, type Renderer } from "./types.js";
import { PEER_ADDR_PARAM, WP_CODE_DIR, WP_CONTENT_DIR, generatedBy, lbTrustedAddresses, poolPrefix, webPoolsOf } from "./wordpress.js";

export const WEB_CONF_DIR = "/etc/nginx/hacompile";
/** Answers 200 with the host name; on WordPress hosts it is php-fpm's ping, so a dead PHP fails it. */
export const HEALTH_PATH = "/hacompile-health";

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

interface Common {
  readonly header: string;
  readonly listen: readonly string[];
  readonly serverName: string;
  readonly host: string;
  readonly bodyMax: string;
  readonly realIpFrom: readonly string[];
  /** Some prefix is '/': no catch-all 404 needed. */
  readonly servesRoot: boolean;
}

function common(graph: Graph, host: Host, pool: Pool, prefixes: readonly string[], loopback: boolean): Common {
  const addr = `${ngx(host.address)}:${pool.port}`;
  return {
    header: generatedBy(graph, `web pool ${pool.name} (${pool.app}) on ${host.name}`),
    // default_server: the LB's Host header is the public name, whatever it is. Loopback is for php-fpm's ping/status.
    listen: [`${addr} default_server`, ...(loopback ? [`127.0.0.1:${pool.port}`] : [])],
    serverName: ngx(graph.site.domain),
    host: ngx(host.name),
    bodyMax: `${graph.site.uploadMaxMb}m`,
    realIpFrom: lbTrustedAddresses(graph).map(ngx),
    servesRoot: prefixes.includes("/"),
  };
}

function wordpressConf(graph: Graph, host: Host, pool: Pool): string {
  const prefix = poolPrefix(pool);
  const base = prefix === "/" ? "" : prefix;
  return renderTemplate("web-nginx-wordpress.conf.ejs", {
    ...common(graph, host, pool, [prefix], true),
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
    header: generatedBy(graph, `static pool ${pool.name} on ${host.name}`),
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
  const files = webPoolsOf(ctx.graph, host).flatMap((p) => poolFiles(ctx.graph, host, p));
  return files.length > 0 ? { files } : {};
}

export const webNginx: Renderer = { name: "web-nginx", render };
