// One image per kind of host. A kind is a distinct set of Debian packages (and
// system users): hosts that install the same software share an image, so a
// topology of eleven hosts builds a handful of images. The Dockerfiles install
// exactly the packages the renderers asked for, the same software as the
// systemd target, plus what the container itself needs.
import { generatedBy } from "../../src/render/common/header.js";
import type { Graph, Host } from "../../src/graph/model.js";
import { sh } from "../../src/render/common/quote.js";
import type { HostPlan, SystemUser } from "../../src/render/types.js";
import { renderComposeTemplate } from "./template.js";

export const BASE_IMAGE = "debian:bookworm-slim";

/**
 * supervisor runs the host's daemons (see init.ts); iproute2 lets one see the
 * VIP move (`ip addr`); procps for ps/pgrep when debugging; curl for the
 * healthchecks of HTTP services.
 */
export const CONTAINER_PACKAGES: readonly string[] = ["curl", "iproute2", "procps", "supervisor"];

/** The entrance only forwards TCP; socat is the smallest well-known tool for it. */
export const ENTRANCE_PACKAGES: readonly string[] = ["socat"];
export const ENTRANCE_KIND = "entrance";

export interface ImageKind {
  readonly name: string;
  /** Build context inside the compose folder. */
  readonly dir: string;
  readonly image: string;
  readonly packages: readonly string[];
  readonly users: readonly SystemUser[];
  readonly hosts: readonly string[];
}

const PACKAGE_RE = /^[a-z0-9][a-z0-9.+-]+$/;

/**
 * Words for a host's roles: coarse ("db") or fine ("db-replica"). Fine words
 * are used only when two kinds would otherwise get the same name (a replica
 * that installs a backup tool the primary does not).
 */
function roleLabels(graph: Graph, host: Host, fine: boolean): string[] {
  const labels: string[] = [];
  const add = (l: string): void => {
    if (!labels.includes(l)) labels.push(l);
  };
  const glusterServer = host.roles.some((r) => r.kind === "gluster-server");
  for (const r of host.roles) {
    if (r.kind === "load-balancer") add("lb");
    else if (r.kind === "web") add(`web-${graph.pools.find((p) => p.name === r.pool)?.app ?? "app"}`);
    else if (r.kind === "db-primary" || r.kind === "db-replica") add(fine ? r.kind : "db");
    else if (r.kind === "gluster-server") add("gluster");
    // A Gluster server has the client too; naming it twice says nothing.
    else if (r.kind === "gluster-client" && !glusterServer) add("gluster-client");
  }
  return labels;
}

function labelName(graph: Graph, host: Host, fine: boolean): string {
  return roleLabels(graph, host, fine).join("-") || "host";
}

function kindKey(plan: HostPlan): string {
  return JSON.stringify([plan.packages, plan.users.map((u) => [u.name, u.group, u.home])]);
}

export function imageName(graph: Graph, kind: string): string {
  return `hacompile/${graph.name}-${kind}:latest`;
}

/** Kinds in the order their first host appears; names from that host's roles, made unique with -2, -3... */
export function planKinds(graph: Graph, plans: readonly HostPlan[]): { kinds: ImageKind[]; byHost: Map<string, ImageKind> } {
  const groups = new Map<string, HostPlan[]>();
  for (const p of plans) {
    const k = kindKey(p);
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const heads = [...groups.values()].map((g) => g[0]).filter((h): h is HostPlan => h !== undefined);
  const coarse = heads.map((h) => labelName(graph, h.host, false));
  const used = new Set<string>([ENTRANCE_KIND]);
  const kinds: ImageKind[] = [];
  const byHost = new Map<string, ImageKind>();
  for (const [index, members] of [...groups.values()].entries()) {
    const head = members[0];
    if (!head) continue;
    const shared = coarse.filter((c) => c === coarse[index]).length > 1;
    const base = shared ? labelName(graph, head.host, true) : (coarse[index] as string);
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    for (const pkg of head.packages) {
      if (!PACKAGE_RE.test(pkg)) throw new Error(`compose: not a Debian package name: ${JSON.stringify(pkg)}`);
    }
    const kind: ImageKind = {
      name,
      dir: `images/${name}`,
      image: imageName(graph, name),
      packages: [...new Set([...head.packages, ...CONTAINER_PACKAGES])].sort(),
      users: head.users,
      hosts: members.map((m) => m.host.name),
    };
    kinds.push(kind);
    for (const m of members) byHost.set(m.host.name, kind);
  }
  return { kinds, byHost };
}

function userCommands(users: readonly SystemUser[]): string[] {
  const out: string[] = [];
  for (const u of users) {
    out.push(`{ getent group ${sh(u.group)} >/dev/null || groupadd --system ${sh(u.group)}; }`);
    out.push(
      `{ getent passwd ${sh(u.name)} >/dev/null || useradd --system --gid ${sh(u.group)} --home-dir ${sh(u.home)} ` +
        `--no-create-home --shell /usr/sbin/nologin ${sh(u.name)}; }`,
    );
  }
  return out;
}

export function dockerfile(graph: Graph, kind: ImageKind): string {
  return renderComposeTemplate("Dockerfile.ejs", {
    header: generatedBy(graph),
    about: `Image "${kind.name}" for ${kind.hosts.join(", ")}.`,
    baseImage: BASE_IMAGE,
    packages: kind.packages,
    userCommands: userCommands(kind.users),
  });
}

export function entranceDockerfile(graph: Graph): string {
  return renderComposeTemplate("Dockerfile.ejs", {
    header: generatedBy(graph),
    about: `Image "${ENTRANCE_KIND}": forwards a port of the Docker host to the VIP (compose profile "entrance").`,
    baseImage: BASE_IMAGE,
    packages: [...ENTRANCE_PACKAGES],
    userCommands: [],
  });
}
