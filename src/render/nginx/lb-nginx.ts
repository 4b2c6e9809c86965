// The load balancers' nginx: one upstream per routed pool, prefix routing,
// optional TLS, and a localhost health server that keepalived probes.
import { generatedBy } from "../common/header.js";
import { hasRole, type Graph, type Host, type Pool, type Route } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { NGINX_INCLUDE_DIR } from "./nginx-main.js";
import { ngx } from "../common/quote.js";
import { LB_READ_TIMEOUT_SECONDS } from "../common/timeouts.js";
import { file, type Contribution, type Renderer, type RenderContext } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/nginx");

export const LB_CONF_PATH = `${NGINX_INCLUDE_DIR}/lb.conf`;
/** certbot --webroot -w points here; challenges are served over plain HTTP even when HTTP redirects. */
export const ACME_WEBROOT = "/var/lib/hacompile/acme";

// One failure takes a member out for 5 s and the request moves on to the next
// member at once: measured in the lab, a web host killed under load gave no
// client errors with these values.
const MAX_FAILS = 1;
const FAIL_TIMEOUT = "5s";
/** A dead member is detected within this; a live one on the private network answers far sooner. */
const CONNECT_TIMEOUT = "1s";
/** Bounds retries so one request never walks a whole large pool. */
const MAX_TRIES = 3;
/** Bounds the total time spent retrying one request. */
const NEXT_UPSTREAM_TIMEOUT = "10s";

interface UpstreamView {
  readonly name: string;
  /** Complete `server` parameters, e.g. "10.0.0.21:80 max_fails=1 fail_timeout=5s". */
  readonly servers: readonly string[];
}

interface LocationView {
  /** The location modifier and prefix, e.g. "= /blog", "^~ /blog/", "/". */
  readonly match: string;
  readonly upstream: string;
  readonly tries: number;
}

interface TlsView {
  readonly certificate: string;
  readonly key: string;
}

interface ServerView {
  readonly listen: readonly string[];
  readonly tls?: TlsView;
  /** Serve ACME http-01 challenges from the webroot. */
  readonly acme: boolean;
  /** When set, everything else answers with a 301 to this URL prefix (followed by $request_uri). */
  readonly redirectTo?: string;
}

interface LbView {
  readonly header: string;
  readonly serverName: string;
  readonly clientMaxBodySize: string;
  readonly connectTimeout: string;
  readonly readTimeout: string;
  readonly nextUpstreamTimeout: string;
  readonly upstreams: readonly UpstreamView[];
  readonly locations: readonly LocationView[];
  readonly servers: readonly ServerView[];
  readonly acmeRoot: string;
  readonly healthListen: string;
}

export function upstreamName(pool: string): string {
  return ngx(`pool_${pool}`);
}

function routedPools(graph: Graph): Pool[] {
  const routed = new Set(graph.loadBalancer.routes.map((r) => r.pool));
  return graph.pools.filter((p) => routed.has(p.name));
}

function upstreamView(pool: Pool): UpstreamView {
  return {
    name: upstreamName(pool.name),
    servers: pool.members.map((m) => `${ngx(m.address)}:${m.port} max_fails=${MAX_FAILS} fail_timeout=${FAIL_TIMEOUT}`),
  };
}

function triesFor(graph: Graph, poolName: string): number {
  const pool = graph.pools.find((p) => p.name === poolName);
  if (!pool) throw new Error(`graph invariant: route to unknown pool ${poolName}`);
  return Math.max(1, Math.min(pool.members.length, MAX_TRIES));
}

/**
 * `/blog` becomes an exact match for `/blog` plus a prefix match for `/blog/`,
 * so it never captures `/blogger`; nginx picks the longest matching prefix,
 * so nested routes (`/blog/shop`) win over their parents. `^~` keeps any
 * regex location from overriding a route. '/' is the default.
 */
export function routeMatches(path: string): string[] {
  if (path === "/") return ["/"];
  const p = ngx(path);
  return [`= ${p}`, `^~ ${p}/`];
}

function locationViews(graph: Graph): LocationView[] {
  return graph.loadBalancer.routes.flatMap((r: Route) =>
    routeMatches(r.path).map((match) => ({ match, upstream: upstreamName(r.pool), tries: triesFor(graph, r.pool) })),
  );
}

function listenOn(addr: string | undefined, port: number, ssl: boolean): string {
  const where = addr === undefined ? `${port}` : `${ngx(addr)}:${port}`;
  return ssl ? `${where} ssl` : where;
}

function serverViews(graph: Graph, host: Host): ServerView[] {
  // The VIP, the anchor IP, or every address (HostFacts.lbListen, decided while lowering).
  const addr = host.facts.lbListen;
  const { http, https } = graph.ports;
  const tls = graph.loadBalancer.tls;
  if (!tls) return [{ listen: [listenOn(addr, http, false)], acme: false }];
  const httpsServer: ServerView = {
    listen: [listenOn(addr, https, true)],
    tls: { certificate: ngx(tls.certificate), key: ngx(tls.key) },
    acme: false,
  };
  const portSuffix = https === 443 ? "" : `:${https}`;
  const httpServer: ServerView = {
    listen: [listenOn(addr, http, false)],
    acme: true,
    ...(tls.redirect ? { redirectTo: `https://${ngx(graph.site.domain)}${portSuffix}` } : {}),
  };
  return [httpsServer, httpServer];
}

function lbConf(graph: Graph, host: Host): string {
  const view: LbView = {
    header: generatedBy(graph),
    serverName: ngx(graph.site.domain),
    clientMaxBodySize: `${graph.site.uploadMaxMb}m`,
    connectTimeout: CONNECT_TIMEOUT,
    readTimeout: `${LB_READ_TIMEOUT_SECONDS}s`,
    nextUpstreamTimeout: NEXT_UPSTREAM_TIMEOUT,
    upstreams: routedPools(graph).map(upstreamView),
    locations: locationViews(graph),
    servers: serverViews(graph, host),
    acmeRoot: ngx(ACME_WEBROOT),
    healthListen: `127.0.0.1:${graph.ports.lbHealth}`,
  };
  return renderTemplate("lb-nginx.conf.ejs", view);
}

function render(ctx: RenderContext, host: Host): Contribution {
  if (ctx.graph.loadBalancer.engine !== "nginx" || !hasRole(host, "load-balancer")) return {};
  return { files: [file(LB_CONF_PATH, lbConf(ctx.graph, host), "nginx", "nginx")] };
}

export const lbNginx: Renderer = { name: "lb-nginx", render };
