// `hacompile check`: each rule proves itself on a topology that triggers it
// and one that does not (test/check-cases/<code>/{trigger,clean}*.yaml, files
// of one case checked together); election rules hacompile's output cannot
// break prove themselves on keepalived.conf fixtures instead
// (test/check-cases/keepalived/<code>/*.conf). hacompile's own keepalived.conf
// output must pass its own audit and read back as the model the rules use.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkGraph, checkKeepalived, checkTopologies, rules } from "../src/check/index.js";
import { groupFromGraph } from "../src/check/election.js";
import { parseKeepalived } from "../src/check/keepalived/parse.js";
import { groupsFromConfigs } from "../src/check/keepalived/groups.js";
import type { Finding } from "../src/check/types.js";
import { buildFile, caseDirs, ROOT } from "./helpers.js";

const CASES = join(ROOT, "test/check-cases");
const BIN = join(ROOT, "bin/hacompile.js");

function sources(dir: string, prefix: string, ext: string): { file: string; text: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(ext))
    .sort()
    .map((f) => ({ file: relative(ROOT, join(dir, f)), text: readFileSync(join(dir, f), "utf8") }));
}

function codes(fs: readonly Finding[]): string[] {
  return fs.map((f) => f.code);
}

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("rules: unique codes, one file each, named after the code", () => {
  const seen = new Set<string>();
  for (const r of rules) {
    assert.not.ok(seen.has(r.code), `duplicate rule code ${r.code}`);
    seen.add(r.code);
    assert.match(r.code, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(existsSync(join(ROOT, "src/check/rules", `${r.code}.ts`)), `src/check/rules/${r.code}.ts`);
  }
  const files = readdirSync(join(ROOT, "src/check/rules")).filter((f) => f.endsWith(".ts"));
  assert.equal(files.map((f) => f.replace(/\.ts$/, "")).sort(), [...seen].sort(), "every rule file is registered");
});

for (const r of rules) {
  test(`rule ${r.code}: trigger and clean cases`, () => {
    const dir = join(CASES, r.code);
    const clean = sources(dir, "clean", ".yaml");
    assert.ok(clean.length > 0, `${r.code} needs test/check-cases/${r.code}/clean.yaml`);
    const cleanReport = checkTopologies(clean);
    assert.equal(cleanReport.diagnostics.filter((d) => d.severity === "error"), [], "the clean case compiles");
    assert.not.ok(codes(cleanReport.findings).includes(r.code), `clean case reports ${r.code}`);

    const trigger = sources(dir, "trigger", ".yaml");
    const confs = sources(join(CASES, "keepalived", r.code), "", ".conf");
    if (r.kind === "election" && r.graphSafe) {
      assert.equal(trigger, [], `${r.code} is graph-safe: its failing cases are keepalived.conf files`);
    } else {
      assert.ok(trigger.length > 0, `${r.code} needs test/check-cases/${r.code}/trigger.yaml`);
      const report = checkTopologies(trigger);
      assert.equal(report.diagnostics.filter((d) => d.severity === "error"), [], "the trigger case compiles");
      assert.ok(codes(report.findings).includes(r.code), `trigger case does not report ${r.code}: ${codes(report.findings).join(", ")}`);
    }
    if (r.kind === "election") {
      assert.ok(confs.length > 0 || !r.graphSafe, `${r.code} needs test/check-cases/keepalived/${r.code}/*.conf`);
      if (confs.length > 0) {
        const found = checkKeepalived(confs).findings;
        const mine = found.filter((f) => f.code === r.code);
        assert.ok(mine.length > 0, `keepalived fixtures do not report ${r.code}: ${codes(found).join(", ")}`);
        assert.equal(found.filter((f) => f.code !== r.code), [], "a fixture fails only the rule it is for");
      }
    }
  });
}

test("every finding has a one-sentence reason, a fix, a layer and a position", () => {
  const all = caseDirs(join(ROOT, "examples")).map((c) => join("examples", c, "topology.yaml"));
  for (const d of readdirSync(CASES)) all.push(...sources(join(CASES, d), "trigger", ".yaml").map((s) => s.file));
  for (const file of all) {
    for (const f of checkTopologies([{ file, text: readFileSync(join(ROOT, file), "utf8") }]).findings) {
      assert.ok(f.message.length > 20 && !f.message.endsWith("."), `${f.code}: ${f.message}`);
      assert.ok(f.fix.length > 10, `${f.code} has no fix`);
      assert.ok(f.pos.line >= 1 && f.file === file, `${f.code} is placed`);
    }
  }
});

test("wordpress-scalable: each single point with its fix", () => {
  const file = "examples/wordpress-scalable/topology.yaml";
  const r = checkTopologies([{ file, text: readFileSync(join(ROOT, file), "utf8") }]);
  assert.equal(
    r.findings.map((f) => [f.layer, f.severity, f.code]),
    [
      ["load-balancing", "error", "single-load-balancer"],
      ["database", "error", "database-no-replica"],
      ["storage", "warning", "volume-replica-2-no-arbiter"],
    ],
  );
  assert.match(r.findings[0]!.fix, /loadbalancer\.hosts/);
  assert.match(r.findings[1]!.fix, /databases\.wp\.replicas/);
  assert.match(r.findings[2]!.fix, /arbiter: 1/);
});

test("wordpress-ha: nothing but the write primary, stated as a note", () => {
  const file = "examples/wordpress-ha/topology.yaml";
  const r = checkTopologies([{ file, text: readFileSync(join(ROOT, file), "utf8") }]);
  assert.equal(codes(r.findings), ["database-write-primary"]);
  assert.is(r.findings[0]!.severity, "info");
  assert.match(r.findings[0]!.message, /writes .* primary 'db1' only/);
});

test("WordPress pools of two hosts without a volume: content-routing and mysql-replication, not wordpress-ha", () => {
  const found = (example: string): string[] => {
    const file = `examples/${example}/topology.yaml`;
    return checkTopologies([{ file, text: readFileSync(join(ROOT, file), "utf8") }])
      .findings.filter((f) => f.code === "wordpress-uploads-not-shared")
      .map((f) => `${f.severity} ${f.message.split(" has ")[0]}`)
      .sort();
  };
  assert.equal(found("content-routing"), ["error WordPress pool 'blog'", "error WordPress pool 'web'"]);
  assert.equal(found("mysql-replication"), ["error WordPress pool 'web'"]);
  assert.equal(found("wordpress-ha"), []);
});

test("admin network: a load balancer or the VIP alone inside it is an error", () => {
  const dir = join(CASES, "admin-network-includes-lb");
  const [lbs, vip] = ["trigger.yaml", "trigger-vip.yaml"].map(
    (f) => checkTopologies(sources(dir, f, "")).findings.filter((x) => x.code === "admin-network-includes-lb"),
  );
  assert.equal(lbs!.map((f) => [f.severity, f.hosts]), [["error", ["lb1", "lb2"]]]);
  assert.equal(vip!.map((f) => [f.severity, f.hosts]), [["error", []]]);
  assert.match(vip![0]!.message, /contains the VIP 10\.20\.0\.100/);
});

test("a host with several roles is a note naming each role", () => {
  const r = checkTopologies(sources(join(CASES, "host-several-roles"), "trigger", ".yaml")).findings.filter((f) => f.code === "host-several-roles");
  assert.equal(r.map((f) => [f.severity, f.hosts]), [["info", ["web1"]], ["info", ["db1"]], ["info", ["db2"]]]);
  assert.match(r[1]!.message, /'db1' is the primary of database 'wp' and a brick of volume 'uploads'/);
});

test("cli check a.yaml b.yaml: one address (a host's, the VIP) on one subnet fails only together", () => {
  const dir = "test/check-cases/address-in-two-topologies";
  const both = run(["check", `${dir}/trigger.yaml`, `${dir}/trigger-2.yaml`]);
  assert.is(both.code, 1, both.stdout);
  const lines = both.stdout.split("\n").filter((l) => l.includes("[address-in-two-topologies]"));
  assert.is(lines.length, 2, both.stdout);
  assert.match(lines[0]!, /^  test\/check-cases\/address-in-two-topologies\/trigger-2\.yaml:\d+:\d+: error: 10\.10\.0\.21 is host 'web1' here and host 'web1' in 'shop'/);
  assert.match(lines[1]!, /10\.10\.0\.100 is the VIP here and the VIP in 'shop'/);
  for (const f of ["trigger.yaml", "trigger-2.yaml"]) assert.not.match(run(["check", `${dir}/${f}`]).stdout, /\[address-in-two-topologies\]/);
  assert.is(run(["check", `${dir}/clean.yaml`, `${dir}/clean-2.yaml`]).code, 0);
});

test("several topologies: router ids are compared per segment", () => {
  const dir = join(CASES, "vrrp-router-id-collision");
  const both = checkTopologies(sources(dir, "trigger", ".yaml")).findings.filter((f) => f.code === "vrrp-router-id-collision");
  assert.is(both.length, 1);
  assert.match(both[0]!.fix, /router_id: \d+/);
  // Each alone is fine: the collision needs both.
  for (const s of sources(dir, "trigger", ".yaml")) assert.not.ok(codes(checkTopologies([s]).findings).includes("vrrp-router-id-collision"));
});

test("hacompile's own keepalived.conf passes its audit and reads back as the graph's election model", () => {
  for (const c of caseDirs(join(ROOT, "examples"))) {
    const built = buildFile(join(ROOT, "examples", c, "topology.yaml"));
    const group = groupFromGraph(built.graph, "t.yaml");
    const confs = built.plans.flatMap((p) =>
      p.files.filter((f) => f.path === "/etc/keepalived/keepalived.conf").map((f) => ({ file: `${p.host.name}.conf`, text: f.content })),
    );
    if (!group) {
      assert.equal(confs, [], `${c} has no failover and no keepalived.conf`);
      continue;
    }
    assert.equal(checkKeepalived(confs).findings, [], `${c}: findings on the generated keepalived.conf`);
    const parsed = groupsFromConfigs(confs.map((x) => parseKeepalived(x.text, x.file)));
    assert.is(parsed.length, 1, `${c}: one virtual router`);
    const strip = (n: (typeof group.nodes)[number]): unknown => ({ ...n, label: undefined, origin: undefined, vips: undefined });
    assert.equal(parsed[0]!.nodes.map(strip), group.nodes.map(strip), `${c}: generated config and graph model agree`);
  }
});

test("keepalived parser: braces, comments, quoted scripts, unknown tracked scripts", () => {
  const text = [
    "! comment",
    'vrrp_script chk { script "/bin/true x" # trailing',
    "  weight -5 }",
    "vrrp_instance A {",
    "  state MASTER",
    "  virtual_router_id 7",
    "  priority 120",
    "  unicast_peer { 10.0.0.2 }",
    "  virtual_ipaddress {",
    "    10.0.0.9/24 dev eth0",
    "  }",
    "  track_script {",
    "    chk",
    "    missing",
    "  }",
    "}",
  ].join("\n");
  const c = parseKeepalived(text, "k.conf");
  assert.is(c.instances.length, 1);
  const n = c.instances[0]!;
  assert.equal([n.state, n.routerId, n.priority, n.unicastPeers, n.vips, n.tracks], ["MASTER", 7, 120, ["10.0.0.2"], ["10.0.0.9/24"], [{ name: "chk", weight: -5 }]]);
  assert.equal(codes(checkKeepalived([{ file: "k.conf", text }]).findings), ["keepalived-unknown-script"]);
  const broken = checkKeepalived([{ file: "b.conf", text: "vrrp_instance A {\n  priority 100\n" }]).findings;
  assert.equal(codes(broken), ["keepalived-syntax"]);
});

test("checkGraph agrees with checkTopologies on codes", () => {
  const file = "examples/wordpress-scalable/topology.yaml";
  const r = checkTopologies([{ file, text: readFileSync(join(ROOT, file), "utf8") }]);
  const built = buildFile(join(ROOT, file));
  assert.equal(codes(checkGraph(built.graph, file)), codes(r.findings));
});

test("cli check: exit codes, text by layer, JSON, --keepalived", () => {
  const ha = run(["check", "examples/wordpress-ha/topology.yaml"]);
  assert.is(ha.code, 0, ha.stderr);
  assert.match(ha.stdout, /^databases:\n/);
  assert.match(ha.stdout, /check: 0 errors, 0 warnings, 1 note\n$/);
  const sc = run(["check", "examples/wordpress-scalable/topology.yaml"]);
  assert.is(sc.code, 1);
  assert.match(sc.stdout, /^load balancing:\n  examples\/wordpress-scalable\/topology\.yaml:\d+:\d+: error: .+ \[single-load-balancer\]\n      fix: /);
  const warnOnly = run(["check", "test/check-cases/volume-replica-2-no-arbiter/trigger.yaml"]);
  assert.is(warnOnly.code, 0, "warnings alone exit 0");
  const json = run(["check", "examples/wordpress-scalable/topology.yaml", "--json"]);
  const parsed = JSON.parse(json.stdout) as { findings: { code: string; fix: string; layer: string }[]; summary: { errors: number } };
  assert.equal(parsed.findings.map((f) => f.code), ["single-load-balancer", "database-no-replica", "volume-replica-2-no-arbiter"]);
  assert.is(parsed.summary.errors, 2);
  const dir = "test/check-cases/keepalived/vrrp-track-weight";
  const ka = run(["check", "--keepalived", `${dir}/lb1.conf`, `${dir}/lb2.conf`]);
  assert.is(ka.code, 1);
  assert.match(ka.stdout, /\[vrrp-track-weight\]/);
  assert.is(run(["check"]).code, 2);
  const missing = run(["check", "/nonexistent/topology.yaml"]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /no such file \[read-error\]/);
  const invalid = run(["check", "test/errors/unknown-host--several/topology.yaml"]);
  assert.is(invalid.code, 1);
  assert.match(invalid.stderr, /\[unknown-host\]/);
});

test("cli build: one summary line of the check on stderr", () => {
  const out = mkdtempSync(join(tmpdir(), "hacompile-check-"));
  const r = run([
    "build",
    "examples/wordpress-scalable/topology.yaml",
    "-o",
    join(out, "o"),
    "--secrets",
    "test/fixtures/fake.secrets.yaml",
    "--frozen-secrets",
  ]);
  rmSync(out, { recursive: true, force: true });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^check: 2 errors, 1 warning, 0 notes \(hacompile check for details\)$/m);
});

test.run();
