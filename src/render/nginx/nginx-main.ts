// /etc/nginx/nginx.conf for every host that runs nginx (load balancers and
// web hosts). It holds only process-wide settings; each role's servers live in
// their own file under /etc/nginx/hacompile/, included from http{}.
import { generatedBy } from "../common/header.js";
import { hasRole, webPoolOf, type Graph, type Host } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { ngx } from "../common/quote.js";
import { restartDropIn } from "../common/restart.js";
import { SYSCTL_SERVICE } from "../sysctl/sysctl-service.js";
import type { ServiceName } from "../services.js";
import { file, type Contribution, type Renderer, type RenderContext, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/nginx");

export const NGINX_CONF_PATH = "/etc/nginx/nginx.conf";
/** Every role's server blocks; the LB and web renderers write here. */
export const NGINX_INCLUDE_DIR = "/etc/nginx/hacompile";

/**
 * The package that Provides `httpd` in bookworm (nginx-light only depends on
 * it). Naming it in the same apt transaction as a package that depends on
 * `apache2 | httpd` (Debian's wordpress) makes apt take it for the
 * dependency instead of installing apache2.
 */
export const NGINX_HTTPD_PACKAGE = "nginx";

/**
 * nginx refuses to start when a server_name does not fit a hash bucket
 * ("could not build server_names_hash"); the default (32 or 64 by CPU) is too
 * small for long domains, so size it from the domain itself.
 */
export function serverNamesBucketSize(domain: string): number {
  let size = 64;
  while (size < domain.length + 16) size *= 2;
  return size;
}

interface MainView {
  readonly header: string;
  readonly includeDir: string;
  readonly bucketSize: number;
}

function mainConf(graph: Graph): string {
  const view: MainView = {
    header: generatedBy(graph),
    includeDir: ngx(NGINX_INCLUDE_DIR),
    bucketSize: serverNamesBucketSize(graph.site.domain),
  };
  return renderTemplate("nginx-main.conf.ejs", view);
}

/**
 * Web hosts of a WordPress pool start nginx after php-fpm, so their health
 * endpoint never answers 502 at boot. A load balancer's nginx starts after
 * its sysctl.d file is applied (sysctl.ts): it binds the VIP it may not
 * hold, which fails without net.ipv4.ip_nonlocal_bind.
 */
function nginxService(graph: Graph, host: Host): ServiceSpec {
  const after: ServiceName[] = [];
  if (webPoolOf(graph, host)?.app === "wordpress") after.push("php-fpm");
  if (hasRole(host, "load-balancer")) after.push(SYSCTL_SERVICE);
  return {
    name: "nginx",
    unit: "nginx.service",
    packaged: true,
    kind: "daemon",
    command: ["nginx", "-g", "daemon off;"],
    after,
  };
}

function render(ctx: RenderContext, host: Host): Contribution {
  if (!host.facts.runsNginx) return {};
  const service = nginxService(ctx.graph, host);
  return {
    files: [file(NGINX_CONF_PATH, mainConf(ctx.graph), "nginx", "nginx"), restartDropIn(ctx.graph, service.unit, service.name)],
    services: [service],
    // nginx-light has everything the LB and web configs use: ssl, realip, stub_status.
    packages: ["nginx-light"],
  };
}

export const nginxMain: Renderer = { name: "nginx-main", render };
