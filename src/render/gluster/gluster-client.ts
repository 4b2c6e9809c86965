// GlusterFS clients: one systemd .mount unit per volume the host mounts (no
// fstab line: one place only), a mount helper that a timer runs every few
// seconds (it mounts what is missing and remounts what died, because systemd
// tries a mount once per boot and a killed FUSE client never comes back by
// itself), and a php-fpm drop-in that orders PHP after the mounts without
// requiring them: while a volume is missing, nginx answers 503 on its own
// (web-nginx.ts checks the marker file below), so the host stays out of its
// pool instead of serving 502s or writing uploads into the bare folder.
import { generatedByRebuild } from "../common/header.js";
import { hasRole, hostByName, rolesOf, type Graph, type Host, type Volume } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { WEB_USER } from "../php-fpm/php-fpm.js";
import { sh, systemdEscapePath } from "../common/quote.js";
import { unitFile } from "../common/systemd-unit.js";
import { mountServiceName } from "../services.js";
import { file, type Contribution, type HostFile, type Renderer, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/gluster");

export const PHP_FPM_DROPIN = "/etc/systemd/system/php8.2-fpm.service.d/hacompile-mounts.conf";
export const MOUNT_SCRIPT = "/usr/local/sbin/hacompile-gluster-mount";
const MOUNT_WATCH_UNIT = "hacompile-gluster-mount.service";
/**
 * At the root of every volume: nginx serves only while it can see it, which
 * is true only when the volume is mounted and its client answers.
 */
export const VOLUME_MARKER = ".hacompile-volume";
/** The watch's period: a volume that comes back is mounted within this (plus the mount itself). */
const WATCH_SCHEDULE = "*:*:0/15";
/** `--wait` (supervisors, first start) gives up after this many seconds; each try waits this long. */
const WAIT = { seconds: 180, delaySeconds: 5 } as const;
/** One `mount` may take this long (mount.glusterfs asks the volfile servers one after the other). */
const MOUNT_TIMEOUT_SECONDS = 60;
/** A mounted volume whose root does not answer a stat within this is taken for dead. */
const STAT_TIMEOUT_SECONDS = 10;

/** The mount unit's name: systemd requires it to match Where=. */
export function mountUnitName(mount: string): string {
  return `${systemdEscapePath(mount)}.mount`;
}

/** The ServiceSpec name other renderers list in `after` (php-fpm); named by the registry, re-exported for the lab. */
export { mountServiceName };

export const glusterClient: Renderer = {
  name: "gluster-client",
  render: ({ graph }, host) => {
    const vols = mountedVolumes(graph, host);
    if (vols.length === 0) return {};
    const files: HostFile[] = vols.map((v) => mountUnit(graph, host, v));
    const wpMounts = wordpressMounts(graph, host, vols);
    if (wpMounts.length > 0) files.push(phpFpmDropIn(graph, wpMounts));
    files.push(mountScript(graph, host, vols, wpMounts), ...watchUnits(graph, host, vols));
    const c: Contribution = {
      files,
      services: [...vols.map((v) => mountService(host, v)), watchService(host, vols)],
      packages: ["glusterfs-client"],
    };
    return c;
  },
};

function mountedVolumes(graph: Graph, host: Host): Volume[] {
  const names = new Set(rolesOf(host, "gluster-client").map((r) => r.volume));
  return graph.volumes.filter((v) => names.has(v.name));
}

/** Mounts of the volumes this host's WordPress pools use: php-fpm must not start without them. */
function wordpressMounts(graph: Graph, host: Host, vols: readonly Volume[]): string[] {
  const pools = new Set(rolesOf(host, "web").map((r) => r.pool));
  const used = new Set(graph.pools.filter((p) => pools.has(p.name) && p.app === "wordpress" && p.volume !== undefined).map((p) => p.volume));
  return vols.filter((v) => used.has(v.name)).map((v) => v.mount);
}

function serverAddresses(graph: Graph, v: Volume): string[] {
  return v.servers.map((s) => hostByName(graph, s).address);
}

/**
 * `_netdev` marks it a network filesystem (ordered after the network);
 * backup-volfile-servers lets the mount fetch the volume layout from another
 * brick server when the first is down at mount time. Once mounted, the
 * client talks to every brick directly, whatever server it asked first.
 */
function mountOptions(graph: Graph, v: Volume): string {
  const backups = serverAddresses(graph, v).slice(1);
  return ["_netdev", ...(backups.length > 0 ? [`backup-volfile-servers=${backups.join(":")}`] : [])].join(",");
}

function source(graph: Graph, v: Volume): string {
  return `${serverAddresses(graph, v)[0]}:/${v.name}`;
}

/** A host that is also a brick server mounts through its own glusterd: wait for it. */
function localGlusterd(host: Host, v: Volume): boolean {
  return hasRole(host, "gluster-server") && v.servers.includes(host.name);
}

function mountUnit(graph: Graph, host: Host, v: Volume): HostFile {
  const after = ["network-online.target", ...(localGlusterd(host, v) ? ["glusterd.service"] : [])];
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: GlusterFS volume ${v.name} at ${v.mount}`],
          ["After", after.join(" ")],
          ["Wants", after.join(" ")],
        ],
      ],
      [
        "Mount",
        [
          ["What", source(graph, v)],
          ["Where", v.mount],
          ["Type", "glusterfs"],
          ["Options", mountOptions(graph, v)],
        ],
      ],
      ["Install", [["WantedBy", "remote-fs.target"]]],
    ],
    generatedByRebuild(graph),
  );
  return file(`/etc/systemd/system/${mountUnitName(v.mount)}`, content, "systemd", mountServiceName(v.name));
}

/** Supervisors (lab, compose) mount through the helper, which waits (bounded) for the volume. */
function mountService(host: Host, v: Volume): ServiceSpec {
  return {
    name: mountServiceName(v.name),
    unit: mountUnitName(v.mount),
    packaged: false,
    kind: "oneshot",
    command: [MOUNT_SCRIPT, "--wait", v.mount],
    after: localGlusterd(host, v) ? ["glusterd"] : [],
  };
}

interface MountArgs {
  readonly where: string;
  readonly what: string;
  readonly options: string;
  /** The user that must own the volume's root ('' when no app writes to it). */
  readonly owner: string;
}

function mountScript(graph: Graph, host: Host, vols: readonly Volume[], wpMounts: readonly string[]): HostFile {
  const args: MountArgs[] = vols.map((v) => ({
    where: v.mount,
    what: source(graph, v),
    options: mountOptions(graph, v),
    // gluster-server gives the volume's root to this user (storage.owner-uid/gid); the helper checks it.
    owner: wpMounts.includes(v.mount) ? WEB_USER : "",
  }));
  const content = renderTemplate("gluster-mount.sh.ejs", {
    header: generatedByRebuild(graph),
    host: host.name,
    marker: sh(VOLUME_MARKER),
    waitSeconds: WAIT.seconds,
    delaySeconds: WAIT.delaySeconds,
    mountTimeout: MOUNT_TIMEOUT_SECONDS,
    statTimeout: STAT_TIMEOUT_SECONDS,
    volumes: args.map((a) => [a.where, a.what, a.options, a.owner].map(sh).join(" ")),
  });
  return file(MOUNT_SCRIPT, content, "shell", "gluster-mount", { mode: 0o755 });
}

/** The periodic round of the helper: a oneshot and its timer, every WATCH_SCHEDULE. */
function watchUnits(graph: Graph, host: Host, vols: readonly Volume[]): HostFile[] {
  const glusterd = vols.some((v) => localGlusterd(host, v));
  const after = ["network-online.target", ...(glusterd ? ["glusterd.service"] : [])].join(" ");
  const service = unitFile(
    [
      ["Unit", [["Description", "hacompile: mount the GlusterFS volumes that are missing, remount dead ones"], ["After", after], ["Wants", "network-online.target"]]],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["ExecStart", MOUNT_SCRIPT],
          // Every step inside is bounded (stat, umount, mount); this bounds the round.
          ["TimeoutStartSec", vols.length * (STAT_TIMEOUT_SECONDS + MOUNT_TIMEOUT_SECONDS + 30)],
        ],
      ],
    ],
    generatedByRebuild(graph),
  );
  const timer = unitFile(
    [
      ["Unit", [["Description", "hacompile: check the GlusterFS mounts every 15 s"]]],
      [
        "Timer",
        [
          ["OnCalendar", WATCH_SCHEDULE],
          // The default accuracy (1 min) would stretch the period to a minute.
          ["AccuracySec", "1s"],
          ["Unit", MOUNT_WATCH_UNIT],
        ],
      ],
      ["Install", [["WantedBy", "timers.target"]]],
    ],
    generatedByRebuild(graph),
  );
  return [
    file(`/etc/systemd/system/${MOUNT_WATCH_UNIT}`, service, "systemd", "gluster-mount"),
    file(`/etc/systemd/system/${MOUNT_WATCH_UNIT.replace(/\.service$/, ".timer")}`, timer, "systemd", "gluster-mount"),
  ];
}

function watchService(host: Host, vols: readonly Volume[]): ServiceSpec {
  return {
    name: "gluster-mount",
    unit: MOUNT_WATCH_UNIT,
    packaged: false,
    kind: "oneshot",
    command: [MOUNT_SCRIPT],
    after: vols.some((v) => localGlusterd(host, v)) ? ["glusterd"] : [],
    schedule: WATCH_SCHEDULE,
  };
}

function phpFpmDropIn(graph: Graph, mounts: readonly string[]): HostFile {
  const content = unitFile(
    [
      [
        "Unit",
        [
          // Ordered after the mounts, so that at a normal boot PHP starts on
          // the mounted volume; Wants=, not Requires=: a volume that is not
          // served yet must not fail php-fpm for good ("dependency failed").
          // nginx refuses to serve while the volume is missing (web-nginx.ts).
          ["After", mounts.map(mountUnitName).join(" ")],
          ["Wants", mounts.map(mountUnitName).join(" ")],
        ],
      ],
    ],
    generatedByRebuild(graph),
  );
  return file(PHP_FPM_DROPIN, content, "systemd", "php-fpm");
}
