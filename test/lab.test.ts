// The lab's pure parts: systemd's restart rules and runtime folders as the
// supervisor applies them, the cross-host start order, names, the figures
// and the report CI reads. (The lab itself runs as `hacompile lab test` in CI.)
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { HttpRecord } from "../src/lab/client-main.js";
import { failureKinds, isReal, loadFigures, longestGap, percentile, routeUrl } from "../src/lab/http.js";
import { adminClientAddress, clientAddress, hostNs, labLayout } from "../src/lab/layout.js";
import { startSteps, topoOrder } from "../src/lab/order.js";
import { abandoned, startTimeOf, thisProcess } from "../src/lab/owner.js";
import { sysctlSettings } from "../src/lab/prepare.js";
import { loudLines } from "../src/lab/up.js";
import { formatReport, tally, type ScenarioResult } from "../src/lab/scenario.js";
import { scenariosFor } from "../src/lab/scenarios/index.js";
import { parseTimespan, restartPolicy, restarts, runtimeDirs } from "../src/lab/units.js";
import { buildFile, ROOT } from "./helpers.js";

const wordpressHa = (): ReturnType<typeof buildFile> => buildFile(join(ROOT, "examples/wordpress-ha/topology.yaml"));

test("restart policy: the unit's Restart= and RestartSec=, drop-ins last, as systemd reads them", () => {
  const unit = "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\nRestart=on-abnormal\nRestartSec=60\n";
  assert.equal(restartPolicy([unit]), { restart: "on-abnormal", restartSec: 60 });
  assert.equal(restartPolicy([unit, "[Service]\nRestart=on-failure\nRestartSec=1s\n"]), { restart: "on-failure", restartSec: 1 });
  // Restart= in another section is not the service's; no Restart= at all is "no" with systemd's 100 ms.
  assert.equal(restartPolicy(["[Unit]\nRestart=always\n"]), { restart: "no", restartSec: 0.1 });
  assert.equal(parseTimespan("1min 30s"), 90);
  assert.equal(parseTimespan("100ms"), 0.1);
  assert.equal(parseTimespan("soon"), undefined);
});

test("restarts: kill -9 restarts on-failure and on-abnormal units, a clean stop or Restart=no does not", () => {
  const kill9 = { signal: "SIGKILL" };
  assert.ok(restarts({ restart: "on-failure", restartSec: 1 }, kill9));
  assert.ok(restarts({ restart: "on-abnormal", restartSec: 1 }, kill9));
  assert.not.ok(restarts({ restart: "no", restartSec: 1 }, kill9));
  assert.not.ok(restarts({ restart: "on-failure", restartSec: 1 }, { signal: "SIGTERM" }));
  assert.ok(restarts({ restart: "on-failure", restartSec: 1 }, { code: 1 }));
  assert.not.ok(restarts({ restart: "on-abnormal", restartSec: 1 }, { code: 1 }));
});

test("runtime folders: tmpfiles.d 'd' lines under /run only, with their mode and owner", () => {
  const dirs = runtimeDirs([
    "d /run/mysqld 0755 mysql root -\n    d /run/php              0755 www-data www-data -   -\n",
    "d /var/cache/man 0755 man man 1w\nL /run/shm - - - - /dev/shm\nd /run/../etc 0755 - - -\nd /run/lock/subsys 0755 - - -\n",
  ]);
  assert.equal(dirs, [
    { path: "/run/lock/subsys", mode: "0755", user: "root", group: "root" },
    { path: "/run/mysqld", mode: "0755", user: "mysql", group: "root" },
    { path: "/run/php", mode: "0755", user: "www-data", group: "www-data" },
  ]);
});

test("start order: volume clients mount after the bootstrap, which follows every brick server's glusterd; replicas after the primary", () => {
  const { graph, plans } = wordpressHa();
  const steps = startSteps(graph, plans);
  const deps = (id: string): readonly string[] => steps.find((s) => s.id === id)?.deps ?? [];
  assert.equal(deps("blog1/mount-uploads"), ["fs1/gluster-bootstrap"]);
  assert.equal(deps("fs1/gluster-bootstrap"), ["fs1/glusterd", "fs2/glusterd", "fs3/glusterd"]);
  assert.equal(deps("db2/db-bootstrap"), ["db1/db-bootstrap", "db2/mariadb"]);
  assert.equal(deps("blog1/php-fpm"), ["blog1/mount-uploads"]);
  // Periodic jobs run from timers, not at start.
  assert.not.ok(steps.some((s) => s.service.schedule !== undefined));
  const order = topoOrder(steps).map((s) => s.id);
  for (const s of steps) for (const d of s.deps) assert.ok(order.indexOf(d) < order.indexOf(s.id), `${d} before ${s.id}`);
});

test("names: namespaces per topology that no host name can collide with; the client outside hosts, VIP and admin range", () => {
  const { graph } = wordpressHa();
  const l = labLayout(graph.name);
  assert.equal([l.sw, l.client, hostNs(l, "lb1")], ["hcl.wordpress-ha._sw", "hcl.wordpress-ha._client", "hcl.wordpress-ha.lb1"]);
  assert.is(clientAddress(graph), "10.10.0.254");
  // The client's second address, for the lab's own requests: inside the admin
  // network (10.10.0.0/29, which holds no host), its highest address short of the broadcast.
  assert.is(adminClientAddress(graph), "10.10.0.6");
});

test("a step's shouted lines (between banners of asterisks) reach the lab's output", () => {
  const log = [
    "--- hacompile lab: run /usr/local/sbin/hacompile-install-hyperdb",
    "curl: (6) Could not resolve host: raw.githubusercontent.com",
    `hacompile-install-hyperdb: ${"*".repeat(68)}`,
    "hacompile-install-hyperdb: HyperDB is NOT installed: x cannot be fetched from this host.",
    "hacompile-install-hyperdb:   fix: --file /path/to/db.php",
    `hacompile-install-hyperdb: ${"*".repeat(68)}`,
    "",
  ].join("\n");
  assert.equal(loudLines(log), ["HyperDB is NOT installed: x cannot be fetched from this host.", "fix: --file /path/to/db.php"]);
  assert.equal(loudLines("hacompile-install-hyperdb: installed /x from y\n"), []);
});

test("sysctl files: key = value lines, comments skipped", () => {
  assert.equal(sysctlSettings("# why\nnet.ipv4.ip_nonlocal_bind = 1\n; old\nnet.ipv4.tcp_keepalive_time=2\n"), [
    { key: "net.ipv4.ip_nonlocal_bind", value: "1" },
    { key: "net.ipv4.tcp_keepalive_time", value: "2" },
  ]);
});

const rec = (start: number, ms: number, status: number, servedBy: string, error = "", has: boolean[] = []): HttpRecord => ({
  i: 0,
  path: "/",
  start,
  end: start + ms,
  status,
  servedBy,
  location: "",
  error,
  has,
});

test("figures: a request counts only as the pool's real answer; failures, slow ones and recovery time", () => {
  const members = ["web1", "web2"];
  const ok = (r: HttpRecord): boolean => isReal(r, members);
  const records = [
    rec(0, 5, 200, "web1"),
    rec(10, 3, 0, "", "ECONNREFUSED"),
    rec(20, 4, 200, "lb-default"),
    rec(30, 1500, 200, "web2"),
    rec(40, 6, 200, "web2", "", [false]),
    rec(50, 7, 502, "web1"),
  ];
  const f = loadFigures(records, ok);
  assert.equal([f.sent, f.failed, f.slow, f.failureWindowS], [6, 4, 1, 0.04]);
  // Good answers ended at 5 and 1530 ms: 1.525 s without one.
  assert.is(longestGap(records, ok), 1.525);
  assert.is(failureKinds(records, ok), "1 ECONNREFUSED, 1 from lb-default but not the site's page, 1 from web2 but not the site's page, 1 status 502 from web1");
  assert.is(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal([routeUrl("/"), routeUrl("/blog")], ["/", "/blog/"]);
});

test("report: a table, the reasons of failures, and the line CI reads; a skipped scenario counts as failed", () => {
  const r = (name: string, result: ScenarioResult["result"], failures: string[] = []): ScenarioResult => ({ name, title: "", result, seconds: 1, figures: { "failed": "0/10", "VIP moved s": 0.31 }, failures });
  const results = [r("routing", "pass"), r("lb-crash", "fail", ["34 of 1000 failed"]), r("firewall", "skip")];
  const { passed, failed } = tally(results);
  const lines = formatReport({ topology: "t", cores: 2, seconds: { up: 1, scenarios: 2, down: 3, total: 6 }, scenarios: results, passed, failed });
  assert.is(lines[1], "routing   pass    failed=0/10, VIP moved s=0.31");
  assert.ok(lines.includes("lb-crash: 34 of 1000 failed"));
  assert.is(lines[lines.length - 1], "1 passed, 2 failed");
});

test("wordpress-ha gets every scenario, none skipped", () => {
  const { graph } = wordpressHa();
  const { scenarios, skipped } = scenariosFor(graph);
  assert.equal(skipped, []);
  assert.equal(
    scenarios.map((s) => s.name),
    ["routing", "lb-link-down", "lb-crash", "lb-nginx-down", "web-host:blog", "web-host:web", "database:wp", "gluster:uploads", "firewall"],
  );
});

test("owner: only a 'lab test' whose process is gone is removed unasked; 'lab up' and older states never", () => {
  const me = thisProcess("test");
  assert.is(me.pid, process.pid);
  assert.is(me.startTime, startTimeOf(process.pid));
  assert.is(abandoned(me), false, "this very process runs");
  const gone = (): string | undefined => undefined;
  const reused = (): string | undefined => "1";
  assert.is(abandoned({ action: "test", pid: 4242, startTime: "99" }, gone), true, "its PID is free");
  assert.is(abandoned({ action: "test", pid: 4242, startTime: "99" }, reused), true, "its PID now belongs to a later process");
  assert.is(abandoned({ action: "up", pid: 4242, startTime: "99" }, gone), false, "a lab the user brought up stays");
  assert.is(abandoned(undefined, gone), false, "a state without an owner stays");
});

test.run();
