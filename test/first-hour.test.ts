// Issue 20, "the tool a newcomer adopts": the mistakes of a user's first
// hour, made the way a user makes them (the CLI run on a file of their own),
// must read as the user's mistake, say what was meant, and exit 1 (input) or
// 2 (usage); 70 is for bugs only.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { userDataWarnings } from "../targets/systemd/index.js";
import { ROOT } from "./helpers.js";

const BIN = join(ROOT, "bin/hacompile.js");
const EXAMPLE = readFileSync(join(ROOT, "examples/wordpress-ha/topology.yaml"), "utf8");

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], cwd = ROOT, env: NodeJS.ProcessEnv = {}): Ran {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder of its own for each test, removed afterwards. */
function inTemp<T>(f: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-first-hour-"));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The flagship example with one edit, as the user's own file. */
function edited(dir: string, from: string | RegExp, to: string): string {
  const text = EXAMPLE.replace(from, to);
  assert.is.not(text, EXAMPLE, `the example no longer contains ${String(from)}`);
  const file = join(dir, "topology.yaml");
  writeFileSync(file, text);
  return file;
}

/** Runs `validate` and returns its one error line (after the file name; warnings aside). */
function validateOne(dir: string, from: string | RegExp, to: string): string {
  const r = run(["validate", edited(dir, from, to)]);
  assert.is(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split("\n").filter((l) => !/: warning: /.test(l));
  assert.is(lines.length, 1, r.stderr);
  return lines[0]!.replace(/^.*?topology\.yaml:\d+:\d+: /, "");
}

// --- 1. Did you mean, everywhere -------------------------------------------

test("a misspelt failover mode names the value and the mode meant", () =>
  inTemp((dir) => {
    assert.is(
      validateOne(dir, "mode: vrrp", "mode: vrpp"),
      "unknown failover mode 'vrpp'; did you mean 'vrrp'? (vrrp, digitalocean, none) [invalid-value]",
    );
    assert.is(validateOne(dir, "mode: vrrp", "mode: 3"), "loadbalancer.failover.mode must be one of vrrp, digitalocean, none, not 3 [invalid-value]");
  }));

test("a misspelt enum value suggests the value meant", () =>
  inTemp((dir) => {
    assert.is(validateOne(dir, "peers: unicast", "peers: unicat"), "loadbalancer.failover.peers: unknown value 'unicat'; did you mean 'unicast'? (unicast, multicast) [invalid-value]");
    assert.is(validateOne(dir, "app: wordpress", "app: wordpres"), "pools.blog.app: unknown value 'wordpres'; did you mean 'wordpress'? (wordpress, static, http) [invalid-value]");
  }));

test("a misspelt host or pool name suggests the one defined", () =>
  inTemp((dir) => {
    assert.is(validateOne(dir, "primary: db1", "primary: db01"), "unknown host 'db01'; did you mean 'db1'? [unknown-host]");
    assert.is(validateOne(dir, "pool: web }", "pool: wbe }"), "unknown pool 'wbe'; did you mean 'web'? [unknown-pool]");
  }));

test("a wrong number says what was given", () =>
  inTemp((dir) => {
    assert.match(validateOne(dir, "peers: unicast }", "peers: unicast, advert_interval: .nan }"), /advert_interval must be a number, not \.nan \[invalid-type\]$/);
    assert.match(validateOne(dir, "replica: 3", "replica: 2.5"), /replica must be a whole number, not 2\.5 \[invalid-type\]$/);
  }));

test("a misspelt command or option suggests the one meant (usage error, exit 2)", () => {
  const cmd = run(["biuld", "topology.yaml"]);
  assert.is(cmd.code, 2);
  assert.is(cmd.stderr, "hacompile: unknown command 'biuld'; did you mean 'build'? (see hacompile --help)\n");
  const opt = run(["build", "examples/wordpress-ha/topology.yaml", "--tagret", "compose"]);
  assert.is(opt.code, 2);
  assert.is(opt.stderr, "hacompile: unknown option '--tagret' for build; did you mean '--target'? (see hacompile build --help)\n");
});

test("hacompile help [command] works like --help", () => {
  const all = run(["help"]);
  assert.is(all.code, 0);
  assert.is(all.stdout, run(["--help"]).stdout);
  const build = run(["help", "build"]);
  assert.is(build.code, 0);
  assert.is(build.stdout, run(["build", "--help"]).stdout);
  assert.match(build.stdout, /--target/);
  assert.is(run(["help", "biuld"]).code, 2);
});

// --- 2. check and build on what check finds ------------------------------

test("check on an invalid topology prints its validation errors, not a clean summary", () =>
  inTemp((dir) => {
    const r = run(["check", edited(dir, "mode: vrrp", "mode: vrpp")]);
    assert.is(r.code, 1);
    assert.not.match(r.stdout, /0 errors/);
    assert.match(r.stderr, /topology\.yaml:30:21: unknown failover mode 'vrpp'; did you mean 'vrrp'\? \(vrrp, digitalocean, none\) \[invalid-value\]\n/);
    assert.match(r.stderr, /check: 1 of 1 file\(s\) not checked: fix the errors above first/);
  }));

test("build --strict exits 1 and writes nothing when check has errors; without it the build succeeds", () =>
  inTemp((dir) => {
    // content-routing has check errors (a pool on one host).
    const topo = join(ROOT, "examples/content-routing/topology.yaml");
    const args = ["build", topo, "--secrets", join(dir, "s.yaml")];
    const strict = run([...args, "-o", join(dir, "strict"), "--strict"]);
    assert.is(strict.code, 1, strict.stderr);
    assert.match(strict.stderr, /content-routing\/topology\.yaml:\d+:\d+: .+ \[[a-z0-9-]+\]/);
    assert.match(strict.stderr, /--strict: nothing was built/);
    assert.equal(readdirSync(dir), []);
    const plain = run([...args, "-o", join(dir, "plain")]);
    assert.is(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /check: [1-9]\d* errors?/);
  }));

// --- 3. secrets files --------------------------------------------------------

test("--frozen-secrets without a secrets file: located, says what to do, writes nothing", () =>
  inTemp((dir) => {
    const secrets = join(dir, "missing.secrets.yaml");
    const r = run(["build", join(ROOT, "examples/wordpress-ha/topology.yaml"), "-o", join(dir, "out"), "--secrets", secrets, "--frozen-secrets"]);
    assert.is(r.code, 1);
    assert.is(
      r.stderr,
      `${secrets}:1:1: no secrets file here, and --frozen-secrets forbids creating one: pass --secrets <file> to use the deployed secrets, or build once without --frozen-secrets to generate them [secrets-missing]\n`,
    );
    assert.equal(readdirSync(dir), []);
  }));

test("a YAML syntax error in the secrets file has the secrets-invalid code", () =>
  inTemp((dir) => {
    const secrets = join(dir, "s.yaml");
    writeFileSync(secrets, "salts:\n  auth_key: [unclosed\n", { mode: 0o600 });
    const r = run(["build", join(ROOT, "examples/wordpress-ha/topology.yaml"), "-o", join(dir, "out"), "--secrets", secrets]);
    assert.is(r.code, 1);
    const lines = r.stderr.trimEnd().split("\n");
    assert.ok(lines.length > 0);
    for (const l of lines) assert.match(l, /^\S+s\.yaml:\d+:\d+: .+ \[secrets-invalid\]$/);
    assert.not.match(r.stderr, /unclosed/);
  }));

// --- 4. help -------------------------------------------------------------------

const COMMANDS = ["init", "explain", "build", "validate", "check", "graph", "verify", "lab"];

test("every command's --help: description, options with defaults, two examples", () => {
  for (const c of COMMANDS) {
    const r = run([c, "--help"]);
    assert.is(r.code, 0, c);
    const [, description, usage] = r.stdout.split("\n\n");
    assert.ok(description !== undefined && /^[A-Z].{20,}/.test(description), `${c}: no description`);
    assert.match(usage ?? "", new RegExp(`^Usage:\n  \\$ hacompile ${c}`), c);
    const options = /\nOptions:\n((?:  .+\n)+)/.exec(r.stdout)?.[1] ?? "";
    // init and explain have no options of their own: only --help.
    const lines = options.trimEnd().split("\n").filter((l) => !/--help/.test(l));
    for (const l of lines) assert.match(l, /\(default: [^)]+\)/, `${c}: ${l}`);
    const examples = /\nExamples:\n((?:  .+\n?)+)/.exec(r.stdout)?.[1] ?? "";
    assert.ok(examples.split("\n").filter((l) => /^  \$ (sudo )?hacompile /.test(l)).length >= 2, `${c}: fewer than two examples`);
  }
});

test("lab --help lists its actions up, test and down", () => {
  const r = run(["lab", "--help"]);
  assert.is(r.code, 0);
  const actions = /\nActions:\n((?:  .+\n)+)/.exec(r.stdout)?.[1] ?? "";
  for (const a of ["up", "test", "down"]) assert.match(actions, new RegExp(`^  ${a} `, "m"), a);
});

// --- 5. YAML indentation -----------------------------------------------------

/** Every diagnostic line `validate` prints for the example with one edit. */
function validateAll(dir: string, from: string | RegExp, to: string): string[] {
  const r = run(["validate", edited(dir, from, to)]);
  assert.is(r.code, 1, r.stderr);
  return r.stderr.trimEnd().split("\n").map((l) => l.replace(/^.*?topology\.yaml:/, ""));
}

test("one tab is one diagnostic, in the user's terms", () =>
  inTemp((dir) => {
    assert.equal(validateAll(dir, "  lb2: {", "\tlb2: {"), [
      "17:1: this line is indented with a tab; YAML indents with spaces only (2 here to line it up with line 16) [yaml-indentation]",
    ]);
    // A tab under a key that opens a mapping: yaml reports five errors for it.
    assert.equal(validateAll(dir, "  subnet: 10.10.0.0/24", "\tsubnet: 10.10.0.0/24"), [
      "12:1: this line is indented with a tab; YAML indents with spaces only (2 here to nest it under line 11) [yaml-indentation]",
    ]);
  }));

test("two badly indented lines are two diagnostics", () =>
  inTemp((dir) => {
    const text = EXAMPLE.replace("  web2: {", "   web2: {").replace("  vip: 10", " vip: 10");
    const file = join(dir, "topology.yaml");
    writeFileSync(file, text);
    const r = run(["validate", file]);
    assert.is(r.code, 1);
    const lines = r.stderr.trimEnd().split("\n");
    assert.is(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /:19:1: this line is indented 3 space\(s\); 2 would be expected to line it up with line 18 \[yaml-indentation\]$/);
    assert.match(lines[1]!, /:29:1: this line is indented 1 space\(s\); 2 would be expected to line it up with line 28 \[yaml-indentation\]$/);
  }));

test("a top-level key indented under another says so, and suggests no key", () =>
  inTemp((dir) => {
    const lines = validateAll(dir, /databases:\n  wp: (.*)\n/, "  databases:\n    wp: $1\n");
    assert.equal(lines, ["37:3: 'databases' is indented under 'pools'; it is a top-level key: start it at column 1 [misplaced-key]"]);
  }));

test("a duplicate key names the key and the line of its first occurrence", () =>
  inTemp((dir) => {
    assert.equal(validateAll(dir, "  fs3: { address: 10.10.0.43 }", "  fs3: { address: 10.10.0.43 }\n  web1: { address: 10.10.0.44 }"), [
      "27:3: duplicate key 'web1'; first given at line 18 [yaml-duplicate-key]",
    ]);
  }));

// --- 6. init -------------------------------------------------------------------

test("init writes a commented starter that validates, checks clean and builds, and a .gitignore for its secrets", () =>
  inTemp((dir) => {
    const site = join(dir, "site");
    const r = run(["init", site]);
    assert.is(r.code, 0, r.stderr);
    const topo = join(site, "topology.yaml");
    const text = readFileSync(topo, "utf8");
    assert.ok(text.split("\n").filter((l) => /^\s*#/.test(l)).length >= 10, "the starter is commented");
    assert.match(readFileSync(join(site, ".gitignore"), "utf8"), /^\*\.secrets\.yaml$/m);
    assert.is(run(["validate", topo]).code, 0);
    const check = run(["check", topo]);
    assert.is(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /check: 0 errors/);
    const b = run(["build", topo, "-o", join(dir, "out")], site);
    assert.is(b.code, 0, b.stderr);
    // The secrets land beside the topology, where the .gitignore covers them.
    assert.ok(readdirSync(site).includes("topology.secrets.yaml"));
  }));

test("init refuses to overwrite: exit 1, the files untouched", () =>
  inTemp((dir) => {
    writeFileSync(join(dir, "topology.yaml"), "mine\n");
    const r = run(["init"], dir);
    assert.is(r.code, 1);
    assert.match(r.stderr, /topology\.yaml: already exists; init never overwrites a file: move it away or choose another folder \[init-file-exists\]/);
    assert.is(readFileSync(join(dir, "topology.yaml"), "utf8"), "mine\n");
    assert.equal(readdirSync(dir), ["topology.yaml"]);
  }));

// --- 7. explain ----------------------------------------------------------------

test("explain prints a key's type, default, bounds and meaning", () => {
  const r = run(["explain", "loadbalancer.failover.advert_interval"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^loadbalancer\.failover\.advert_interval\n/);
  assert.match(r.stdout, /\n  type: +number\n/);
  assert.match(r.stdout, /\n  default: +0\.1\n/);
  assert.match(r.stdout, /\n  bounds: +at least 0\.01, at most 255\n/);
  assert.match(r.stdout, /Seconds between adverts/);
  // A name the user chose stands for <name>; an index for [].
  assert.match(run(["explain", "hosts.lb1.address"]).stdout, /^hosts\.<name>\.address\n  type: +IPv4 address/);
  assert.match(run(["explain", "loadbalancer.routes[0].pool"]).stdout, /^loadbalancer\.routes\[\]\.pool\n/);
});

test("explain of a misspelt key is a usage error with the key meant", () => {
  const r = run(["explain", "loadbalancer.failover.advert_intervl"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^hacompile: no key 'advert_intervl' in loadbalancer\.failover; did you mean 'advert_interval'\?/);
});

// --- 8. packaging, --json, colour ------------------------------------------

test("LICENSE matches package.json's license", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { license: string };
  const license = readFileSync(join(ROOT, "LICENSE"), "utf8");
  assert.is(pkg.license, "MIT");
  assert.match(license, /^MIT License\n/);
  assert.match(license, /Permission is hereby granted, free of charge/);
});

test("build --json: one JSON document on stdout with everything, nothing as text", () =>
  inTemp((dir) => {
    const topo = join(ROOT, "examples/content-routing/topology.yaml");
    const r = run(["build", topo, "-o", join(dir, "out"), "--secrets", join(dir, "s.yaml"), "--json"]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stderr, "");
    const doc = JSON.parse(r.stdout) as { ok: boolean; diagnostics: unknown[]; notes: string[]; check: { errors: number }; written: { files: number; targets: string[] } };
    assert.is(doc.ok, true);
    assert.ok(Array.isArray(doc.diagnostics));
    assert.ok(doc.notes.some((n) => /^generated \d+ secret\(s\)/.test(n)), JSON.stringify(doc.notes));
    assert.ok(doc.check.errors > 0);
    assert.ok(doc.written.files > 0);
    assert.equal(doc.written.targets, ["compose", "systemd", "bundle"]);
    // An invalid topology and a refused output: still one document, exit 1.
    const bad = run(["build", edited(dir, "mode: vrrp", "mode: vrpp"), "--json"]);
    assert.is(bad.code, 1);
    assert.is(bad.stderr, "");
    const badDoc = JSON.parse(bad.stdout) as { ok: boolean; diagnostics: { code: string }[] };
    assert.is(badDoc.ok, false);
    assert.equal(badDoc.diagnostics.map((d) => d.code), ["invalid-value"]);
    const refused = run(["build", topo, "-o", topo, "--json"]);
    assert.is(refused.code, 1);
    assert.is(refused.stderr, "");
    assert.equal((JSON.parse(refused.stdout) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code), ["out-is-file"]);
  }));

test("colour: none when piped or with NO_COLOR; FORCE_COLOR asks for it, NO_COLOR still wins", () =>
  inTemp((dir) => {
    const file = edited(dir, "mode: vrrp", "mode: vrpp");
    const esc = /\u001b\[/;
    const { NO_COLOR: _n, FORCE_COLOR: _f, ...plain } = process.env;
    const runEnv = (env: NodeJS.ProcessEnv): string =>
      spawnSync(process.execPath, [BIN, "validate", file], { encoding: "utf8", env: { ...plain, ...env } }).stderr;
    assert.not.match(runEnv({}), esc);
    assert.match(runEnv({ FORCE_COLOR: "1" }), esc);
    assert.not.match(runEnv({ FORCE_COLOR: "1", NO_COLOR: "1" }), esc);
    // The words are the same with and without colour.
    assert.is(runEnv({ FORCE_COLOR: "1" }).replace(/\u001b\[\d+m/g, ""), runEnv({}));
  }));

test("npm test sets NO_COLOR alone (with FORCE_COLOR too, Node warns on every run)", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/test.mjs")], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, FORCE_COLOR: "1", FILTER: "no-such-test-file" },
  });
  assert.not.match(r.stderr, /NO_COLOR|FORCE_COLOR/);
  // Node's warning needs both variables set in the runner's children; this
  // sandbox shows it on no stream, so the cause itself is checked too.
  assert.not.match(readFileSync(join(ROOT, "scripts/test.mjs"), "utf8"), /FORCE_COLOR: "0"/);
});

test("the flagship example builds with no warning; user-data too big even gzipped is one line for all hosts", () =>
  inTemp((dir) => {
    const r = run(["build", join(ROOT, "examples/wordpress-ha/topology.yaml"), "-o", join(dir, "out"), "--secrets", join(dir, "s.yaml")]);
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stderr, /warning:|\[user-data-size\]/);
    // 200 hosts whose gzip form is 20 KiB of incompressible bytes.
    const big = randomBytes(20 * 1024).toString("base64") + "\n";
    // Paths inside the target, as the systemd target reads its own files.
    const files = Array.from({ length: 200 }, (_, i) => ({ path: `web${i}/user-data.gz.b64`, content: big, mode: 0o600 }));
    const small = { path: "lb1/user-data.gz.b64", content: Buffer.from("x").toString("base64"), mode: 0o600 };
    const warnings = userDataWarnings([...files, small]);
    assert.is(warnings.length, 1);
    assert.is(warnings[0]!.code, "user-data-size");
    assert.match(warnings[0]!.message, /^user-data of 200 host\(s\) \(web0, web1, web10 and 197 more\) is above the 16 KiB some clouds accept even gzip-compressed \(largest 20\.0 KiB\): .+$/);
  }));

test.run();
