// php-fpm (Debian php8.2-fpm) for a host's WordPress pool: one fpm pool named
// after the hacompile pool, on its own socket, with PHP's body limits taken
// from the same site.uploadMaxMb as nginx's client_max_body_size.
import { generatedByFor } from "../common/header.js";
import { rolesOf, type Graph, type Host, type Pool } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { restartDropIn } from "../common/restart.js";
import { DB_CONNECT_TIMEOUT_SECONDS, PHP_TERMINATE_SECONDS } from "../common/timeouts.js";
import { mountServiceName } from "../services.js";
import { file, type Contribution, type HostFile, type RenderContext, type Renderer, type ServiceSpec } from "../types.js";
import { wordpressPoolOf } from "../wordpress/wordpress.js";

export const FPM_POOL_DIR = "/etc/php/8.2/fpm/pool.d";
export const FPM_PING_PATH = "/fpm-ping";
export const FPM_STATUS_PATH = "/fpm-status";
/** The user nginx and php-fpm run as on Debian; it owns the socket. */
export const WEB_USER = "www-data";

export function fpmSocket(pool: Pool): string {
  return `/run/php/hacompile-${pool.name}.sock`;
}

/**
 * Worker counts for a small web host (1-2 GB): WordPress workers take
 * 40-80 MB each, so 16 children stay under ~1 GB; spares absorb bursts
 * without forking on every request.
 */
const PM = { maxChildren: 16, startServers: 4, minSpare: 2, maxSpare: 6, maxRequests: 500 } as const;

export { FASTCGI_READ_TIMEOUT_SECONDS } from "../common/timeouts.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/php-fpm");

/**
 * PHP's limits agree with nginx: client_max_body_size (LB and web) is the
 * whole body, so post_max_size is exactly that, and one file can be no
 * larger. memory_limit stays above post_max_size, as PHP's manual asks.
 */
function phpLimits(graph: Graph): [string, string][] {
  const mb = graph.site.uploadMaxMb;
  return [
    ["upload_max_filesize", `${mb}M`],
    ["post_max_size", `${mb}M`],
    ["memory_limit", `${Math.max(256, mb + 128)}M`],
    ["max_file_uploads", "20"],
    // mysqli's connect timeout (timeouts.ts).
    ["default_socket_timeout", String(DB_CONNECT_TIMEOUT_SECONDS)],
  ];
}

function poolFile(graph: Graph, host: Host, pool: Pool): HostFile {
  const content = renderTemplate("php-fpm-pool.conf.ejs", {
    header: generatedByFor(graph, `php-fpm pool for WordPress pool ${pool.name} on ${host.name}`),
    name: pool.name,
    user: WEB_USER,
    socket: fpmSocket(pool),
    pm: PM,
    requestTerminate: `${PHP_TERMINATE_SECONDS}s`,
    pingPath: FPM_PING_PATH,
    // The health endpoint answers with the fpm ping: naming the host shows which one answered.
    pingResponse: host.name,
    statusPath: FPM_STATUS_PATH,
    adminValues: phpLimits(graph),
  });
  return file(`${FPM_POOL_DIR}/hacompile-${pool.name}.conf`, content, "php-fpm", "php-fpm");
}

/**
 * Debian's www.conf is replaced by comments only: its [www] pool would run
 * idle workers and a second, unmanaged socket (/run/php/php8.2-fpm.sock)
 * beside ours. A plan can write files but not delete them, and a
 * comment-only file says why the pool is gone. It is a modified conffile:
 * package upgrades must keep it (dpkg --force-confold).
 */
function wwwConf(graph: Graph): HostFile {
  const content = renderTemplate("php-fpm-www.conf.ejs", { header: generatedByFor(graph, "Debian's default pool, disabled") });
  return file(`${FPM_POOL_DIR}/www.conf`, content, "php-fpm", "php-fpm");
}

function fpmService(host: Host): ServiceSpec {
  return {
    name: "php-fpm",
    unit: "php8.2-fpm.service",
    packaged: true,
    kind: "daemon",
    // -F: foreground for supervisors; the master runs as root and drops to www-data per pool, so no -R.
    command: ["php-fpm8.2", "-F", "--fpm-config", "/etc/php/8.2/fpm/php-fpm.conf"],
    // Uploads live on the Gluster mount: PHP must not start writing into the bare directory under it.
    after: rolesOf(host, "gluster-client").map((r) => mountServiceName(r.volume)),
  };
}

function render(ctx: RenderContext, host: Host): Contribution {
  const pool = wordpressPoolOf(ctx.graph, host);
  if (!pool) return {};
  const service = fpmService(host);
  return {
    files: [poolFile(ctx.graph, host, pool), wwwConf(ctx.graph), restartDropIn(ctx.graph, service.unit, service.name)],
    services: [service],
    packages: ["php8.2-fpm", "php8.2-mysql"],
  };
}

export const phpFpm: Renderer = { name: "php-fpm", render };
