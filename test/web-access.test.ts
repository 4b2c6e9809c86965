// Issue 14 items 3, 4, 12 and 15, proven with the real nginx: the generated
// web configs of wordpress-ha run in a private network and mount namespace
// (unshare --net --mount), with the topology's addresses on its loopback, and
// curl asks from a load balancer, the admin network and the internet.
// - X-Served-By and /hacompile-health only for the LBs and the admin network
//   (judged by the client's address after real_ip, which a client cannot forge);
// - wp-admin/install.php refused from anywhere but the admin network;
// - a WordPress host without its uploads volume (no marker visible) answers
//   503 to everything, health included, so the LBs use another member.
// No php-fpm runs: a request nginx lets through to PHP gets 502, one it
// refuses gets its own status, which is what these tests tell apart.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildPath, rootFile } from "./consistency/build.js";
import { ROOT } from "./helpers.js";

const b = buildPath(join(ROOT, "examples/wordpress-ha/topology.yaml"));
const UPLOADS = "/var/lib/wordpress/wp-content/uploads";
const LB = "10.10.0.11";
const ADMIN = "10.10.0.5";
const OUTSIDER = "10.10.0.200";
const BLOG1 = "10.10.0.23";
const WEB1 = "10.10.0.21";

interface Answer {
  readonly status: number;
  readonly servedBy: string;
}

/** name -> answer, from lines "name status served-by". */
type Answers = ReadonlyMap<string, Answer>;

interface Probe {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly path: string;
  readonly xff?: string;
}

/**
 * Runs nginx with the given pool configs and asks `before` (no marker on the
 * uploads volume) and then `after` (marker written).
 */
function runNginx(confs: readonly string[], before: readonly Probe[], after: readonly Probe[]): Answers {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-web-access-"));
  mkdirSync(join(dir, "logs"));
  const includes = confs.map((c, i) => {
    writeFileSync(join(dir, `pool${i}.conf`), c);
    return `    include ${join(dir, `pool${i}.conf`)};`;
  });
  writeFileSync(
    join(dir, "nginx.conf"),
    [
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/logs/error.log;`,
      "events { worker_connections 64; }",
      "http {",
      `    access_log off;`,
      `    client_body_temp_path ${dir}/body; fastcgi_temp_path ${dir}/fastcgi; proxy_temp_path ${dir}/proxy;`,
      `    uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
      ...includes,
      "}",
      "",
    ].join("\n"),
  );
  const ask = (p: Probe): string =>
    `printf '%s %s\\n' ${p.name} "$(curl -s -o /dev/null -D - --interface ${p.from} -H 'Host: example.org' ${p.xff ? `-H 'X-Forwarded-For: ${p.xff}'` : ""} http://${p.to}:80${p.path} | awk 'NR == 1 { s = $2 } tolower($1) == "x-served-by:" { h = $2 } END { sub(/\\r$/, "", h); print s, (h == "" ? "-" : h) }')"`;
  const script = [
    "set -eu",
    "ip link set lo up",
    ...[LB, ADMIN, OUTSIDER, BLOG1, WEB1].map((a) => `ip addr add ${a}/32 dev lo`),
    `mount -t tmpfs tmpfs ${UPLOADS}`,
    `nginx -q -p ${dir} -c ${dir}/nginx.conf`,
    ...before.map(ask),
    `echo marker > ${UPLOADS}/.hacompile-volume`,
    ...after.map(ask),
    `nginx -p ${dir} -c ${dir}/nginx.conf -s stop`,
  ].join("\n");
  const r = spawnSync("unshare", ["--net", "--mount", "--propagation", "private", "bash", "-c", script], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
  const out = new Map<string, Answer>();
  for (const line of r.stdout.trim().split("\n")) {
    const [name, status, servedBy] = line.split(" ");
    if (name !== undefined) out.set(name, { status: Number(status), servedBy: servedBy === "-" ? "" : (servedBy ?? "") });
  }
  return out;
}

function answer(a: Answers, name: string): Answer {
  const x = a.get(name);
  if (!x) throw new Error(`no answer for ${name}`);
  return x;
}

const blogConf = rootFile(b, "blog1", "/etc/nginx/hacompile/web-blog.conf");
const webConf = rootFile(b, "web1", "/etc/nginx/hacompile/web-web.conf");

const staticProbes: Probe[] = [
  { name: "page-lb-outsider", from: LB, to: WEB1, path: "/", xff: OUTSIDER },
  { name: "page-lb-admin", from: LB, to: WEB1, path: "/", xff: ADMIN },
  { name: "page-lb-spoofed", from: LB, to: WEB1, path: "/", xff: `${ADMIN}, ${OUTSIDER}` },
  { name: "page-outsider-forged", from: OUTSIDER, to: WEB1, path: "/", xff: ADMIN },
  { name: "page-lb-itself", from: LB, to: WEB1, path: "/" },
  { name: "health-lb-outsider", from: LB, to: WEB1, path: "/hacompile-health", xff: OUTSIDER },
  { name: "health-lb-admin", from: LB, to: WEB1, path: "/hacompile-health", xff: ADMIN },
  { name: "health-admin", from: ADMIN, to: WEB1, path: "/hacompile-health" },
];

test("static pool: X-Served-By and health only for the LBs and the admin network, whatever X-Forwarded-For says", () => {
  const a = runNginx([webConf], staticProbes, []);
  // (No /var/www/web here: the page is a 404, which carries X-Served-By like any answer.)
  assert.equal(answer(a, "page-lb-outsider").servedBy, "", "an internet client through the LB");
  assert.equal(answer(a, "page-lb-admin").servedBy, "web1", "an admin client through the LB");
  assert.equal(answer(a, "page-lb-spoofed").servedBy, "", "a client that put an admin address in X-Forwarded-For");
  assert.equal(answer(a, "page-outsider-forged").servedBy, "", "a direct X-Forwarded-For from a stranger");
  assert.equal(answer(a, "page-lb-itself").servedBy, "web1", "the LB's own request");
  assert.equal(answer(a, "health-lb-outsider").status, 404);
  assert.equal(answer(a, "health-lb-admin"), { status: 200, servedBy: "web1" });
  assert.equal(answer(a, "health-admin").status, 200);
});

const wordpressBefore: Probe[] = [
  { name: "nomount-page", from: LB, to: BLOG1, path: "/blog/", xff: ADMIN },
  { name: "nomount-health", from: LB, to: BLOG1, path: "/hacompile-health" },
];
const wordpressAfter: Probe[] = [
  { name: "page-lb-outsider", from: LB, to: BLOG1, path: "/blog/", xff: OUTSIDER },
  { name: "page-lb-admin", from: LB, to: BLOG1, path: "/blog/", xff: ADMIN },
  { name: "health-lb-outsider", from: LB, to: BLOG1, path: "/hacompile-health", xff: OUTSIDER },
  { name: "health-lb", from: LB, to: BLOG1, path: "/hacompile-health" },
  { name: "install-lb-outsider", from: LB, to: BLOG1, path: "/blog/wp-admin/install.php", xff: OUTSIDER },
  { name: "install-outsider-forged", from: OUTSIDER, to: BLOG1, path: "/blog/wp-admin/install.php", xff: ADMIN },
  { name: "install-lb-admin", from: LB, to: BLOG1, path: "/blog/wp-admin/install.php", xff: ADMIN },
  { name: "install-slashes", from: LB, to: BLOG1, path: "/blog//wp-admin///install.php", xff: OUTSIDER },
  { name: "install-step2", from: LB, to: BLOG1, path: "/blog/wp-admin/install.php?step=2", xff: OUTSIDER },
];

const wp = runNginx([blogConf], wordpressBefore, wordpressAfter);

test("WordPress host without its uploads volume: 503 for pages and for the health endpoint", () => {
  assert.equal(answer(wp, "nomount-page").status, 503);
  assert.equal(answer(wp, "nomount-health").status, 503);
});

test("WordPress host with its volume: pages go to PHP (502 without php-fpm here); X-Served-By and health for insiders only", () => {
  assert.equal(answer(wp, "page-lb-outsider"), { status: 502, servedBy: "" });
  assert.equal(answer(wp, "page-lb-admin"), { status: 502, servedBy: "blog1" });
  assert.equal(answer(wp, "health-lb-outsider").status, 404);
  assert.equal(answer(wp, "health-lb").status, 502, "the LB's own health request reaches php-fpm's ping");
});

// (wordpress-ha's load balancers are inside its admin network, so their own requests count as the admin's.)
test("install.php: refused (403) from the internet and with a forged header; the admin network reaches PHP", () => {
  for (const n of ["install-lb-outsider", "install-outsider-forged", "install-slashes", "install-step2"]) {
    assert.equal(answer(wp, n).status, 403, n);
  }
  assert.equal(answer(wp, "install-lb-admin").status, 502);
});

test.run();
