// DigitalOcean failover as a droplet sees it: VRRP on the interface that
// carries the VPC address (eth1 unless the topology says otherwise), the site
// served on each droplet's anchor IP only (where the reserved IP's traffic
// arrives, never its own public address), and an API token file anywhere the
// schema accepts, /root/.config included, readable by the re-assert unit.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile } from "../src/compile.js";
import { buildText, rootFile, rootFilesUnder } from "./consistency/build.js";
import { nftAccepted, nftInput, nginxServers, parseIni, parseNginx, vrrpInstance } from "./consistency/parse.js";

const topology = (failover: string, network = ""): string => `
name: droplets
site: { domain: example.org, admin_email: a@example.org }
network: { subnet: 10.60.0.0/24, admin: 10.60.0.0/28${network} }
hosts:
  lb1: { address: 10.60.0.11 }
  lb2: { address: 10.60.0.12 }
  web1: { address: 10.60.0.21 }
loadbalancer:
  hosts: [lb1, lb2]
  vip: 203.0.113.10
  failover: ${failover}
  routes:
    - { path: /, pool: web }
pools:
  web: { hosts: [web1], app: static }
`;
const ANCHORS = "anchor_ips: { lb1: 10.17.0.5, lb2: 10.17.0.6 }";
const DO = (extra = ""): string => `{ mode: digitalocean, ${ANCHORS}${extra} }`;

test("VRRP runs on eth1 in digitalocean mode unless the topology names the interface; eth0 stays the default elsewhere", () => {
  const cases: [string, string, string][] = [
    [DO(), "", "eth1"],
    [DO(), ", interface: ens4", "ens4"],
    ["{ mode: vrrp }", "", "eth0"],
  ];
  for (const [failover, network, want] of cases) {
    const b = buildText(topology(failover, network).replace("vip: 203.0.113.10", failover.includes("vrrp") ? "vip: 10.60.0.100" : "vip: 203.0.113.10"));
    for (const lb of ["lb1", "lb2"]) assert.is(vrrpInstance(rootFile(b, lb, "/etc/keepalived/keepalived.conf"), lb).interface, want, `${failover}${network}: ${lb}`);
  }
});

test("keepalived starts only where the host's address is: its drop-in's check passes on the right interface and fails, saying why, on the wrong one", () => {
  const b = buildText(topology(DO()));
  const dropIn = rootFile(b, "lb1", "/etc/systemd/system/keepalived.service.d/hacompile-interface.conf");
  const pre = (parseIni(dropIn, "drop-in").get("Service")?.get("ExecStartPre") ?? [])[0]?.split(" ") ?? [];
  assert.equal(pre.slice(1, 3), ["eth1", "10.60.0.11"], "checks the VPC interface for lb1's address");
  const dir = mkdtempSync(join(tmpdir(), "hacompile-iface-"));
  try {
    const script = join(dir, "check");
    writeFileSync(script, rootFile(b, "lb1", pre[0]!), { mode: 0o755 });
    // A droplet in a private namespace: public address on eth0, VPC address on eth1 (or, wrongly, on eth0).
    const droplet = (vpcOn: string): string =>
      ["ip link add eth0 type veth peer name p0", "ip link add eth1 type veth peer name p1", "ip addr add 203.0.113.50/24 dev eth0", `ip addr add 10.60.0.11/24 dev ${vpcOn}`, "ip link set eth0 up", "ip link set eth1 up", "ip link set p0 up", "ip link set p1 up", `"$@"`].join(" && ");
    // One second of waiting instead of the unit's 30: the address is there or not from the start.
    const args = [script, pre[1]!, pre[2]!, "1"];
    const good = spawnSync("unshare", ["--net", "sh", "-c", droplet("eth1"), "sh", ...args], { encoding: "utf8" });
    assert.is(good.status, 0, good.stderr);
    const bad = spawnSync("unshare", ["--net", "sh", "-c", droplet("eth0"), "sh", ...args], { encoding: "utf8" });
    assert.is(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, "10.60.0.11 is not on interface eth1");
    assert.match(bad.stderr, "network.interface");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("digitalocean: each LB serves the site on its anchor IP only, and its firewall opens nothing else to the internet", () => {
  const b = buildText(topology(DO()));
  for (const [lb, anchor] of [["lb1", "10.17.0.5"], ["lb2", "10.17.0.6"]] as const) {
    const servers = nginxServers(parseNginx(rootFile(b, lb, "/etc/nginx/hacompile/lb.conf"), lb), lb);
    const listens = servers.flatMap((s) => s.listen).filter((l) => !l.startsWith("127.0.0.1:"));
    assert.equal(listens, [`${anchor}:80`], `${lb}: never every address (the droplet's own public address would bypass the reserved IP)`);
    const open = [...nftAccepted(nftInput(rootFile(b, lb, "/etc/hacompile/firewall.nft"), lb))].filter((a) => a.startsWith("any ->"));
    assert.equal(open, [`any -> tcp/80 to ${anchor}`], `${lb}: what anyone may reach`);
  }
});

test("digitalocean: every load balancer needs its anchor IP", () => {
  const r = compile(topology("{ mode: digitalocean, anchor_ips: { lb1: 10.17.0.5 } }"), "t.yaml");
  assert.ok(r.diagnostics.some((d) => d.code === "missing-anchor-ip" && /lb2/.test(d.message)), r.diagnostics.map((d) => d.message).join("\n"));
  const dup = compile(topology("{ mode: digitalocean, anchor_ips: { lb1: 10.17.0.5, lb2: 10.17.0.5 } }"), "t.yaml");
  assert.ok(dup.diagnostics.some((d) => d.code === "duplicate-anchor-ip"));
});

/** What ProtectHome= leaves visible: systemd.exec(5) hides /home, /root and /run/user for yes (and empties them for tmpfs). */
function hiddenByProtectHome(value: string | undefined, path: string): boolean {
  if (value === undefined || !["yes", "true", "1", "on", "tmpfs"].includes(value)) return false;
  return ["/home", "/root", "/run/user"].some((d) => path === d || path.startsWith(`${d}/`));
}

for (const token of ["/root/.config/do-token", "/home/ops/.do/token", "/etc/hacompile/do-token"]) {
  test(`digitalocean: token_file ${token} is accepted and readable by every unit that reads it`, () => {
    const b = buildText(topology(DO(`, token_file: ${token}`)));
    let units = 0;
    for (const p of rootFilesUnder(b, "lb1", "/etc/systemd/system/")) {
      const text = rootFile(b, "lb1", p);
      const ini = parseIni(text, p);
      const exec = (ini.get("Service")?.get("ExecStart") ?? []).join(" ");
      if (!exec.includes("hacompile-do-assign")) continue;
      units++;
      const protect = ini.get("Service")?.get("ProtectHome")?.at(-1);
      assert.not.ok(hiddenByProtectHome(protect, token), `${p}: ProtectHome=${protect} hides ${token}`);
    }
    assert.ok(units > 0, "no unit runs the assign script");
    assert.match(rootFile(b, "lb1", "/usr/local/sbin/hacompile-do-assign"), token);
  });
}

test("paths: a segment may start with a dot, but '.' and '..' segments stay refused", () => {
  for (const bad of ["/root/../etc/x", "/root/./x", "/root/.", "/root/.."]) {
    const r = compile(topology(DO(`, token_file: "${bad}"`)), "t.yaml");
    assert.ok(r.diagnostics.some((d) => d.code === "invalid-path"), `${bad} accepted`);
  }
});

test("mount unit names for paths with dotted segments are systemd's own (systemd-escape --path)", () => {
  const volumeTopology = (mount: string): string => `
name: dots
site: { domain: example.org, admin_email: a@example.org }
network: { subnet: 10.1.0.0/24, admin: 10.1.0.0/28 }
hosts:
  lb1: { address: 10.1.0.11 }
  w1: { address: 10.1.0.21 }
  db1: { address: 10.1.0.31 }
  fs1: { address: 10.1.0.41 }
loadbalancer: { hosts: [lb1], failover: { mode: none }, routes: [{ path: /, pool: web }] }
pools:
  web: { hosts: [w1], app: wordpress, database: wp, volume: up }
databases:
  wp: { primary: db1, name: wordpress }
volumes:
  up: { type: glusterfs, replica: 1, bricks: [fs1], mount: ${mount} }
`;
  for (const mount of ["/srv/.uploads", "/var/lib/wp.d/.x-y"]) {
    const b = buildText(volumeTopology(mount));
    const want = spawnSync("systemd-escape", ["--path", "--suffix=mount", mount], { encoding: "utf8" }).stdout.trim();
    const units = rootFilesUnder(b, "w1", "/etc/systemd/system/").filter((p) => p.endsWith(".mount"));
    assert.equal(units, [`/etc/systemd/system/${want}`], mount);
  }
});

test.run();
