// The WordPress site is installed at first boot, on one host per pool (the
// one that runs its cron), with the admin password from the secrets: until
// then whoever reached wp-admin/install.php first would have created the
// admin account (web-nginx.ts also keeps the installer to the admin network).
// A small PHP program calls WordPress's own wp_install() (WP-CLI is not in
// Debian bookworm); a shell wrapper retries it while the database is not
// reachable yet, bounded. Installing is idempotent: an installed site is
// left as it is, but for a rotated admin secret, which it applies once.
import { generatedByFor } from "../common/header.js";
import type { Graph, Host, Pool } from "../../graph/model.js";
import { templateRenderer } from "../common/ejs.js";
import { WEB_USER } from "../php-fpm/php-fpm.js";
import { php, sh } from "../common/quote.js";
import { DB_CONNECT_TIMEOUT_SECONDS } from "../common/timeouts.js";
import { unitFile } from "../common/systemd-unit.js";
import { file, type Contribution, type HostFile, type RenderContext, type Renderer, type ServiceSpec } from "../types.js";
import { WP_CODE_DIR, wordpressPoolOf } from "./wordpress.js";

/** This service's templates, beside its renderers. */
const renderTemplate = templateRenderer("src/render/wordpress");

export const WP_INSTALL_SCRIPT = "/usr/local/sbin/hacompile-wp-install";
export const WP_INSTALL_PHP = "/usr/local/lib/hacompile/wp-install.php";
const WP_INSTALL_UNIT = "hacompile-wp-install.service";
/** The admin password, root-only; the unit hands it to the program as a credential. */
export const WP_ADMIN_PASSWORD_FILE = "/etc/hacompile/wordpress-admin-password";
const CREDENTIAL = "admin-password";
/** The credential's value when the password file is missing: never a password. */
const MISSING_MARKER = "hacompile-secret-not-copied";
/** The WordPress admin's login name; the password is the topology's wordpressAdmin secret. */
export const WP_ADMIN_USER = "admin";
/** The WordPress option holding the sha256 of the admin secret last applied (a rotation applies once). */
const ADMIN_DIGEST_OPTION = "hacompile_admin_password_sha256";
/** The database may come up long after this host: 120 tries 5 s apart (10 min). */
const RETRY = { tries: 120, delaySeconds: 5 } as const;
/** Exit status of the PHP program while the database does not answer (EX_TEMPFAIL): try again. */
const TEMPFAIL = 75;

/** The host that installs a pool's site: its first member, the one that runs wp-cron. */
export function installsSite(pool: Pool, host: Host): boolean {
  return pool.members[0]?.host === host.name;
}

function installPhp(graph: Graph, host: Host, pool: Pool): HostFile {
  const content = renderTemplate("wordpress-install.php.ejs", {
    header: generatedByFor(graph, `installs the WordPress site of pool ${pool.name} on ${host.name}`),
    domain: php(graph.site.domain),
    codeDir: php(`${WP_CODE_DIR}/`),
    // The title is free text: it reaches PHP as base64, so that no character of it is PHP syntax.
    titleBase64: php(Buffer.from(graph.site.title, "utf8").toString("base64")),
    adminUser: php(WP_ADMIN_USER),
    adminEmail: php(graph.site.adminEmail),
    passwordFile: php(WP_ADMIN_PASSWORD_FILE),
    credential: php(CREDENTIAL),
    missingMarker: php(MISSING_MARKER),
    digestOption: php(ADMIN_DIGEST_OPTION),
    tempfail: TEMPFAIL,
  });
  return file(WP_INSTALL_PHP, content, "php", "wp-install");
}

function installScript(graph: Graph): HostFile {
  const content = renderTemplate("wordpress-install.sh.ejs", {
    header: generatedByFor(graph, "installs the WordPress site at first boot"),
    program: sh(WP_INSTALL_PHP),
    tries: RETRY.tries,
    delay: RETRY.delaySeconds,
    tempfail: TEMPFAIL,
    // The php CLI does not read the pool's settings: the same short database connect timeout.
    connectTimeout: DB_CONNECT_TIMEOUT_SECONDS,
  });
  return file(WP_INSTALL_SCRIPT, content, "shell", "wp-install", { mode: 0o755 });
}

function installUnit(graph: Graph, pool: Pool): HostFile {
  const content = unitFile(
    [
      [
        "Unit",
        [
          ["Description", `hacompile: install the WordPress site of pool ${pool.name} (once; then only a rotated admin secret is applied)`],
          ["Wants", "network-online.target"],
          ["After", "network-online.target php8.2-fpm.service"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", true],
          // As the site's own user, as WordPress's web installer runs; the
          // password reaches it as a credential, the file stays root-only.
          ["User", WEB_USER],
          ["Group", WEB_USER],
          ["LoadCredential", `${CREDENTIAL}:${WP_ADMIN_PASSWORD_FILE}`],
          // The fallback when the file is missing (secrets not copied yet):
          // without it systemd 252 fails the unit before any ExecStartPre=
          // with "Failed to set up credentials: Protocol error" (seen on
          // booted machines), so the check that names the file and its
          // SECRETS.txt step never ran. systemd refuses an empty value, so
          // the fallback is a marker the program refuses as a password.
          ["SetCredential", `${CREDENTIAL}:${MISSING_MARKER}`],
          ["ExecStart", WP_INSTALL_SCRIPT],
          // Each try: a connect timeout, WordPress loading, then the pause.
          ["TimeoutStartSec", RETRY.tries * (RETRY.delaySeconds + DB_CONNECT_TIMEOUT_SECONDS + 5) + 60],
        ],
      ],
      ["Install", [["WantedBy", "multi-user.target"]]],
    ],
    generatedByFor(graph, `WordPress install step, pool ${pool.name}`),
  );
  return file(`/etc/systemd/system/${WP_INSTALL_UNIT}`, content, "systemd", "wp-install");
}

function installService(): ServiceSpec {
  return { name: "wp-install", unit: WP_INSTALL_UNIT, packaged: false, kind: "oneshot", command: [WP_INSTALL_SCRIPT], after: ["php-fpm"] };
}

function render(ctx: RenderContext, host: Host): Contribution {
  const pool = wordpressPoolOf(ctx.graph, host);
  if (!pool || !installsSite(pool, host)) return {};
  const password = file(WP_ADMIN_PASSWORD_FILE, `${ctx.secrets.wordpressAdmin}\n`, "text", "wp-install", { mode: 0o600, secret: true });
  return {
    files: [installPhp(ctx.graph, host, pool), installScript(ctx.graph), installUnit(ctx.graph, pool), password],
    services: [installService()],
  };
}

export const wordpressInstall: Renderer = { name: "wordpress-install", render };
