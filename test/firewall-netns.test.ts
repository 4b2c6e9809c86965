// The generated firewall, loaded for real in private network namespaces
// (nothing touches this machine's own rules or interfaces):
// - it comes back whatever Debian's nftables.service does (restart, reload,
//   stop then start), with the commands systemd runs for our unit given the
//   dependencies the unit file declares;
// - a host that is both load balancer and web server admits the internet to
//   the VIP only, never to its own address.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildPath, buildText, rootFile, rootFilesUnder, type Build } from "./consistency/build.js";
import { parseIni } from "./consistency/parse.js";
import { ROOT } from "./helpers.js";

const FIREWALL_NFT = "/etc/hacompile/firewall.nft";
const FIREWALL_UNIT = "hacompile-firewall.service";
const NFTABLES = "nftables.service";
const UNIT_DIR = "/etc/systemd/system";

/** Debian's nftables.service, as bookworm ships it: its config flushes the whole ruleset. */
const DEBIAN_NFTABLES = {
  start: ["/usr/sbin/nft -f /etc/nftables.conf"],
  reload: ["/usr/sbin/nft -f /etc/nftables.conf"],
  stop: ["/usr/sbin/nft flush ruleset"],
};
const DEBIAN_NFTABLES_CONF = `#!/usr/sbin/nft -f
flush ruleset
table inet filter {
	chain input { type filter hook input priority filter; }
}
`;

function sh(cmd: string, args: readonly string[] = []): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every value of `key` in `section`, space-separated values split. */
function values(text: string, section: string, key: string, where: string): string[] {
  return (parseIni(text, where).get(section)?.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== "");
}

/** Whole Exec lines (not split: they are command lines). */
function execLines(text: string, key: string, where: string): string[] {
  return parseIni(text, where).get("Service")?.get(key) ?? [];
}

/**
 * What systemd runs, in order, when `action` hits nftables.service, for our
 * unit as its file and nftables.service's drop-ins declare (systemd.unit(5)):
 * PartOf= propagates stop and restart, ReloadPropagatedFrom= reload, a
 * Wants= of nftables.service starts it with it; After= puts it second on
 * the way up and first on the way down.
 */
function systemdRuns(b: Build, host: string, action: "restart" | "reload" | "stop-start"): string[] {
  const unit = rootFile(b, host, `${UNIT_DIR}/${FIREWALL_UNIT}`);
  const at = `${host}:${FIREWALL_UNIT}`;
  const after = values(unit, "Unit", "After", at).includes(NFTABLES);
  const partOf = values(unit, "Unit", "PartOf", at).includes(NFTABLES);
  const reloadFrom = values(unit, "Unit", "ReloadPropagatedFrom", at).includes(NFTABLES);
  const wanted = rootFilesUnder(b, host, `${UNIT_DIR}/${NFTABLES}.d/`).some((p) =>
    values(rootFile(b, host, p), "Unit", "Wants", p).includes(FIREWALL_UNIT),
  );
  const ours = { start: execLines(unit, "ExecStart", at), reload: execLines(unit, "ExecReload", at), stop: execLines(unit, "ExecStop", at) };
  if (!after) return [];
  if (action === "reload") return [...DEBIAN_NFTABLES.reload, ...(reloadFrom ? ours.reload : [])];
  if (action === "restart") {
    return partOf ? [...ours.stop, ...DEBIAN_NFTABLES.stop, ...DEBIAN_NFTABLES.start, ...ours.start] : [...DEBIAN_NFTABLES.stop, ...DEBIAN_NFTABLES.start];
  }
  // stop, then start: the stop takes ours down with it only through PartOf=; the start brings it back only through Wants=.
  return [...(partOf ? ours.stop : []), ...DEBIAN_NFTABLES.stop, ...DEBIAN_NFTABLES.start, ...(wanted ? ours.start : [])];
}

for (const action of ["restart", "reload", "stop-start"] as const) {
  test(`table inet hacompile is back after nftables.service ${action} (nft in a private namespace)`, () => {
    const b = buildPath(join(ROOT, "examples/wordpress-ha/topology.yaml"));
    const dir = mkdtempSync(join(tmpdir(), "hacompile-nft-"));
    try {
      const nft = join(dir, "firewall.nft");
      const conf = join(dir, "nftables.conf");
      writeFileSync(nft, rootFile(b, "lb1", FIREWALL_NFT));
      writeFileSync(conf, DEBIAN_NFTABLES_CONF);
      const unit = rootFile(b, "lb1", `${UNIT_DIR}/${FIREWALL_UNIT}`);
      const boot = [...DEBIAN_NFTABLES.start, ...execLines(unit, "ExecStart", "lb1")];
      const steps = [...boot, ...systemdRuns(b, "lb1", action)].map((c) => c.replaceAll(FIREWALL_NFT, nft).replaceAll("/etc/nftables.conf", conf));
      // systemd's quoting of these lines is the shell's for what they use ("...").
      const script = ["set -e", ...steps, "set +e", "nft list chain inet hacompile input"].join("\n");
      const r = sh("unshare", ["--net", "sh", "-c", script]);
      assert.is(r.code, 0, `after ${action}: ${r.err}\nran:\n${steps.join("\n")}`);
      assert.match(r.out, /policy drop;/, "the input chain drops by default again");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// ------------------------------------------------- co-located LB + web ----

const COLOCATED = `
name: colo
site: { domain: example.org, admin_email: a@example.org }
network: { subnet: 10.1.0.0/24, admin: 10.1.0.0/28 }
hosts:
  lb1: { address: 10.1.0.11 }
  lb2: { address: 10.1.0.12 }
loadbalancer:
  hosts: [lb1, lb2]
  vip: 10.1.0.100
  routes:
    - { path: /, pool: web }
pools:
  web: { hosts: [lb1, lb2], app: static }
`;

test("a load balancer that is also a web host: the internet reaches the VIP, never the host's own address", () => {
  const b = buildText(COLOCATED);
  const dir = mkdtempSync(join(tmpdir(), "hacompile-colo-"));
  try {
    const nft = join(dir, "firewall.nft");
    writeFileSync(nft, rootFile(b, "lb1", FIREWALL_NFT));
    // Two namespaces joined by a veth pair: the host (lb1: its address and the
    // VIP, the firewall, a listener on every address as nginx on both) and a
    // client outside the admin network. The client's namespace is a child
    // process's; both end with the script.
    const script = `
set -e
unshare --net sleep 60 &
client=$!
trap 'kill $client' EXIT
sleep 0.2
ip link set lo up
ip link add h0 type veth peer name c0
ip link set c0 netns $client
ip addr add 10.1.0.11/24 dev h0
ip addr add 10.1.0.100/32 dev h0
ip link set h0 up
nsenter -t $client -n ip link set lo up
nsenter -t $client -n ip addr add 10.1.0.200/24 dev c0
nsenter -t $client -n ip link set c0 up
nft -f ${nft}
socat -T 2 TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo served' &
listener=$!
trap 'kill $client $listener' EXIT
sleep 0.5
set +e
vip=$(nsenter -t $client -n socat -T 2 - TCP:10.1.0.100:80,connect-timeout=2 </dev/null)
own=$(nsenter -t $client -n socat -T 2 - TCP:10.1.0.11:80,connect-timeout=2 </dev/null 2>/dev/null)
echo "vip=$vip own=$own"
`;
    const r = sh("unshare", ["--net", "bash", "-c", script]);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /vip=served/, `the VIP serves the client: ${r.out} ${r.err}`);
    assert.match(r.out, /own= *$/m, `lb1's own address must not answer the internet on port 80: ${r.out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
