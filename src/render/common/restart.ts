// Debian's nginx.service, keepalived.service and php8.2-fpm.service have no
// Restart=: a daemon that crashes stays down until someone starts it. On a
// load balancer killed with kill -9, that left keepalived's VIP on the dead
// host's interface beside the backup's (two holders) for good, as
// `hacompile lab test` showed. A drop-in restarts them after a failure.
import { generatedBy } from "./header.js";
import type { Graph } from "../../graph/model.js";
import { unitFile } from "./systemd-unit.js";
import { file, type HostFile } from "../types.js";

export const RESTART_DROP_IN = "hacompile-restart.conf";

/**
 * Restart=on-failure after 1 s: long enough for the kernel to release the
 * old process's sockets, short enough that the host is back in the pool
 * well within its peers' failure timeouts. systemd's default start limit (5
 * starts in 10 s) still stops a daemon that crashes at once on every start.
 */
export function restartDropIn(graph: Graph, unit: string, service: string): HostFile {
  const content = unitFile(
    [
      [
        "Service",
        [
          ["Restart", "on-failure"],
          ["RestartSec", "1s"],
        ],
      ],
    ],
    `${generatedBy(graph)}\nRestarts ${unit} when it crashes; Debian's unit does not.`,
  );
  return file(`/etc/systemd/system/${unit}.d/${RESTART_DROP_IN}`, content, "systemd", service);
}
