// `hacompile verify <output-dir>`: every generated file is handed to the real
// program that will read it. Host files are taken from the bundle target
// (bundle/<host>/root mirrors each host, manifest.json says what each file
// is); compose.yaml and the cloud-init user-data are checked where they are.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cloudInitCheck } from "./checks/cloud-init.js";
import { composeCheck } from "./checks/compose.js";
import { glusterdVolCheck } from "./checks/glusterd-vol.js";
import { hyperdbCheck } from "./checks/hyperdb.js";
import { keepalivedCheck } from "./checks/keepalived.js";
import { mycnfCheck } from "./checks/mycnf.js";
import { mysqlSqlCheck } from "./checks/mysql-sql.js";
import { nftCheck } from "./checks/nftables.js";
import { nginxCheck } from "./checks/nginx.js";
import { phpFpmCheck } from "./checks/php-fpm.js";
import { phpLintCheck } from "./checks/php.js";
import { shellcheckCheck } from "./checks/shellcheck.js";
import { sysctlCheck } from "./checks/sysctl.js";
import { systemdCheck } from "./checks/systemd.js";
import type { Check, CheckResult, GraphFacts, HostFileEntry, HostTree, VerifyContext } from "./types.js";

/** The checks, each with the tools whose results it reports; each decides which files are its own. */
export const checks: readonly { readonly tools: readonly string[]; readonly run: Check }[] = [
  { tools: ["nginx"], run: nginxCheck },
  { tools: ["keepalived"], run: keepalivedCheck },
  { tools: ["mariadbd", "mysql-8.4-options"], run: mycnfCheck },
  { tools: ["mysql-8.4-sql"], run: mysqlSqlCheck },
  { tools: ["php-fpm"], run: phpFpmCheck },
  { tools: ["php"], run: phpLintCheck },
  { tools: ["hyperdb"], run: hyperdbCheck },
  { tools: ["shellcheck"], run: shellcheckCheck },
  { tools: ["systemd-analyze"], run: systemdCheck },
  { tools: ["nft"], run: nftCheck },
  { tools: ["sysctl"], run: sysctlCheck },
  { tools: ["glusterd-vol"], run: glusterdVolCheck },
  { tools: ["cloud-init", "user-data-keys"], run: cloudInitCheck },
  { tools: ["docker-compose", "compose-refs"], run: composeCheck },
];

export class VerifyInputError extends Error {}

interface Manifest {
  host: string;
  address: string;
  files: HostFileEntry[];
}

interface GraphJson extends GraphFacts {
  network: { interface: string; prefixLength: number };
  loadBalancer: { vip: string };
}

export function loadContext(outDir: string): VerifyContext {
  const dir = resolve(outDir);
  const graphPath = join(dir, "graph.json");
  const bundleDir = join(dir, "bundle");
  if (!existsSync(graphPath)) throw new VerifyInputError(`${graphPath}: not found; verify reads the output of 'hacompile build'`);
  if (!existsSync(bundleDir)) throw new VerifyInputError(`${bundleDir}: not found; build with the bundle target to verify host files`);
  const graph = JSON.parse(readFileSync(graphPath, "utf8")) as GraphJson;
  const hosts: HostTree[] = [];
  const extraScripts: string[] = [];
  for (const h of readdirSync(bundleDir).sort()) {
    const mpath = join(bundleDir, h, "manifest.json");
    if (!existsSync(mpath)) continue;
    const m = JSON.parse(readFileSync(mpath, "utf8")) as Manifest;
    hosts.push({ host: m.host, address: m.address, root: join(bundleDir, h, "root"), files: m.files });
    if (existsSync(join(bundleDir, h, "install.sh"))) extraScripts.push(`bundle/${h}/install.sh`);
  }
  const composeScripts = join(dir, "compose", "scripts");
  if (existsSync(composeScripts)) for (const s of readdirSync(composeScripts).sort()) extraScripts.push(`compose/scripts/${s}`);
  return {
    outDir: dir,
    hosts,
    iface: graph.network.interface,
    prefixLength: graph.network.prefixLength,
    vip: graph.loadBalancer.vip,
    graph,
    extraScripts,
  };
}

/** Runs every check, or only those reporting for `tool`. */
export async function runChecks(ctx: VerifyContext, tool?: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) if (tool === undefined || c.tools.includes(tool)) out.push(...(await c.run(ctx)));
  return out;
}

export interface Summary {
  readonly lines: string[];
  readonly failed: number;
  readonly exitCode: number;
}

/** One line per check, then per tool "tool: N ok, N failed, N skipped". Under CI a skip is a failure. */
export function summarize(results: readonly CheckResult[], ci: boolean): Summary {
  const lines = results.map((r) =>
    r.status === "ok" ? `ok      ${r.tool}  ${r.file}` : r.status === "fail" ? `FAIL    ${r.tool}  ${r.file}: ${r.message}` : `skipped: ${r.message} (${r.file})`,
  );
  const tools = [...new Set(results.map((r) => r.tool))].sort();
  lines.push("");
  for (const t of tools) {
    const rs = results.filter((r) => r.tool === t);
    const n = (s: CheckResult["status"]): number => rs.filter((r) => r.status === s).length;
    lines.push(`${t}: ${n("ok")} ok, ${n("fail")} failed, ${n("skipped")} skipped`);
  }
  const failed = results.filter((r) => r.status === "fail" || (ci && r.status === "skipped")).length;
  lines.push(`verify: ${results.length} checks, ${failed} failed${ci ? " (CI: a skipped tool counts as failed)" : ""}`);
  return { lines, failed, exitCode: failed > 0 || results.length === 0 ? 1 : 0 };
}
