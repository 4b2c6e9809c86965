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
import { stageTls, type TlsFiles, type TlsPaths } from "./tls.js";
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
  site: { domain: string };
  network: { interface: string; prefixLength: number };
  loadBalancer: { vip: string; tls?: TlsPaths };
}

/** The operator's certificate and key, checked before anything runs: a missing one is a clear error, not an nginx failure. */
function givenTls(graph: GraphJson, graphPath: string, given: TlsFiles | undefined): TlsFiles | undefined {
  if (given === undefined) return undefined;
  if (graph.loadBalancer.tls === undefined)
    throw new VerifyInputError(`${graphPath}: this build has no TLS (loadbalancer.tls), so --tls-cert and --tls-key have nothing to check`);
  for (const f of [given.cert, given.key]) {
    try {
      readFileSync(f);
    } catch (e) {
      throw new VerifyInputError(`${f}: cannot read it (${(e as NodeJS.ErrnoException).code ?? "error"}); --tls-cert and --tls-key name the real certificate and key`);
    }
  }
  return given;
}

export function loadContext(outDir: string, tlsFiles?: TlsFiles): VerifyContext {
  const dir = resolve(outDir);
  const graphPath = join(dir, "graph.json");
  const bundleDir = join(dir, "bundle");
  if (!existsSync(graphPath)) throw new VerifyInputError(`${graphPath}: not found; verify reads the output of 'hacompile build'`);
  if (!existsSync(bundleDir)) throw new VerifyInputError(`${bundleDir}: not found; build with the bundle target to verify host files`);
  const graph = JSON.parse(readFileSync(graphPath, "utf8")) as GraphJson;
  const given = givenTls(graph, graphPath, tlsFiles);
  const tls = graph.loadBalancer.tls;
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
    ...(tls !== undefined ? { tls: { certificate: tls.certificate, key: tls.key, domain: graph.site.domain, ...(given ? { given } : {}) } } : {}),
  };
}

/** Runs every check, or only those reporting for `tool`. A TLS topology's pair is staged for nginx first and removed after. */
export async function runChecks(ctx: VerifyContext, tool?: string): Promise<CheckResult[]> {
  const chosen = checks.filter((c) => tool === undefined || c.tools.includes(tool));
  const stage = ctx.tls !== undefined && chosen.some((c) => c.tools.includes("nginx")) ? await stageTls(ctx.tls, ctx.tls.given, ctx.tls.domain) : undefined;
  const run: VerifyContext = stage !== undefined ? { ...ctx, tlsStage: stage } : ctx;
  const out: CheckResult[] = [];
  try {
    for (const c of chosen) out.push(...(await c.run(run)));
  } finally {
    stage?.cleanup();
  }
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
  const notes = [...new Set(results.flatMap((r) => (r.note !== undefined ? [r.note] : [])))];
  if (notes.length > 0) lines.push("", ...notes);
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
