// Kernel settings a host's services need. Today only the load balancers need
// any: nginx binds the VIP on every LB, also on the backups that do not hold
// it, which Linux refuses unless non-local binds are allowed; and short TCP
// keepalive timers notice a web host that vanished under a request.
import { hasRole, type Graph, type Host } from "../graph/model.js";
import { lbListenAddress, UPSTREAM_TCP_KEEPALIVE } from "./lb-nginx.js";
import { generatedBy } from "./nginx-main.js";
import { file, type Contribution, type Renderer, type RenderContext } from "./types.js";

export const SYSCTL_PATH = "/etc/sysctl.d/60-hacompile.conf";

interface SysctlSetting {
  readonly key: string;
  readonly value: string;
  /** Why the host needs it. */
  readonly reason: string;
}

function settingsFor(graph: Graph, host: Host): SysctlSetting[] {
  const out: SysctlSetting[] = [];
  if (!hasRole(host, "load-balancer")) return out;
  const vip = lbListenAddress(graph);
  if (vip !== undefined) {
    out.push({
      key: "net.ipv4.ip_nonlocal_bind",
      value: "1",
      reason: `nginx listens on the VIP ${vip} before keepalived moves it here.`,
    });
  }
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

function render(ctx: RenderContext, host: Host): Contribution {
  const settings = settingsFor(ctx.graph, host);
  if (settings.length === 0) return {};
  // systemd-sysctl.service applies sysctl.d at boot; restarting it re-applies the file.
  return { files: [file(SYSCTL_PATH, sysctlFile(ctx.graph, settings), "sysctl", "systemd-sysctl")] };
}

export const sysctl: Renderer = { name: "sysctl", render };
