// The per-host file plan: what every target packages. A renderer is a pure
// function of the graph (and the secrets) that returns the files one kind of
// config contributes to one host.
import type { Graph, Host } from "../graph/model.js";
import type { Secrets } from "../secrets.js";
import type { ServiceName } from "./services.js";

/** What reads the file: `hacompile verify` picks its checker by this. */
export type FileKind =
  | "nginx"
  | "haproxy"
  | "keepalived"
  | "mycnf"
  | "sql"
  | "shell"
  | "php"
  | "php-fpm"
  | "systemd"
  | "nftables"
  | "sysctl"
  | "glusterd-vol"
  | "fstab"
  | "cron"
  | "text";

export interface HostFile {
  /** Absolute path on the host. */
  readonly path: string;
  readonly content: string;
  /** e.g. 0o644; 0o640 or 0o600 for files that hold a secret. */
  readonly mode: number;
  readonly owner: string;
  readonly group: string;
  /** The service the file belongs to (nginx, keepalived, mariadb, php-fpm, glusterd, hacompile...). */
  readonly service: string;
  readonly kind: FileKind;
  /** True when the content holds a secret: targets must keep it root/group-only. */
  readonly secret?: boolean;
}

export interface RenderContext {
  readonly graph: Graph;
  readonly secrets: Secrets;
}

/**
 * A service a host runs. Targets start it their own way: systemd through
 * `unit`, a supervisor (compose, lab) through the foreground `command`.
 */
export interface ServiceSpec {
  /** Short name, unique on the host, from the registry (services.ts): nginx, keepalived, mariadb, db-bootstrap... */
  readonly name: ServiceName;
  /** The systemd unit: Debian's own (packaged) or one a renderer wrote. */
  readonly unit: string;
  readonly packaged: boolean;
  /** daemon: runs until stopped; oneshot: runs to completion (bootstraps). */
  readonly kind: "daemon" | "oneshot";
  /** Foreground argv for supervisors; never a shell string. */
  readonly command: readonly string[];
  /** Names of services on the same host that must be up (daemon) or done (oneshot) first. */
  readonly after: readonly ServiceName[];
  /**
   * For periodic oneshots (backups, WordPress cron, re-assertion): a systemd
   * OnCalendar= expression. The renderer writes the .timer; supervisors may
   * run the command on the same schedule or leave it out.
   */
  readonly schedule?: string;
}

/**
 * The timer that runs a periodic oneshot: same name, `.timer`. The renderer
 * writes it and the targets start and check it, so the name is part of the
 * contract, here rather than in either side.
 */
export function timerUnitOf(s: ServiceSpec): string {
  return s.unit.replace(/\.service$/, "") + ".timer";
}

/** What one renderer adds to one host. */
export interface Contribution {
  readonly files?: readonly HostFile[];
  readonly services?: readonly ServiceSpec[];
  /** Debian packages. */
  readonly packages?: readonly string[];
  readonly users?: readonly SystemUser[];
}

/** One kind of config: a pure function from the graph to what it contributes to `host` (often nothing). */
export interface Renderer {
  readonly name: string;
  readonly render: (ctx: RenderContext, host: Host) => Contribution;
}

/** Everything each host needs, by host name in graph order. */
export interface HostPlan {
  readonly host: Host;
  readonly files: readonly HostFile[];
  /** Services in start order (dependencies first). */
  readonly services: readonly ServiceSpec[];
  /** Debian packages the host needs. */
  readonly packages: readonly string[];
  /** System users and groups the host needs beyond the packages' own. */
  readonly users: readonly SystemUser[];
}

export interface SystemUser {
  readonly name: string;
  readonly group: string;
  readonly system: true;
  readonly home: string;
}

export function file(
  path: string,
  content: string,
  kind: FileKind,
  service: string,
  opts: { mode?: number; owner?: string; group?: string; secret?: boolean } = {},
): HostFile {
  return {
    path,
    content,
    kind,
    service,
    mode: opts.mode ?? 0o644,
    owner: opts.owner ?? "root",
    group: opts.group ?? "root",
    ...(opts.secret ? { secret: true } : {}),
  };
}
