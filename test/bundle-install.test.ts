// The bundle's install.sh across two builds, run as an operator runs it: the
// first topology's bundle, then the next one's (the database primary moved
// to the old replica, a larger upload limit, web2 moved from the pool to the
// database replicas). What dropped out of the bundle is removed (files only
// what hacompile installed, and only while unchanged; services stopped and
// disabled), and a service whose config alone changed is reloaded, one whose
// unit changed restarted. Once under --root, once live in a private mount namespace with
// systemctl replaced by a recorder.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildFile, ROOT, writeTree } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "hacompile-bundle-install-"));
const IS_ROOT = process.getuid?.() === 0;

/** The example, and the same site after a promotion of db2, a larger upload limit and web2 turned into a replica. */
function topologies(): { before: string; after: string } {
  const before = join(ROOT, "examples/mysql-replication/topology.yaml");
  const text = readFileSync(before, "utf8");
  const changed = text
    .replace("primary: db1", "primary: db2")
    .replace("replicas: [db2]", "replicas: [db1, web2]")
    .replace("hosts: [web1, web2], app: wordpress", "hosts: [web1], app: wordpress")
    .replace("  title: Example\n", "  title: Example\n  upload_max_mb: 128\n");
  assert.is.not(changed, text);
  const after = join(work, "promoted.yaml");
  writeFileSync(after, changed);
  return { before, after };
}

/** Both builds' bundle targets, on disk as an operator copies them. */
function bundles(): { a: string; b: string } {
  const { before, after } = topologies();
  const out = { a: join(work, "a"), b: join(work, "b") };
  for (const [dir, topo] of [
    [out.a, before],
    [out.b, after],
  ] as const) {
    const files = buildFile(topo).files.filter((f) => f.path.startsWith("bundle/"));
    writeTree(dir, files);
    for (const f of files) chmodSync(join(dir, f.path), f.mode);
  }
  return out;
}

function install(script: string, root: string): { code: number | null; out: string } {
  const r = spawnSync("bash", [script, "--root", root], { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
}

test("--root: a second bundle removes what dropped out, keeps what someone changed, reloads or restarts as needed", () => {
  if (!IS_ROOT) return; // install.sh refuses to run unless root; CI runs as root.
  const { a, b } = bundles();
  const root = join(work, "root");
  const step = (host: string, dir: string): string => {
    const r = install(join(dir, "bundle", host, "install.sh"), join(root, host));
    assert.is(r.code, 0, r.out);
    return r.out;
  };
  for (const h of ["lb1", "db1", "db2"]) {
    step(h, a);
    assert.match(step(h, a), /no changes/, `${h}: the first bundle twice`);
  }
  // Someone's own file beside ours, and an edit to a file that is about to drop out.
  writeFileSync(join(root, "db2/etc/hacompile/db/notes.txt"), "mine\n");
  writeFileSync(join(root, "db1/etc/hacompile/db/primary.sql"), "-- edited by hand\n");

  // db2 was the replica and is the primary now: its replica files and backup job go.
  const db2 = step("db2", b);
  for (const gone of ["/etc/hacompile/db/replica.sql", "/etc/hacompile/db/primary-client.cnf", "/etc/systemd/system/hacompile-db-backup.timer"]) {
    assert.ok(db2.includes(`removed ${gone} (no longer in the bundle)`), db2);
    assert.not.ok(existsSync(join(root, "db2", gone)), gone);
  }
  assert.ok(existsSync(join(root, "db2/etc/hacompile/db/primary.sql")));
  assert.is(readFileSync(join(root, "db2/etc/hacompile/db/notes.txt"), "utf8"), "mine\n");
  assert.match(db2, /would restart mysql\.service/, "MySQL has no reload: its config change needs a restart");
  assert.match(step("db2", b), /no changes/);

  // db1: primary.sql dropped out, but it was edited, so it stays and is named.
  const db1 = step("db1", b);
  assert.match(db1, /left \/etc\/hacompile\/db\/primary\.sql: no longer in the bundle, but changed since hacompile installed it/);
  assert.is(readFileSync(join(root, "db1/etc/hacompile/db/primary.sql"), "utf8"), "-- edited by hand\n");

  // web2 is a database replica now: its web services stop, their files go, MySQL comes.
  step("web2", a);
  const web2 = step("web2", b);
  for (const unit of ["nginx.service", "php8.2-fpm.service"]) assert.ok(web2.includes(`--root: would stop and disable ${unit}`), web2);
  assert.match(web2, /removed \/etc\/nginx\/nginx\.conf \(no longer in the bundle\)/);
  assert.ok(existsSync(join(root, "web2/etc/mysql/mysql.conf.d/60-hacompile.cnf")));
  assert.match(step("web2", b), /no changes/);

  // lb1: only nginx's config changed (client_max_body_size, members): a reload, not a restart.
  const lb1 = step("lb1", b);
  assert.match(lb1, /would reload nginx\.service/);
  assert.not.match(lb1, /would restart nginx\.service/);
});

test("live, in a private mount namespace: systemctl reload for config, restart for units, disable --now for dropped units and services", () => {
  if (!IS_ROOT || spawnSync("unshare", ["-m", "true"]).status !== 0) return; // needs root; CI runs as root
  const { a, b } = bundles();
  const stubs = join(work, "stubs");
  mkdirSync(stubs, { recursive: true });
  const log = join(work, "systemctl.log");
  // Every unit reports active and enabled, so each change shows as a reload or a restart.
  writeFileSync(join(stubs, "systemctl"), `#!/bin/sh\necho "$*" >>${log}\nexit 0\n`, { mode: 0o755 });
  writeFileSync(join(stubs, "dpkg-query"), "#!/bin/sh\necho installed\n", { mode: 0o755 });
  writeFileSync(join(stubs, "apt-get"), "#!/bin/sh\necho 'apt-get must not run here' >&2\nexit 1\n", { mode: 0o755 });
  const results = join(work, "live");
  mkdirSync(results, { recursive: true });
  const read = (f: string): string => readFileSync(join(results, f), "utf8");
  // One machine per host: its own namespace, with /etc, /usr and /var writable
  // overlays on a fresh tmpfs, so nothing reaches this machine's files.
  for (const h of ["lb1", "db2", "web2"]) {
    const layers = join(work, `layers-${h}`);
    mkdirSync(layers, { recursive: true });
    const script = [
      "set -e",
      `mount -t tmpfs hacompile-test ${layers}`,
      ...["etc", "usr", "var"].map(
        (d) => `mkdir -p ${layers}/u/${d} ${layers}/w/${d} && mount -t overlay overlay -o lowerdir=/${d},upperdir=${layers}/u/${d},workdir=${layers}/w/${d} /${d}`,
      ),
      `export PATH=${stubs}:/usr/sbin:/usr/bin:/sbin:/bin`,
      `bash ${a}/bundle/${h}/install.sh >${results}/${h}-a.out 2>&1`,
      `: >${log}`,
      `bash ${b}/bundle/${h}/install.sh >${results}/${h}-b.out 2>&1`,
      `cp ${log} ${results}/${h}.log`,
      `ls /etc/hacompile/db /etc/systemd/system >${results}/${h}.ls 2>&1 || true`,
    ].join("\n");
    const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script], { encoding: "utf8" });
    assert.is(r.status, 0, `${h}: ${r.stderr}${existsSync(join(results, `${h}-b.out`)) ? read(`${h}-b.out`) : ""}`);
  }

  const lb1 = read("lb1.log").split("\n");
  assert.ok(lb1.includes("reload -- nginx.service"), lb1.join("\n"));
  assert.not.ok(lb1.includes("restart -- nginx.service"), lb1.join("\n"));
  assert.not.ok(lb1.includes("daemon-reload"), "no unit changed on lb1");

  const db2 = read("db2.log").split("\n");
  for (const want of ["disable --now --quiet -- hacompile-db-backup.timer", "disable --now --quiet -- hacompile-db-backup.service", "daemon-reload", "restart -- mysql.service"])
    assert.ok(db2.includes(want), `${want}:\n${db2.join("\n")}`);
  assert.ok(db2.indexOf("daemon-reload") < db2.indexOf("restart -- mysql.service"));
  const web2 = read("web2.log").split("\n");
  for (const want of ["disable --now --quiet -- nginx.service", "disable --now --quiet -- php8.2-fpm.service", "restart -- mysql.service"])
    assert.ok(web2.includes(want), `${want}:\n${web2.join("\n")}`);
  assert.ok(web2.indexOf("disable --now --quiet -- nginx.service") < web2.indexOf("daemon-reload"), "stopped before the units are reloaded");

  const ls = read("db2.ls");
  assert.not.match(ls, /replica\.sql|hacompile-db-backup/);
  assert.match(ls, /primary\.sql/);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
