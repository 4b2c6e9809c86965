// Nightly backup of each shared volume (WordPress uploads), taken on the
// volume's first client through its mount: the client sees the volume as
// users do, whole, while a brick holds only its share plus Gluster's
// metadata. A timer runs a script that archives the mounted folder into a
// timestamped tarball and keeps the newest few, on the topology's backup
// destination off the host when it names one.
import { generatedByRebuild } from "../common/header.js";
import type { Graph, Host, Volume } from "../../graph/model.js";
import { backupDestination } from "../common/backup-destination.js";
import { templateRenderer } from "../common/ejs.js";
import { mountServiceName, mountUnitName } from "./gluster-client.js";
import { BACKUP_SCHEDULE, BACKUPS_KEPT } from "../mysql/mysql-backup.js";
import { sh } from "../common/quote.js";
import { unitFile } from "../common/systemd-unit.js";
import { volumeBackupServiceName, type ServiceName } from "../services.js";
import { file, type HostFile, type Renderer, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/gluster");

const RANDOMIZED_DELAY = "30min";

export const volumeBackupScript = (v: Volume): string => `/usr/local/sbin/hacompile-volume-backup-${v.name}`;
const unitName = (v: Volume): string => `hacompile-volume-backup-${v.name}`;
const serviceName = (v: Volume): ServiceName => volumeBackupServiceName(v.name);

export const volumeBackup: Renderer = {
  name: "volume-backup",
  render: ({ graph }, host) => {
    const vols = graph.volumes.filter((v) => v.clients[0] === host.name);
    if (vols.length === 0) return {};
    return {
      files: vols.flatMap((v) => [script(graph, host, v), unit(graph, v), timer(graph, v)]),
      services: vols.map(service),
    };
  },
};

function script(graph: Graph, host: Host, v: Volume): HostFile {
  const dest = backupDestination(graph, "volumes", v.name);
  const content = renderTemplate("volume-backup.sh.ejs", {
    header: generatedByRebuild(graph),
    what: `Volume '${v.name}' mounted at ${v.mount} on ${host.name}.`,
    source: sh(v.mount),
    root: sh(dest.root),
    mountPoint: dest.mountPoint === undefined ? "" : sh(dest.mountPoint),
    keep: BACKUPS_KEPT,
  });
  return file(volumeBackupScript(v), content, "shell", serviceName(v), { mode: 0o755 });
}

function unit(graph: Graph, v: Volume): HostFile {
  const { mountPoint } = backupDestination(graph, "volumes", v.name);
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: backup of volume ${v.name}`],
          // The volume's own mount, and the destination's when it is off the host.
          ["RequiresMountsFor", [v.mount, ...(mountPoint === undefined ? [] : [mountPoint])].join(" ")],
          ["After", mountUnitName(v.mount)],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["ExecStart", volumeBackupScript(v)],
          // Reading the whole volume competes with the site for the network and disks.
          ["Nice", 10],
          ["IOSchedulingClass", "idle"],
        ],
      ],
    ],
    `${generatedByRebuild(graph)}\nStarted by ${unitName(v)}.timer.`,
  );
  return file(`/etc/systemd/system/${unitName(v)}.service`, content, "systemd", serviceName(v));
}

function timer(graph: Graph, v: Volume): HostFile {
  const content = unitFile(
    [
      ["Unit", [["Description", `hacompile: nightly backup of volume ${v.name}`]]],
      [
        "Timer",
        [
          ["OnCalendar", BACKUP_SCHEDULE],
          ["RandomizedDelaySec", RANDOMIZED_DELAY],
          // A host that was off at the scheduled time backs up when it comes back.
          ["Persistent", true],
        ],
      ],
      ["Install", [["WantedBy", "timers.target"]]],
    ],
    generatedByRebuild(graph),
  );
  return file(`/etc/systemd/system/${unitName(v)}.timer`, content, "systemd", serviceName(v));
}

function service(v: Volume): ServiceSpec {
  return {
    name: serviceName(v),
    unit: `${unitName(v)}.service`,
    packaged: false,
    kind: "oneshot",
    command: [volumeBackupScript(v)],
    after: [mountServiceName(v.name)],
    schedule: BACKUP_SCHEDULE,
  };
}

