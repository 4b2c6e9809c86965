// Consistency of the rendered files themselves: for every example, each value
// that several files share (addresses, ports, passwords, salts, server ids,
// bricks) is parsed back out of every file that holds it and compared across
// them and with the topology (test/consistency/checks.ts). Then: moving one
// host to another address changes exactly the files that depend on it.
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildPath, buildText, type Build } from "./consistency/build.js";
import {
  checkDatabases,
  checkFirewalls,
  checkGluster,
  checkGraphJson,
  checkKeepalived,
  checkLoadBalancers,
  checkPrimaryGrants,
  checkWebTrust,
  checkWordPress,
} from "./consistency/checks.js";
import { caseDirs, ROOT } from "./helpers.js";

const examples = caseDirs(join(ROOT, "examples"));
const builds = new Map<string, Build>();
const built = (example: string): Build => {
  let b = builds.get(example);
  if (!b) {
    b = buildPath(join(ROOT, "examples", example, "topology.yaml"));
    builds.set(example, b);
  }
  return b;
};

const checks: [string, (b: Build) => void][] = [
  ["graph.json is the compiled graph, with the topology's hosts and addresses", checkGraphJson],
  ["LB upstreams, routes, listen addresses and body sizes agree with the pools and the web hosts", checkLoadBalancers],
  ["keepalived: unicast peers, source address, priorities, router id and VIP agree on every LB", checkKeepalived],
  ["web hosts trust X-Forwarded-For from exactly the LBs and the VIP", checkWebTrust],
  ["WordPress configs and HyperDB servers: same database, credentials and salts on every host", checkWordPress],
  ["the primary's accounts and grants match the app hosts, the replicas and their replication SQL", checkPrimaryGrants],
  ["database option files: unique server ids, own bind address, replication source is the primary", checkDatabases],
  ["Gluster: brick list, peers, mount units and pinned ports agree with the volume", checkGluster],
  ["firewalls accept exactly the peers the other files name, on their ports", checkFirewalls],
];

test("every example is covered", () => {
  assert.ok(examples.length >= 6, `only ${examples.length} examples found`);
  const layers = new Set(examples.flatMap((e) => [...built(e).files.keys()].map((p) => p.replace(/^bundle\/[^/]+\/root/, ""))));
  // The parsers must have had something to read somewhere.
  for (const p of ["/etc/keepalived/keepalived.conf", "/etc/hacompile/db/replica.sql", "/usr/local/sbin/hacompile-gluster-bootstrap", "/etc/wordpress/db-config.php"]) {
    assert.ok(layers.has(p), `no example renders ${p}`);
  }
});

for (const e of examples) {
  for (const [what, check] of checks) test(`${e}: ${what}`, () => check(built(e)));
}

// The checks must catch what they are about: one wrong value in one file of
// wordpress-ha each, and the check that reads that file has to fail.
const MUTATIONS: { what: string; file: string; from: RegExp; to: string; check: (b: Build) => void }[] = [
  { what: "a wrong unicast peer", file: "bundle/lb2/root/etc/keepalived/keepalived.conf", from: /^(\s+)10\.10\.0\.11$/m, to: "$110.10.0.13", check: checkKeepalived },
  { what: "equal priorities", file: "bundle/lb2/root/etc/keepalived/keepalived.conf", from: /priority 100/, to: "priority 110", check: checkKeepalived },
  { what: "another router id on one LB", file: "bundle/lb2/root/etc/keepalived/keepalived.conf", from: /virtual_router_id \d+/, to: "virtual_router_id 99", check: checkKeepalived },
  { what: "one salt differs", file: "bundle/blog2/root/etc/wordpress/config-example.org.php", from: /'FAKEsaltNONCESALT/, to: "'FAKEsaltNONCESALX", check: checkWordPress },
  { what: "HyperDB reads a stranger", file: "bundle/blog1/root/etc/wordpress/db-config.php", from: /10\.10\.0\.32:3306/, to: "10.10.0.33:3306", check: checkWordPress },
  { what: "two equal server ids", file: "bundle/db2/root/etc/mysql/mariadb.conf.d/60-hacompile.cnf", from: /server_id = 32/, to: "server_id = 31", check: checkDatabases },
  { what: "the replica follows a stranger", file: "bundle/db2/root/etc/hacompile/db/replica.sql", from: /MASTER_HOST = '[\d.]+'/, to: "MASTER_HOST = '10.10.0.33'", check: checkDatabases },
  { what: "an app grant from a stranger", file: "bundle/db1/root/etc/hacompile/db/primary.sql", from: /'wordpress'@'10\.10\.0\.24'/g, to: "'wordpress'@'10.10.0.25'", check: checkPrimaryGrants },
  { what: "the replication password differs", file: "bundle/db2/root/etc/hacompile/db/replica.sql", from: /FAKEreplPassword/, to: "FAKEreplPasswordX", check: checkPrimaryGrants },
  { what: "bricks out of order", file: "bundle/fs1/root/usr/local/sbin/hacompile-gluster-bootstrap", from: /10\.10\.0\.41:(\S+) 10\.10\.0\.42:/, to: "10.10.0.42:$1 10.10.0.41:", check: checkGluster },
  { what: "a brick server missing from a mount", file: "bundle/blog1/root/etc/systemd/system/var-lib-wordpress-wp\\x2dcontent-uploads.mount", from: /:10\.10\.0\.43/, to: "", check: checkGluster },
  { what: "an upstream on the wrong port", file: "bundle/lb1/root/etc/nginx/hacompile/lb.conf", from: /10\.10\.0\.21:80/, to: "10.10.0.21:8080", check: checkLoadBalancers },
  { what: "a prefix that captures /blogger", file: "bundle/lb1/root/etc/nginx/hacompile/lb.conf", from: /location \^~ \/blog\//, to: "location /blog", check: checkLoadBalancers },
  { what: "a body size PHP does not share", file: "bundle/blog1/root/etc/php/8.2/fpm/pool.d/hacompile-blog.conf", from: /post_max_size\] = 64M/, to: "post_max_size] = 8M", check: checkLoadBalancers },
  { what: "real_ip trusting one LB less", file: "bundle/web2/root/etc/nginx/hacompile/web-web.conf", from: /\s+set_real_ip_from 10\.10\.0\.12;/, to: "", check: checkWebTrust },
  { what: "a firewall without one app host", file: "bundle/db1/root/etc/hacompile/firewall.nft", from: /,\n\t\t\t10\.10\.0\.24 comment "blog2"/, to: "", check: checkFirewalls },
  { what: "a firewall with an extra source", file: "bundle/web1/root/etc/hacompile/firewall.nft", from: /10\.10\.0\.12 comment "lb2"/, to: '10.10.0.12 comment "lb2",\n\t\t\t10.10.0.99 comment "x"', check: checkFirewalls },
];

for (const m of MUTATIONS) {
  test(`wordpress-ha with ${m.what} (${m.file.split("/").slice(1, 2)}) fails its check`, () => {
    const b = built("wordpress-ha");
    const content = b.files.get(m.file);
    assert.ok(content !== undefined && m.from.test(content), `${m.file} has ${m.from}`);
    m.from.lastIndex = 0;
    const files = new Map(b.files);
    files.set(m.file, content.replace(m.from, m.to));
    m.check(b);
    // Not assert.throws: uvu re-throws the check's own assertion errors from it.
    let failed = false;
    try {
      m.check({ ...b, files });
    } catch {
      failed = true;
    }
    assert.ok(failed, `the check accepts ${m.what}`);
  });
}

// ------------------------------------------------ one address changes ----

/**
 * What a host's address reaches, on the hosts' disks (the bundle's root
 * trees), for examples/wordpress-ha. Written out by hand from what each file
 * holds, not computed from the output:
 * - db2 (replica): its own option file (bind_address; server_id comes from the
 *   address); the primary's grants (repl@db2) and firewall (db2 -> 3306);
 *   HyperDB's server list on the WordPress hosts. Not db2's replica.sql (it
 *   names the primary) nor its firewall (its sources are the blog hosts).
 * - lb2: its own keepalived.conf (unicast_src_ip); lb1's keepalived.conf
 *   (unicast_peer) and firewall (VRRP from lb2); every web host's real_ip
 *   trust and firewall (upstream from lb2); the WordPress configs (HTTPS
 *   detection trusts the LBs). Not lb.conf: nginx listens on the VIP.
 * - fs3 (arbiter brick): the bootstrap on fs1 (bricks, peers); the firewalls
 *   of the other brick servers; the clients' mount units
 *   (backup-volfile-servers). Nothing of fs3's own: no file of it names itself.
 * - web1: its own nginx (listen address); both LBs' upstreams. Not the web
 *   firewall (its sources are the LBs) nor the LB firewalls (clients -> VIP).
 */
const DEPENDENTS: Record<string, { from: string; to: string; files: Record<string, string[]> }> = {
  db2: {
    from: "10.10.0.32",
    to: "10.10.0.52",
    files: {
      db2: ["/etc/mysql/mariadb.conf.d/60-hacompile.cnf"],
      db1: ["/etc/hacompile/db/primary.sql", "/etc/hacompile/firewall.nft"],
      blog1: ["/etc/wordpress/db-config.php"],
      blog2: ["/etc/wordpress/db-config.php"],
    },
  },
  lb2: {
    from: "10.10.0.12",
    to: "10.10.0.13",
    files: {
      lb2: ["/etc/keepalived/keepalived.conf", "/etc/systemd/system/keepalived.service.d/hacompile-interface.conf"],
      lb1: ["/etc/keepalived/keepalived.conf", "/etc/hacompile/firewall.nft"],
      web1: ["/etc/nginx/hacompile/web-web.conf", "/etc/hacompile/firewall.nft"],
      web2: ["/etc/nginx/hacompile/web-web.conf", "/etc/hacompile/firewall.nft"],
      blog1: ["/etc/nginx/hacompile/web-blog.conf", "/etc/hacompile/firewall.nft", "/etc/wordpress/config-example.org.php"],
      blog2: ["/etc/nginx/hacompile/web-blog.conf", "/etc/hacompile/firewall.nft", "/etc/wordpress/config-example.org.php"],
    },
  },
  fs3: {
    from: "10.10.0.43",
    to: "10.10.0.44",
    files: {
      fs1: ["/usr/local/sbin/hacompile-gluster-bootstrap", "/etc/hacompile/firewall.nft"],
      fs2: ["/etc/hacompile/firewall.nft"],
      blog1: ["/etc/systemd/system/var-lib-wordpress-wp\\x2dcontent-uploads.mount", "/usr/local/sbin/hacompile-gluster-mount"],
      blog2: ["/etc/systemd/system/var-lib-wordpress-wp\\x2dcontent-uploads.mount", "/usr/local/sbin/hacompile-gluster-mount"],
    },
  },
  web1: {
    from: "10.10.0.21",
    to: "10.10.0.25",
    files: {
      web1: ["/etc/nginx/hacompile/web-web.conf"],
      lb1: ["/etc/nginx/hacompile/lb.conf"],
      lb2: ["/etc/nginx/hacompile/lb.conf"],
    },
  },
};

/**
 * Files the compose target writes itself that carry an address: its per-host
 * init script holds the web health URL (the host's own address). It mounts
 * through the mount helper, a host file that holds the brick servers' addresses.
 */
const COMPOSE_EXTRAS: Record<string, string[]> = {
  db2: [],
  lb2: [],
  fs3: [],
  web1: ["compose/hosts/web1/usr/local/sbin/hacompile-compose"],
};

const WORDPRESS_HA = join(ROOT, "examples/wordpress-ha/topology.yaml");

function changedPaths(a: Build, b: Build): string[] {
  const keys = new Set([...a.files.keys(), ...b.files.keys()]);
  return [...keys].filter((k) => a.files.get(k) !== b.files.get(k)).sort();
}

/** Whole-token occurrences of an address (not a prefix of a longer one). */
const mentions = (content: string, address: string): boolean =>
  new RegExp(`(^|[^\\d.])${address.replace(/\./g, "\\.")}($|[^\\d])`).test(content);

/**
 * The packaging rule, from the dependents D (host -> paths) of the moved host X:
 * - bundle: each file of D; install.sh and manifest.json (they carry each
 *   file's sha256) of every host in D; X's manifest.json (its address).
 * - compose: compose.yaml (every container's ipv4_address); the copy of each
 *   file of D the compose tree carries (hosts/ or secrets/); COMPOSE_EXTRAS.
 * - systemd: user-data of X (its header names the address) and of every host
 *   with a non-secret file in D, with user-data.gz.b64 where it exists;
 *   secrets/<path> for each secret file of D; X's SECRETS.txt (ssh root@address).
 * - graph.json.
 */
function expectedChanges(before: Build, moved: string, files: Record<string, string[]>): string[] {
  const out = new Set<string>(["graph.json", "compose/compose.yaml", ...COMPOSE_EXTRAS[moved]!]);
  const secret = (host: string, path: string): boolean => {
    const plan = before.plans.find((p) => p.host.name === host);
    const f = plan?.files.find((x) => x.path === path);
    if (!f) throw new Error(`${host} has no planned file ${path}`);
    return f.secret === true;
  };
  const userData = (host: string): void => {
    out.add(`systemd/${host}/user-data`);
    if (before.files.has(`systemd/${host}/user-data.gz.b64`)) out.add(`systemd/${host}/user-data.gz.b64`);
  };
  out.add(`bundle/${moved}/manifest.json`);
  userData(moved);
  if (before.files.has(`systemd/${moved}/SECRETS.txt`)) out.add(`systemd/${moved}/SECRETS.txt`);
  for (const [host, paths] of Object.entries(files)) {
    out.add(`bundle/${host}/install.sh`);
    out.add(`bundle/${host}/manifest.json`);
    for (const p of paths) {
      out.add(`bundle/${host}/root${p}`);
      for (const c of [`compose/hosts/${host}${p}`, `compose/secrets/${host}${p}`]) if (before.files.has(c)) out.add(c);
      if (secret(host, p)) out.add(`systemd/${host}/secrets${p}`);
      else userData(host);
    }
  }
  return [...out].sort();
}

for (const [host, d] of Object.entries(DEPENDENTS)) {
  test(`wordpress-ha: moving ${host} from ${d.from} to ${d.to} changes exactly the files that depend on its address`, () => {
    const text = readFileSync(WORDPRESS_HA, "utf8");
    const line = `${host}: { address: ${d.from} }`;
    assert.ok(text.includes(line), `the example still has '${line}'`);
    const before = built("wordpress-ha");
    const after = buildText(text.replace(line, `${host}: { address: ${d.to} }`), "moved.yaml");

    // On the hosts: exactly the dependents, each now naming the new address.
    const rootChanged = changedPaths(before, after).filter((p) => /^bundle\/[^/]+\/root\//.test(p));
    const rootWanted = Object.entries(d.files)
      .flatMap(([h, ps]) => ps.map((p) => `bundle/${h}/root${p}`))
      .sort();
    assert.equal(rootChanged, rootWanted, "changed host files");
    for (const p of rootWanted) assert.ok(mentions(after.files.get(p)!, d.to), `${p} names ${d.to}`);

    // Every target: the packaging rule above, and no stale address anywhere.
    assert.equal(changedPaths(before, after), expectedChanges(before, host, d.files), "changed output files");
    for (const [p, content] of after.files) assert.not.ok(mentions(content, d.from), `${p} still names ${d.from}`);

    // And the moved build is as consistent as the original.
    for (const [, check] of checks) check(after);
  });
}

test.run();
