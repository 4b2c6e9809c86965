// Who holds the VIP, read from each load balancer's interface (the namespace
// lab's own view; scenarios poll the hosts through lb-link.ts's vipHoldersOf).
import type { Graph } from "../graph/model.js";
import { sleep } from "./exec.js";
import { hostNs, type LabLayout } from "./layout.js";
import { addressesOf } from "./netns.js";

export async function vipHolders(layout: LabLayout, graph: Graph): Promise<string[]> {
  const out: string[] = [];
  for (const h of graph.loadBalancer.hosts) {
    if ((await addressesOf(hostNs(layout, h), graph.network.interface)).includes(graph.loadBalancer.vip)) out.push(h);
  }
  return out;
}

/**
 * Waits until exactly one load balancer holds the VIP, and has for `stableMs`;
 * resolves with the holders seen last (one on success).
 */
export async function settleVip(layout: LabLayout, graph: Graph, timeoutMs: number, stableMs = 1000, want?: string): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  let since = 0;
  let last: string[] = [];
  for (;;) {
    const holders = await vipHolders(layout, graph);
    const good = holders.length === 1 && (want === undefined || holders[0] === want);
    if (good && last.length === 1 && holders[0] === last[0]) {
      if (Date.now() - since >= stableMs) return holders;
    } else {
      since = Date.now();
    }
    last = holders;
    if (Date.now() >= end) return holders;
    await sleep(100);
  }
}
