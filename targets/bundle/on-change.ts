// What install.sh does to a running service when one of its files changes
// (or drops out of the bundle): reload when the service re-reads that file on
// a reload, restart otherwise. A reload keeps connections and, for keepalived,
// the VIP where it is; a restart drops both for a moment.
import type { HostFile, HostPlan } from "../../src/render/types.js";
import { restartUnitOf } from "../shared/host-units.js";

export type OnChange = "reload" | "restart";

/**
 * Debian's units whose ExecReload= re-reads every file hacompile writes for
 * them (bookworm): nginx.service runs `nginx -s reload` (new workers with the
 * new config; a config that does not load leaves the old workers serving),
 * keepalived.service sends SIGHUP (re-reads keepalived.conf and its scripts,
 * keeps the VRRP state), php8.2-fpm.service sends SIGUSR2 (graceful reload
 * of php-fpm.conf, the pools and php.ini). MariaDB, MySQL and glusterd have
 * no ExecReload=; our own units are oneshots that are re-run.
 */
const RELOADS: readonly RegExp[] = [/^nginx\.service$/, /^keepalived\.service$/, /^php[0-9.]+-fpm\.service$/];

/**
 * The unit to act on when `f` changes and how, or undefined when no service
 * of this host reads it. A unit file or drop-in is read by systemd itself:
 * daemon-reload, then a restart, since a reload does not apply [Service]
 * settings.
 */
export function onChangeOf(plan: HostPlan, f: HostFile): { unit: string; action: OnChange } | undefined {
  const unit = restartUnitOf(plan, f.service);
  if (unit === undefined) return undefined;
  const action: OnChange = f.kind !== "systemd" && RELOADS.some((r) => r.test(unit)) ? "reload" : "restart";
  return { unit, action };
}
