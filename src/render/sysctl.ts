// Kernel settings a host's services need. Today only the load balancers need
// one: nginx binds the VIP on every LB, also on the backups that do not hold
// it, which Linux refuses unless non-local binds are allowed.
import { hasRole, type Graph, type Host } from "../graph/model.js";
import { lbListenAddress } from "./lb-nginx.js";
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
  const vip = lbListenAddress(graph);
  if (hasRole(host, "load-balancer") && vip !== undefined) {
    out.push({
      key: "net.ipv4.ip_nonlocal_bind",
      value: "1",
      reason: `nginx listens on the VIP ${vip} before keepalived moves it here.`,
    });
  }
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
