// Issue 20, "the tool a newcomer adopts": the mistakes of a user's first
// hour, made the way a user makes them (the CLI run on a file of their own),
// must read as the user's mistake, say what was meant, and exit 1 (input) or
// 2 (usage); 70 is for bugs only.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
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

test.run();
