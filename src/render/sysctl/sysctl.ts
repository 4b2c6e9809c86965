// Kernel settings a host's services need. Today only the load balancers need
// any: nginx binds the VIP on every LB, also on the backups that do not hold
// it, which Linux refuses unless non-local binds are allowed; and short TCP
// keepalive timers notice a web host that vanished under a request.
import { generatedBy } from "../common/header.js";
import { hasRole, type Graph, type Host } from "../../graph/model.js";
import { UPSTREAM_TCP_KEEPALIVE } from "../common/timeouts.js";
import { SYSCTL_SERVICE, SYSCTL_UNIT } from "./sysctl-service.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type Contribution, type HostFile, type Renderer, type RenderContext, type ServiceSpec } from "../types.js";

export { SYSCTL_SERVICE, SYSCTL_UNIT };
export const SYSCTL_PATH = "/etc/sysctl.d/60-hacompile.conf";
/** Debian bookworm's path (usrmerge makes /usr/lib/systemd/systemd-sysctl the same file). */
const SYSTEMD_SYSCTL = "/lib/systemd/systemd-sysctl";

interface SysctlSetting {
  readonly key: string;
  readonly value: string;
  /** Why the host needs it. */
  readonly reason: string;
}

/**
 * Why nginx on load balancer `host` may bind an address the host does not
 * hold (net.ipv4.ip_nonlocal_bind), or undefined when it never does: the VIP
 * on a backup; the anchor IP, which the droplet's network setup may bring up
 * after nginx starts (and which a compose container never holds).
 */
function absentBindReason(graph: Graph, host: Host): string | undefined {
  const f = graph.loadBalancer.failover;
  if (f?.mode === "vrrp") return `nginx listens on the VIP ${graph.loadBalancer.vip} before keepalived moves it here.`;
  if (f?.mode === "digitalocean") return `nginx listens on the anchor IP ${host.facts.lbListen}, which may come up after nginx starts.`;
  return undefined;
}

function settingsFor(graph: Graph, host: Host): SysctlSetting[] {
  const out: SysctlSetting[] = [];
  if (!hasRole(host, "load-balancer")) return out;
  const absent = absentBindReason(graph, host);
  if (absent !== undefined) out.push({ key: "net.ipv4.ip_nonlocal_bind", value: "1", reason: absent });
  const ka = UPSTREAM_TCP_KEEPALIVE;
  const why = `A web host that vanishes mid-request is noticed ${ka.timeSeconds + ka.intervalSeconds * ka.probes} s after its last packet (nginx retries elsewhere).`;
  out.push(
    { key: "net.ipv4.tcp_keepalive_time", value: String(ka.timeSeconds), reason: why },
    { key: "net.ipv4.tcp_keepalive_intvl", value: String(ka.intervalSeconds), reason: "Seconds between keepalive probes." },
    { key: "net.ipv4.tcp_keepalive_probes", value: String(ka.probes), reason: "Unanswered probes before the connection is dropped." },
  );
  return out;
}

/** sysctl.d is "key = value" lines with '#' comments: a serializer, not a template. */
function sysctlFile(graph: Graph, settings: readonly SysctlSetting[]): string {
  const lines = [`# ${generatedBy(graph)}`];
  for (const s of settings) lines.push(`# ${s.reason}`, `${s.key} = ${s.value}`);
  return lines.join("\n") + "\n";
}

/**
 * Our own oneshot applies the file, and the services that need a setting
 * start after it (nginx lists it in `after`). Ordering them after
 * systemd-sysctl.service alone is not enough: on a fresh host that unit ran
 * at early boot, before cloud-init or install.sh wrote the file, and
 * starting an active unit does nothing. This unit is not active yet on
 * first install, so starting hacompile.target runs it before nginx; at
 * every boot it runs again after systemd-sysctl.service; install.sh
 * restarts it when the file changes. systemd-sysctl with a path applies
 * only that file (systemd-sysctl.service(8)).
 */
function sysctlUnit(graph: Graph): HostFile {
  const apply = `${SYSTEMD_SYSCTL} ${SYSCTL_PATH}`;
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: apply ${SYSCTL_PATH} before the services that need it`],
          ["After", "systemd-sysctl.service"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          ["ExecStart", apply],
          ["ExecReload", apply],
        ],
      ],
    ],
    generatedBy(graph),
  );
  return file(`/etc/systemd/system/${SYSCTL_UNIT}`, content, "systemd", SYSCTL_SERVICE);
}

const sysctlService: ServiceSpec = {
  name: SYSCTL_SERVICE,
  unit: SYSCTL_UNIT,
  packaged: false,
  kind: "oneshot",
  command: ["sysctl", "-q", "-p", SYSCTL_PATH],
  after: [],
};

function render(ctx: RenderContext, host: Host): Contribution {
  const settings = settingsFor(ctx.graph, host);
  if (settings.length === 0) return {};
  return {
    files: [file(SYSCTL_PATH, sysctlFile(ctx.graph, settings), "sysctl", SYSCTL_SERVICE), sysctlUnit(ctx.graph)],
    services: [sysctlService],
  };
}

export const sysctl: Renderer = { name: "sysctl", render };
