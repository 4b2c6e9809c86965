// keepalived on every load balancer: one VRRP instance that elects which LB
// serves. In vrrp mode it moves the VIP itself; in digitalocean mode its
// notify scripts (do-failover.ts) move the provider's reserved IP.
import { generatedBy } from "../common/header.js";
import { hostByName, rolesOf, type Failover, type Graph, type Host, type Vrrp } from "../../graph/model.js";
import { DO_ASSIGN_SCRIPT, placeholderVip, VRRP_STATE_SCRIPT } from "./do-failover.js";
import { templateRenderer } from "../common/ejs.js";
import { kad, sh } from "../common/quote.js";
import { restartDropIn } from "../common/restart.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type Contribution, type HostFile, type Renderer, type RenderContext, type ServiceSpec, type SystemUser } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/keepalived");

export const KEEPALIVED_CONF_PATH = "/etc/keepalived/keepalived.conf";
export const CHECK_NGINX_SCRIPT = "/usr/local/sbin/hacompile-check-nginx";
export const CHECK_INTERFACE_SCRIPT = "/usr/local/sbin/hacompile-check-interface";
/** How long keepalived's start waits for the host's address (a late DHCP lease) before it fails. */
const INTERFACE_WAIT_SECONDS = 30;
/** Unprivileged user for the check script (keepalived's own default name). */
export const SCRIPT_USER = "keepalived_script";

// Gratuitous ARP: a second burst 1 s after becoming MASTER (the default 5 s
// leaves stale ARP caches that long when the first burst is lost), and a
// refresh every minute so switches and neighbours that missed both learn it.
const GARP = { masterDelay: 1, masterRepeat: 3, masterRefresh: 60, masterRefreshRepeat: 1 } as const;

// The check runs every second; two failures in a row count (one slow probe
// must not move the VIP), two successes bring the LB back.
const CHECK = { interval: 1, timeout: 2, fall: 2, rise: 2 } as const;

interface CheckView {
  readonly script: string;
  readonly interval: number;
  readonly timeout: number;
  readonly fall: number;
  readonly rise: number;
  /** Negative priority change on failure; absent means failure puts the instance in FAULT. */
  readonly weight?: number;
}

interface InstanceView {
  readonly name: string;
  readonly interface: string;
  readonly routerId: number;
  readonly priority: number;
  readonly advertInterval: string;
  readonly version: number;
  /** "preempt_delay N" or "nopreempt". */
  readonly preemptLine: string;
  readonly unicastSrc?: string;
  readonly unicastPeers: readonly string[];
  readonly vips: readonly string[];
  /** Why the virtual_ipaddress block holds what it holds. */
  readonly vipComment: string;
  /** Complete notify lines, e.g. "notify_master /usr/local/sbin/x root". */
  readonly notify: readonly string[];
}

interface KeepalivedView {
  readonly header: string;
  readonly routerName: string;
  readonly scriptUser: string;
  readonly garp: typeof GARP;
  readonly check: CheckView;
  readonly instance: InstanceView;
}

function checkView(vrrp: Vrrp): CheckView {
  return {
    script: kad(CHECK_NGINX_SCRIPT),
    ...CHECK,
    ...(vrrp.trackWeight > 0 ? { weight: -vrrp.trackWeight } : {}),
  };
}

function lbPriority(host: Host): number {
  const role = rolesOf(host, "load-balancer")[0];
  if (!role) throw new Error(`graph invariant: ${host.name} is not a load balancer`);
  return role.priority;
}

function peerAddresses(graph: Graph, host: Host): string[] {
  return graph.loadBalancer.hosts.filter((h) => h !== host.name).map((h) => kad(hostByName(graph, h).address));
}

function vipLines(graph: Graph, failover: Failover): string[] {
  if (failover.mode === "digitalocean") return [`${placeholderVip(failover.vrrp.routerId)}/32 dev lo`];
  return [`${kad(graph.loadBalancer.vip)}/${graph.network.prefixLength} dev ${kad(graph.network.interface)}`];
}

/**
 * The DigitalOcean scripts run as root: the assign script reads the root-only
 * token, the state script writes under /run. Script security still applies:
 * keepalived runs them only while no non-root user can write them.
 */
function notifyLines(failover: Failover): string[] {
  if (failover.mode !== "digitalocean") return [];
  const assign = kad(DO_ASSIGN_SCRIPT);
  return [
    `notify_master ${assign} root`,
    // A master that hears a lower-priority master (a healed split brain) takes the IP back.
    `notify_master_rx_lower_pri ${assign} root`,
    `notify ${kad(VRRP_STATE_SCRIPT)} root`,
  ];
}

function instanceView(graph: Graph, host: Host, failover: Failover): InstanceView {
  const vrrp = failover.vrrp;
  const unicast = vrrp.peers === "unicast";
  return {
    name: kad(`hacompile_${graph.name}`),
    interface: kad(graph.network.interface),
    routerId: vrrp.routerId,
    priority: lbPriority(host),
    advertInterval: String(vrrp.advertInterval),
    version: vrrp.version,
    preemptLine: vrrp.preempt ? `preempt_delay ${vrrp.preemptDelay}` : "nopreempt",
    ...(unicast ? { unicastSrc: kad(host.address) } : {}),
    unicastPeers: unicast ? peerAddresses(graph, host) : [],
    vips: vipLines(graph, failover),
    vipComment:
      failover.mode === "digitalocean"
        ? "A placeholder keepalived insists on; the reserved IP is moved by the notify_master script."
        : "The floating IP clients connect to; nginx on every LB binds it (ip_nonlocal_bind).",
    notify: notifyLines(failover),
  };
}

function keepalivedConf(graph: Graph, host: Host, failover: Failover): string {
  const view: KeepalivedView = {
    header: generatedBy(graph),
    routerName: kad(host.name),
    scriptUser: kad(SCRIPT_USER),
    garp: GARP,
    check: checkView(failover.vrrp),
    instance: instanceView(graph, host, failover),
  };
  return renderTemplate("keepalived.conf.ejs", view);
}

function checkScript(graph: Graph): string {
  const url = `http://127.0.0.1:${graph.ports.lbHealth}/health`;
  return renderTemplate("keepalived-check-nginx.sh.ejs", { header: generatedBy(graph), url: sh(url) });
}

function checkInterfaceScript(graph: Graph): string {
  const name = CHECK_INTERFACE_SCRIPT.slice(CHECK_INTERFACE_SCRIPT.lastIndexOf("/") + 1);
  return renderTemplate("keepalived-check-interface.sh.ejs", { header: generatedBy(graph), name });
}

/**
 * Debian's keepalived.service starts on whatever interface the config names;
 * this drop-in makes it wait for, then insist on, the host's address there.
 * systemd only: supervisors (compose, lab) place the address themselves.
 */
function interfaceDropIn(graph: Graph, host: Host): HostFile {
  const content = unitFile(
    [["Service", [["ExecStartPre", [CHECK_INTERFACE_SCRIPT, graph.network.interface, host.address, INTERFACE_WAIT_SECONDS].join(" ")]]]],
    `${generatedBy(graph)}\nVRRP runs on ${graph.network.interface} from ${host.address}: keepalived fails instead of electing itself alone when the address is elsewhere.`,
  );
  return file(`/etc/systemd/system/${keepalivedService(graph).unit}.d/hacompile-interface.conf`, content, "systemd", keepalivedService(graph).name);
}

/** keepalived starts after the load balancer's proxy, whose health endpoint its check script probes. */
function keepalivedService(graph: Graph): ServiceSpec {
  return {
    name: "keepalived",
    unit: "keepalived.service",
    packaged: true,
    kind: "daemon",
    // --vrrp: only the VRRP process; there are no LVS virtual servers to check.
    command: ["keepalived", "--dont-fork", "--log-console", "--no-syslog", "--vrrp", "-f", KEEPALIVED_CONF_PATH],
    after: [graph.loadBalancer.engine],
  };
}

const scriptUser: SystemUser = { name: SCRIPT_USER, group: SCRIPT_USER, system: true, home: "/nonexistent" };

function render(ctx: RenderContext, host: Host): Contribution {
  const failover = ctx.graph.loadBalancer.failover;
  if (!failover || rolesOf(host, "load-balancer").length === 0) return {};
  return {
    files: [
      file(KEEPALIVED_CONF_PATH, keepalivedConf(ctx.graph, host, failover), "keepalived", "keepalived"),
      // keepalived refuses to run a script that anyone but root can write.
      file(CHECK_NGINX_SCRIPT, checkScript(ctx.graph), "shell", "keepalived", { mode: 0o755 }),
      file(CHECK_INTERFACE_SCRIPT, checkInterfaceScript(ctx.graph), "shell", "keepalived", { mode: 0o755 }),
      interfaceDropIn(ctx.graph, host),
      restartDropIn(ctx.graph, keepalivedService(ctx.graph).unit, keepalivedService(ctx.graph).name),
    ],
    services: [keepalivedService(ctx.graph)],
    packages: ["keepalived", "curl"],
    users: [scriptUser],
  };
}

export const keepalived: Renderer = { name: "keepalived", render };
