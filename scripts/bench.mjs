#!/usr/bin/env node
// `npm run bench`: what hacompile costs on this machine. Not a test: it
// prints figures and asserts nothing (the goals it reports against are in
// issue 9 and the README's Performance section).
//
//   start-up   whole-process wall time of `hacompile build` and `hacompile
//              validate` of examples/wordpress-ha next to `node -e 0`, runs
//              interleaved so that machine load hits all three alike
//   scaling    synthetic topologies of 10 .. 10,000 web hosts, built by the
//              CLI: wall time, peak RSS, output size, files written per
//              second, and the time ratio between successive sizes
//   in memory  the same topologies validated, lowered and rendered (compile
//              and emit, nothing written) in a child node process that
//              imports the compiled modules: time and peak RSS
//
// Every build writes into a fresh folder of a temporary directory (on the
// file system of os.tmpdir(), or of BENCH_DIR) with fake secrets; nothing is
// written into the repository. BENCH_RUNS=n sets the start-up repetitions
// (default 15), BENCH_SIZES=a,b,... the web host counts (default
// 10,100,1000,10000), BENCH_SCALE_RUNS=n the builds per size up to 1,000
// (default 3; larger sizes run once).
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const BIN = join(ROOT, "bin/hacompile.js");
const EXAMPLE = join(ROOT, "examples/wordpress-ha/topology.yaml");
const FAKE_SECRETS = join(ROOT, "test/fixtures/fake.secrets.yaml");
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SCALE_RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000,10000").split(",").map(Number);

// A synthetic topology is made of cells of up to 100 web hosts: a WordPress
// pool with its own route, its own MariaDB (a primary and two replicas) and
// its own GlusterFS volume (replica 3 with an arbiter, two replica sets: 6
// bricks). The database and storage tiers grow with the web tier (one cell
// per 100 web hosts), while what a web host's own files list (its pool's
// database servers and bricks) keeps a realistic size. 10,000 web hosts make
// 100 cells: 10,902 hosts.
const CELL_WEB = 100;
const CELL_DB = 3;
const CELL_FS = 6;

/** The n-th address of 10.0.0.0/16, skipping .0 and .255 of each /24 for readability. */
function address(n) {
  return `10.0.${Math.floor(n / 254)}.${(n % 254) + 1}`;
}

/** Topology text and a fake secrets file for `web` web hosts (a multiple of 10). */
export function synthetic(web) {
  const cells = Math.ceil(web / CELL_WEB);
  const pad = (i) => String(i).padStart(4, "0");
  const hosts = [];
  const pools = [];
  const routes = [];
  const dbs = [];
  const vols = [];
  let next = 20; // .1-.19 of the first /24: LBs and the VIP
  const host = (name) => {
    hosts.push(`  ${name}: { address: ${address(next++)} }`);
    return name;
  };
  for (let c = 0; c < cells; c++) {
    const id = pad(c);
    const members = Array.from({ length: Math.min(CELL_WEB, web - c * CELL_WEB) }, (_, i) => host(`web${id}-${i}`));
    const db = Array.from({ length: CELL_DB }, (_, i) => host(`db${id}-${i}`));
    const fs = Array.from({ length: CELL_FS }, (_, i) => host(`fs${id}-${i}`));
    pools.push(`  p${id}: { hosts: [${members.join(", ")}], app: wordpress, database: d${id}, volume: v${id} }`);
    routes.push(`    - { path: ${c === 0 ? "/" : `/c${id}`}, pool: p${id} }`);
    dbs.push(`  d${id}: { engine: mariadb, primary: ${db[0]}, replicas: [${db.slice(1).join(", ")}], name: wp${id} }`);
    vols.push(`  v${id}: { type: glusterfs, replica: 3, arbiter: 1, bricks: [${fs.join(", ")}], mount: /var/lib/wordpress/wp-content/uploads }`);
  }
  const topology = [
    `name: synthetic-${web}`,
    "site: { domain: example.org, title: Bench, admin_email: admin@example.org }",
    "network: { subnet: 10.0.0.0/16, interface: eth0, admin: 10.0.0.0/28 }",
    "hosts:",
    "  lb1: { address: 10.0.0.11 }",
    "  lb2: { address: 10.0.0.12 }",
    ...hosts,
    "loadbalancer:",
    "  hosts: [lb1, lb2]",
    "  vip: 10.0.0.10",
    "  failover: { mode: vrrp, peers: unicast }",
    "  routes:",
    ...routes,
    "pools:",
    ...pools,
    "databases:",
    ...dbs,
    "volumes:",
    ...vols,
    "",
  ].join("\n");
  const fake = (kind, name) => `FAKE${kind}${name}`.padEnd(32, "0");
  const secrets = [
    "# Fake secrets for the benchmark.",
    "databases:",
    ...Array.from({ length: cells }, (_, c) =>
      [`  d${pad(c)}:`, `    app: ${fake("app", pad(c))}`, `    replication: ${fake("repl", pad(c))}`, `    root: ${fake("root", pad(c))}`].join("\n"),
    ),
    "salts:",
    ...["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"].map(
      (s) => `  ${s}: ${`FAKEsalt${s.replaceAll("_", "")}`.padEnd(64, "0")}`,
    ),
    `wordpressAdmin: ${"FAKEwordpressAdmin".padEnd(24, "0")}`,
    "",
  ].join("\n");
  return { topology, secrets, hosts: 2 + hosts.length };
}

// ---------------------------------------------------------------- helpers

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${x.toFixed(0)} ms`;
const secs = (x) => `${(x / 1000).toFixed(2)} s`;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const num = (n) => n.toLocaleString("en-US");

/**
 * Loaded with --import into every measured process (node -e 0 too, so all
 * pay the same): at exit it records the process's CPU time and peak RSS,
 * which a busy machine disturbs less than wall time.
 */
const HOOK = `import { writeFileSync } from "node:fs";
process.once("exit", () => {
  const u = process.resourceUsage();
  writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssBytes: u.maxRSS * 1024 }));
});
`;

/** One whole process: wall time (ms), CPU time (ms) and peak RSS (bytes); throws with its stderr when it fails. */
function measure(work, args) {
  const hook = join(work, "usage-hook.mjs");
  const usage = join(work, "usage.json");
  writeFileSync(hook, HOOK);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(hook).href, ...args], {
    cwd: ROOT,
    env: { ...process.env, BENCH_USAGE_FILE: usage },
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status ?? r.signal}:\n${(r.stderr ?? "").split("\n").slice(0, 5).join("\n")}`);
  const { cpuMs, rssBytes } = JSON.parse(readFileSync(usage, "utf8"));
  return { wall, cpuMs, rssBytes };
}

/** Files and bytes under a folder (the build's output link is followed). */
function treeSize(dir) {
  let files = 0;
  let bytes = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  walk(realpathSync(dir));
  return { files, bytes };
}

/** The file system type of the mount holding `dir` (Linux /proc/mounts), for the record. */
function fsType(dir) {
  try {
    const real = realpathSync(dir);
    let best = { point: "", type: "unknown" };
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [, point, type] = line.split(" ");
      if (point && type && (real === point || real.startsWith(point === "/" ? "/" : `${point}/`)) && point.length > best.point.length) best = { point, type };
    }
    return `${best.type} (${best.point})`;
  } catch {
    return "unknown";
  }
}

function removeQuietly(p) {
  rmSync(p, { recursive: true, force: true });
}

/** Output folder and its generation (the folder is a link to it). */
function removeOutput(out) {
  removeQuietly(realpathSync(out));
  removeQuietly(out);
}

// ------------------------------------------------------------------ parts

function machine(work) {
  const c = cpus();
  console.log("machine");
  console.log(`  cpu        ${c[0]?.model ?? "unknown"} x ${c.length}`);
  console.log(`  memory     ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log(`  os         Linux ${release()}`);
  console.log(`  node       ${process.version}`);
  console.log(`  output on  ${fsType(work)}`);
  console.log(`  load       ${loadavg().map((x) => x.toFixed(2)).join(" ")} (1, 5, 15 min) at start`);
  console.log("");
}

function startup(work) {
  const secrets = join(work, "example.secrets.yaml");
  cpSync(FAKE_SECRETS, secrets);
  const runs = { node: [], build: [], validate: [] };
  for (let i = 0; i < RUNS; i++) {
    const out = join(work, `example-out-${i}`);
    runs.node.push(measure(work, ["-e", "0"]));
    runs.build.push(measure(work, [BIN, "build", EXAMPLE, "-o", out, "--secrets", secrets, "--frozen-secrets"]));
    runs.validate.push(measure(work, [BIN, "validate", EXAMPLE]));
    removeOutput(out);
  }
  const wall = (k) => median(runs[k].map((r) => r.wall));
  const cpu = (k) => median(runs[k].map((r) => r.cpuMs));
  console.log(`start-up: examples/wordpress-ha (${RUNS} runs each, interleaved; medians)`);
  console.log(`  ${"".padEnd(20)} ${"wall".padStart(8)} ${"ratio".padStart(7)}   ${"CPU".padStart(8)} ${"ratio".padStart(7)}`);
  for (const [k, label] of [["node", "node -e 0"], ["build", "hacompile build"], ["validate", "hacompile validate"]]) {
    const ratio = (x, base) => (k === "node" ? "" : `${(x / base).toFixed(2)}x`);
    console.log(`  ${label.padEnd(20)} ${ms(wall(k)).padStart(8)} ${ratio(wall(k), wall("node")).padStart(7)}   ${ms(cpu(k)).padStart(8)} ${ratio(cpu(k), cpu("node")).padStart(7)}`);
  }
  console.log("  (ratio: to node -e 0; CPU: user + system time of the process)");
  console.log("");
}

/** The in-memory measurement, run in its own node process: compile + emit of every target, nothing written. */
const IN_MEMORY = `
import { readFileSync } from "node:fs";
const dist = process.argv[2];
const file = process.argv[3];
const { compile } = await import(dist + "/src/compile.js");
const { completeSecrets } = await import(dist + "/src/secrets.js");
const { emit } = await import(dist + "/src/emit.js");
const { targets } = await import(dist + "/targets/index.js");
const { DEFAULT_TARGET_OPTIONS } = await import(dist + "/targets/types.js");
const text = readFileSync(file, "utf8");
const c0 = process.cpuUsage();
const t0 = performance.now();
const r = compile(text, file);
if (!r.graph) {
  const d = r.diagnostics.find((x) => x.severity === "error");
  process.stdout.write(JSON.stringify({ error: d ? d.message + " [" + d.code + "]" : "no graph" }));
  process.exit(0);
}
// Fake secrets: every value generated, all 'F'.
const { secrets } = completeSecrets(r.graph, undefined, (n) => "F".repeat(n));
const t1 = performance.now();
const { files } = emit(r.graph, secrets, targets, DEFAULT_TARGET_OPTIONS);
const t2 = performance.now();
const c = process.cpuUsage(c0);
let bytes = 0;
for (const f of files) bytes += Buffer.byteLength(f.content, "utf8");
process.stdout.write(JSON.stringify({ compileMs: t1 - t0, emitMs: t2 - t1, cpuMs: (c.user + c.system) / 1000, files: files.length, bytes, maxRssKiB: process.resourceUsage().maxRSS }));
`;

function inMemory(work, topology) {
  const script = join(work, "in-memory.mjs");
  writeFileSync(script, IN_MEMORY);
  const r = spawnSync(process.execPath, [script, pathToFileURL(join(ROOT, "dist")).href, topology], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: (r.stderr || `exit ${r.status}`).split("\n").slice(0, 3).join(" ") };
  return JSON.parse(r.stdout);
}

function scaling(work) {
  const rows = [];
  for (const web of SIZES) {
    const dir = join(work, `synthetic-${web}`);
    mkdirSync(dir);
    const { topology, secrets, hosts } = synthetic(web);
    const file = join(dir, "topology.yaml");
    writeFileSync(file, topology);
    writeFileSync(join(dir, "topology.secrets.yaml"), secrets);
    const row = { web, hosts };
    const runs = [];
    try {
      for (let i = 0; i < (web <= 1000 ? SCALE_RUNS : 1); i++) {
        const out = join(dir, `out-${i}`);
        runs.push(measure(work, [BIN, "build", file, "-o", out, "--frozen-secrets"]));
        if (i === 0) Object.assign(row, treeSize(out));
        removeOutput(out);
      }
      row.buildMs = median(runs.map((r) => r.wall));
      row.cpuMs = median(runs.map((r) => r.cpuMs));
      row.rss = Math.max(...runs.map((r) => r.rssBytes));
    } catch (e) {
      row.error = e.message.split("\n").slice(1, 2).join(" ").trim() || e.message;
    }
    row.memory = inMemory(work, file);
    rows.push(row);
    removeQuietly(dir);
  }
  console.log("scaling: synthetic topologies, one cell (WordPress pool, MariaDB primary + 2 replicas,");
  console.log("GlusterFS volume of 6 bricks) per 100 web hosts; hacompile build, whole process (wall; CPU = user + system)");
  console.log(`  ${"web hosts".padStart(9)} ${"hosts".padStart(7)} ${"build".padStart(9)} ${"x prev".padStart(7)} ${"CPU".padStart(9)} ${"x prev".padStart(7)} ${"peak RSS".padStart(9)} ${"output".padStart(10)} ${"files".padStart(8)} ${"files/s".padStart(8)}`);
  let prev;
  for (const r of rows) {
    if (r.error) {
      console.log(`  ${num(r.web).padStart(9)} ${num(r.hosts).padStart(7)}   build failed: ${r.error}`);
      prev = undefined;
      continue;
    }
    const ratio = prev ? `${(r.buildMs / prev.buildMs).toFixed(1)}x` : "";
    const cpuRatio = prev ? `${(r.cpuMs / prev.cpuMs).toFixed(1)}x` : "";
    console.log(
      `  ${num(r.web).padStart(9)} ${num(r.hosts).padStart(7)} ${secs(r.buildMs).padStart(9)} ${ratio.padStart(7)} ${secs(r.cpuMs).padStart(9)} ${cpuRatio.padStart(7)} ${mib(r.rss).padStart(9)} ${mib(r.bytes).padStart(10)} ${num(r.files).padStart(8)} ${num(Math.round(r.files / (r.buildMs / 1000))).padStart(8)}`,
    );
    prev = r;
  }
  console.log("");
  console.log("in memory: validated, lowered and rendered (compile + emit of every target, nothing written)");
  console.log(`  ${"web hosts".padStart(9)} ${"compile".padStart(9)} ${"emit".padStart(9)} ${"total".padStart(9)} ${"x prev".padStart(7)} ${"CPU".padStart(9)} ${"x prev".padStart(7)} ${"peak RSS".padStart(9)} ${"output".padStart(10)}`);
  let prevMem;
  for (const r of rows) {
    const m = r.memory;
    if (m.error) {
      console.log(`  ${num(r.web).padStart(9)}   failed: ${m.error}`);
      prevMem = undefined;
      continue;
    }
    const total = m.compileMs + m.emitMs;
    const ratio = prevMem ? `${(total / prevMem.total).toFixed(1)}x` : "";
    const cpuRatio = prevMem ? `${(m.cpuMs / prevMem.cpuMs).toFixed(1)}x` : "";
    console.log(
      `  ${num(r.web).padStart(9)} ${secs(m.compileMs).padStart(9)} ${secs(m.emitMs).padStart(9)} ${secs(total).padStart(9)} ${ratio.padStart(7)} ${secs(m.cpuMs).padStart(9)} ${cpuRatio.padStart(7)} ${mib(m.maxRssKiB * 1024).padStart(9)} ${mib(m.bytes).padStart(10)}`,
    );
    prevMem = { total, cpuMs: m.cpuMs };
  }
  console.log("");
}

// ------------------------------------------------------------------- main

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const base = process.env.BENCH_DIR ?? tmpdir();
  const work = mkdtempSync(join(base, "hacompile-bench-"));
  try {
    machine(work);
    startup(work);
    scaling(work);
  } finally {
    removeQuietly(work);
  }
  console.log(`load at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log("reproduce: npm run bench (BENCH_DIR, BENCH_RUNS, BENCH_SIZES, BENCH_SCALE_RUNS: see scripts/bench.mjs)");
}
