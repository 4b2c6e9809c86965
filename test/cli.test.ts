// The command line as a user meets it: exit codes, what goes to which stream,
// and that nothing is written, or half-written, when something goes wrong.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../src/compile.js";
import { diagnosticJson } from "../src/diagnostics.js";
import { ROOT } from "./helpers.js";

const BIN = join(ROOT, "bin/hacompile.js");
const FAKE = join(ROOT, "test/fixtures/fake.secrets.yaml");
const EXAMPLE = join(ROOT, "examples/ha-loadbalancers/topology.yaml");
const BAD = join(ROOT, "test/errors/unknown-host--several/topology.yaml");

function run(args: string[], cwd = ROOT): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), "hacompile-cli-"));

test("validate: 0 for a valid topology", () => {
  const r = run(["validate", EXAMPLE]);
  assert.is(r.code, 0);
  assert.match(r.stdout, /valid/);
});

test("validate: 1 and the exact diagnostics on stderr for an invalid one, no stack trace", () => {
  const r = run(["validate", BAD]);
  assert.is(r.code, 1);
  const lines = r.stderr.trimEnd().split("\n");
  assert.is(lines.length, 3);
  for (const l of lines) assert.match(l, /^\S+topology\.yaml:\d+:\d+: .+ \[[a-z0-9-]+\]$/);
  assert.not.match(r.stderr, /\bat .+:\d+:\d+\)/);
});

test("validate --json says the same as the text form", () => {
  const r = run(["validate", BAD, "--json"]);
  assert.is(r.code, 1);
  const got = (JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics;
  const want = compile(readFileSync(BAD, "utf8"), BAD).diagnostics.map(diagnosticJson);
  assert.equal(got, want);
});

test("usage errors exit 2: no command, unknown command, unknown option, missing argument", () => {
  for (const args of [[], ["frobnicate"], ["validate", EXAMPLE, "--frob"], ["build"]]) {
    const r = run(args);
    assert.is(r.code, 2, `hacompile ${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^hacompile: /);
  }
  assert.is(run(["build", EXAMPLE, "--target", "kubernetes"]).code, 2);
});

test("--help and --version", () => {
  const h = run(["--help"]);
  assert.is(h.code, 0);
  assert.match(h.stdout, /build <topology>/);
  assert.match(run(["build", "--help"]).stdout, /--target/);
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  assert.match(run(["--version"]).stdout, pkg.version);
});

test("a missing file is a diagnostic, not a crash", () => {
  const r = run(["validate", "/nonexistent/topology.yaml"]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^\/nonexistent\/topology\.yaml:1:1: no such file \[read-error\]/);
});

test("build writes nothing for an invalid topology", () => {
  const dir = tmp();
  const r = run(["build", BAD, "-o", join(dir, "out"), "--secrets", join(dir, "s.yaml")]);
  assert.is(r.code, 1);
  assert.equal(readdirSync(dir), []);
  rmSync(dir, { recursive: true });
});

test("build: secrets file created 0600, values never printed, reused by the next build", () => {
  const dir = tmp();
  cpSync(join(ROOT, "examples/wordpress-ha/topology.yaml"), join(dir, "topology.yaml"));
  const r = run(["build", join(dir, "topology.yaml"), "-o", join(dir, "out")]);
  assert.is(r.code, 0, r.stderr);
  const secretsPath = join(dir, "topology.secrets.yaml");
  assert.is(statSync(secretsPath).mode & 0o777, 0o600);
  const secrets = readFileSync(secretsPath, "utf8");
  for (const value of secrets.match(/[A-Za-z0-9]{24,}/g) ?? []) {
    assert.not.ok(r.stdout.includes(value) || r.stderr.includes(value), "a secret value reached the terminal");
  }
  const again = run(["build", join(dir, "topology.yaml"), "-o", join(dir, "out")]);
  assert.is(again.code, 0);
  assert.is(readFileSync(secretsPath, "utf8"), secrets, "secrets are reused, not regenerated");
  assert.not.match(again.stderr, /generated/);
  rmSync(dir, { recursive: true });
});

test("--frozen-secrets refuses to generate", () => {
  const dir = tmp();
  const r = run(["build", EXAMPLE, "-o", join(dir, "out"), "--secrets", join(dir, "none.yaml"), "--frozen-secrets"]);
  // Every topology has secrets (at least the WordPress salts), so a missing file means missing secrets.
  assert.is(r.code, 1);
  assert.match(r.stderr, /\[secrets-missing\]/);
  assert.not.ok(existsSync(join(dir, "out")));
  rmSync(dir, { recursive: true });
});

test("rebuilding replaces the output in one step and leaves no temporary folders", () => {
  const dir = tmp();
  const out = join(dir, "out");
  for (let i = 0; i < 2; i++) assert.is(run(["build", EXAMPLE, "-o", out, "--secrets", FAKE, "--frozen-secrets"]).code, 0);
  assert.ok(existsSync(join(out, "graph.json")));
  const entries = readdirSync(dir).sort();
  assert.is(entries.length, 2, entries.join(","));
  assert.ok(entries.includes(readlinkSync(out)));
  rmSync(dir, { recursive: true });
});

test("a build that fails mid-write (disk full) leaves the previous output whole", () => {
  const probe = spawnSync("unshare", ["-m", "true"]);
  if (probe.status !== 0) {
    // Needs root for a private mount namespace; CI runs as root.
    assert.ok(process.getuid?.() !== 0, "unshare -m failed although we are root");
    return;
  }
  const dir = tmp();
  writeFileSync(join(dir, "big.yaml"), readFileSync(join(ROOT, "examples/wordpress-ha/topology.yaml"), "utf8"));
  // A small tmpfs that the first build fits in and the second cannot.
  const script = [
    "set -e",
    `mount -t tmpfs -o size=4m tmpfs ${dir}/fs`,
    `${process.execPath} ${BIN} build ${EXAMPLE} -o ${dir}/fs/out --secrets ${FAKE} --frozen-secrets --target bundle >/dev/null`,
    `sha256sum ${dir}/fs/out/graph.json > ${dir}/before`,
    // Leave about 8 KiB free: less than the second build's graph.json alone.
    `avail=$(df --output=avail -k ${dir}/fs | tail -1)`,
    `dd if=/dev/zero of=${dir}/fs/filler bs=1k count=$((avail - 8)) 2>/dev/null || true`,
    `set +e; ${process.execPath} ${BIN} build ${dir}/big.yaml -o ${dir}/fs/out --secrets ${FAKE} --frozen-secrets; echo "rc=$?" > ${dir}/rc; set -e`,
    `sha256sum ${dir}/fs/out/graph.json > ${dir}/after`,
    `ls -a ${dir}/fs > ${dir}/entries`,
  ].join("\n");
  mkdirSync(join(dir, "fs"));
  const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  assert.is.not(readFileSync(join(dir, "rc"), "utf8").trim(), "rc=0", "the second build should have failed for lack of space");
  assert.is(readFileSync(join(dir, "after"), "utf8"), readFileSync(join(dir, "before"), "utf8"));
  const entries = readFileSync(join(dir, "entries"), "utf8").trim().split("\n").filter((e) => e !== "." && e !== "..");
  assert.is(entries.filter((e) => e.includes(".gen-")).length, 1, `leftovers: ${entries.join(" ")}`);
  rmSync(dir, { recursive: true });
});

/** Every file below dir with its bytes (and links with their targets), to compare before and after. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = join(rel, e.name);
      if (e.isSymbolicLink()) out.set(p, `-> ${readlinkSync(join(dir, p))}`);
      else if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(join(dir, p)).toString("base64"));
    }
  };
  walk("");
  return out;
}

/** A user's folder: a topology, its secrets file, notes. */
function userFolder(): string {
  const dir = tmp();
  cpSync(EXAMPLE, join(dir, "topology.yaml"));
  cpSync(FAKE, join(dir, "topology.secrets.yaml"));
  writeFileSync(join(dir, "notes.txt"), "my notes\n");
  mkdirSync(join(dir, "keys"));
  writeFileSync(join(dir, "keys", "id_ed25519"), "not a real key\n", { mode: 0o600 });
  return dir;
}

/** One line naming the path, with the code, and exit 1: never 70, never a stack. */
function refused(r: { code: number | null; stderr: string; stdout: string }, path: string, code: string): void {
  assert.is(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assert.is(lines.length, 1, r.stderr);
  assert.ok(lines[0]!.startsWith(`${path}: `), lines[0]);
  assert.ok(lines[0]!.endsWith(`[${code}]`), lines[0]);
  assert.not.match(r.stderr, /internal error/);
  assert.is(r.stdout, "");
}

test("build -o . in the user's folder refuses, exit 1, and every file survives byte for byte", () => {
  const dir = userFolder();
  const before = snapshot(dir);
  const r = run(["build", "topology.yaml", "-o", "."], dir);
  refused(r, dir, "out-not-ours");
  assert.match(r.stderr, /notes\.txt/);
  assert.equal(snapshot(dir), before);
  // The same folder named from elsewhere, and with secrets still to generate: nothing is written either.
  rmSync(join(dir, "topology.secrets.yaml"));
  const again = snapshot(dir);
  refused(run(["build", join(dir, "topology.yaml"), "-o", dir]), dir, "out-not-ours");
  assert.equal(snapshot(dir), again);
  rmSync(dir, { recursive: true });
});

test("build replaces only its own output: a file added to it stops the build and survives", () => {
  const dir = userFolder();
  const out = join(dir, "out");
  assert.is(run(["build", "topology.yaml", "-o", "out"], dir).code, 0);
  writeFileSync(join(out, "bundle", "todo.txt"), "mine\n");
  const before = snapshot(dir);
  refused(run(["build", "topology.yaml", "-o", "out"], dir), join(out, "bundle", "todo.txt"), "out-foreign-file");
  assert.equal(snapshot(dir), before);
  rmSync(join(out, "bundle", "todo.txt"));
  assert.is(run(["build", "topology.yaml", "-o", "out"], dir).code, 0);
  assert.ok(existsSync(join(out, ".hacompile-output")));
  rmSync(dir, { recursive: true });
});

test("build -o: a file, a path under a file, a missing parent, a foreign link: one line, exit 1, nothing touched", () => {
  const dir = userFolder();
  mkdirSync(join(dir, "elsewhere"));
  writeFileSync(join(dir, "elsewhere", "data"), "kept\n");
  symlinkSync("elsewhere", join(dir, "link"));
  // Named like a generation of 'out', but not hacompile's: a build beside it must leave it.
  mkdirSync(join(dir, ".out.gen-abcdef"));
  writeFileSync(join(dir, ".out.gen-abcdef", "keep"), "kept\n");
  const before = snapshot(dir);
  refused(run(["build", "topology.yaml", "-o", "notes.txt"], dir), join(dir, "notes.txt"), "out-is-file");
  refused(run(["build", "topology.yaml", "-o", "notes.txt/out"], dir), join(dir, "notes.txt/out"), "out-under-file");
  refused(run(["build", "topology.yaml", "-o", "no/such/out"], dir), join(dir, "no/such"), "out-parent-missing");
  refused(run(["build", "topology.yaml", "-o", "link"], dir), join(dir, "link"), "out-not-ours");
  assert.equal(snapshot(dir), before);
  // An empty folder is fine, and a build beside the look-alike leaves it alone.
  mkdirSync(join(dir, "out"));
  assert.is(run(["build", "topology.yaml", "-o", "out"], dir).code, 0);
  assert.is(run(["build", "topology.yaml", "-o", "out"], dir).code, 0);
  assert.is(readFileSync(join(dir, ".out.gen-abcdef", "keep"), "utf8"), "kept\n");
  assert.equal([...snapshot(join(dir, "elsewhere"))], [["data", Buffer.from("kept\n").toString("base64")]]);
  rmSync(dir, { recursive: true });
});

test("graph -o: a folder, a missing folder, a path under a file, the topology itself: one line, exit 1, nothing touched", () => {
  const dir = userFolder();
  const before = snapshot(dir);
  refused(run(["graph", "topology.yaml", "-o", "keys"], dir), "keys", "out-write-error");
  refused(run(["graph", "topology.yaml", "-o", "no/such/g.svg"], dir), "no/such/g.svg", "out-write-error");
  refused(run(["graph", "topology.yaml", "-o", "notes.txt/g.svg"], dir), "notes.txt/g.svg", "out-write-error");
  refused(run(["graph", "topology.yaml", "-o", "./topology.yaml"], dir), "./topology.yaml", "out-is-input");
  assert.equal(snapshot(dir), before);
  rmSync(dir, { recursive: true });
});

test("verify: a folder that is not a build is a clear error; a build passes one tool's checks", () => {
  const dir = tmp();
  const bad = run(["verify", dir]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /graph\.json: not found/);
  assert.is(run(["build", EXAMPLE, "-o", join(dir, "out"), "--secrets", FAKE, "--frozen-secrets"]).code, 0);
  const ok = run(["verify", join(dir, "out"), "--tool", "shellcheck"]);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^shellcheck: \d+ ok, 0 failed, 0 skipped$/m);
  rmSync(dir, { recursive: true });
});

test.run();
