// A throwaway stand-in for one host: a private network namespace (so listen
// addresses and the VRRP interface can exist without touching the machine's
// own network) and a private mount namespace in which the host's generated
// files are overlaid onto their real paths. Programs then check the files
// exactly where they will live, with their real include paths.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runTool, type ToolResult } from "./run.js";
import type { HostTree, VerifyContext } from "./types.js";

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Top-level folders of the host tree (and of the extra layer) that exist on this machine too (etc, usr, srv...). */
function overlayDirs(h: HostTree, extraLower: string | undefined): string[] {
  const tops = new Set<string>();
  for (const root of [h.root, extraLower]) if (root !== undefined && existsSync(root)) for (const d of readdirSync(root)) tops.add(d);
  return [...tops].sort().filter((d) => existsSync(join("/", d)));
}

/**
 * Runs `script` (sh) inside the host's sandbox. Overlays are writable through
 * a tmpfs upper layer, so programs that open logs or pid files can do so
 * without writing to this machine. `extraLower` adds a layer under the host's
 * files (stubs for binaries this machine lacks).
 */
export async function inSandbox(ctx: VerifyContext, h: HostTree, script: string, extraLower?: string): Promise<ToolResult> {
  const lines = [
    "set -e",
    "mount -t tmpfs hacompile-verify /mnt",
    "mkdir -p /mnt/u /mnt/w",
    ...overlayDirs(h, extraLower).map((d) => {
      const lowers = [...(existsSync(join(h.root, d)) ? [join(h.root, d)] : []), ...(extraLower && existsSync(join(extraLower, d)) ? [join(extraLower, d)] : []), `/${d}`];
      return `mkdir -p /mnt/u/${d} /mnt/w/${d} && mount -t overlay overlay -o ${q(`lowerdir=${lowers.join(":")},upperdir=/mnt/u/${d},workdir=/mnt/w/${d}`)} /${d}`;
    }),
    "ip link set lo up",
    // "name" and "dev" spelled out: ip takes a bare word that abbreviates one of its
    // keywords ("d" for dynamic) as that keyword, and interface names may be any word.
    `ip link add name ${q(ctx.iface)} type bridge`,
    `ip addr add ${q(`${h.address}/${ctx.prefixLength}`)} dev ${q(ctx.iface)}`,
    `ip link set dev ${q(ctx.iface)} up`,
    // The LB listens on the VIP before it holds it, as in production.
    "sysctl -qw net.ipv4.ip_nonlocal_bind=1",
    "set +e",
    script,
  ];
  // --mount-proc is not needed; /mnt is covered by a private tmpfs, so nothing leaks out.
  return runTool("unshare", ["--net", "--mount", "--propagation", "private", "sh", "-c", lines.join("\n")]);
}
