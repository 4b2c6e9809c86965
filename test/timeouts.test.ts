// Issue 14 item 16: one chain of timeouts, read back from the files that set
// them on every example, and the database connect timeout proven with the
// real PHP: mysqli against a primary whose packets are dropped (an nftables
// drop in a private network namespace) gives up after the pool's
// default_socket_timeout, not PHP's 60 s.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildPath, rootFile, rootFilesUnder, type Build } from "./consistency/build.js";
import { caseDirs, ROOT } from "./helpers.js";

/** Seconds of an nginx or php-fpm duration like "60s" (or a bare number). */
function seconds(v: string | undefined, what: string): number {
  const m = /^(\d+)s?$/.exec(v ?? "");
  if (!m) throw new Error(`${what}: not a duration in seconds: ${String(v)}`);
  return Number(m[1]);
}

function directive(text: string, name: string): string[] {
  return [...text.matchAll(new RegExp(`^\\s*${name}\\s+([^;]+);`, "gm"))].map((m) => m[1]!.trim());
}

function iniValues(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^${key.replace(/[[\]]/g, "\\$&")}\\s*=\\s*(\\S+)$`, "gm"))].map((m) => m[1]!);
}

interface Chain {
  readonly host: string;
  readonly fastcgiRead: number;
  readonly terminate: number;
  readonly socketTimeout: number;
}

function wordpressChains(b: Build): Chain[] {
  const out: Chain[] = [];
  for (const p of b.graph.pools.filter((x) => x.app === "wordpress")) {
    for (const m of p.members) {
      const web = rootFile(b, m.host, `/etc/nginx/hacompile/web-${p.name}.conf`);
      const pools = rootFilesUnder(b, m.host, "/etc/php/8.2/fpm/pool.d/").filter((f) => f.endsWith(`hacompile-${p.name}.conf`));
      assert.equal(pools.length, 1, `${m.host}: one php-fpm pool file for ${p.name}`);
      const fpm = rootFile(b, m.host, pools[0]!);
      const reads = directive(web, "fastcgi_read_timeout");
      assert.equal(reads.length, 1, `${m.host}: one fastcgi_read_timeout in web-${p.name}.conf`);
      out.push({
        host: m.host,
        fastcgiRead: seconds(reads[0], "fastcgi_read_timeout"),
        terminate: seconds(iniValues(fpm, "request_terminate_timeout")[0], "request_terminate_timeout"),
        socketTimeout: seconds(iniValues(fpm, "php_admin_value[default_socket_timeout]")[0], "default_socket_timeout"),
      });
    }
  }
  return out;
}

const examples = caseDirs(join(ROOT, "examples")).map((e) => ({ e, b: buildPath(join(ROOT, "examples", e, "topology.yaml")) }));

for (const { e, b } of examples) {
  if (!b.graph.pools.some((p) => p.app === "wordpress")) continue;
  test(`${e}: database connect < nginx's wait for PHP < php-fpm's kill < the LBs' wait; a 504 is not a failed member`, () => {
    const chains = wordpressChains(b);
    const lbs = b.graph.loadBalancer.hosts.map((h) => rootFile(b, h, "/etc/nginx/hacompile/lb.conf"));
    for (const lb of lbs) {
      const reads = directive(lb, "proxy_read_timeout").map((v) => seconds(v, "proxy_read_timeout"));
      assert.ok(reads.length > 0, "the LB sets proxy_read_timeout");
      for (const c of chains) {
        assert.ok(c.socketTimeout <= 5, `${c.host}: database connect timeout ${c.socketTimeout} s (PHP's default is 60)`);
        assert.ok(c.socketTimeout < c.fastcgiRead, `${c.host}: connect timeout below the page limit`);
        assert.ok(c.fastcgiRead < c.terminate, `${c.host}: nginx answers 504 (${c.fastcgiRead} s) before php-fpm kills the worker (${c.terminate} s)`);
        for (const r of reads) assert.ok(c.terminate < r, `${c.host}: the LB waits ${r} s, longer than PHP may run (${c.terminate} s)`);
      }
      for (const n of directive(lb, "proxy_next_upstream")) {
        assert.not.ok(n.split(/\s+/).includes("http_504"), `proxy_next_upstream ${n}: a slow request's 504 must not count against the member`);
      }
    }
  });
}

test("mysqli gives up on a primary that drops packets after the pool's default_socket_timeout", () => {
  const wp = examples.find((x) => x.e === "wordpress-ha");
  assert.ok(wp, "wordpress-ha example");
  const limit = wordpressChains(wp.b)[0]!.socketTimeout;
  const php = [
    "mysqli_report(MYSQLI_REPORT_OFF);",
    "$t = microtime(true);",
    "$ok = @mysqli_connect('10.99.0.2', 'u', 'p', 'd', 3306);",
    "printf('%s %.2f', $ok ? 'connected' : 'failed', microtime(true) - $t);",
  ].join(" ");
  const script = [
    "set -eu",
    "ip link set lo up",
    "ip addr add 10.99.0.1/24 dev lo",
    "nft add table ip hacompile_test",
    "nft add chain ip hacompile_test out '{ type filter hook output priority 0; }'",
    "nft add rule ip hacompile_test out ip daddr 10.99.0.2 drop",
    `php -d default_socket_timeout=${limit} -r "$PHP_CODE"`,
  ].join("\n");
  const r = spawnSync("unshare", ["--net", "bash", "-c", script], { encoding: "utf8", timeout: 90_000, env: { ...process.env, PHP_CODE: php } });
  assert.equal(r.status, 0, r.stderr);
  const [what, elapsed] = r.stdout.trim().split(" ");
  assert.is(what, "failed");
  assert.ok(Number(elapsed) >= limit - 0.5 && Number(elapsed) < limit + 2, `gave up after ${elapsed} s, expected about ${limit} s`);
});

test.run();
