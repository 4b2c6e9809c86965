// With unicast VRRP each router sends adverts only to the peers it lists: a
// peer left out never hears the master and elects itself (split brain), and a
// router left on multicast is heard by none of them.
import { at, nameOf, type VrrpGroup } from "../election.js";
import type { ElectionRule, FindingDraft } from "../types.js";

function groupFindings(g: VrrpGroup): FindingDraft[] {
  const unicast = g.nodes.filter((n) => n.unicastPeers.length > 0);
  if (unicast.length === 0) return [];
  const out: FindingDraft[] = [];
  const err = (n: (typeof g.nodes)[number], severity: "error" | "warning", message: string, fix: string): void =>
    void out.push({ code: "vrrp-unicast-peers", severity, layer: "election", message, fix, ...at(n.origin) });
  for (const n of g.nodes) {
    if (n.unicastPeers.length === 0) {
      err(n, "error", `${nameOf(n)} uses multicast while the other routers of ${g.name} use unicast peers, so they never hear each other and both become master`, `add a unicast_peer block listing every other router's address to ${nameOf(n)}`);
      continue;
    }
    for (const o of g.nodes) {
      if (o === n || o.unicastSrc === undefined || n.unicastPeers.includes(o.unicastSrc)) continue;
      err(n, "error", `${nameOf(n)} does not list ${o.unicastSrc} (${nameOf(o)}) in unicast_peer, so that router never hears its adverts and both become master`, `add ${o.unicastSrc} to the unicast_peer block of ${nameOf(n)}`);
    }
    if (n.unicastSrc !== undefined && n.unicastPeers.includes(n.unicastSrc))
      err(n, "warning", `${nameOf(n)} lists its own address ${n.unicastSrc} in unicast_peer, so it sends adverts to itself`, `remove ${n.unicastSrc} from the unicast_peer block of ${nameOf(n)}`);
    const known = new Set(g.nodes.map((o) => o.unicastSrc).filter((s): s is string => s !== undefined));
    if (g.nodes.length < 2) continue;
    for (const p of n.unicastPeers.filter((x) => !known.has(x)))
      err(n, "warning", `${nameOf(n)} lists peer ${p}, which is the unicast_src_ip of no router given, so its adverts go to a removed host or to a config that was not audited`, `remove ${p} from unicast_peer, or pass that router's keepalived.conf too`);
  }
  return out;
}

export const vrrpUnicastPeers: ElectionRule = {
  kind: "election",
  code: "vrrp-unicast-peers",
  layer: "election",
  summary: "each unicast router lists every other router of its group as a peer",
  graphSafe: true,
  check: (groups) => groups.flatMap(groupFindings),
};
