// Secrets: never on stdout or stderr (valid, invalid and malformed inputs,
// JSON or text, rotation), only in files readable by root and the reading
// service's group (plans, bundle manifests, and the tree on disk after a real
// build), the secrets file 0600 before its first byte, and --rotate-secrets.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import { compile } from "../src/compile.js";
import { diagnosticJson, formatDiagnostic } from "../src/diagnostics.js";
import { emit } from "../src/emit.js";
import { inspectSecretsFile } from "../src/io/secrets-file.js";
import { SECRET_RE } from "../src/secrets.js";
import { targets } from "../targets/index.js";
import { DEFAULT_TARGET_OPTIONS } from "../targets/types.js";
import { caseDirs, ROOT } from "./helpers.js";
import { knownSecrets, secretValues } from "./hardening/support.js";

const BIN = join(ROOT, "bin/hacompile.js");
const EXAMPLE = join(ROOT, "examples/wordpress-ha/topology.yaml");
const BAD_TOPOLOGY = join(ROOT, "test/errors/unknown-host--several/topology.yaml");

/** A complete secrets file for wordpress-ha whose every value is recognisable. */
const KNOWN: Record<string, unknown> = {
  databases: {
    wp: { root: "LEAKrootAAAAAAAAAAAAAAAAAAAAAAAA", app: "LEAKappBBBBBBBBBBBBBBBBBBBBBBBBB", replication: "LEAKreplCCCCCCCCCCCCCCCCCCCCCCCC" },
  },
  salts: Object.fromEntries(
    ["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"].map((n, i) => [
      n,
      `LEAKsalt${i}`.padEnd(64, "D"),
    ]),
  ),
  wordpressAdmin: "LEAKadminEEEEEEEEEEEEEEE",
};

/** Every value of a secrets document (nested), as strings. */
function valuesOf(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (v !== null && typeof v === "object") return Object.values(v).flatMap(valuesOf);
  return [];
}

/** Fails when any secret value, or any 12-character piece of one, shows up in `out`. */
function assertNoSecret(out: string, values: readonly string[], what: string): void {
  for (const v of values) {
    for (let i = 0; i + 12 <= v.length; i += 6) {
      const piece = v.slice(i, i + 12);
      assert.not.ok(out.includes(piece), `${what}: a piece of a secret value (${v.slice(0, 4)}...) was printed`);
    }
  }
}

interface Run {
  readonly code: number | null;
  readonly out: string;
}

function hacompile(args: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  assert.not.match(r.stderr, /\n\s+at .+:\d+:\d+/, `hacompile ${args.join(" ")}: stack trace`);
  return { code: r.status, out: r.stdout + r.stderr };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), "hacompile-secrets-"));

function writeSecrets(dir: string, doc: unknown, text?: string): string {
  const p = join(dir, "secrets.yaml");
  writeFileSync(p, text ?? JSON.stringify(doc), { mode: 0o600 });
  return p;
}

test("secrets: no value reaches stdout or stderr, whatever goes wrong", () => {
  const dir = tmp();
  try {
    const values = valuesOf(KNOWN);
    const good = writeSecrets(dir, KNOWN);
    const out = join(dir, "out");
    // Valid builds are checked by the on-disk test below, which prints through the same paths.
    const runs: [string, string[], number][] = [
      ["invalid topology", ["build", BAD_TOPOLOGY, "-o", out, "--secrets", good], 1],
      ["invalid topology, JSON", ["build", BAD_TOPOLOGY, "-o", out, "--secrets", good, "--json"], 1],
    ];
    for (const [what, args, code] of runs) {
      const r = hacompile(args);
      assert.is(r.code, code, `${what}: ${r.out}`);
      assertNoSecret(r.out, values, what);
    }
    // Malformed secrets files, each holding the known values somewhere near the fault.
    const wp = KNOWN["databases"] as { wp: Record<string, string> };
    const malformed: [string, string, RegExp][] = [
      ["a value too short beside good ones", JSON.stringify({ ...KNOWN, wordpressAdmin: "short" }), /^\S+:\d+:\d+: a secret must be 16 to 128 letters and digits \[secrets-invalid\]$/m],
      ["a value with a symbol", JSON.stringify({ ...KNOWN, wordpressAdmin: `${wp.wp["app"]}$` }), /\[secrets-invalid\]/],
      ["a mangled line that became a key", `databases:\n  wp:\n    "app:${wp.wp["app"]}": x\n`, /^\S+:3:5: unknown key here; expected root, app, replication \[secrets-invalid\]$/m],
      ["broken YAML around a value", `databases:\n  wp:\n    app: "${wp.wp["app"]}\n    root: [${wp.wp["root"]}\n`, /not valid YAML here \([A-Z_]+\) \[secrets-invalid\]/],
      ["a value as a non-string key", `databases:\n  wp:\n    ? [${wp.wp["root"]}]\n    : x\n`, /\[yaml-key-not-string\]/],
      ["a list instead of a mapping", `salts: [${values.join(", ")}]\n`, /must be a mapping \[secrets-invalid\]/],
      ["an empty file", "", /the secrets file is empty/],
      ["binary", "\u0000\u0001", /\[control-character\]/],
    ];
    for (const [what, text, expect] of malformed) {
      const p = writeSecrets(dir, undefined, text);
      // What build prints: the text form, or the JSON form with its path field.
      const ds = inspectSecretsFile(p).diagnostics;
      assert.ok(ds.length > 0, what);
      const printed = ds.map(formatDiagnostic).join("\n");
      assert.match(printed, expect, what);
      assertNoSecret(printed, values, what);
      assertNoSecret(JSON.stringify(ds.map(diagnosticJson)), values, `${what} (JSON)`);
      // Through the CLI for the two that once leaked or could: a mangled key (JSON), broken YAML (text).
      const cli = what.startsWith("a mangled") ? ["--json"] : what.startsWith("broken YAML") ? [] : undefined;
      if (cli !== undefined) {
        const r = hacompile(["build", EXAMPLE, "-o", out, "--secrets", p, ...cli]);
        assert.is(r.code, 1, `${what}: ${r.out}`);
        assertNoSecret(r.out, values, `${what} through the CLI`);
      }
      assert.is(readFileSync(p, "utf8"), text, `${what}: a malformed secrets file must be left alone`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("secrets: every file that holds one is flagged, owned by root and closed to others (every example's plans)", () => {
  for (const ex of caseDirs(join(ROOT, "examples"))) {
    const r = compile(readFileSync(join(ROOT, "examples", ex, "topology.yaml"), "utf8"), "topology.yaml");
    assert.ok(r.graph, ex);
    const secrets = knownSecrets(r.graph);
    const values = secretValues(secrets);
    const { plans, files } = emit(r.graph, secrets, targets, DEFAULT_TARGET_OPTIONS);
    for (const p of plans) {
      for (const f of p.files) {
        const holds = values.some((v) => f.content.includes(v));
        const where = `${ex}: ${p.host.name}:${f.path}`;
        if (holds) assert.ok(f.secret, `${where} holds a secret but is not flagged`);
        if (!f.secret) continue;
        assert.is(f.mode & 0o007, 0, `${where}: mode ${f.mode.toString(8)}`);
        assert.is(f.owner, "root", where);
      }
    }
    // The bundle manifests say the same: a secret file is never world-readable on its host.
    for (const m of files.filter((f) => f.path.endsWith("/manifest.json"))) {
      const doc = JSON.parse(m.content) as { files: { path: string; mode: string; secret: boolean }[] };
      for (const e of doc.files) if (e.secret) assert.is(Number.parseInt(e.mode, 8) & 0o007, 0, `${ex}: ${m.path}: ${e.path} ${e.mode}`);
      assert.ok(doc.files.length > 0);
    }
  }
});

/** Every regular file below dir, by relative path. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p, base);
    return e.isFile() ? [p.slice(base.length + 1)] : [];
  });
}

test("secrets: after real builds, nothing printed holds a secret and on disk a file holding one is readable by its owner only", () => {
  const dir = tmp();
  try {
    const good = writeSecrets(dir, KNOWN);
    const values = valuesOf(KNOWN);
    for (const extra of [["--json"], ["--inline-secrets", "--target", "systemd"]]) {
      const out = join(dir, `out${extra.length}`);
      // A permissive umask must not loosen anything.
      const r = spawnSync("sh", ["-c", `umask 000 && exec "$0" "$@"`, process.execPath, BIN, "build", EXAMPLE, "-o", out, "--secrets", good, ...extra], {
        encoding: "utf8",
      });
      assert.is(r.status, 0, r.stderr);
      assertNoSecret(r.stdout + r.stderr, values, `valid build ${extra.join(" ")}`);
      const tree = walk(out);
      let holding = 0;
      for (const rel of tree) {
        const p = join(out, rel);
        const text = readFileSync(p, "utf8");
        if (!values.some((v) => text.includes(v))) continue;
        holding++;
        assert.is(statSync(p).mode & 0o077, 0, `${rel}: mode ${(statSync(p).mode & 0o777).toString(8)}`);
      }
      assert.ok(holding > 0, "no file holds a secret: the test is not looking at the right thing");
      // The compose target's secrets folder holds only owner-only files.
      const composeSecrets = tree.filter((t) => t.startsWith("compose/secrets/"));
      if (!extra.includes("--target")) assert.ok(composeSecrets.length > 0);
      for (const rel of composeSecrets) assert.is(statSync(join(out, rel)).mode & 0o077, 0, rel);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Preloaded into the CLI: before every write to the secrets file (or its
 * temporary), the open file must already be 0600. Counts go to a report file.
 */
const WRITE_WATCH = `
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
const watched = process.env.HACOMPILE_TEST_SECRETS;
const report = process.env.HACOMPILE_TEST_REPORT;
const orig = fs.writeSync;
let inside = false;
fs.writeSync = function (fd, ...rest) {
  if (!inside && typeof fd === "number") {
    inside = true;
    try {
      const target = fs.readlinkSync("/proc/self/fd/" + fd);
      if (target.startsWith(watched)) fs.appendFileSync(report, (fs.fstatSync(fd).mode & 0o777).toString(8) + "\\n");
    } catch {}
    inside = false;
  }
  return orig.call(this, fd, ...rest);
};
syncBuiltinESMExports();
`;

test("secrets: the secrets file is created 0600 (whatever the umask) before anything is written to it", () => {
  const dir = tmp();
  try {
    cpSync(EXAMPLE, join(dir, "topology.yaml"));
    const secretsPath = join(dir, "topology.secrets.yaml");
    const watch = join(dir, "watch.mjs");
    const report = join(dir, "report.txt");
    writeFileSync(watch, WRITE_WATCH);
    writeFileSync(report, "");
    const r = spawnSync("sh", ["-c", `umask 000 && exec "$0" "$@"`, process.execPath, "--import", watch, BIN, "build", join(dir, "topology.yaml"), "-o", join(dir, "out"), "--target", "bundle"], {
      encoding: "utf8",
      env: { ...process.env, HACOMPILE_TEST_SECRETS: secretsPath, HACOMPILE_TEST_REPORT: report },
    });
    assert.is(r.status, 0, r.stderr);
    const modes = readFileSync(report, "utf8").trim().split("\n").filter((l) => l !== "");
    assert.ok(modes.length > 0, "no write to the secrets file was seen");
    assert.equal([...new Set(modes)], ["600"]);
    assert.is(statSync(secretsPath).mode & 0o777, 0o600);
    assert.equal(
      readdirSync(dir).filter((e) => e.includes(".tmp-")),
      [],
      "no temporary secrets file is left behind",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("secrets: --rotate-secrets renews all or the named ones, deliberately, printing names only", () => {
  const dir = tmp();
  try {
    const p = writeSecrets(dir, KNOWN);
    const out = join(dir, "out");
    const read = (): Record<string, unknown> => parse(readFileSync(p, "utf8")) as Record<string, unknown>;
    const flat = (doc: unknown, prefix = ""): Record<string, string> =>
      doc !== null && typeof doc === "object"
        ? Object.assign({}, ...Object.entries(doc).map(([k, v]) => flat(v, prefix ? `${prefix}.${k}` : k)))
        : { [prefix]: String(doc) };

    // A subset: one password and a group.
    const before = flat(read());
    const subset = hacompile(["build", EXAMPLE, "-o", out, "--secrets", p, "--rotate-secrets", "databases.wp.app,salts", "--target", "bundle"]);
    assert.is(subset.code, 0, subset.out);
    const after = flat(read());
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]).sort();
    assert.equal(changed, ["databases.wp.app", ...Object.keys(before).filter((k) => k.startsWith("salts.")).sort()]);
    for (const k of changed) assert.ok(SECRET_RE.test(after[k]!), k);
    assert.match(subset.out, /^rotated 9 secret\(s\) in \S+: databases\.wp\.app, salts\.AUTH_KEY, /m);
    assertNoSecret(subset.out, [...Object.values(before), ...Object.values(after)], "rotation of a subset");
    // The build uses the new value.
    const config = readFileSync(join(out, "bundle/blog1/root/etc/wordpress/config-example.org.php"), "utf8");
    assert.ok(config.includes(after["databases.wp.app"]!) && !config.includes(before["databases.wp.app"]!));
    assert.is(statSync(p).mode & 0o777, 0o600);

    // All of them.
    const all = hacompile(["build", EXAMPLE, "-o", out, "--secrets", p, "--target", "bundle", "--rotate-secrets"]);
    assert.is(all.code, 0, all.out);
    const renewed = flat(read());
    assert.equal(Object.keys(renewed).filter((k) => renewed[k] === after[k]), []);
    assert.match(all.out, /^rotated 12 secret\(s\) in /m);
    assertNoSecret(all.out, Object.values(renewed), "rotation of all");

    // Names that pick nothing, and a contradiction, are usage errors that change nothing.
    const unknown = hacompile(["build", EXAMPLE, "-o", out, "--secrets", p, "--rotate-secrets", "databases.nope"]);
    assert.is(unknown.code, 2);
    assert.match(unknown.out, /no secret named 'databases\.nope'; this topology's secrets: databases\.wp\.root, /);
    assert.is(hacompile(["build", EXAMPLE, "-o", out, "--secrets", p, "--rotate-secrets", "--frozen-secrets"]).code, 2);
    assert.equal(flat(read()), renewed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("secrets: a secrets file others can read is used, with a warning", () => {
  const dir = tmp();
  try {
    const p = writeSecrets(dir, KNOWN);
    chmodSync(p, 0o644);
    const r = hacompile(["build", EXAMPLE, "-o", join(dir, "out"), "--secrets", p, "--frozen-secrets", "--target", "bundle"]);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /warning: the secrets file is readable by others \(mode 0644\); chmod 600 it \[secrets-file-mode\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
