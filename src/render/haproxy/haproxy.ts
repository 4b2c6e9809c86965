// The load balancers' proxy when loadbalancer.engine is haproxy (Debian's
// HAProxy 2.6): the same routes, failover and health endpoint as the nginx
// engine (render/nginx/lb-nginx.ts), in one /etc/haproxy/haproxy.cfg.
// Not yet: TLS termination and a load balancer that is also a web host
// (validate.ts refuses both), `hacompile verify` (haproxy -c -f) and the lab.
import { generatedBy } from "../common/header.js";
import { hasRole, poolByName, type Graph, type Host, type Pool } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { hap } from "../common/quote.js";
import { LB_READ_TIMEOUT_SECONDS } from "../common/timeouts.js";
import { HEALTH_PATH } from "../nginx/web-nginx.js";
import { SYSCTL_SERVICE } from "../sysctl/sysctl-service.js";
import { file, type Contribution, type Renderer, type RenderContext, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/haproxy");

export const HAPROXY_CONF_PATH = "/etc/haproxy/haproxy.cfg";
/** The runtime API; in /run itself, which exists under systemd and supervisors alike. */
export const HAPROXY_STATS_SOCKET = "/run/hacompile-haproxy.sock";

/** As the nginx engine's proxy_connect_timeout: a dead member is detected within this. */
const CONNECT_TIMEOUT = "1s";
/** nginx's default for reading a client request, kept for the same behaviour. */
const CLIENT_TIMEOUT = "60s";
/** Connection attempts after the first, as the nginx engine's tries (3 in all). */
const RETRIES = 2;
/**
 * Active checks every second; two failures take a member out (about 2 s
 * after it stops answering), two successes bring it back. HAProxy's defaults
 * are 2 s, 3 and 2.
 */
const CHECK_PARAMS = "check inter 1s fall 2 rise 2";

interface RouteView {
  /** A route prefix without trailing '/', never '/'. */
  readonly path: string;
  readonly backend: string;
}

interface BackendView {
  readonly name: string;
  /** Absent for app: http pools, whose own servers have no health endpoint: a TCP check then. */
  readonly httpCheck?: { readonly uri: string; readonly host: string };
  /** Complete `server` arguments: name, address:port, check parameters. */
  readonly servers: readonly string[];
}

interface HaproxyView {
  readonly header: string;
  readonly statsSocket: string;
  readonly connectTimeout: string;
  readonly clientTimeout: string;
  readonly serverTimeout: string;
  readonly retries: number;
  readonly bind: string;
  readonly healthBind: string;
  readonly routes: readonly RouteView[];
  readonly defaultBackend: string;
  readonly backends: readonly BackendView[];
}

function backendName(pool: string): string {
  return hap(`pool_${pool}`);
}

function backendView(graph: Graph, pool: Pool): BackendView {
  return {
    name: backendName(pool.name),
    ...(pool.app === "http" ? {} : { httpCheck: { uri: hap(HEALTH_PATH), host: hap(graph.site.domain) } }),
    servers: pool.members.map((m) => `${hap(m.host)} ${hap(m.address)}:${m.port} ${CHECK_PARAMS}`),
  };
}

function haproxyConf(graph: Graph, host: Host): string {
  const lb = graph.loadBalancer;
  const routed = [...new Set(lb.routes.map((r) => r.pool))].sort();
  // The VIP or anchor IP (bound before it is here: ip_nonlocal_bind, sysctl/), else every address.
  const addr = host.facts.lbListen;
  const view: HaproxyView = {
    header: generatedBy(graph),
    statsSocket: hap(HAPROXY_STATS_SOCKET),
    connectTimeout: CONNECT_TIMEOUT,
    clientTimeout: CLIENT_TIMEOUT,
    serverTimeout: `${LB_READ_TIMEOUT_SECONDS}s`,
    retries: RETRIES,
    bind: addr === undefined ? `:${graph.ports.http}` : `${hap(addr)}:${graph.ports.http}`,
    healthBind: `127.0.0.1:${graph.ports.lbHealth}`,
    // graph routes are longest first with '/' last; '/' is the default backend.
    routes: lb.routes.filter((r) => r.path !== "/").map((r) => ({ path: hap(r.path), backend: backendName(r.pool) })),
    defaultBackend: backendName(lb.defaultPool),
    backends: routed.map((name) => backendView(graph, poolByName(graph, name))),
  };
  return renderTemplate("haproxy.cfg.ejs", view);
}

/** After the sysctl step, like the nginx engine: it binds the VIP it may not hold. */
const haproxyService: ServiceSpec = {
  name: "haproxy",
  unit: "haproxy.service",
  packaged: true,
  kind: "daemon",
  // -W: master-worker, in the foreground (no daemon keyword, no -D) for supervisors.
  command: ["haproxy", "-W", "-f", HAPROXY_CONF_PATH],
  after: [SYSCTL_SERVICE],
};

function render(ctx: RenderContext, host: Host): Contribution {
  if (ctx.graph.loadBalancer.engine !== "haproxy" || !hasRole(host, "load-balancer")) return {};
  return {
    // No restart drop-in (common/restart.ts): Debian's haproxy.service has Restart=always.
    files: [file(HAPROXY_CONF_PATH, haproxyConf(ctx.graph, host), "haproxy", haproxyService.name)],
    services: [haproxyService],
    packages: ["haproxy"],
  };
}

export const haproxy: Renderer = { name: "haproxy", render };
