// DigitalOcean failover: keepalived only elects a master; moving the reserved
// IP is an API call made by a notify script. While MASTER, a timer re-asserts
// the assignment, so a call lost to an API error or a boot-time race is
// repaired within a minute.
import { generatedBy } from "../common/header.js";
import { hasRole, type Graph, type Host } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { sh } from "../common/quote.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type Contribution, type HostFile, type Renderer, type RenderContext, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/keepalived");

export const DO_ASSIGN_SCRIPT = "/usr/local/sbin/hacompile-do-assign";
export const VRRP_STATE_SCRIPT = "/usr/local/sbin/hacompile-vrrp-state";
/** One word: MASTER, BACKUP, FAULT, STOP or DELETED, written by VRRP_STATE_SCRIPT. */
export const VRRP_STATE_FILE = "/run/hacompile/vrrp-state";
const LOCK_FILE = "/run/hacompile/do-assign.lock";
const REASSERT_UNIT = "hacompile-do-reassert";
/** Re-assertion period; the same rhythm for systemd (OnUnitActiveSec) and supervisors (OnCalendar). */
const REASSERT_SECONDS = 30;
const REASSERT_CALENDAR = "*:*:0/30";
const DEFAULT_METADATA_URL = "http://169.254.169.254/metadata/v1";
const DEFAULT_API_URL = "https://api.digitalocean.com";

interface DoSettings {
  readonly reservedIp: string;
  readonly tokenFile: string;
}

function doSettings(graph: Graph): DoSettings | undefined {
  const f = graph.loadBalancer.failover;
  if (f?.mode !== "digitalocean") return undefined;
  return { reservedIp: graph.loadBalancer.vip, tokenFile: f.tokenFile };
}

/**
 * keepalived 2.2.7 refuses an instance without virtual_ipaddress, but in this
 * mode the provider routes the reserved IP. So the instance gets a harmless
 * link-local /32 on `lo`, distinct per router id so that two topologies on
 * one host cannot clash, and never 169.254.169.254 (the metadata service).
 */
export function placeholderVip(routerId: number): string {
  if (!Number.isInteger(routerId) || routerId < 1 || routerId > 255) throw new Error(`router id out of range: ${routerId}`);
  return `169.254.${routerId}.1`;
}

interface AssignView {
  readonly header: string;
  readonly reservedIp: string;
  readonly tokenFile: string;
  readonly stateFile: string;
  readonly lockFile: string;
  readonly metadataUrl: string;
  readonly apiUrl: string;
  readonly timerUnit: string;
}

function assignScript(graph: Graph, s: DoSettings): string {
  const view: AssignView = {
    header: generatedBy(graph),
    reservedIp: sh(s.reservedIp),
    tokenFile: sh(s.tokenFile),
    stateFile: sh(VRRP_STATE_FILE),
    lockFile: sh(LOCK_FILE),
    metadataUrl: sh(DEFAULT_METADATA_URL),
    apiUrl: sh(DEFAULT_API_URL),
    timerUnit: `${REASSERT_UNIT}.timer`,
  };
  return renderTemplate("do-failover-assign.sh.ejs", view);
}

function stateScript(graph: Graph): string {
  return renderTemplate("do-failover-vrrp-state.sh.ejs", { header: generatedBy(graph), stateFile: sh(VRRP_STATE_FILE) });
}

/** The directories ProtectHome= hides (systemd.exec(5)). */
const HOME_DIRS = ["/home", "/root", "/run/user"] as const;

/**
 * ProtectHome=yes hides /home, /root and /run/user; a token file kept there
 * (the schema accepts /root/.config/do-token) must stay readable, so the unit
 * then sees them read-only instead, which still keeps it from writing there.
 */
export function protectHome(tokenFile: string): "read-only" | true {
  return HOME_DIRS.some((d) => tokenFile === d || tokenFile.startsWith(`${d}/`)) ? "read-only" : true;
}

function reassertService(graph: Graph, s: DoSettings): string {
  return unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: keep the reserved IP ${s.reservedIp} on this load balancer while it is VRRP MASTER`],
          ["Wants", "network-online.target"],
          ["After", "network-online.target keepalived.service"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["ExecStart", `${DO_ASSIGN_SCRIPT} --if-master`],
          ["NoNewPrivileges", true],
          ["PrivateTmp", true],
          ["ProtectSystem", "full"],
          ["ProtectHome", protectHome(s.tokenFile)],
        ],
      ],
    ],
    `${generatedBy(graph)}\nRuns the assign script only when keepalived's state file says MASTER.`,
  );
}

function reassertTimer(graph: Graph): string {
  return unitFile(
    [
      ["Unit", [["Description", "hacompile: periodic re-assertion of the DigitalOcean reserved IP"]]],
      [
        "Timer",
        [
          ["OnActiveSec", `${REASSERT_SECONDS}s`],
          ["OnUnitActiveSec", `${REASSERT_SECONDS}s`],
          ["AccuracySec", "1s"],
        ],
      ],
      ["Install", [["WantedBy", "timers.target"]]],
    ],
    generatedBy(graph),
  );
}

function reassertSpec(): ServiceSpec {
  return {
    name: "do-reassert",
    unit: `${REASSERT_UNIT}.service`,
    packaged: false,
    kind: "oneshot",
    command: [DO_ASSIGN_SCRIPT, "--if-master"],
    after: ["keepalived"],
    schedule: REASSERT_CALENDAR,
  };
}

function files(graph: Graph, s: DoSettings): HostFile[] {
  const script = { mode: 0o755 };
  return [
    file(DO_ASSIGN_SCRIPT, assignScript(graph, s), "shell", "keepalived", script),
    file(VRRP_STATE_SCRIPT, stateScript(graph), "shell", "keepalived", script),
    file(`/etc/systemd/system/${REASSERT_UNIT}.service`, reassertService(graph, s), "systemd", "do-reassert"),
    file(`/etc/systemd/system/${REASSERT_UNIT}.timer`, reassertTimer(graph), "systemd", "do-reassert"),
  ];
}

function render(ctx: RenderContext, host: Host): Contribution {
  const s = doSettings(ctx.graph);
  if (!s || !hasRole(host, "load-balancer")) return {};
  return { files: files(ctx.graph, s), services: [reassertSpec()], packages: ["curl", "jq"] };
}

export const doFailover: Renderer = { name: "do-failover", render };
