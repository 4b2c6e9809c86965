// Issue 14 item 6: Debian's wordpress depends on `apache2 | httpd` and
// `libapache2-mod-php | php`. Every target's package list for a WordPress
// host is handed to apt's resolver as it is (a simulated install on an empty
// system, against this machine's apt lists): no web server but nginx and no
// mod_php may come in with it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import { buildPath, type Build } from "./consistency/build.js";
import { caseDirs, ROOT } from "./helpers.js";

const CI = process.env["CI"] === "true";

/** Hosts of WordPress pools in a build. */
function wordpressHosts(b: Build): string[] {
  return b.graph.pools.filter((p) => p.app === "wordpress").flatMap((p) => p.members.map((m) => m.host));
}

function outFile(b: Build, path: string): string {
  const c = b.files.get(path);
  if (c === undefined) throw new Error(`${path} is not in the output`);
  return c;
}

/** What each target installs on `host`, read back from its own output. */
function targetPackages(b: Build, host: string): Record<string, string[]> {
  const userData = parse(outFile(b, `systemd/${host}/user-data`)) as { packages?: string[] };
  const manifest = JSON.parse(outFile(b, `bundle/${host}/manifest.json`)) as { packages: string[] };
  const about = new RegExp(`^# Image "[^"]+" for (?:.*, )?${host}(?:,|\\.)`, "m");
  const dockerfile = [...b.files.entries()].find(([p, c]) => /^compose\/images\/[^/]+\/Dockerfile$/.test(p) && about.test(c));
  if (!dockerfile) throw new Error(`no compose Dockerfile names ${host}`);
  const install = /apt-get install -y --no-install-recommends \\\n((?:\s+[a-z0-9.+-]+ \\\n)+)/.exec(dockerfile[1]);
  if (!install?.[1]) throw new Error(`${dockerfile[0]}: no apt-get install`);
  return {
    systemd: userData.packages ?? [],
    bundle: manifest.packages,
    compose: install[1].split("\\").map((s) => s.trim()).filter((s) => s !== ""),
  };
}

const aptReady = spawnSync("apt-cache", ["show", "wordpress"], { encoding: "utf8" }).status === 0;
const emptyStatus = join(mkdtempSync(join(tmpdir(), "hacompile-apt-")), "status");
writeFileSync(emptyStatus, "");

/** Packages apt would install for `packages` on a system with nothing installed. */
function simulate(packages: readonly string[]): string[] {
  const r = spawnSync("apt-get", ["install", "-s", "-q", "--no-install-recommends", "-o", `Dir::State::status=${emptyStatus}`, ...packages], { encoding: "utf8" });
  assert.equal(r.status, 0, `apt-get -s ${packages.join(" ")}: ${r.stderr}`);
  return [...r.stdout.matchAll(/^Inst (\S+)/gm)].map((m) => m[1] as string);
}

/** Every package that Provides httpd, and apache's module packages: other web servers. */
function foreignWebServers(): (p: string) => boolean {
  const r = spawnSync("apt-cache", ["showpkg", "httpd"], { encoding: "utf8" });
  const providers = new Set([...(r.stdout.split("Reverse Provides:")[1] ?? "").matchAll(/^(\S+) /gm)].map((m) => m[1] as string));
  return (p) => (providers.has(p) && !p.startsWith("nginx")) || /^(apache2(-bin)?|libapache2-mod-.*)$/.test(p);
}

const examples = caseDirs(join(ROOT, "examples"))
  .map((e) => ({ e, b: buildPath(join(ROOT, "examples", e, "topology.yaml")) }))
  .filter(({ b }) => wordpressHosts(b).length > 0);

test("examples with WordPress hosts exist", () => {
  assert.ok(examples.length >= 2, `only ${examples.length}`);
});

for (const { e, b } of examples) {
  test(`${e}: no other web server than nginx comes with WordPress, in any target`, () => {
    if (!aptReady) {
      assert.ok(!CI, "CI must have apt lists (apt-get update) for this test");
      console.log(`  skipped ${e}: apt-cache knows no wordpress package here (run apt-get update)`);
      return;
    }
    const foreign = foreignWebServers();
    const seen = new Map<string, string[]>();
    for (const host of wordpressHosts(b)) {
      for (const [target, packages] of Object.entries(targetPackages(b, host))) {
        assert.ok(packages.includes("wordpress"), `${target} ${host} does not install wordpress`);
        const key = [...packages].sort().join(" ");
        const installed = seen.get(key) ?? simulate(packages);
        seen.set(key, installed);
        assert.equal(installed.filter(foreign), [], `${target} ${host}: apt would install ${installed.filter(foreign).join(", ")}`);
        assert.ok(installed.includes("nginx"), `${target} ${host}: apt would not install nginx`);
      }
    }
  });
}

test.run();
