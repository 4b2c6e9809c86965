// Per-host nftables firewall derived from the graph's links: inbound is
// dropped except loopback, replies, ICMP and exactly the links that end at
// this host (or at the VIP, on load balancers). It lives in its own table,
// replaced in one transaction, so other tables (Docker's, the admin's) stay.
import { generatedByRebuild } from "../common/header.js";
import { hasRole, hostByName, linksTo, type Graph, type Host, type Link } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { unitFile, type UnitEntry } from "../common/systemd-unit.js";
import { file, type Contribution, type HostFile, type Renderer, type ServiceSpec } from "../types.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/firewall");

export const FIREWALL_FILE = "/etc/hacompile/firewall.nft";
export const FIREWALL_UNIT = "hacompile-firewall.service";
export const FIREWALL_TABLE = "hacompile";

/** IANA protocol number of VRRP; numeric so that parsing needs no /etc/protocols (slim images lack it). */
const IPPROTO_VRRP = 112;
/** nft refuses longer rule comments. */
const MAX_COMMENT = 128;

interface SetElement {
  readonly address: string;
  readonly comment: string;
}

interface NamedSet {
  readonly name: string;
  readonly elements: readonly SetElement[];
}

/** Links of one kind, protocol and port list, sharing one rule. */
interface LinkGroup {
  readonly kind: Link["kind"];
  readonly protocol: Link["protocol"];
  readonly ports: Link["ports"];
  readonly to: string;
  readonly from: string[];
}

export const firewall: Renderer = {
  name: "firewall",
  render: ({ graph }, host) => {
    const c: Contribution = {
      files: [rulesFile(graph, host), firewallUnit(graph), nftablesDropIn(graph, FIREWALL_UNIT, "firewall")],
      services: [firewallService()],
      packages: ["nftables"],
    };
    return c;
  },
};

/** The links that end at this host: its own name, or the VIP when it is a load balancer. */
export function inboundLinks(graph: Graph, host: Host): Link[] {
  return hasRole(host, "load-balancer") ? linksTo(graph, host.name, "vip") : linksTo(graph, host.name);
}

function groupLinks(links: readonly Link[]): LinkGroup[] {
  const groups = new Map<string, LinkGroup>();
  for (const l of links) {
    const key = `${l.kind}|${l.protocol}|${l.to}|${l.ports.map(([a, b]) => `${a}-${b}`).join(",")}`;
    const g = groups.get(key);
    if (g) g.from.push(l.from);
    else groups.set(key, { kind: l.kind, protocol: l.protocol, ports: l.ports, to: l.to, from: [l.from] });
  }
  return [...groups.values()];
}

function portMatch(protocol: Link["protocol"], ports: Link["ports"]): string {
  if (protocol === "vrrp") return `ip protocol ${IPPROTO_VRRP}`;
  const items = ports.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  return `tcp dport ${items.length === 1 ? items[0] : `{ ${items.join(", ")} }`}`;
}

function ruleComment(g: LinkGroup, setName: string | undefined): string {
  const full = `${g.kind} ${g.from.join(",")} -> ${g.to}`;
  if (full.length <= MAX_COMMENT || setName === undefined) return full;
  return `${g.kind} ${g.from.length} hosts (@${setName}) -> ${g.to}`;
}

function setNameFor(kind: string, used: Set<string>): string {
  const base = `${kind.replace(/-/g, "_")}_src`;
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

/**
 * Whether client traffic to this host is better dropped than refused while
 * nothing listens: a load balancer with a peer to fail over to. When its
 * nginx dies (or keepalived and nginx with it, leaving the VIP on the
 * interface until keepalived restarts), the kernel would answer every new
 * connection with a reset until the VIP has moved, and each one is a failed
 * request: `hacompile lab test` counted 34 of 1000 at 100 per second across a
 * kill -9 of both. Dropped, the client sends its SYN again after 1 s, by
 * when the backup holds the VIP: a slow request instead of a failed one.
 */
function dropWhileNotListening(graph: Graph, host: Host): boolean {
  return hasRole(host, "load-balancer") && graph.loadBalancer.failover !== undefined && graph.loadBalancer.hosts.length >= 2;
}

/**
 * One rule per group and kind of source. "client" means anyone (no source
 * match); "admin" the admin network; host names their addresses, gathered
 * into a named set whose elements say which host each address is.
 */
function buildRules(graph: Graph, host: Host): { sets: NamedSet[]; rules: string[] } {
  const sets: NamedSet[] = [];
  const rules: string[] = [];
  const used = new Set<string>();
  const rule = (source: string, g: LinkGroup, setName?: string, condition = ""): void =>
    void rules.push(`${source}${portMatch(g.protocol, g.ports)} ${condition}accept comment "${ruleComment(g, setName)}"`);
  for (const g of groupLinks(inboundLinks(graph, host))) {
    if (g.from.includes("client")) {
      // Only to the address nginx serves the site on (the VIP, or the anchor
      // IP): without a destination, a web server on the same host answered
      // on the host's own address to the whole internet. A single LB
      // without failover serves on every address (and shares its host with
      // no web server on these ports: validate.ts), so no destination there.
      // `socket transparent 0` matches only when a socket will take the
      // packet (nginx listens); otherwise the policy drops it.
      const listen = g.to === "vip" ? host.facts.lbListen : host.address;
      const daddr = listen === undefined ? "" : `ip daddr ${listen} `;
      rule(daddr, { ...g, from: ["client"] }, undefined, dropWhileNotListening(graph, host) ? "socket transparent 0 " : "");
      continue;
    }
    if (g.from.includes("admin")) rule(`ip saddr ${graph.network.admin} `, { ...g, from: ["admin"] });
    const hosts = g.from.filter((f) => f !== "admin").map((f) => hostByName(graph, f));
    if (hosts.length === 0) continue;
    const setName = setNameFor(g.kind, used);
    sets.push({ name: setName, elements: hosts.map((h) => ({ address: h.address, comment: h.name })) });
    rule(`ip saddr @${setName} `, { ...g, from: hosts.map((h) => h.name) }, setName);
  }
  return { sets, rules };
}

function rulesFile(graph: Graph, host: Host): HostFile {
  const { sets, rules } = buildRules(graph, host);
  const content = renderTemplate("firewall.nft.ejs", {
    header: generatedByRebuild(graph),
    host: host.name,
    table: FIREWALL_TABLE,
    sets,
    rules,
  });
  return file(FIREWALL_FILE, content, "nftables", "firewall");
}

function firewallService(): ServiceSpec {
  return {
    name: "firewall",
    unit: FIREWALL_UNIT,
    packaged: false,
    kind: "oneshot",
    command: ["nft", "-f", FIREWALL_FILE],
    after: [],
  };
}

/** Debian's unit: it loads /etc/nftables.conf, which starts with `flush ruleset`, and its stop flushes everything. */
export const NFTABLES_UNIT = "nftables.service";

/**
 * Loaded like Debian's nftables.service (before the network comes up, no
 * default dependencies), but after it, and tied to it both ways, because
 * every start, reload or stop of that unit wipes this table too:
 * - PartOf=: its stop and restart stop and restart this unit (systemd.unit(5));
 * - ReloadPropagatedFrom=: its reload reloads this one, which loads the table again;
 * - its drop-in Wants= this unit: starting it (after a stop) starts this one
 *   again (a drop-in, not [Install], so an installed host gets it without
 *   being enabled anew);
 * - After= it: this table is loaded after its flush, and stopped before it.
 * The stop creates the table before deleting it, so stopping after someone
 * flushed the ruleset by hand still succeeds.
 */
function firewallUnit(graph: Graph): HostFile {
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", "hacompile: per-host firewall (nftables table inet hacompile)"],
          ["DefaultDependencies", false],
          ["Wants", "network-pre.target"],
          ["Before", "network-pre.target shutdown.target"],
          ...nftablesTies(),
          ["Conflicts", "shutdown.target"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          ["ExecStart", `/usr/sbin/nft -f ${FIREWALL_FILE}`],
          // The file replaces the table atomically: reloading is loading again.
          ["ExecReload", `/usr/sbin/nft -f ${FIREWALL_FILE}`],
          ["ExecStop", `/usr/sbin/nft "add table inet ${FIREWALL_TABLE}; delete table inet ${FIREWALL_TABLE}"`],
        ],
      ],
      ["Install", [["WantedBy", "sysinit.target"]]],
    ],
    generatedByRebuild(graph),
  );
  return file(`/etc/systemd/system/${FIREWALL_UNIT}`, content, "systemd", "firewall");
}

/** The [Unit] entries that bring a unit loading a table of its own back with nftables.service (see firewallUnit). */
export function nftablesTies(): UnitEntry[] {
  return [
    ["After", NFTABLES_UNIT],
    ["PartOf", NFTABLES_UNIT],
    ["ReloadPropagatedFrom", NFTABLES_UNIT],
  ];
}

/** nftables.service's drop-in that starts `unit` whenever it starts. */
export function nftablesDropIn(graph: Graph, unit: string, service: string): HostFile {
  const name = unit.replace(/\.service$/, "");
  const content = unitFile(
    [["Unit", [["Wants", unit]]]],
    `${generatedByRebuild(graph)}\nStarting ${NFTABLES_UNIT} (its ruleset flushes every table) starts ${unit} again after it.`,
  );
  return file(`/etc/systemd/system/${NFTABLES_UNIT}.d/${name}.conf`, content, "systemd", service);
}
