// GlusterFS brick servers: glusterd.vol with the brick ports pinned to the
// range the firewall opens, a tiny per-host unit that creates the brick
// folders before glusterd starts, and on the first server of each volume a
// bootstrap that probes the peers and creates, configures and starts the
// volume (idempotent; refuses to touch a volume whose bricks differ).
import { generatedByRebuild } from "../common/header.js";
import { rolesOf, type Graph, type Host, type Volume } from "../../graph/model.js";
import { WEB_USER } from "../php-fpm/php-fpm.js";
import { templateRenderer } from "../common/ejs.js";
import { execLine, sh } from "../common/quote.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type Contribution, type HostFile, type Renderer, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/gluster");

export const GLUSTERD_VOL = "/etc/glusterfs/glusterd.vol";
export const BOOTSTRAP_SCRIPT = "/usr/local/sbin/hacompile-gluster-bootstrap";
export const BOOTSTRAP_UNIT = "hacompile-gluster-bootstrap.service";
export const BRICKS_UNIT = "hacompile-gluster-bricks.service";

/**
 * network.ping-timeout, seconds. Gluster's default is 42: a brick server
 * that dies without closing its sockets freezes every client operation on
 * the volume (WordPress uploads, and the PHP workers waiting on them) for
 * that long. Below ~5 s a busy but healthy server gets disconnected, and
 * every reconnect re-opens files and locks and can start self-heal, which
 * Gluster's documentation calls expensive. 10 s bounds the stall while
 * staying well above transient stalls.
 */
export const PING_TIMEOUT_SECONDS = 10;

/**
 * client.tcp-user-timeout, seconds: how long a client's write may stay
 * unacknowledged before the kernel drops the connection to that brick (Linux
 * TCP_USER_TIMEOUT). The ping timer alone does not bound a stall: it only
 * fires once nothing was sent or received for ping-timeout, so a client that
 * keeps writing to a brick whose host vanished (link or power gone, no RST)
 * pushes it back; `hacompile lab test` saw 20 s with ping-timeout 10 (28 s
 * with 3 in an earlier probe). With this set, the first write after a link
 * cut waits about 5.5 s, then the replicas that answer carry on. The kernel
 * acknowledges data whether or not glusterfsd is busy, so a slow but healthy
 * server is not dropped.
 */
export const TCP_USER_TIMEOUT_SECONDS = 5;

/** Peer wait: 90 tries 2 s apart (3 min) covers hosts that boot in any order. */
const PEER_WAIT = { tries: 90, delaySeconds: 2 } as const;

export const glusterServer: Renderer = {
  name: "gluster-server",
  render: ({ graph }, host) => {
    const served = servedVolumes(graph, host);
    if (served.length === 0) return {};
    const bootstrapped = served.filter((v) => v.servers[0] === host.name);
    const files: HostFile[] = [glusterdVol(graph), bricksUnit(graph, host, served)];
    const services: ServiceSpec[] = [bricksService(host, served), glusterdService()];
    if (bootstrapped.length > 0) {
      files.push(bootstrapScript(graph, host, bootstrapped), bootstrapUnit(graph, host, bootstrapped));
      services.push(bootstrapService());
    }
    const c: Contribution = { files, services, packages: ["glusterfs-server"] };
    return c;
  },
};

/** Volumes with a brick on this host, in graph order. */
function servedVolumes(graph: Graph, host: Host): Volume[] {
  const names = new Set(rolesOf(host, "gluster-server").map((r) => r.volume));
  return graph.volumes.filter((v) => names.has(v.name));
}

/** This host's brick folders, each once. */
function brickPaths(host: Host, vols: readonly Volume[]): string[] {
  return [...new Set(vols.flatMap((v) => v.bricks.filter((b) => b.host === host.name).map((b) => b.path)))];
}

function glusterdVol(graph: Graph): HostFile {
  const content = renderTemplate("gluster-server-glusterd.vol.ejs", {
    header: generatedByRebuild(graph),
    listenPort: graph.ports.glusterd[0],
    basePort: graph.ports.glusterBricks[0],
    maxPort: graph.ports.glusterBricks[1],
  });
  return file(GLUSTERD_VOL, content, "glusterd-vol", "glusterd");
}

function glusterdService(): ServiceSpec {
  return {
    name: "glusterd",
    unit: "glusterd.service",
    packaged: true,
    kind: "daemon",
    // -N (--no-daemon) keeps glusterd in the foreground for supervisors.
    command: ["glusterd", "-N"],
    after: ["gluster-bricks"],
  };
}

// glusterd creates a brick's last folder itself but not its parents, and
// `volume create` fails on every host where they are missing. Creating them
// before glusterd starts means that a peer the bootstrap sees connected
// already has them: the ordering needs no cross-host step.
function bricksService(host: Host, vols: readonly Volume[]): ServiceSpec {
  return {
    name: "gluster-bricks",
    unit: BRICKS_UNIT,
    packaged: false,
    kind: "oneshot",
    command: ["mkdir", "-p", "-m", "0755", ...brickPaths(host, vols)],
    after: [],
  };
}

function bricksUnit(graph: Graph, host: Host, vols: readonly Volume[]): HostFile {
  const paths = brickPaths(host, vols);
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", "hacompile: create the GlusterFS brick folders"],
          // A dedicated disk mounted at or above the brick path must be
          // mounted first, or the brick would land on the root filesystem.
          ["RequiresMountsFor", paths.join(" ")],
          ["Before", "glusterd.service"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          ["ExecStart", execLine(["/bin/mkdir", "-p", "-m", "0755", ...paths])],
        ],
      ],
      ["Install", [["WantedBy", "glusterd.service"]]],
    ],
    generatedByRebuild(graph),
  );
  return file(`/etc/systemd/system/${BRICKS_UNIT}`, content, "systemd", "glusterd");
}

function bootstrapService(): ServiceSpec {
  return {
    name: "gluster-bootstrap",
    unit: BOOTSTRAP_UNIT,
    packaged: false,
    kind: "oneshot",
    command: [BOOTSTRAP_SCRIPT],
    after: ["glusterd"],
  };
}

function bootstrapUnit(graph: Graph, host: Host, vols: readonly Volume[]): HostFile {
  // The script's waits are bounded (local glusterd, then the peers, each
  // gluster call under `timeout`); the unit only has to outlast them.
  const timeout = 2 * PEER_WAIT.tries * PEER_WAIT.delaySeconds + 600;
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: create and start the GlusterFS volume(s) ${vols.map((v) => v.name).join(", ")} from ${host.name}`],
          ["Requires", "glusterd.service"],
          ["After", "glusterd.service network-online.target"],
          ["Wants", "network-online.target"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          ["ExecStart", BOOTSTRAP_SCRIPT],
          ["TimeoutStartSec", timeout],
        ],
      ],
      ["Install", [["WantedBy", "multi-user.target"]]],
    ],
    generatedByRebuild(graph),
  );
  return file(`/etc/systemd/system/${BOOTSTRAP_UNIT}`, content, "systemd", "glusterd");
}

interface VolumeArgs {
  readonly name: string;
  readonly comment: string;
  /** Words after `ensure_volume`, each already a shell word. */
  readonly words: string;
}

function bootstrapScript(graph: Graph, host: Host, vols: readonly Volume[]): HostFile {
  const self = host.address;
  const peers = [...new Set(vols.flatMap((v) => v.bricks.map((b) => b.address)))].filter((a) => a !== self);
  const content = renderTemplate("gluster-server-bootstrap.sh.ejs", {
    header: generatedByRebuild(graph),
    host: host.name,
    peers: peers.map(sh).join(" "),
    peerTries: PEER_WAIT.tries,
    peerDelay: PEER_WAIT.delaySeconds,
    pingTimeout: PING_TIMEOUT_SECONDS,
    tcpUserTimeout: TCP_USER_TIMEOUT_SECONDS,
    volumes: vols.map((v) => volumeArgs(graph, v)),
  });
  return file(BOOTSTRAP_SCRIPT, content, "shell", "glusterd", { mode: 0o755 });
}

/**
 * The user that must own a volume's root: php-fpm's user when a WordPress
 * pool writes uploads there, else '' (root keeps it). The bootstrap turns the
 * name into ids on the brick server itself (Debian's base-passwd gives
 * www-data the same uid and gid, 33, on every Debian host and image).
 */
function volumeOwner(graph: Graph, v: Volume): string {
  return graph.pools.some((p) => p.app === "wordpress" && p.volume === v.name) ? WEB_USER : "";
}

function volumeArgs(graph: Graph, v: Volume): VolumeArgs {
  const sets = v.bricks.length / v.replica;
  const layout = v.arbiter === 1 ? `${sets} x (${v.replica - 1} + 1) = ${v.bricks.length}` : v.replica === 1 ? `${v.bricks.length}` : `${sets} x ${v.replica} = ${v.bricks.length}`;
  const kind = v.replica === 1 ? "distribute" : v.arbiter === 1 ? `replica ${v.replica} with an arbiter (the last brick of each set holds metadata only)` : `replica ${v.replica}`;
  const words = [v.name, String(v.replica), String(v.arbiter), volumeOwner(graph, v), layout, ...v.bricks.map((b) => `${b.address}:${b.path}`)].map(sh).join(" ");
  return { name: v.name, comment: `${v.name}: ${kind}, ${v.bricks.length} bricks, mounted at ${v.mount}`, words };
}
