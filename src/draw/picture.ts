// The picture of a topology, before any drawing language: tiers (clusters)
// of host nodes, the entrance, and edges aggregated from graph.links so the
// drawing stays readable: an edge that every host of a tier has becomes one
// edge from the tier, ssh is summarised in a note, gluster peering in the
// volume's title. Single points (from `hacompile check`) are marked.
// Pure and deterministic: graph order in, the same picture out.
import type { Finding, CheckSeverity } from "../check/types.js";
import type { Graph, Link, LinkKind } from "../graph/model.js";

export type Mark = CheckSeverity | undefined;

export interface PNode {
  /** Identifier safe in mermaid and dot: [a-z0-9_]. */
  readonly id: string;
  readonly host?: string;
  readonly lines: readonly string[];
  readonly shape: "box" | "cylinder" | "ellipse" | "folder";
  readonly mark: Mark;
}

export interface PCluster {
  readonly id: string;
  readonly title: string;
  readonly nodes: readonly PNode[];
  readonly mark: Mark;
}

export type Endpoint = { readonly node: string } | { readonly cluster: string };

export interface PEdge {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly label: string;
  readonly dashed: boolean;
  /** false for symmetric links (VRRP). */
  readonly directed: boolean;
}

export interface Picture {
  readonly title: string;
  /** Outside every cluster: the internet's clients. */
  readonly loose: readonly PNode[];
  readonly clusters: readonly PCluster[];
  readonly edges: readonly PEdge[];
  readonly notes: readonly string[];
}

const RANK: Record<CheckSeverity, number> = { info: 1, warning: 2, error: 3 };

function worst(a: Mark, b: Mark): Mark {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

const ident = (s: string): string => s.replace(/-/g, "_");
const nodeId = (tier: string, host: string): string => `${tier}__${ident(host)}`;

export function portsText(l: Link): string {
  if (l.protocol === "vrrp") return "IP proto 112";
  return `${l.protocol} ${l.ports.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(", ")}`;
}

/** Which tier a finding marks: the one its topology path names, or every tier of its hosts. */
function tierOfFinding(f: Finding): string | undefined {
  const [top, name] = f.path ?? [];
  if (f.layer === "load-balancing" || f.layer === "entrance") return "lb";
  if (top === "pools" && typeof name === "string" && f.layer === "pool") return `pool_${ident(name)}`;
  if (top === "databases" && typeof name === "string") return `db_${ident(name)}`;
  if (top === "volumes" && typeof name === "string") return `vol_${ident(name)}`;
  return undefined;
}

interface Marks {
  node(tier: string, host: string): Mark;
  cluster(tier: string): Mark;
}

function marksFrom(findings: readonly Finding[]): Marks {
  const nodes = new Map<string, Mark>();
  const clusters = new Map<string, Mark>();
  for (const f of findings) {
    const tier = tierOfFinding(f);
    if (f.hosts && f.hosts.length > 0) {
      for (const h of f.hosts) {
        const key = tier === undefined ? `*\u0000${h}` : `${tier}\u0000${h}`;
        nodes.set(key, worst(nodes.get(key), f.severity));
      }
    } else if (tier !== undefined) {
      clusters.set(tier, worst(clusters.get(tier), f.severity));
    }
  }
  return {
    node: (tier, host) => worst(nodes.get(`${tier}\u0000${host}`), nodes.get(`*\u0000${host}`)),
    cluster: (tier) => clusters.get(tier),
  };
}

function addressOf(g: Graph, host: string): string {
  return g.hosts.find((h) => h.name === host)?.address ?? "";
}

function clustersOf(g: Graph, marks: Marks): PCluster[] {
  const host = (tier: string, name: string, extra: string, shape: PNode["shape"] = "box"): PNode => ({
    id: nodeId(tier, name),
    host: name,
    lines: [name, `${addressOf(g, name)}${extra}`],
    shape,
    mark: marks.node(tier, name),
  });
  const lbRole = (name: string): string => {
    const r = g.hosts.find((h) => h.name === name)?.roles.find((x) => x.kind === "load-balancer");
    return r && r.kind === "load-balancer" && g.loadBalancer.failover ? ` · priority ${r.priority}` : "";
  };
  const out: PCluster[] = [
    { id: "lb", title: "load balancers (nginx)", nodes: g.loadBalancer.hosts.map((h) => host("lb", h, lbRole(h))), mark: marks.cluster("lb") },
  ];
  for (const p of g.pools) {
    const tier = `pool_${ident(p.name)}`;
    const paths = p.paths.length > 0 ? p.paths.join(" ") : "no route";
    out.push({ id: tier, title: `pool ${p.name} (${p.app}) ${paths}`, nodes: p.members.map((m) => host(tier, m.host, `:${m.port}`)), mark: marks.cluster(tier) });
  }
  for (const d of g.databases) {
    const tier = `db_${ident(d.name)}`;
    const nodes = [host(tier, d.primary.host, " · primary", "cylinder"), ...d.replicas.map((r) => host(tier, r.host, " · replica", "cylinder"))];
    out.push({ id: tier, title: `database ${d.name} (${d.engine})`, nodes, mark: marks.cluster(tier) });
  }
  for (const v of g.volumes) {
    const tier = `vol_${ident(v.name)}`;
    const arb = v.arbiter === 1 ? `, arbiter ${v.arbiter}` : "";
    const peer = g.links.find((l) => l.kind === "gluster-peer" && v.servers.includes(l.from));
    const nodes = v.servers.map((s) => {
      const arbiterOnly = v.bricks.filter((b) => b.host === s).every((b) => b.arbiter);
      return host(tier, s, arbiterOnly ? " · arbiter" : " · brick", "folder");
    });
    const peers = peer ? `\npeers ${portsText(peer)}` : "";
    out.push({ id: tier, title: `volume ${v.name} (replica ${v.replica}${arb})${peers}`, nodes, mark: marks.cluster(tier) });
  }
  return out;
}

/** Tiers an endpoint of a link belongs to, for that kind of link. */
function tiersFor(g: Graph, kind: LinkKind, host: string, other: string, side: "from" | "to"): string[] {
  const pools = (pred: (p: Graph["pools"][number]) => boolean): string[] =>
    g.pools.filter((p) => p.members.some((m) => m.host === host) && pred(p)).map((p) => `pool_${ident(p.name)}`);
  const dbOf = (h: string): string | undefined =>
    g.databases.find((d) => d.primary.host === h || d.replicas.some((r) => r.host === h))?.name;
  switch (kind) {
    case "vrrp":
      return ["lb"];
    case "upstream":
      return side === "from" ? ["lb"] : pools((p) => p.paths.length > 0);
    case "mysql-rw":
    case "mysql-ro": {
      if (side === "to") return [`db_${ident(dbOf(host) ?? "")}`];
      const db = dbOf(other);
      return pools((p) => p.database === db);
    }
    case "mysql-replication":
      return [`db_${ident(dbOf(host) ?? "")}`];
    case "gluster-client": {
      if (side === "to") return g.volumes.filter((v) => v.servers.includes(host)).map((v) => `vol_${ident(v.name)}`);
      const vols = g.volumes.filter((v) => v.servers.includes(other)).map((v) => v.name);
      return pools((p) => p.volume !== undefined && vols.includes(p.volume));
    }
    default:
      return [];
  }
}

const KIND_LABEL: Partial<Record<LinkKind, string>> = {
  upstream: "upstream",
  vrrp: "vrrp",
  "mysql-rw": "writes",
  "mysql-ro": "reads",
  "mysql-replication": "replication",
  "gluster-client": "glusterfs",
};

interface NodeEdge {
  readonly kind: LinkKind;
  readonly fromTier: string;
  readonly from: string;
  readonly toTier: string;
  readonly to: string;
  readonly label: string;
}

function nodeEdges(g: Graph): NodeEdge[] {
  const out: NodeEdge[] = [];
  const seen = new Set<string>();
  for (const l of g.links) {
    const kindLabel = KIND_LABEL[l.kind];
    if (kindLabel === undefined || l.from === "client" || l.from === "admin") continue;
    for (const ft of tiersFor(g, l.kind, l.from, l.to, "from"))
      for (const tt of tiersFor(g, l.kind, l.to, l.from, "to")) {
        const from = nodeId(ft, l.from);
        const to = nodeId(tt, l.to);
        // VRRP runs both ways: one undirected edge per pair.
        const key = l.kind === "vrrp" ? `${l.kind}|${[from, to].sort().join("|")}` : `${l.kind}|${from}|${to}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ kind: l.kind, fromTier: ft, from, toTier: tt, to, label: `${kindLabel}\n${portsText(l)}` });
      }
  }
  // Drawing order shapes the layout: from the entrance inwards.
  const order = Object.keys(KIND_LABEL);
  return out.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

/** Collapse edges that every node of a tier has into one edge from (and to) the tier. */
function aggregate(edges: readonly NodeEdge[], clusters: readonly PCluster[]): PEdge[] {
  const members = new Map(clusters.map((c) => [c.id, c.nodes.map((n) => n.id)]));
  const out: PEdge[] = [];
  const done = new Set<NodeEdge>();
  for (const e of edges) {
    if (done.has(e)) continue;
    const same = edges.filter((x) => x.kind === e.kind && x.fromTier === e.fromTier && x.toTier === e.toTier && x.label === e.label);
    const froms = members.get(e.fromTier) ?? [];
    const tos = members.get(e.toTier) ?? [];
    const has = (f: string, t: string): boolean => same.some((x) => x.from === f && x.to === t);
    const symmetric = e.kind === "vrrp";
    const whole = froms.length + tos.length > 2 && froms.every((f) => tos.every((t) => has(f, t)));
    if (!symmetric && e.fromTier !== e.toTier && whole) {
      same.forEach((x) => done.add(x));
      const from: Endpoint = froms.length > 1 ? { cluster: e.fromTier } : { node: e.from };
      const to: Endpoint = tos.length > 1 ? { cluster: e.toTier } : { node: e.to };
      out.push({ from, to, label: e.label, dashed: false, directed: true });
      continue;
    }
    const toAll = same.filter((x) => x.to === e.to);
    if (!symmetric && e.fromTier !== e.toTier && froms.length > 1 && froms.every((f) => has(f, e.to))) {
      toAll.forEach((x) => done.add(x));
      out.push({ from: { cluster: e.fromTier }, to: { node: e.to }, label: e.label, dashed: false, directed: true });
      continue;
    }
    done.add(e);
    out.push({ from: { node: e.from }, to: { node: e.to }, label: e.label, dashed: symmetric || e.kind === "mysql-replication", directed: !symmetric });
  }
  return out;
}

function entrance(g: Graph, findings: readonly Finding[]): { vip: PNode; edges: PEdge[] } {
  const lb = g.loadBalancer;
  const f = lb.failover;
  const single = findings.some((x) => x.code === "single-load-balancer");
  const what = !f ? `entrance ${lb.vip}` : f.mode === "digitalocean" ? `reserved IP ${lb.vip}` : `VIP ${lb.vip}`;
  const how = !f ? `${lb.hosts[0] ?? ""}'s own address` : f.mode === "digitalocean" ? "moved via the DigitalOcean API" : `keepalived VRRPv${f.vrrp.version}, router id ${f.vrrp.routerId}`;
  const vip: PNode = { id: "vip", lines: [what, how], shape: "ellipse", mark: single ? "error" : undefined };
  const client = g.links.filter((l) => l.from === "client").map((l) => `${l.kind} ${l.ports.map(([a]) => a).join(",")}`);
  const edges: PEdge[] = [
    { from: { node: "client" }, to: { node: "vip" }, label: client.join("\n"), dashed: false, directed: true },
    { from: { node: "vip" }, to: { cluster: "lb" }, label: f ? "held by the master" : "", dashed: true, directed: true },
  ];
  return { vip, edges };
}

export function picture(g: Graph, findings: readonly Finding[]): Picture {
  const marks = marksFrom(findings);
  const tiers = clustersOf(g, marks);
  const { vip, edges: entranceEdges } = entrance(g, findings);
  const clusters: PCluster[] = [{ id: "entrance", title: "entrance", nodes: [vip], mark: undefined }, ...tiers];
  const ssh = g.links.find((l) => l.kind === "ssh");
  const notes = [
    ...(ssh ? [`ssh ${portsText(ssh)} from ${g.network.admin} to every host (not drawn)`] : []),
    "red: single point of failure · orange: warning · yellow: note",
  ];
  return {
    title: `${g.name} (${g.network.subnet})`,
    loose: [{ id: "client", lines: ["clients"], shape: "ellipse", mark: undefined }],
    clusters,
    edges: [...entranceEdges, ...aggregate(nodeEdges(g), tiers)],
    notes,
  };
}
