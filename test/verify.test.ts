// `hacompile verify`: the real programs accept every file of every example
// and golden case, and each check can fail: a broken copy of one file is
// caught by the intended tool, with that file named in the message.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeTreeAtomic } from "../src/io/write-tree.js";
import { loadContext, runChecks, summarize } from "../src/verify/index.js";
import type { CheckResult } from "../src/verify/types.js";
import { buildFile, caseDirs, ROOT } from "./helpers.js";

const CI = process.env["CI"] === "true";
const work = mkdtempSync(join(tmpdir(), "hacompile-verify-"));

function buildTo(topology: string, name: string): string {
  const dest = join(work, name);
  writeTreeAtomic(dest, buildFile(topology).files);
  return dest;
}

const inputs = [
  ...caseDirs(join(ROOT, "examples")).map((c) => ({ name: `example-${c}`, path: join(ROOT, "examples", c, "topology.yaml") })),
  ...caseDirs(join(ROOT, "test/cases")).map((c) => ({ name: `case-${c}`, path: join(ROOT, "test/cases", c, "topology.yaml") })),
];

const totals = new Map<string, number>();

for (const input of inputs) {
  test(`verify accepts every file of ${input.name}`, async () => {
    const dir = buildTo(input.path, input.name);
    const results = await runChecks(loadContext(dir));
    for (const r of results) totals.set(r.tool, (totals.get(r.tool) ?? 0) + 1);
    const bad = results.filter((r) => r.status === "fail" || (CI && r.status === "skipped"));
    assert.equal(bad.map((r) => `${r.status} ${r.tool} ${r.file}: ${r.message}`), []);
    assert.ok(results.length > 0);
  });
}

test("checks per tool, over every example and case", () => {
  const lines = [...totals.entries()].sort().map(([tool, n]) => `  ${tool}: ${n}`);
  process.stdout.write(`\nverify checks run per tool:\n${lines.join("\n")}\n`);
  for (const tool of ["nginx", "keepalived", "mariadbd", "php-fpm", "php", "hyperdb", "shellcheck", "systemd-analyze", "nft", "cloud-init", "docker-compose", "mysql-8.4-options", "mysql-8.4-sql"])
    assert.ok((totals.get(tool) ?? 0) > 0, `no ${tool} check ran`);
});

// Broken fixtures: one deliberate mistake per tool in a copy of a good build.

/** Drops the ';' that ends the first directive (not one in a comment). */
function dropFirstSemicolon(t: string): string {
  const lines = t.split("\n");
  const i = lines.findIndex((l) => !l.trim().startsWith("#") && l.trimEnd().endsWith(";"));
  lines[i] = lines[i]!.trimEnd().slice(0, -1);
  return lines.join("\n");
}
interface Breakage {
  readonly tool: string;
  readonly example: string;
  /** Output-relative path of the file to break. */
  readonly file: string;
  readonly breakIt: (text: string) => string;
  /** How the failing result names the file. */
  readonly label: string;
}

const breakages: Breakage[] = [
  { tool: "nginx", example: "wordpress-ha", file: "bundle/lb1/root/etc/nginx/hacompile/lb.conf", breakIt: dropFirstSemicolon, label: "lb1:" },
  { tool: "keepalived", example: "wordpress-ha", file: "bundle/lb1/root/etc/keepalived/keepalived.conf", breakIt: (t) => t.replace("vrrp_instance", "vrrp_instanse"), label: "lb1:/etc/keepalived/keepalived.conf" },
  { tool: "mariadbd", example: "wordpress-ha", file: "bundle/db1/root/etc/mysql/mariadb.conf.d/60-hacompile.cnf", breakIt: (t) => `${t}no_such_option = 1\n`, label: "db1:/etc/mysql/mariadb.conf.d/60-hacompile.cnf" },
  { tool: "mysql-8.4-options", example: "mysql-replication", file: "bundle/db1/root/etc/mysql/mysql.conf.d/60-hacompile.cnf", breakIt: (t) => `${t}expire_logs_days = 7\n`, label: "db1:/etc/mysql/mysql.conf.d/60-hacompile.cnf" },
  { tool: "mysql-8.4-sql", example: "mysql-replication", file: "bundle/db2/root/etc/hacompile/db/replica.sql", breakIt: (t) => `${t}START SLAVE;\n`, label: "db2:/etc/hacompile/db/replica.sql" },
  { tool: "systemd-analyze", example: "wordpress-ha", file: "bundle/db1/root/etc/systemd/system/hacompile-db-bootstrap.service", breakIt: (t) => t.replace("[Service]", "[Service]\nNoSuchKey=1"), label: "db1:/etc/systemd/system/hacompile-db-bootstrap.service" },
  { tool: "php", example: "wordpress-ha", file: "bundle/blog1/root/etc/wordpress/config-example.org.php", breakIt: (t) => t.replace(/^(define\([^\n]*\));$/m, "$1"), label: "blog1:/etc/wordpress/config-example.org.php" },
  { tool: "php-fpm", example: "wordpress-ha", file: "bundle/blog1/root/etc/php/8.2/fpm/pool.d/hacompile-blog.conf", breakIt: (t) => `${t}pm.max_children = banana\n`, label: "blog1:" },
  { tool: "hyperdb", example: "wordpress-ha", file: "bundle/blog1/root/etc/wordpress/db-config.php", breakIt: (t) => t.replace("'write' => 1", "'write' => 0"), label: "blog1:/etc/wordpress/db-config.php" },
  { tool: "shellcheck", example: "wordpress-ha", file: "bundle/db1/root/usr/local/sbin/hacompile-db-bootstrap", breakIt: (t) => `${t}\nrm -rf $HACOMPILE_UNQUOTED/x\n`, label: "db1:/usr/local/sbin/hacompile-db-bootstrap" },
  { tool: "nft", example: "wordpress-ha", file: "bundle/lb1/root/etc/hacompile/firewall.nft", breakIt: (t) => t.replace("policy drop", "policy dorp"), label: "lb1:/etc/hacompile/firewall.nft" },
  { tool: "sysctl", example: "wordpress-ha", file: "bundle/lb1/root/etc/sysctl.d/60-hacompile.conf", breakIt: (t) => `${t}net.ipv4.no_such_key = 1\n`, label: "lb1:/etc/sysctl.d/60-hacompile.conf" },
  { tool: "glusterd-vol", example: "wordpress-ha", file: "bundle/fs1/root/etc/glusterfs/glusterd.vol", breakIt: (t) => t.replace(/^\s*option max-port.*$/m, ""), label: "fs1:/etc/glusterfs/glusterd.vol" },
  { tool: "cloud-init", example: "wordpress-ha", file: "systemd/lb1/user-data", breakIt: (t) => t.replace("package_update: true", "package_update: [1, 2]"), label: "systemd/lb1/user-data" },
  { tool: "user-data-keys", example: "wordpress-ha", file: "systemd/lb1/user-data", breakIt: (t) => `${t}no_such_module: true\n`, label: "systemd/lb1/user-data" },
  { tool: "docker-compose", example: "wordpress-ha", file: "compose/compose.yaml", breakIt: (t) => t.replace(/^services:\n/m, "services:\n  broken:\n    no_such_key: 1\n"), label: "compose/compose.yaml" },
  { tool: "compose-refs", example: "wordpress-ha", file: "compose/compose.yaml", breakIt: (t) => t.replace(/^(\s+secrets:\n\s+- )\S+$/m, "$1no-such-secret"), label: "compose/compose.yaml" },
];

for (const b of breakages) {
  test(`a broken ${b.tool} fixture is caught by ${b.tool}`, async () => {
    const good = join(work, `example-${b.example}`);
    const copy = join(work, `broken-${b.tool}`);
    cpSync(good, copy, { recursive: true, dereference: true });
    const path = join(copy, b.file);
    const before = readFileSync(path, "utf8");
    const after = b.breakIt(before);
    assert.is.not(after, before, "the breakage changed nothing");
    writeFileSync(path, after);
    // Only the check that reports for this tool: the others were proven on the good build.
    const results: CheckResult[] = await runChecks(loadContext(copy), b.tool);
    const failures = results.filter((r) => r.status === "fail");
    assert.ok(
      failures.some((r) => r.tool === b.tool && r.file.includes(b.label)),
      `expected ${b.tool} to fail on ${b.label}; failures: ${failures.map((r) => `${r.tool} ${r.file}: ${r.message}`).join(" / ") || "none"}`,
    );
    assert.is(summarize(results, false).exitCode, 1);
    rmSync(copy, { recursive: true, force: true });
  });
}

// A TLS topology names the operator's certificate and key, which no build
// machine has: verify stages a pair at those paths, says which, and checks
// the operator's own files when named.
const CERT = "/etc/ssl/hacompile-verify-test/cert.pem";
const KEY = "/etc/ssl/hacompile-verify-test/key.pem";

function tlsBuild(): string {
  const text = readFileSync(join(ROOT, "examples/wordpress-ha/topology.yaml"), "utf8");
  const withTls = text.replace(/^  routes:$/m, `  tls: { certificate: ${CERT}, key: ${KEY} }\n  routes:`);
  assert.is.not(withTls, text);
  const topo = join(work, "tls.yaml");
  writeFileSync(topo, withTls);
  return buildTo(topo, "tls");
}

/** A self-signed pair made the way an operator might (openssl req). */
function pair(name: string): { cert: string; key: string } {
  const cert = join(work, `${name}-cert.pem`);
  const key = join(work, `${name}-key.pem`);
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", `/CN=${name}`, "-keyout", key, "-out", cert], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  return { cert, key };
}

function cli(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/hacompile.js"), ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
}

test("verify of a TLS topology: nginx loads a throwaway pair at the named paths, and the output says so", async () => {
  assert.not.ok(existsSync(CERT), `${CERT} exists on this machine`);
  const dir = tlsBuild();
  const results = await runChecks(loadContext(dir), "nginx");
  assert.equal(results.filter((r) => r.status !== "ok").map((r) => `${r.file}: ${r.message}`), []);
  const lbs = results.filter((r) => /^lb\d:/.test(r.file));
  assert.is(lbs.length, 2);
  for (const r of lbs) assert.match(r.note ?? "", /throwaway self-signed pair/);
  assert.ok(results.filter((r) => !/^lb\d:/.test(r.file)).every((r) => r.note === undefined), "only configs that load the certificate carry the note");
  const text = summarize(results, false).lines.join("\n");
  assert.match(text, new RegExp(`^TLS: ${CERT} and ${KEY} are not on this machine, so nginx loaded a throwaway self-signed pair`, "m"));
  assert.not.ok(existsSync(CERT), "the throwaway pair stays inside the sandbox");
});

test("verify --tls-cert/--tls-key: nginx loads the operator's pair; a key of another pair fails", () => {
  const dir = tlsBuild();
  const good = pair("good");
  const other = pair("other");
  const ok = cli(["verify", dir, "--tool", "nginx", "--tls-cert", good.cert, "--tls-key", good.key]);
  assert.is(ok.code, 0, ok.out);
  assert.ok(ok.out.includes(`TLS: nginx loaded the certificate ${good.cert} and key ${good.key}`), ok.out);
  const bad = cli(["verify", dir, "--tool", "nginx", "--tls-cert", good.cert, "--tls-key", other.key]);
  assert.is(bad.code, 1, bad.out);
  assert.match(bad.out, /FAIL {4}nginx {2}lb1:\/etc\/nginx\/nginx\.conf: .*key values mismatch/);
  const missing = cli(["verify", dir, "--tls-cert", join(work, "nope.pem"), "--tls-key", good.key]);
  assert.is(missing.code, 1);
  assert.ok(missing.out.includes(`hacompile: ${join(work, "nope.pem")}: cannot read it (ENOENT); --tls-cert and --tls-key name the real certificate and key\n`), missing.out);
  assert.is(cli(["verify", dir, "--tls-cert", good.cert]).code, 2);
});

test("a missing tool is a skip on a developer's machine and a failure under CI", () => {
  const skipped: CheckResult = { tool: "nginx", file: "lb1:/etc/nginx/nginx.conf", status: "skipped", message: "nginx not installed" };
  assert.is(summarize([skipped], false).exitCode, 0);
  assert.is(summarize([skipped], true).exitCode, 1);
  assert.match(summarize([skipped], false).lines[0]!, /^skipped: nginx not installed/);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
