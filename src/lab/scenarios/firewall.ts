// Firewall: links of the topology connect; connections it has no link for
// are refused or dropped (a load balancer to the database, the internet to
// a database or straight to a web host).
import type { Graph, Link } from "../../graph/model.js";
import { run } from "../exec.js";
import { inHost } from "../hostns.js";
import type { Figures, Outcome, Scenario } from "../scenario.js";
import type { Lab } from "../up.js";

interface Probe {
  /** A host name, or "client" for the lab's internet. */
  readonly from: string;
  readonly to: string;
  readonly address: string;
  readonly port: number;
}

const CONNECT_TIMEOUT_S = 2;

/** Whether the topology has a link that allows it. */
function allowed(graph: Graph, from: string, to: string, port: number): boolean {
  const covers = (l: Link): boolean => l.ports.some(([a, b]) => port >= a && port <= b);
  return graph.links.some((l) => l.from === from && l.to === to && l.protocol === "tcp" && covers(l));
}

async function connect(lab: Lab, p: Probe): Promise<"connected" | "refused" | "dropped"> {
  const script = `exec 3<>/dev/tcp/${p.address}/${p.port}`;
  const argv = ["timeout", String(CONNECT_TIMEOUT_S), "bash", "-c", script];
  const r = p.from === "client" ? await run("nsenter", [`--net=/run/netns/${lab.layout.client}`, "--", ...argv]) : await inHost(lab.holders.get(p.from)!, argv);
  return r.code === 0 ? "connected" : r.code === 124 ? "dropped" : "refused";
}

function probes(graph: Graph): { allow: Probe[]; deny: Probe[] } {
  const addr = (h: string): string => graph.hosts.find((x) => x.name === h)!.address;
  const allow: Probe[] = [];
  const deny: Probe[] = [];
  const lb = graph.loadBalancer.hosts[0];
  const web = graph.pools[0]?.members[0];
  if (lb !== undefined && web !== undefined) allow.push({ from: lb, to: web.host, address: web.address, port: web.port });
  for (const db of graph.databases) {
    const client = graph.hosts.find((h) => h.address === db.clientAddresses[0]);
    if (client) allow.push({ from: client.name, to: db.primary.host, address: addr(db.primary.host), port: db.port });
    for (const r of db.replicas) allow.push({ from: r.host, to: db.primary.host, address: addr(db.primary.host), port: db.port });
    if (lb !== undefined) deny.push({ from: lb, to: db.primary.host, address: addr(db.primary.host), port: db.port });
    deny.push({ from: "client", to: db.primary.host, address: addr(db.primary.host), port: db.port });
  }
  for (const v of graph.volumes) {
    const c = v.clients[0];
    const s = v.servers[0];
    if (c !== undefined && s !== undefined) allow.push({ from: c, to: s, address: addr(s), port: graph.ports.glusterd[0] });
    if (lb !== undefined && s !== undefined) deny.push({ from: lb, to: s, address: addr(s), port: graph.ports.glusterd[0] });
  }
  if (web !== undefined) deny.push({ from: "client", to: web.host, address: web.address, port: web.port });
  // A deny probe is honest only when no link of the topology allows it.
  return { allow, deny: deny.filter((p) => !allowed(graph, p.from, p.to, p.port)) };
}

async function runFirewall(lab: Lab): Promise<Outcome> {
  const { allow, deny } = probes(lab.graph);
  const figures: Figures = {};
  const failures: string[] = [];
  let connected = 0;
  for (const p of allow) {
    const r = await connect(lab, p);
    if (r === "connected") connected++;
    else failures.push(`${p.from} -> ${p.to}:${p.port} is a link of the topology but was ${r}`);
  }
  let blocked = 0;
  for (const p of deny) {
    const r = await connect(lab, p);
    figures[`${p.from}->${p.to}:${p.port}`] = r;
    if (r !== "connected") blocked++;
    else failures.push(`${p.from} -> ${p.to}:${p.port} connected, though no link of the topology allows it`);
  }
  figures["allowed connected"] = `${connected}/${allow.length}`;
  figures["forbidden blocked"] = `${blocked}/${deny.length}`;
  return { figures, failures };
}

export const firewall: Scenario = {
  name: "firewall",
  title: "links of the topology connect; a load balancer or the internet reaching a database (and the like) is blocked",
  run: runFirewall,
};
