// `hacompile check`: every rule in one list, run over topologies (as graphs
// and as the VRRP election hacompile generates for them) or over parsed
// keepalived.conf files. Pure: texts in, findings out, in a stable order.
import { compile } from "../compile.js";
import { hasErrors, type Diagnostic, type Position, type TopologyPath } from "../diagnostics.js";
import type { Graph } from "../graph/model.js";
import { loadYaml } from "../load/yaml.js";
import { groupFromGraph, type VrrpGroup } from "./election.js";
import { groupsFromConfigs } from "./keepalived/groups.js";
import { parseKeepalived } from "./keepalived/parse.js";
import { databaseNoReplica } from "./rules/database-no-replica.js";
import { databaseWritePrimary } from "./rules/database-write-primary.js";
import { entranceProviderApi } from "./rules/entrance-provider-api.js";
import { hostSinglePoint } from "./rules/host-single-point.js";
import { singleHostPool } from "./rules/single-host-pool.js";
import { singleLoadBalancer } from "./rules/single-load-balancer.js";
import { singlePointSharesHost } from "./rules/single-point-shares-host.js";
import { volumeReplica1 } from "./rules/volume-replica-1.js";
import { volumeReplica2NoArbiter } from "./rules/volume-replica-2-no-arbiter.js";
import { vrrpNopreemptState } from "./rules/vrrp-nopreempt-state.js";
import { vrrpNopreemptWeight } from "./rules/vrrp-nopreempt-weight.js";
import { vrrpPriorityDistinct } from "./rules/vrrp-priority-distinct.js";
import { vrrpRouterIdCollision } from "./rules/vrrp-router-id-collision.js";
import { vrrpTrackWeight } from "./rules/vrrp-track-weight.js";
import { vrrpInterfaceUnsure } from "./rules/vrrp-interface-unsure.js";
import { vrrpUnicastPeers } from "./rules/vrrp-unicast-peers.js";
import { addressInTwoTopologies } from "./rules/address-in-two-topologies.js";
import { adminNetworkIncludesLb } from "./rules/admin-network-includes-lb.js";
import { hostSeveralRoles } from "./rules/host-several-roles.js";
import { wordpressUploadsNotShared } from "./rules/wordpress-uploads-not-shared.js";
import { LAYERS, type ElectionRule, type Finding, type FindingDraft, type GraphRule, type Located, type Rule, type TopologiesRule } from "./types.js";

export const rules: readonly Rule[] = [
  entranceProviderApi,
  singleLoadBalancer,
  adminNetworkIncludesLb,
  singleHostPool,
  wordpressUploadsNotShared,
  databaseNoReplica,
  databaseWritePrimary,
  volumeReplica1,
  volumeReplica2NoArbiter,
  hostSinglePoint,
  singlePointSharesHost,
  hostSeveralRoles,
  addressInTwoTopologies,
  vrrpPriorityDistinct,
  vrrpTrackWeight,
  vrrpNopreemptState,
  vrrpNopreemptWeight,
  vrrpRouterIdCollision,
  vrrpUnicastPeers,
  vrrpInterfaceUnsure,
];

const graphRules = rules.filter((r): r is GraphRule => r.kind === "graph");
const electionRules = rules.filter((r): r is ElectionRule => r.kind === "election");
const topologiesRules = rules.filter((r): r is TopologiesRule => r.kind === "topologies");

export interface Source {
  readonly file: string;
  readonly text: string;
}

export interface CheckReport {
  /** The compiler's own diagnostics (a topology with errors is not checked further). */
  readonly diagnostics: readonly Diagnostic[];
  readonly findings: readonly Finding[];
}

type Locate = (file: string, path: TopologyPath) => Position;

function place(d: FindingDraft, subject: string, file: string, locate: Locate | undefined): Finding {
  const f = d.file ?? file;
  const pos = d.pos ?? (d.path && locate ? locate(f, d.path) : { line: 1, col: 1 });
  return { ...d, file: f, pos, subject };
}

export function sortFindings(fs: readonly Finding[]): Finding[] {
  return [...fs].sort(
    (a, b) =>
      LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer) ||
      cmp(a.file, b.file) ||
      a.pos.line - b.pos.line ||
      a.pos.col - b.pos.col ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function runElection(groups: readonly VrrpGroup[], subjectOf: (file: string) => string, locate: Locate | undefined): Finding[] {
  return electionRules.flatMap((r) => r.check(groups)).map((d) => place(d, subjectOf(d.file ?? ""), d.file ?? "", locate));
}

/** The findings for one graph; positions are resolved when `locate` is given. */
export function checkGraph(graph: Graph, file: string, locate?: Locate): Finding[] {
  const own = graphRules.flatMap((r) => r.check(graph)).map((d) => place(d, graph.name, file, locate));
  const group = groupFromGraph(graph, file);
  const election = group ? runElection([group], () => graph.name, locate) : [];
  return sortFindings([...own, ...election]);
}

/** Several topologies: each on its own, and their elections together (router ids per segment). */
export function checkTopologies(sources: readonly Source[]): CheckReport {
  const diagnostics: Diagnostic[] = [];
  const graphs: Located[] = [];
  const locators = new Map<string, (p: TopologyPath) => Position>();
  for (const s of sources) {
    const r = compile(s.text, s.file);
    diagnostics.push(...r.diagnostics);
    if (hasErrors(r.diagnostics) || !r.graph) continue;
    graphs.push({ file: s.file, graph: r.graph });
    const loaded = loadYaml(s.text);
    locators.set(s.file, (p) => loaded.locate(p));
  }
  const locate: Locate = (file, path) => locators.get(file)?.(path) ?? { line: 1, col: 1 };
  const names = new Map(graphs.map((g) => [g.file, g.graph.name]));
  const own = graphs.flatMap((g) => graphRules.flatMap((r) => r.check(g.graph)).map((d) => place(d, g.graph.name, g.file, locate)));
  const groups = graphs.map((g) => groupFromGraph(g.graph, g.file)).filter((g): g is VrrpGroup => g !== undefined);
  const election = runElection(groups, (f) => names.get(f) ?? f, locate);
  const across = topologiesRules.flatMap((r) => r.check(graphs)).map((d) => place(d, names.get(d.file ?? "") ?? "", d.file ?? "", locate));
  return { diagnostics, findings: sortFindings([...own, ...election, ...across]) };
}

/** keepalived.conf files, audited together as the routers of one network. */
export function checkKeepalived(sources: readonly Source[]): CheckReport {
  const configs = sources.map((s) => parseKeepalived(s.text, s.file));
  const problems = configs.flatMap((c) => c.problems.map((d) => place(d, c.file, c.file, undefined)));
  const election = runElection(groupsFromConfigs(configs), (f) => f, undefined);
  return { diagnostics: [], findings: sortFindings([...problems, ...election]) };
}

export interface Counts {
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
}

export function countFindings(fs: readonly Finding[]): Counts {
  const n = (s: Finding["severity"]): number => fs.filter((f) => f.severity === s).length;
  return { errors: n("error"), warnings: n("warning"), infos: n("info") };
}

export function hasCheckErrors(fs: readonly Finding[]): boolean {
  return fs.some((f) => f.severity === "error");
}
