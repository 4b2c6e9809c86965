// Issue 14 item 12: the generated install step installs the WordPress site
// with the topology's title and the admin secret, and is idempotent. Run for
// real: Debian's wordpress package (this machine's), a throwaway MariaDB in a
// private network and mount namespace at the primary's address, wordpress-ha's
// site config and install program of blog1 (the pool's first host).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildPath, hasRootFile, rootFile } from "./consistency/build.js";
import { ROOT } from "./helpers.js";

const b = buildPath(join(ROOT, "examples/wordpress-ha/topology.yaml"));
const PROGRAM = "/usr/local/lib/hacompile/wp-install.php";
const WRAPPER = "/usr/local/sbin/hacompile-wp-install";
const SITE_CONFIG = "/etc/wordpress/config-example.org.php";

function define(php: string, name: string): string {
  const m = new RegExp(`define\\('${name}', '([^']*)'\\);`).exec(php);
  if (!m?.[1] && m?.[1] !== "") throw new Error(`no ${name} in the site config`);
  return m[1];
}

test("only the pool's first host installs the site", () => {
  assert.ok(hasRootFile(b, "blog1", WRAPPER));
  assert.not.ok(hasRootFile(b, "blog2", WRAPPER));
  assert.ok(hasRootFile(b, "blog1", "/etc/systemd/system/hacompile-wp-install.service"));
});

const ready = spawnSync("sh", ["-c", "test -f /usr/share/wordpress/wp-load.php && command -v mariadbd && command -v php"]).status === 0;

test("the install step installs the site with the admin secret, says so, and leaves it alone the second time; a database that is down is 'try again'", () => {
  if (!ready) {
    assert.ok(process.env["CI"] !== "true", "CI must have wordpress, mariadb-server and php-cli");
    console.log("  skipped: needs Debian's wordpress, mariadbd and php here");
    return;
  }
  const site = rootFile(b, "blog1", SITE_CONFIG);
  const dir = mkdtempSync(join(tmpdir(), "hacompile-wp-install-"));
  mkdirSync(join(dir, "cred"));
  writeFileSync(join(dir, "cred/admin-password"), `${b.secrets.wordpressAdmin}\n`, { mode: 0o600 });
  // The unit's SetCredential= fallback, as systemd hands it over when the file is missing.
  const unit = rootFile(b, "blog1", "/etc/systemd/system/hacompile-wp-install.service");
  const fallback = /^SetCredential=admin-password:(.+)$/m.exec(unit)?.[1];
  assert.ok(fallback !== undefined, `the unit has a SetCredential= fallback: ${unit}`);
  mkdirSync(join(dir, "marker"));
  writeFileSync(join(dir, "marker/admin-password"), fallback, { mode: 0o600 });
  writeFileSync(join(dir, "site.php"), site);
  writeFileSync(join(dir, "wp-install.php"), rootFile(b, "blog1", PROGRAM));
  const wrapper = rootFile(b, "blog1", WRAPPER);
  assert.ok(wrapper.includes(PROGRAM), "the wrapper runs the program");
  writeFileSync(join(dir, "wrapper"), wrapper.replace(PROGRAM, join(dir, "wp-install.php")), { mode: 0o755 });
  const [host, port] = define(site, "DB_HOST").split(":");
  const sql = [
    `CREATE DATABASE ${define(site, "DB_NAME")}`,
    `CREATE USER '${define(site, "DB_USER")}'@'%' IDENTIFIED BY '${define(site, "DB_PASSWORD")}'`,
    `GRANT ALL ON ${define(site, "DB_NAME")}.* TO '${define(site, "DB_USER")}'@'%'`,
  ].join("; ");
  const check = [
    "require '/usr/share/wordpress/wp-includes/class-phpass.php';",
    "$h = new PasswordHash(8, true);",
    "echo $h->CheckPassword(trim(file_get_contents(getenv('PW_FILE'))), trim(getenv('HASH'))) ? 'password-ok' : 'password-wrong';",
  ].join(" ");
  const db = `mariadb -S ${dir}/sock -N -B ${define(site, "DB_NAME")}`;
  const script = [
    "set -u",
    "ip link set lo up",
    `ip addr add ${host}/32 dev lo`,
    "mount -t tmpfs tmpfs /etc/wordpress",
    `cp ${dir}/site.php ${SITE_CONFIG}`,
    `CREDENTIALS_DIRECTORY=${dir}/cred php -f ${dir}/wp-install.php >/dev/null 2>${dir}/down.err; echo "down=$?"`,
    // The unit's fallback credential (the password file not copied yet) is refused, never used.
    `CREDENTIALS_DIRECTORY=${dir}/marker php -f ${dir}/wp-install.php >/dev/null 2>${dir}/marker.err; echo "marker=$?"`,
    `echo "marker-says=$(tail -n 1 ${dir}/marker.err)"`,
    `mariadb-install-db --user=root --datadir=${dir}/db --skip-test-db >${dir}/install-db.log 2>&1 || { echo install-db-failed; exit 1; }`,
    `mariadbd --no-defaults --user=root --datadir=${dir}/db --socket=${dir}/sock --pid-file=${dir}/pid --bind-address=${host} --port=${port} --log-error=${dir}/err &`,
    `for i in $(seq 100); do mariadb -S ${dir}/sock -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done`,
    `mariadb -S ${dir}/sock -e "${sql}"`,
    `CREDENTIALS_DIRECTORY=${dir}/cred ${dir}/wrapper 2>${dir}/first.err; echo "first=$?"`,
    `CREDENTIALS_DIRECTORY=${dir}/cred ${dir}/wrapper 2>${dir}/second.err; echo "second=$?"`,
    `HASH=$(${db} -e "SELECT user_pass FROM wp_users WHERE user_login = 'admin'") PW_FILE=${dir}/cred/admin-password php -r "$CHECK" | sed 's/^/before-rotation-/'; echo`,
    // build --rotate-secrets, the new secret copied, the step run again (SECRETS.txt restarts it).
    `cp ${dir}/cred/admin-password ${dir}/old-password`,
    `printf '%s\\n' "$ROTATED" > ${dir}/cred/admin-password`,
    `CREDENTIALS_DIRECTORY=${dir}/cred ${dir}/wrapper 2>${dir}/third.err; echo "third=$?"`,
    `CREDENTIALS_DIRECTORY=${dir}/cred ${dir}/wrapper 2>${dir}/fourth.err; echo "fourth=$?"`,
    `HASH=$(${db} -e "SELECT user_pass FROM wp_users WHERE user_login = 'admin'") PW_FILE=${dir}/old-password php -r "$CHECK" | sed 's/^/old-after-rotation-/'; echo`,
    `echo "third-says=$(tail -n 1 ${dir}/third.err)"`,
    `echo "fourth-says=$(tail -n 1 ${dir}/fourth.err)"`,
    `echo "users=$(${db} -e 'SELECT COUNT(*) FROM wp_users')"`,
    `echo "blogname=$(${db} -e "SELECT option_value FROM wp_options WHERE option_name = 'blogname'")"`,
    `echo "email=$(${db} -e "SELECT user_email FROM wp_users WHERE user_login = 'admin'")"`,
    `HASH=$(${db} -e "SELECT user_pass FROM wp_users WHERE user_login = 'admin'") PW_FILE=${dir}/cred/admin-password php -r "$CHECK"; echo`,
    `echo "first-says=$(tail -n 1 ${dir}/first.err)"`,
    `echo "second-says=$(tail -n 1 ${dir}/second.err)"`,
    `kill "$(cat ${dir}/pid)"; wait`,
  ].join("\n");
  const r = spawnSync("unshare", ["--net", "--mount", "--propagation", "private", "bash", "-c", script], {
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, CHECK: check, ROTATED: "rotated-Admin-secret-0123456789abcdef" },
  });
  const out = new Map(r.stdout.trim().split("\n").map((l) => [l.split("=")[0] ?? "", l.slice(l.indexOf("=") + 1)] as [string, string]));
  const said = `${r.stdout}\n${r.stderr}`;
  assert.is(out.get("down"), "75", `program with the database down: ${said}`);
  assert.is(out.get("marker"), "1", `program with the fallback credential: ${said}`);
  assert.match(out.get("marker-says") ?? "", "cannot read the admin password");
  assert.is(out.get("first"), "0", said);
  assert.is(out.get("second"), "0", said);
  assert.is(out.get("users"), "1", said);
  assert.is(out.get("blogname"), b.graph.site.title);
  assert.is(out.get("email"), b.graph.site.adminEmail);
  assert.ok(r.stdout.includes("before-rotation-password-ok"), `the admin's password is the wordpressAdmin secret: ${said}`);
  assert.match(out.get("first-says") ?? "", "installed the site");
  assert.match(out.get("second-says") ?? "", "already installed and the admin password secret applied; nothing to do");
  // A rotated admin secret is applied once: the new password logs in, the old one no longer does.
  assert.is(out.get("third"), "0", said);
  assert.match(out.get("third-says") ?? "", "the admin password secret changed: set the new password of user admin");
  assert.ok(/^password-ok$/m.test(r.stdout), `after the rotation the admin's password is the new secret: ${said}`);
  assert.ok(r.stdout.includes("old-after-rotation-password-wrong"), `the old password no longer logs in: ${said}`);
  assert.is(out.get("fourth"), "0", said);
  assert.match(out.get("fourth-says") ?? "", "nothing to do");
});

test.run();
