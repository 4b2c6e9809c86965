// What systemd would do for a service, read from its unit files: whether a
// crashed daemon is restarted and after how long, and which runtime folders
// boot creates under /run (tmpfiles.d). Pure parsers; the lab reads the files.

export type RestartMode = "no" | "on-success" | "on-failure" | "on-abnormal" | "on-watchdog" | "on-abort" | "always";

export interface RestartPolicy {
  readonly restart: RestartMode;
  /** Seconds systemd waits before the restart (RestartSec=, default 100 ms). */
  readonly restartSec: number;
}

const MODES: readonly RestartMode[] = ["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"];

/** systemd time spans as RestartSec= takes them: "5", "5s", "100ms", "1min 30s". */
export function parseTimespan(v: string): number | undefined {
  const units: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600 };
  let total = 0;
  let matched = false;
  for (const part of v.trim().split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    if (!m) return undefined;
    const unit = m[2] === "" ? 1 : units[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    matched = true;
  }
  return matched ? total : undefined;
}

/**
 * The effective Restart= and RestartSec= of a unit: the unit file first,
 * then its drop-ins in order, the last assignment in [Service] winning.
 */
export function restartPolicy(unitTexts: readonly string[]): RestartPolicy {
  let restart: RestartMode = "no";
  let restartSec = 0.1;
  for (const text of unitTexts) {
    let section = "";
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
      const sec = /^\[(.+)\]$/.exec(line);
      if (sec) {
        section = sec[1]!;
        continue;
      }
      if (section !== "Service") continue;
      const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
      if (!kv) continue;
      if (kv[1] === "Restart") {
        const v = kv[2]!.trim();
        restart = v === "" ? "no" : ((MODES as readonly string[]).includes(v) ? (v as RestartMode) : restart);
      } else if (kv[1] === "RestartSec") {
        restartSec = parseTimespan(kv[2]!) ?? restartSec;
      }
    }
  }
  return { restart, restartSec };
}

/** How a main process ended: an exit code or a signal. */
export type Ending = { readonly code: number } | { readonly signal: string };

const CLEAN_SIGNALS = new Set(["SIGHUP", "SIGINT", "SIGTERM", "SIGPIPE"]);

/** Whether systemd restarts a service that ended this way (systemd.service(5), table 2). */
export function restarts(policy: RestartPolicy, ending: Ending): boolean {
  const clean = "code" in ending ? ending.code === 0 : CLEAN_SIGNALS.has(ending.signal);
  const unclean = "signal" in ending && !clean;
  switch (policy.restart) {
    case "no":
      return false;
    case "always":
      return true;
    case "on-success":
      return clean;
    case "on-failure":
      return !clean;
    case "on-abnormal":
    case "on-abort":
      return unclean;
    case "on-watchdog":
      return false;
  }
}

export interface RuntimeDir {
  readonly path: string;
  readonly mode: string;
  readonly user: string;
  readonly group: string;
}

/**
 * The `d` lines of tmpfiles.d files that create folders under /run: what
 * boot does before any service starts (/run/php, /run/mysqld, /run/gluster).
 * Specifiers and other line types are left alone.
 */
export function runtimeDirs(tmpfilesTexts: readonly string[]): RuntimeDir[] {
  const out = new Map<string, RuntimeDir>();
  for (const text of tmpfilesTexts) {
    for (const raw of text.split("\n")) {
      const f = raw.trim().split(/\s+/);
      if (f.length < 2 || (f[0] !== "d" && f[0] !== "D")) continue;
      const path = f[1]!;
      if (!/^\/run\/[A-Za-z0-9._/-]+$/.test(path) || path.includes("..")) continue;
      const field = (i: number, dflt: string): string => (f[i] === undefined || f[i] === "-" ? dflt : f[i]!);
      const mode = field(2, "0755");
      if (!/^[0-7]{3,4}$/.test(mode)) continue;
      out.set(path, { path, mode, user: field(3, "root"), group: field(4, "root") });
    }
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
