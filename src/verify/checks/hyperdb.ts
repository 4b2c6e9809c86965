// HyperDB's db-config.php, loaded for real: PHP runs it against a stub $wpdb
// that records every add_database() call, and the records must match the
// graph: the primary read+write, each replica read-only, one dataset, and
// the user and database the graph names.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstLines, hasTool, runTool } from "../run.js";
import { hostLabel, type Check, type CheckResult, type GraphFacts } from "../types.js";

const HARNESS = `<?php
#[AllowDynamicProperties]
final class HacompileHyperdbStub {
    public array $servers = [];
    public array $callbacks = [];
    public function add_database(array $db): void { $this->servers[] = $db; }
    public function add_callback($callback, string $group = 'dataset'): void { $this->callbacks[] = $group; }
}
$wpdb = new HacompileHyperdbStub();
require $argv[1];
echo json_encode(['servers' => $wpdb->servers, 'callbacks' => $wpdb->callbacks]);
`;

interface Server {
  host?: string;
  write?: number;
  read?: number;
  dataset?: string;
  name?: string;
}

export function compareHyperdb(servers: readonly Server[], db: GraphFacts["databases"][number]): string[] {
  const problems: string[] = [];
  const want = [
    { host: `${db.primary.address}:${db.port}`, write: 1, read: 1 },
    ...db.replicas.map((r) => ({ host: `${r.address}:${db.port}`, write: 0, read: 1 })),
  ];
  const got = servers.map((s) => ({ host: s.host, write: Number(s.write), read: Number(s.read) }));
  const key = (x: { host?: string; write: number; read: number }): string => `${x.host} write=${x.write} read=${x.read}`;
  const gotKeys = got.map(key).sort();
  const wantKeys = want.map(key).sort();
  if (JSON.stringify(gotKeys) !== JSON.stringify(wantKeys)) problems.push(`servers ${gotKeys.join(", ")}; expected ${wantKeys.join(", ")}`);
  const datasets = new Set(servers.map((s) => s.dataset));
  if (datasets.size !== 1) problems.push(`expected one dataset, found ${[...datasets].join(", ")}`);
  return problems;
}

export const hyperdbCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  for (const h of ctx.hosts) {
    const f = h.files.find((x) => x.path === "/etc/wordpress/db-config.php");
    if (!f) continue;
    const file = hostLabel(h, f.path);
    if (!(await hasTool("php"))) {
      out.push({ tool: "hyperdb", file, status: "skipped", message: "php not installed" });
      continue;
    }
    const pool = ctx.graph.pools.find((p) => p.members.some((m) => m.host === h.host) && p.database !== undefined);
    const db = ctx.graph.databases.find((d) => d.name === pool?.database);
    if (!db) {
      out.push({ tool: "hyperdb", file, status: "fail", message: "a db-config.php on a host whose pools use no database" });
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), "hacompile-hyperdb-"));
    try {
      writeFileSync(join(dir, "harness.php"), HARNESS);
      const r = await runTool("php", ["-d", "display_errors=stderr", "-d", "error_reporting=-1", join(dir, "harness.php"), join(h.root, f.path)]);
      if (r.code !== 0 || r.stderr.trim() !== "") {
        out.push({ tool: "hyperdb", file, status: "fail", message: firstLines(r.stderr || r.stdout) });
        continue;
      }
      const parsed = JSON.parse(r.stdout) as { servers: Server[] };
      const problems = compareHyperdb(parsed.servers, db);
      out.push({ tool: "hyperdb", file, status: problems.length ? "fail" : "ok", message: problems.join("; ") });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
};
