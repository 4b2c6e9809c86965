// What a host does on first install and at every boot, read from the files
// the systemd and bundle targets write and, where a program decides, by
// running that program: the sysctl.d file is applied (by a unit that has not
// already run) before the nginx that needs it; a unit that lacks a secret
// fails, naming the file and its step in SECRETS.txt; hacompile-health checks
// exactly the host's services and answers 0/1/2.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import { buildPath, hasRootFile, rootFile, type Build } from "./consistency/build.js";
import { iniValue, parseIni } from "./consistency/parse.js";
import { caseDirs, ROOT } from "./helpers.js";

const SYSCTL_FILE = "/etc/sysctl.d/60-hacompile.conf";
const UNIT_DIR = "/etc/systemd/system";
const HEALTH = "/usr/local/sbin/hacompile-health";

const examples = caseDirs(join(ROOT, "examples"));
const builds = new Map<string, Build>();
const built = (example: string): Build => {
  let b = builds.get(example);
  if (!b) {
    b = buildPath(join(ROOT, "examples", example, "topology.yaml"));
    builds.set(example, b);
  }
  return b;
};

const hostsOf = (b: Build): string[] => b.plans.map((p) => p.host.name);

/** install.sh's `install_file MODE OWNER GROUP SHA UNIT ACTION PATH` lines: path -> unit it reloads or restarts ("-" for none). */
function installRestarts(script: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of script.matchAll(/^install_file \S+ \S+ \S+ \S+ (\S+) \S+ (\S+)$/gm)) out.set(m[2]!, m[1]!);
  return out;
}

/** The services install.sh starts, in order: its `services=(UNIT ...)` array, each passed to ensure_service. */
function ensuredServices(script: string): string[] {
  const list = /^services=\(([^)]*)\)$/m.exec(script)?.[1] ?? "";
  assert.match(script, /for unit in "\$\{services\[@\]\}"; do ensure_service "\$unit"; done/, "install.sh starts its services in the array's order");
  return list.split(/\s+/).filter((u) => u !== "");
}

/** Values of a key in one section of a unit file, every occurrence, split on spaces. */
function unitValues(text: string, section: string, key: string, where: string): string[] {
  return (parseIni(text, where).get(section)?.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== "");
}

interface WriteFile {
  readonly path: string;
  readonly content: string;
}

function userDataFiles(b: Build, host: string): Map<string, string> {
  const text = b.files.get(`systemd/${host}/user-data`);
  if (text === undefined) throw new Error(`no systemd/${host}/user-data`);
  const doc = parse(text) as { write_files: WriteFile[]; runcmd: string[][] };
  return new Map(doc.write_files.map((f) => [f.path, f.content]));
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// ------------------------------------------------------------ sysctl ----

for (const e of examples) {
  test(`${e}: every sysctl.d file is applied on first install and at boot, before the services that need it`, () => {
    const b = built(e);
    let seen = 0;
    for (const h of hostsOf(b)) {
      if (!hasRootFile(b, h, SYSCTL_FILE)) continue;
      seen++;
      const install = b.files.get(`bundle/${h}/install.sh`)!;
      const unit = installRestarts(install).get(SYSCTL_FILE);
      // The file must name a unit install.sh restarts when it changes, and
      // not systemd-sysctl.service: that one ran at early boot, before the
      // file existed, and starting an active unit runs nothing.
      assert.ok(unit !== undefined && unit !== "-", `${h}: install.sh applies ${SYSCTL_FILE} through no unit`);
      assert.is.not(unit, "systemd-sysctl.service", `${h}: systemd-sysctl.service already ran at boot`);
      const text = rootFile(b, h, `${UNIT_DIR}/${unit}`);
      const where = `${h}:${unit}`;
      const exec = unitValues(text, "Service", "ExecStart", where);
      assert.ok(/systemd-sysctl$/.test(exec[0] ?? "") && exec.includes(SYSCTL_FILE), `${where}: ExecStart applies ${SYSCTL_FILE}: ${exec.join(" ")}`);
      assert.is(iniValue(parseIni(text, where), "Service", "RemainAfterExit"), "yes", `${where}: stays active, so a later start of the target does not re-run it`);
      // At boot and from cloud-init's `systemctl start hacompile.target`: wanted by the target.
      assert.ok(unitValues(rootFile(b, h, `${UNIT_DIR}/hacompile.target`), "Unit", "Wants", h).includes(unit!), `${h}: hacompile.target Wants=${unit}`);
      // nginx (the service that binds the VIP) is ordered after it, and install.sh starts it first.
      // On a load balancer the proxy that binds the VIP is the engine's (nginx or haproxy).
      const proxy = b.graph.loadBalancer.hosts.includes(h) ? `${b.graph.loadBalancer.engine}.service` : "nginx.service";
      const proxyDropIn = rootFile(b, h, `${UNIT_DIR}/${proxy}.d/hacompile.conf`);
      assert.ok(unitValues(proxyDropIn, "Unit", "After", h).includes(unit!), `${h}: ${proxy} After=${unit}`);
      const order = ensuredServices(install);
      assert.ok(order.includes(unit!) && order.indexOf(unit!) < order.indexOf(proxy), `${h}: install.sh starts ${unit} before ${proxy}: ${order.join(" ")}`);
      // cloud-init writes both files and enables nothing else for it: the target pulls it in.
      const ud = userDataFiles(b, h);
      assert.ok(ud.has(SYSCTL_FILE) && ud.has(`${UNIT_DIR}/${unit}`), `${h}: user-data writes ${SYSCTL_FILE} and ${unit}`);
    }
    const lbs = b.graph.loadBalancer.hosts.length;
    assert.ok(seen >= lbs, `${e}: ${seen} hosts with ${SYSCTL_FILE}, fewer than the ${lbs} load balancers`);
  });
}

test("the sysctl unit's command applies the file for real (in a private network namespace)", () => {
  const b = built("wordpress-ha");
  const unit = installRestarts(b.files.get("bundle/lb1/install.sh")!).get(SYSCTL_FILE)!;
  const exec = unitValues(rootFile(b, "lb1", `${UNIT_DIR}/${unit}`), "Service", "ExecStart", unit);
  const dir = mkdtempSync(join(tmpdir(), "hacompile-sysctl-"));
  try {
    const conf = join(dir, "60-hacompile.conf");
    writeFileSync(conf, rootFile(b, "lb1", SYSCTL_FILE));
    const argv = exec.map((a) => (a === SYSCTL_FILE ? conf : a));
    // net.* settings belong to the namespace: nothing on this machine changes.
    const r = run("unshare", ["--net", "sh", "-c", `"$@" && sysctl -n net.ipv4.ip_nonlocal_bind`, "sh", ...argv]);
    assert.is(r.code, 0, r.err);
    assert.is(r.out.trim(), "1", "ip_nonlocal_bind applied");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ----------------------------------------------------------- secrets ----

test("systemd target: a unit whose secret is missing fails, naming the file and its step in SECRETS.txt", () => {
  const b = built("wordpress-ha");
  let checked = 0;
  for (const h of hostsOf(b)) {
    const steps = b.files.get(`systemd/${h}/SECRETS.txt`);
    if (steps === undefined) continue;
    const ud = userDataFiles(b, h);
    const dropIns = [...ud.keys()].filter((p) => p.endsWith("/hacompile-secrets.conf"));
    assert.ok(dropIns.length > 0, `${h}: has secrets but no unit checks them`);
    for (const d of dropIns) {
      const text = ud.get(d)!;
      // Assert*= and Condition*= leave the unit inactive with Result=success: `systemctl --failed` would not show it.
      assert.not.match(text, /^(Assert|Condition)\w+=/m, `${h}:${d} must fail the unit, not skip it`);
      const pre = unitValues(text, "Service", "ExecStartPre", d);
      const script = ud.get(pre[0]!);
      assert.ok(script !== undefined, `${h}:${d}: ExecStartPre runs ${pre[0]}, which user-data does not write`);
      const dir = mkdtempSync(join(tmpdir(), "hacompile-need-"));
      try {
        const bin = join(dir, "need");
        writeFileSync(bin, script!);
        chmodSync(bin, 0o755);
        const unit = pre[1]!;
        const pairs: [string, string][] = [];
        for (let i = 2; i < pre.length; i += 2) pairs.push([pre[i]!, pre[i + 1]!]);
        for (const [step, path] of pairs) {
          assert.match(steps, new RegExp(`^  # step ${step}: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n  ssh .*${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"), `${h}: SECRETS.txt step ${step} copies ${path}`);
        }
        // The files absent (paths moved under the temporary folder): the unit must fail.
        const moved = pairs.flatMap(([step, path]) => [step, join(dir, "root", path)]);
        const missing = run(bin, [unit, ...moved]);
        assert.is.not(missing.code, 0, `${h}: ${unit} starts without its secrets`);
        for (const [step, path] of pairs) assert.match(missing.err, `secret file ${join(dir, "root", path)} is missing; copy it with step ${step} of SECRETS.txt`);
        // In place: it passes.
        for (const [, path] of pairs) {
          mkdirSync(join(dir, "root", path, ".."), { recursive: true });
          writeFileSync(join(dir, "root", path), "x");
        }
        const present = run(bin, [unit, ...moved]);
        assert.is(present.code, 0, present.err);
        checked++;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  assert.ok(checked >= 2, `only ${checked} units checked`);
});

// ------------------------------------------------------------ health ----

/** The units hacompile-health checks, in its order: the argument of each check line. */
function healthUnits(script: string): string[] {
  return [...script.matchAll(/^(daemon|done_once|mounted|timer) '?([^'\s]+)'?/gm)].map((m) => m[2]!);
}

for (const e of examples) {
  test(`${e}: hacompile-health checks exactly the services each host's roles run`, () => {
    const b = built(e);
    for (const p of b.plans) {
      const want = p.services.map((s) => (s.schedule !== undefined ? s.unit.replace(/\.service$/, ".timer") : s.unit));
      for (const target of ["bundle", "systemd"]) {
        const script = target === "bundle" ? rootFile(b, p.host.name, HEALTH) : userDataFiles(b, p.host.name).get(HEALTH);
        assert.ok(script !== undefined, `${target}/${p.host.name}: no ${HEALTH}`);
        assert.equal(healthUnits(script!), want, `${target}/${p.host.name}: checks`);
      }
    }
  });
}

/**
 * A stand-in for `systemctl show --property=... -- UNIT`: prints the file
 * $STATE/UNIT (name=value lines), or fails like systemctl when $STATE/broken exists.
 */
const FAKE_SYSTEMCTL = `#!/bin/bash
set -eu
unit=\${!#}
if [[ -e $STATE/broken ]]; then echo "Failed to connect to bus" >&2; exit 1; fi
cat -- "$STATE/$unit" 2>/dev/null || printf 'LoadState=not-found\\nActiveState=inactive\\nSubState=dead\\nResult=success\\n'
`;

interface Fabricated {
  readonly state: Map<string, string>;
}

function healthy(b: Build, host: string, mountDir: string): Fabricated {
  const state = new Map<string, string>();
  for (const s of b.plans.find((p) => p.host.name === host)!.services) {
    if (s.schedule !== undefined) {
      state.set(s.unit.replace(/\.service$/, ".timer"), "ActiveState=active\nSubState=waiting\nResult=success\n");
      state.set(s.unit, "ActiveState=inactive\nSubState=dead\nResult=success\nExecMainExitTimestampMonotonic=0\n");
    } else if (s.unit.endsWith(".mount")) state.set(s.unit, `ActiveState=active\nSubState=mounted\nResult=success\nWhere=${mountDir}\n`);
    else if (s.kind === "daemon") state.set(s.unit, "ActiveState=active\nSubState=running\nResult=success\n");
    else state.set(s.unit, "ActiveState=active\nSubState=exited\nResult=success\nExecMainExitTimestampMonotonic=123\n");
  }
  return { state };
}

function runHealth(script: string, f: Fabricated, extra: { broken?: boolean } = {}): { code: number | null; out: string; err: string } {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-health-"));
  try {
    const bin = join(dir, "bin");
    const state = join(dir, "state");
    mkdirSync(bin);
    mkdirSync(state);
    writeFileSync(join(bin, "systemctl"), FAKE_SYSTEMCTL, { mode: 0o755 });
    writeFileSync(join(dir, "health"), script, { mode: 0o755 });
    for (const [unit, props] of f.state) writeFileSync(join(state, unit), props);
    if (extra.broken) writeFileSync(join(state, "broken"), "");
    return run(join(dir, "health"), [], { PATH: `${bin}:${process.env["PATH"] ?? ""}`, STATE: state });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("hacompile-health: exit 0 when every check passes, 1 with a line naming what failed, 2 when systemd cannot be asked", () => {
  const b = built("wordpress-ha");
  const mountDir = mkdtempSync(join(tmpdir(), "hacompile-mount-"));
  try {
    for (const host of ["lb1", "blog1", "db2", "fs1"]) {
      const script = rootFile(b, host, HEALTH);
      const ok = runHealth(script, healthy(b, host, mountDir));
      assert.is(ok.code, 0, `${host} healthy: ${ok.out}${ok.err}`);
      assert.match(ok.out, new RegExp(`^ok +${host}: all \\d+ checks passed$`, "m"));
      assert.not.match(ok.out, /^FAIL/m);
      assert.is(runHealth(script, healthy(b, host, mountDir), { broken: true }).code, 2, `${host}: systemctl unusable`);
    }
    // A daemon that failed (the target stays active: only Wants=).
    const lb = healthy(b, "lb1", mountDir);
    lb.state.set("nginx.service", "ActiveState=failed\nSubState=failed\nResult=exit-code\n");
    const r1 = runHealth(rootFile(b, "lb1", HEALTH), lb);
    assert.is(r1.code, 1, r1.out);
    assert.match(r1.out, /^FAIL nginx\.service: failed\/failed, expected running/m);
    assert.match(r1.out, /^ok +keepalived\.service: running$/m);
    // A bootstrap that never ran (skipped by a condition) and one that failed.
    const db = healthy(b, "db2", mountDir);
    const boot = b.plans.find((p) => p.host.name === "db2")!.services.find((s) => s.kind === "oneshot" && s.schedule === undefined && s.name !== "firewall")!;
    db.state.set(boot.unit, "ActiveState=inactive\nSubState=dead\nResult=success\nExecMainExitTimestampMonotonic=0\n");
    const r2 = runHealth(rootFile(b, "db2", HEALTH), db);
    assert.is(r2.code, 1, r2.out);
    assert.match(r2.out, new RegExp(`^FAIL ${boot.unit.replace(/\./g, "\\.")}: never ran`, "m"));
    // A mount whose folder does not answer (stands in for a dead FUSE client).
    const blog = healthy(b, "blog1", join(mountDir, "gone"));
    const r3 = runHealth(rootFile(b, "blog1", HEALTH), blog);
    assert.is(r3.code, 1, r3.out);
    assert.match(r3.out, /^FAIL \S+\.mount: mounted at .*gone but not readable/m);
    // A periodic job's failed last run warns only.
    const cron = b.plans.find((p) => p.host.name === "blog1")!.services.find((s) => s.schedule !== undefined)!;
    const warn = healthy(b, "blog1", mountDir);
    warn.state.set(cron.unit, "ActiveState=failed\nSubState=failed\nResult=exit-code\n");
    const r4 = runHealth(rootFile(b, "blog1", HEALTH), warn);
    assert.is(r4.code, 0, r4.out);
    assert.match(r4.out, new RegExp(`^WARN ${cron.unit.replace(/\./g, "\\.")}: last run: exit-code`, "m"));
  } finally {
    rmSync(mountDir, { recursive: true, force: true });
  }
});

test.run();
