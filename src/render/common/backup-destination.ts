// Where a backup host writes its copies. With `backup.path` in the topology
// that is storage off the host, mounted by the user at that path (the scripts
// refuse to run when it is not a mount point, so a missing mount never fills
// the host's own disk with copies that die with it); without it, a folder on
// the host itself, as before.
import type { Graph } from "../../graph/model.js";

export interface BackupDestination {
  /** The folder the copies go into (one per database or volume). */
  readonly root: string;
  /** The mount point that must be mounted first, when the destination is off the host. */
  readonly mountPoint?: string;
}

/** The local folder of every kind of backup when the topology names no destination. */
export const LOCAL_BACKUP_ROOT = "/var/backups/hacompile";

export function backupDestination(graph: Graph, kind: "db" | "volumes", name: string): BackupDestination {
  const off = graph.backup;
  // The topology's name keeps several topologies apart on one export; the
  // local folder of databases keeps its earlier layout (no per-database part).
  if (off) return { root: `${off.path}/${graph.name}/${kind}/${name}`, mountPoint: off.path };
  return { root: kind === "db" ? `${LOCAL_BACKUP_ROOT}/db` : `${LOCAL_BACKUP_ROOT}/${kind}/${name}` };
}
