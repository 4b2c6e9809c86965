// What runs inside each host's container. The supervisor is Debian's
// `supervisor` (supervisord): packaged in Debian, well known, it runs
// foreground daemons and restarts them, logs to the container's stdout, and
// `supervisorctl start` waits until a program is RUNNING. No systemd in the
// container: systemd as PID 1 needs a privileged container or cgroup mounts,
// which is more than the hosts need.
//
// Ordering: supervisord starts one program, hacompile-boot, which walks the
// plan's services in their dependency order: daemons are started through
// supervisorctl (which then keeps them up), oneshots run to completion with a
// bounded retry (a daemon that is RUNNING may not accept connections yet;
// systemd's Type=notify waits for that, supervisord cannot). Only when every
// step is done does it write the marker the healthcheck requires, so
// `service_healthy` on another host means "its bootstraps are done".
import { generatedBy } from "../../src/render/common/header.js";
import type { Graph, Host } from "../../src/graph/model.js";
import { rolesOf } from "../../src/graph/model.js";
import { sh } from "../../src/render/common/quote.js";
import type { FileKind, HostFile, HostPlan, ServiceSpec } from "../../src/render/types.js";
import { renderComposeTemplate } from "./template.js";

/** The container's entrypoint, healthcheck and service launcher, all in one script. */
export const INIT_PATH = "/usr/local/sbin/hacompile-compose";
export const SUPERVISOR_CONF_PATH = "/etc/hacompile/compose/supervisord.conf";
const BOOT_PROGRAM = "hacompile-boot";
const SECRETS_DIR = "/run/secrets";

/**
 * Files that configure what does not run in a container: systemd (no systemd
 * inside; supervisord replaces the units), the firewall (see SKIPPED_SERVICES),
 * fstab (the mount oneshots mount), cron (no cron daemon) and sysctl.d (Docker
 * applies the host's sysctls through the service's `sysctls:`).
 */
const SKIPPED_FILE_KINDS: ReadonlySet<FileKind> = new Set<FileKind>(["systemd", "nftables", "fstab", "cron", "sysctl"]);

/**
 * The firewall is not run in the containers: loading nftables rules needs
 * NET_ADMIN on every container (keepalived hosts aside, none needs it), the
 * containers sit on a private Docker network that nothing outside reaches
 * unless published, and Docker manages the filtering around that network
 * itself. The systemd and bundle targets carry the firewall.
 */
const SKIPPED_SERVICES: ReadonlyMap<string, string> = new Map([
  ["firewall", "the firewall is left to the systemd and bundle targets"],
  // A container's /proc/sys is read-only; Docker sets them from `sysctls:` before the container starts.
  ["sysctl", "Docker applies the host's sysctls through the service's sysctls:"],
]);

/** Oneshots retried this often, this many seconds apart: about a minute for a local daemon to accept connections. */
const ONESHOT_ATTEMPTS = 30;
const ONESHOT_DELAY_S = 2;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface InstalledFile {
  readonly file: HostFile;
  /** The compose secret that carries it. */
  readonly secret: string;
}

export interface Placement {
  /** Bind-mounted read-only from hosts/<host>/<path>. */
  readonly mounted: readonly HostFile[];
  /** Carried as compose secrets, copied into place with owner and mode when the container starts. */
  readonly installed: readonly InstalledFile[];
}

/**
 * A bind mount shows the file with the build user's owner; that is harmless
 * for world-readable files, but a secret or any file only some users may read
 * must be copied into place with its own owner, group and mode.
 */
function needsInstall(f: HostFile): boolean {
  return f.secret === true || (f.mode & 0o004) === 0;
}

/** A compose name for a file of a host: "<host>-<path with / as ->". */
export function pathName(host: string, path: string): string {
  return `${host}-${path.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]+/g, "-")}`;
}

export function placeFiles(plan: HostPlan): Placement {
  const mounted: HostFile[] = [];
  const installed: InstalledFile[] = [];
  for (const f of plan.files) {
    if (SKIPPED_FILE_KINDS.has(f.kind)) continue;
    if (f.path === INIT_PATH || f.path === SUPERVISOR_CONF_PATH) {
      throw new Error(`compose: ${plan.host.name}: a renderer wrote ${f.path}, which the compose target owns`);
    }
    if (needsInstall(f)) installed.push({ file: f, secret: pathName(plan.host.name, f.path) });
    else mounted.push(f);
  }
  const names = new Set(installed.map((i) => i.secret));
  if (names.size !== installed.length) throw new Error(`compose: ${plan.host.name}: two restricted files map to one secret name`);
  return { mounted, installed };
}

export interface RunPlan {
  /** In dependency order. */
  readonly run: readonly ServiceSpec[];
  readonly skipped: readonly { readonly service: ServiceSpec; readonly why: string }[];
}

export function runPlan(plan: HostPlan): RunPlan {
  const run: ServiceSpec[] = [];
  const skipped: { service: ServiceSpec; why: string }[] = [];
  for (const s of plan.services) {
    // Widened to string: no registered name is BOOT_PROGRAM today, and this keeps it so at run time.
    const name: string = s.name;
    if (!NAME_RE.test(name) || name === BOOT_PROGRAM) {
      throw new Error(`compose: ${plan.host.name}: service name ${JSON.stringify(s.name)} cannot be a supervisord program`);
    }
    if (s.command.length === 0) throw new Error(`compose: ${plan.host.name}: service ${s.name} has no command`);
    const skipWhy = SKIPPED_SERVICES.get(s.name);
    if (skipWhy !== undefined) skipped.push({ service: s, why: skipWhy });
    else if (s.schedule !== undefined) skipped.push({ service: s, why: `periodic (${s.schedule}); supervisord has no timers` });
    else run.push(s);
  }
  return { run, skipped };
}

function octal(mode: number): string {
  return "0" + mode.toString(8).padStart(3, "0");
}

/** The argv as one line of bash words: the service's command, never re-split by a shell. */
function bashWords(argv: readonly string[]): string {
  return argv.map(sh).join(" ");
}

function healthChecks(graph: Graph, host: Host, daemons: readonly string[]): string[] {
  const out: string[] = [];
  // A daemon that crashed and is being restarted is not healthy; `status` exits non-zero then.
  if (daemons.length > 0) out.push(`supervisorctl -c "$CONF" status ${daemons.map(sh).join(" ")} >/dev/null`);
  const curl = (url: string): string => `curl -fsS -o /dev/null --max-time 3 ${sh(url)}`;
  if (rolesOf(host, "load-balancer").length > 0) out.push(curl(`http://127.0.0.1:${graph.ports.lbHealth}/health`));
  for (const w of rolesOf(host, "web")) {
    const member = graph.pools.find((p) => p.name === w.pool)?.members.find((m) => m.host === host.name);
    if (member) out.push(curl(`http://${member.address}:${member.port}/hacompile-health`));
  }
  const engines = new Set(
    host.roles.flatMap((r) => (r.kind === "db-primary" || r.kind === "db-replica" ? [graph.databases.find((d) => d.name === r.database)?.engine] : [])),
  );
  // Over the local socket: ping answers "alive" even when it may not log in, and needs no password.
  if (engines.has("mariadb")) out.push("mariadb-admin --protocol=socket --connect-timeout=3 ping >/dev/null");
  if (engines.has("mysql")) out.push("mysqladmin --protocol=socket --connect-timeout=3 ping >/dev/null");
  if (rolesOf(host, "gluster-server").length > 0) out.push("timeout 5 gluster --mode=script pool list >/dev/null");
  for (const c of rolesOf(host, "gluster-client")) out.push(`mountpoint -q ${sh(c.mount)}`);
  return out;
}

export function initScript(graph: Graph, plan: HostPlan, placement: Placement, rp: RunPlan): string {
  const installs = placement.installed.map(
    ({ file, secret }) =>
      `install -D -m ${octal(file.mode)} -o ${sh(file.owner)} -g ${sh(file.group)} ${sh(`${SECRETS_DIR}/${secret}`)} ${sh(file.path)}`,
  );
  // systemd creates a mount unit's mount point; here the entrypoint does.
  const mountPoints = rolesOf(plan.host, "gluster-client").map((c) => `mkdir -p ${sh(c.mount)}`);
  const daemons = rp.run.filter((s) => s.kind === "daemon").map((s) => s.name);
  return renderComposeTemplate("hacompile-compose.sh.ejs", {
    header: generatedBy(graph),
    host: plan.host.name,
    conf: SUPERVISOR_CONF_PATH,
    self: INIT_PATH,
    attempts: ONESHOT_ATTEMPTS,
    delay: ONESHOT_DELAY_S,
    installs,
    mountPoints,
    cases: rp.run.map((s) => ({ name: s.name, words: bashWords(s.command) })),
    boot: rp.run.map((s) => ({ step: s.kind === "daemon" ? "start_daemon" : "run_oneshot", name: s.name })),
    health: healthChecks(graph, plan.host, daemons),
  });
}

export function supervisordConf(graph: Graph, plan: HostPlan, rp: RunPlan): string {
  const daemons = rp.run.filter((s) => s.kind === "daemon");
  return renderComposeTemplate("supervisord.conf.ejs", {
    header: generatedBy(graph),
    host: plan.host.name,
    self: INIT_PATH,
    boot: BOOT_PROGRAM,
    // Stopped in the reverse of this order: dependents first.
    programs: daemons.map((s) => ({ name: s.name, priority: 100 + 10 * rp.run.indexOf(s) })),
    skipped: rp.skipped.map((x) => `${x.service.name}: ${x.why}`),
  });
}
