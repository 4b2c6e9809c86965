// One compose service per topology host: the container stands in for the
// host (same hostname, same address) and gets exactly the privileges its
// roles need, nothing by default.
import type { Graph, Host } from "../../src/graph/model.js";
import { rolesOf } from "../../src/graph/model.js";
import type { HostPlan } from "../../src/render/types.js";
import type { ImageKind } from "./images.js";
import { INIT_PATH, pathName, SUPERVISOR_CONF_PATH, type Placement } from "./init.js";

export const NETWORK = "default";

/** Plain JSON-like values: what the YAML serializer receives. */
export type Yaml = string | number | boolean | readonly Yaml[] | { readonly [key: string]: Yaml };
export type YamlMap = { [key: string]: Yaml };

export interface Privileges {
  readonly capAdd: string[];
  readonly sysctls: [string, string][];
  readonly devices: string[];
  readonly securityOpt: string[];
  /** sysctl.d settings Docker cannot set per container (not namespaced): they need the Docker host. */
  readonly hostSysctls: string[];
}

/** `key = value` lines of the host's sysctl.d files. */
function sysctlSettings(plan: HostPlan): [string, string][] {
  const out: [string, string][] = [];
  for (const f of plan.files) {
    if (f.kind !== "sysctl") continue;
    for (const line of f.content.split("\n")) {
      const m = /^\s*-?([A-Za-z0-9_./-]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (m && !line.trimStart().startsWith("#") && !line.trimStart().startsWith(";")) out.push([m[1] as string, m[2] as string]);
    }
  }
  return out;
}

export function privileges(graph: Graph, plan: HostPlan): Privileges {
  const host = plan.host;
  const caps = new Set<string>();
  const devices: string[] = [];
  const securityOpt: string[] = [];
  // keepalived adds and removes the VIP (NET_ADMIN), sends VRRP adverts on a raw socket (NET_RAW) and gratuitous ARP (NET_BROADCAST).
  if (rolesOf(host, "load-balancer").length > 0 && graph.loadBalancer.failover !== undefined) {
    for (const c of ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"]) caps.add(c);
  }
  // FUSE mounts need /dev/fuse and SYS_ADMIN, bricks need trusted.* xattrs (SYS_ADMIN), and Docker's
  // default AppArmor profile (Debian, Ubuntu) denies mount() even then.
  if (rolesOf(host, "gluster-server").length > 0 || rolesOf(host, "gluster-client").length > 0) {
    caps.add("SYS_ADMIN");
    devices.push("/dev/fuse:/dev/fuse");
    securityOpt.push("apparmor=unconfined");
  }
  const sysctls: [string, string][] = [];
  const hostSysctls: string[] = [];
  for (const [k, v] of sysctlSettings(plan)) {
    // net.* lives in the container's network namespace; Docker refuses the rest.
    if (k.startsWith("net.")) sysctls.push([k, v]);
    else hostSysctls.push(`${k}=${v}`);
  }
  return { capAdd: [...caps].sort(), sysctls, devices, securityOpt, hostSysctls };
}

export interface NamedVolume {
  readonly name: string;
  readonly target: string;
}

/**
 * Data that must outlive a container: the database's datadir, glusterd's
 * state (peers, volumes) and the bricks. A brick goes one folder below the
 * volume's mount point: Gluster refuses a brick that is itself a mount point.
 */
export function namedVolumes(host: Host): NamedVolume[] {
  const targets: string[] = [];
  if (host.roles.some((r) => r.kind === "db-primary" || r.kind === "db-replica")) targets.push("/var/lib/mysql");
  const bricks = rolesOf(host, "gluster-server");
  if (bricks.length > 0) targets.push("/var/lib/glusterd");
  for (const b of bricks) {
    const parent = b.brickPath.replace(/\/[^/]+\/?$/, "");
    if (parent === "" || parent === "/") throw new Error(`compose: ${host.name}: the brick ${b.brickPath} needs a parent folder to mount a volume on`);
    if (!targets.includes(parent)) targets.push(parent);
  }
  return targets.map((t) => ({ name: pathName(host.name, t), target: t }));
}

const HEALTHCHECK: YamlMap = {
  test: ["CMD", INIT_PATH, "health"],
  interval: "3s",
  timeout: "20s",
  retries: 5,
  // Bootstraps (database, Gluster volume) run inside this window; failures in it do not count.
  start_period: "300s",
};

export interface ServiceInput {
  readonly graph: Graph;
  readonly plan: HostPlan;
  readonly kind: ImageKind;
  readonly placement: Placement;
  readonly privileges: Privileges;
  readonly volumes: readonly NamedVolume[];
  readonly dependsOn: readonly string[];
  /** `host:address` entries for the container's /etc/hosts (net.ts siteHosts). */
  readonly extraHosts: readonly string[];
}

function bind(host: string, path: string): YamlMap {
  return { type: "bind", source: `./hosts/${host}${path}`, target: path, read_only: true };
}

export function hostService(i: ServiceInput): YamlMap {
  const { plan, kind, placement, privileges: pv } = i;
  const name = plan.host.name;
  const s: YamlMap = {
    image: kind.image,
    build: { context: `./${kind.dir}` },
    hostname: name,
    entrypoint: [INIT_PATH, "start"],
    networks: { [NETWORK]: { ipv4_address: plan.host.address } },
  };
  if (i.extraHosts.length > 0) s["extra_hosts"] = [...i.extraHosts];
  if (pv.capAdd.length > 0) s["cap_add"] = pv.capAdd;
  if (pv.sysctls.length > 0) s["sysctls"] = Object.fromEntries(pv.sysctls);
  if (pv.devices.length > 0) s["devices"] = pv.devices;
  if (pv.securityOpt.length > 0) s["security_opt"] = pv.securityOpt;
  // A fresh /run at every start, as on a booting host: no stale pid files or sockets after a restart.
  s["tmpfs"] = ["/run:mode=755"];
  s["volumes"] = [
    bind(name, INIT_PATH),
    bind(name, SUPERVISOR_CONF_PATH),
    ...placement.mounted.map((f) => bind(name, f.path)),
    ...i.volumes.map((v) => ({ type: "volume", source: v.name, target: v.target })),
  ];
  if (placement.installed.length > 0) s["secrets"] = placement.installed.map((x) => x.secret);
  s["healthcheck"] = HEALTHCHECK;
  if (i.dependsOn.length > 0) s["depends_on"] = Object.fromEntries(i.dependsOn.map((d) => [d, { condition: "service_healthy" }]));
  // Time for supervisord to stop the database and glusterd cleanly (its own per-program limit is 25 s).
  s["stop_grace_period"] = "30s";
  return s;
}
