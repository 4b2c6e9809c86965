// What test/compose-up/run.sh exercises, read from the graph.json that
// `hacompile build` wrote beside the compose output: one fact per line, words
// separated by one space, for the runner's `read`. Every word is a name,
// address or path that the topology schema already narrowed (no spaces), so
// the shell never has to unquote anything; the site title, which may hold
// spaces, is the rest of its line.
//
//   project <name>
//   vip <address>
//   domain <domain>
//   title <site title...>
//   admin_email <address>
//   admin_client <address>             (a free address in the admin network, if any)
//   lbs <host>...                      (preference order)
//   route <path> <pool> <app> <host>...
//   database <name> <engine> <schema> <primary> <replica>...
//   volume <name> <mount> <url path or -> <client host>...
//
// A volume's URL path is where the web tier serves its files: WordPress
// serves WP_CONTENT_DIR under <route>/wp-content/; "-" when it is not served.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { Graph } from "../../src/graph/model.js";
import { adminClientAddress } from "../../src/lab/layout.js";
import { WP_CONTENT_DIR } from "../../src/render/wordpress/wordpress.js";

function servedAt(graph: Graph, volume: string, mount: string): string {
  const pool = graph.pools.find((p) => p.volume === volume && p.app === "wordpress");
  const path = pool?.paths[0];
  if (path === undefined || !mount.startsWith(`${WP_CONTENT_DIR}/`)) return "-";
  const prefix = path === "/" ? "" : path;
  return `${prefix}/wp-content/${mount.slice(WP_CONTENT_DIR.length + 1)}`;
}

export function planLines(graph: Graph): string[] {
  const lines = [
    `project ${graph.name}`,
    `vip ${graph.loadBalancer.vip}`,
    `domain ${graph.site.domain}`,
    `title ${graph.site.title}`,
    `admin_email ${graph.site.adminEmail}`,
    `lbs ${graph.loadBalancer.hosts.join(" ")}`,
  ];
  // Only the admin network sees X-Served-By and the installer: the checks' client sits there.
  const admin = adminClientAddress(graph);
  if (admin !== undefined) lines.push(`admin_client ${admin}`);
  for (const r of graph.loadBalancer.routes) {
    const pool = graph.pools.find((p) => p.name === r.pool);
    if (!pool) throw new Error(`graph.json: route ${r.path} names no pool`);
    lines.push(`route ${r.path} ${pool.name} ${pool.app} ${pool.members.map((m) => m.host).join(" ")}`);
  }
  for (const d of graph.databases) {
    lines.push(`database ${d.name} ${d.engine} ${d.schema} ${[d.primary, ...d.replicas].map((m) => m.host).join(" ")}`);
  }
  for (const v of graph.volumes) {
    lines.push(`volume ${v.name} ${v.mount} ${servedAt(graph, v.name, v.mount)} ${v.clients.join(" ")}`);
  }
  return lines;
}

function main(argv: readonly string[]): void {
  const path = argv[0];
  if (path === undefined) {
    process.stderr.write("usage: plan.js <graph.json>\n");
    process.exitCode = 2;
    return;
  }
  const graph = JSON.parse(readFileSync(path, "utf8")) as Graph;
  process.stdout.write(planLines(graph).join("\n") + "\n");
}

// Only as a program: a test runner that imports every file under dist/test must not run it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
