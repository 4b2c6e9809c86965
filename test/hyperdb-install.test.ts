// Issue 14 item 21: the generated hacompile-install-hyperdb fetches the
// pinned db.php (upstream's commit d8f68ef, checked by sha256) by default.
// The script is run for real, in a network namespace with no route out (the
// lab's situation), with its destination moved into a temporary folder.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildPath, rootFile } from "./consistency/build.js";
import { ROOT } from "./helpers.js";

const PINNED_URL = "https://raw.githubusercontent.com/Automattic/HyperDB/d8f68ef589af5c64575f87f7a2c94699af20a57f/db.php";
const PINNED_SHA256 = "77206d2ee49f663fe2a36c3f9cb16c7bc125fd882107761e7a51d389ad63103e";

const b = buildPath(join(ROOT, "examples/wordpress-ha/topology.yaml"));
const script = rootFile(b, "blog1", "/usr/local/sbin/hacompile-install-hyperdb");

interface Run {
  readonly code: number | null;
  readonly err: string;
  readonly dir: string;
}

/** Runs the script offline (unshare --net) with db.php going to a fresh folder. */
function run(args: readonly string[], prepare: (dir: string) => void = () => {}): Run {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-hyperdb-"));
  mkdirSync(join(dir, "wp-content"));
  prepare(dir);
  const moved = script.replace(/^readonly dest=.*$/m, `readonly dest=${join(dir, "wp-content/db.php")}`);
  assert.ok(moved !== script, "the script has no 'readonly dest=' line to move");
  const path = join(dir, "install-hyperdb");
  writeFileSync(path, moved, { mode: 0o755 });
  const r = spawnSync("unshare", ["--net", path, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" }, timeout: 90_000 });
  return { code: r.status, err: r.stderr, dir };
}

test("the pinned URL and sha256 are the script's defaults", () => {
  assert.ok(script.includes(`readonly pinned_url=${PINNED_URL}\n`), "pinned URL");
  assert.ok(script.includes(`readonly pinned_sha256=${PINNED_SHA256}\n`), "pinned sha256");
});

test("with no route out and no db.php: it tries the pinned URL, says plainly that HyperDB is not installed, exits 0", () => {
  const r = run([]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, "HyperDB is NOT installed");
  assert.match(r.err, PINNED_URL);
  assert.match(r.err, "--file");
  assert.not.ok(existsSync(join(r.dir, "wp-content/db.php")));
});

test("--file with another sha256 than the pinned one is refused, nothing installed", () => {
  const r = run(["--file", "/etc/hostname"]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, `expected ${PINNED_SHA256}`);
  assert.not.ok(existsSync(join(r.dir, "wp-content/db.php")));
});

test("the offline path: --file with its --sha256 installs it; a later run without options keeps it", () => {
  const body = "<?php\nclass hyperdb extends wpdb {}\n";
  const src = join(mkdtempSync(join(tmpdir(), "hacompile-hyperdb-src-")), "db.php");
  writeFileSync(src, body);
  const sum = spawnSync("sha256sum", [src], { encoding: "utf8" }).stdout.split(" ")[0] ?? "";
  const first = run(["--file", src, "--sha256", sum]);
  assert.equal(first.code, 0, first.err);
  assert.equal(readFileSync(join(first.dir, "wp-content/db.php"), "utf8"), body);
  const again = run([], (dir) => writeFileSync(join(dir, "wp-content/db.php"), body));
  assert.equal(again.code, 0, again.err);
  assert.match(again.err, "keeping the installed");
  assert.equal(readFileSync(join(again.dir, "wp-content/db.php"), "utf8"), body);
});

test.run();
