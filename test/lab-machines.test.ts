// The machines lab's pure parts: names and addresses, the NoCloud seed, the
// apt relay's reading of the Debian sources, SECRETS.txt's commands, the
// base tree's cache key. (The machines themselves run as `hacompile lab test
// --machines` in CI.)
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { clientAddress } from "../src/lab/layout.js";
import { baseKey, sourcesList } from "../src/lab/machines/base.js";
import { adminAddress } from "../src/lab/machines/bundle.js";
import { machineNs, machinesLayout, relayAddress } from "../src/lab/machines/layout.js";
import { filterText, mirrorHosts, parseSources } from "../src/lab/machines/relay.js";
import { shuffled } from "../src/lab/machines/scenarios.js";
import { secretsCommands, sshShim } from "../src/lab/machines/secrets.js";
import { emptyMachinesState, saveMachinesState } from "../src/lab/machines/state.js";
import { attachMachinesLab } from "../src/lab/machines/up.js";
import { thisProcess } from "../src/lab/owner.js";
import { fakeSecrets } from "./helpers.js";
import { rmSync } from "node:fs";
import { metaData, networkConfig } from "../src/lab/machines/seed.js";
import { buildFile, ROOT } from "./helpers.js";

const wordpressHa = (): ReturnType<typeof buildFile> => buildFile(join(ROOT, "examples/wordpress-ha/topology.yaml"));

const SOURCES = [
  "Types: deb",
  "URIs: http://mirror.example/debian",
  "Suites: bookworm bookworm-updates",
  "Components: main",
  "",
  "Types: deb",
  "URIs: http://security.example/debian-security/",
  "Suites: bookworm-security",
  "",
  "Types: deb-src",
  "URIs: http://src.example/debian",
  "Suites: bookworm",
  "",
].join("\n");

test("layout: hcm. names, distinct from the namespace lab's hcl.", () => {
  const l = machinesLayout("wordpress-ha");
  assert.is(l.sw, "hcm.wordpress-ha._sw");
  assert.is(l.client, "hcm.wordpress-ha._client");
  assert.is(machineNs(l, "db1"), "hcm.wordpress-ha.db1");
  assert.ok(l.workDir.startsWith("/tmp/hacompile-machines/"));
});

test("addresses: relay below the client, admin address inside the admin range, none used by a host or the VIP", () => {
  const { graph } = wordpressHa();
  const used = new Set([...graph!.hosts.map((h) => h.address), graph!.loadBalancer.vip]);
  const relay = relayAddress(graph!);
  const admin = adminAddress(graph!);
  assert.is(clientAddress(graph!), "10.10.0.254");
  assert.is(relay, "10.10.0.253");
  assert.is(admin, "10.10.0.1");
  for (const a of [relay, admin]) assert.not.ok(used.has(a));
});

test("seed: network-config v2 with the topology's interface and address; a new instance id per run", () => {
  const { graph } = wordpressHa();
  const db1 = graph!.hosts.find((h) => h.name === "db1")!;
  const nc = networkConfig(graph!, db1);
  assert.match(nc, /^version: 2\nethernets:\n {2}eth0:\n/);
  assert.match(nc, /addresses: \[ 10\.10\.0\.31\/24 \]/);
  assert.not.match(nc, /gateway/);
  assert.is(metaData(db1, "7"), "instance-id: db1-7\nlocal-hostname: db1\n");
});

test("relay: deb URIs and suites from deb822, hosts only, anchored filter", () => {
  const m = parseSources(SOURCES);
  assert.equal(m, [
    { uri: "http://mirror.example/debian", suites: ["bookworm", "bookworm-updates"] },
    { uri: "http://security.example/debian-security", suites: ["bookworm-security"] },
  ]);
  assert.equal(mirrorHosts(m), ["mirror.example", "security.example"]);
  assert.is(filterText(mirrorHosts(m)), "^mirror\\.example$\n^security\\.example$\n");
  assert.is(sourcesList(m), "deb http://mirror.example/debian bookworm main\ndeb http://mirror.example/debian bookworm-updates main\ndeb http://security.example/debian-security bookworm-security main\n");
});

test("base tree: the cache key follows the mirrors (and so the sources it was made from)", () => {
  const m = parseSources(SOURCES);
  assert.is(baseKey(m), baseKey(parseSources(SOURCES)));
  assert.is.not(baseKey(m), baseKey(m.slice(0, 1)));
});

test("secrets: SECRETS.txt's ssh lines run as printed, through a shim that enters the machine", () => {
  const text = "intro\n\n  ssh root@10.0.0.1 'install -D -m 0600 /dev/stdin /etc/x' < 'secrets/etc/x'\n  ssh root@10.0.0.1 systemctl start hacompile.target\n\nOr build\n";
  assert.equal(secretsCommands(text), ["ssh root@10.0.0.1 'install -D -m 0600 /dev/stdin /etc/x' < 'secrets/etc/x'", "ssh root@10.0.0.1 systemctl start hacompile.target"]);
  const shim = sshShim(new Map([["10.0.0.1", 42]]));
  assert.match(shim, /root@10\.0\.0\.1\) pid=42 ;;/);
  assert.match(shim, /nsenter -t "\$pid" -a -- sh -c "\$\*"/);
});

test("cold-start order: a seeded shuffle, the same for the same seed, every host once", () => {
  const hosts = ["a", "b", "c", "d", "e", "f"];
  assert.equal(shuffled(hosts, 42), shuffled(hosts, 42));
  assert.equal([...shuffled(hosts, 42)].sort(), hosts);
});

test.run();

test("lab test --running: only a lab that 'lab up' left with every machine running; its own target and secrets mode", () => {
  const built = wordpressHa();
  // A name of this test's own, so no real lab's state is touched.
  const graph = { ...built.graph, name: `attach-test-${process.pid}` };
  const layout = machinesLayout(graph.name);
  const attach = (): ReturnType<typeof attachMachinesLab> => attachMachinesLab(graph, fakeSecrets(graph), built.plans, () => undefined);
  try {
    assert.throws(attach, /no machines lab of attach-test-\d+ is up: start one with hacompile lab up/);
    saveMachinesState(layout.workDir, emptyMachinesState(graph.name, "systemd", thisProcess("test"), true));
    assert.throws(attach, /belongs to a 'lab test' run/);
    const state = emptyMachinesState(graph.name, "systemd", thisProcess("up"), true);
    const proc = { name: "nspawn", pid: 1, startTime: "1" };
    for (const h of graph.hosts) state.machines[h.name] = { host: h.name, ns: machineNs(layout, h.name), port: "p", dir: "/nonexistent", ...(h.name === "db2" ? {} : { nspawn: proc }) };
    saveMachinesState(layout.workDir, state);
    assert.throws(attach, /not running: db2/);
    state.machines["db2"]!.nspawn = proc;
    saveMachinesState(layout.workDir, state);
    const lab = attach();
    assert.equal(lab.opts, { target: "systemd", inlineSecrets: true });
    assert.is(lab.outDir, join(layout.workDir, "out"));
  } finally {
    rmSync(layout.workDir, { recursive: true, force: true });
  }
});
