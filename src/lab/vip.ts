// Who holds the VIP: read from each load balancer's interface, and watched
// as it moves (`ip monitor address` reports an added address the moment the
// kernel has it).
import { spawn } from "node:child_process";
import type { Graph } from "../graph/model.js";
import { nowMs, sleep } from "./exec.js";
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

export interface VipWatch {
  /** Epoch ms at which the VIP appeared on each host, in order. */
  readonly added: { host: string; at: number }[];
  stop(): void;
}

/** Watches the load balancers' interfaces for the VIP being added. */
export function watchVip(layout: LabLayout, graph: Graph): VipWatch {
  const added: { host: string; at: number }[] = [];
  const children = graph.loadBalancer.hosts.map((h) => {
    const c = spawn("ip", ["-n", hostNs(layout, h), "-o", "monitor", "address"], { stdio: ["ignore", "pipe", "ignore"] });
    let buf = "";
    c.stdout.on("data", (d: Buffer) => {
      const at = nowMs();
      buf += d.toString("utf8");
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) if (!l.startsWith("Deleted") && l.includes(` ${graph.loadBalancer.vip}/`)) added.push({ host: h, at });
    });
    return c;
  });
  return {
    added,
    stop: () => {
      for (const c of children) c.kill("SIGTERM");
    },
  };
}
