// wordpress-user: what the site's admin does on day one. WordPress must have
// been installed by the generated units at first boot (this scenario never
// runs the installer); the admin logs in through the VIP with the generated
// password, creates a post and uploads a media file through the REST API,
// so php-fpm's own user writes it to the Gluster volume; the file must be on
// every WordPress host's mount and served by every member through the VIP.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sh as quote } from "../../render/common/quote.js";
import { run } from "../exec.js";
import type { HostLab } from "../host.js";
import { hostOf } from "../host.js";
import { clientHttp, membersOf, routeUrl } from "../http.js";
import type { Figures, Outcome } from "../scenario.js";
import { WP_ADMIN_USER } from "../../render/wordpress/wordpress-install.js";
import type { MachineScenario } from "./scenario-type.js";

/** A 1x1 PNG: the smallest file WordPress accepts as an image. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

interface CurlResult {
  readonly status: number;
  readonly body: string;
}

/** curl from the client namespace to the VIP with the site's Host header and a cookie jar. */
async function curl(lab: HostLab, jar: string, path: string, extra: readonly string[]): Promise<CurlResult> {
  const url = `http://${lab.graph.loadBalancer.vip}:${lab.graph.ports.http}${path}`;
  const r = await run("nsenter", [`--net=/run/netns/${lab.layout.client}`, "--", "curl", "-s", "-m", "30", "-b", jar, "-c", jar, "-H", `Host: ${lab.graph.site.domain}`, "-w", "\n%{http_code}", ...extra, url], { timeoutMs: 40_000 });
  const i = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(i + 1)) || 0, body: r.stdout.slice(0, Math.max(0, i)) };
}

/** The admin's login through the VIP with the lab's current password: "ok" or what went wrong. */
export async function wordpressLogin(lab: HostLab, pool: { readonly paths: readonly string[] }): Promise<string> {
  const base = routeUrl(pool.paths[0] ?? "/");
  const dir = mkdtempSync(join(tmpdir(), "hcm-wp-"));
  const jar = join(dir, "cookies");
  try {
    await curl(lab, jar, `${base}wp-login.php`, []);
    const login = await curl(lab, jar, `${base}wp-login.php`, ["--data-urlencode", `log=${WP_ADMIN_USER}`, "--data-urlencode", `pwd=${lab.secrets.wordpressAdmin}`, "--data-urlencode", "testcookie=1", "--data-urlencode", `redirect_to=${base}wp-admin/`]);
    return login.status === 302 ? "ok" : `status ${login.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run1(lab: HostLab): Promise<Outcome> {
  const figures: Figures = {};
  const failures: string[] = [];
  const pool = lab.graph.pools.find((p) => p.app === "wordpress");
  if (!pool) return { figures, failures: ["no WordPress pool"] };
  const base = routeUrl(pool.paths[0] ?? "/");
  const dir = mkdtempSync(join(tmpdir(), "hcm-wp-"));
  const jar = join(dir, "cookies");
  try {
    const home = await curl(lab, jar, base, []);
    figures["home status"] = home.status;
    if (home.status === 302 || /wp-admin\/install\.php/.test(home.body)) {
      return { figures, failures: [`${base} leads to WordPress's installer: the generated units did not install WordPress at first boot`] };
    }
    if (home.status !== 200) return { figures, failures: [`${base} through the VIP: status ${home.status || "none (no answer)"}`] };
    await curl(lab, jar, `${base}wp-login.php`, []);
    const login = await curl(lab, jar, `${base}wp-login.php`, ["--data-urlencode", `log=${WP_ADMIN_USER}`, "--data-urlencode", `pwd=${lab.secrets.wordpressAdmin}`, "--data-urlencode", "testcookie=1", "--data-urlencode", `redirect_to=${base}wp-admin/`]);
    figures["login status"] = login.status;
    if (login.status !== 302) return { figures, failures: [`login as ${WP_ADMIN_USER} with the generated password: status ${login.status}, not a redirect into wp-admin`] };
    const nonce = (await curl(lab, jar, `${base}wp-admin/admin-ajax.php?action=rest-nonce`, [])).body.trim();
    if (!/^[0-9a-f]{10}$/.test(nonce)) return { figures, failures: [`no REST nonce for the logged-in admin (got '${nonce.slice(0, 40)}')`] };
    const post = await curl(lab, jar, `${base}?rest_route=/wp/v2/posts`, ["-H", `X-WP-Nonce: ${nonce}`, "-H", "Content-Type: application/json", "--data", JSON.stringify({ title: "hacompile lab post", content: "written by the admin", status: "publish" })]);
    figures["post status"] = post.status;
    if (post.status !== 201) failures.push(`creating a post: status ${post.status}: ${post.body.slice(0, 200)}`);
    const png = join(dir, "hacompile-lab.png");
    writeFileSync(png, PNG);
    const media = await curl(lab, jar, `${base}?rest_route=/wp/v2/media`, ["-H", `X-WP-Nonce: ${nonce}`, "-H", "Content-Type: image/png", "-H", "Content-Disposition: attachment; filename=hacompile-lab.png", "--data-binary", `@${png}`]);
    figures["upload status"] = media.status;
    if (media.status !== 201) return { figures, failures: [...failures, `uploading a media file: status ${media.status}: ${media.body.slice(0, 300)}`] };
    const url = new URL((JSON.parse(media.body) as { source_url: string }).source_url);
    const rel = url.pathname.split("/wp-content/uploads/")[1] ?? "";
    for (const m of membersOf(pool)) {
      const host = lab.graph.hosts.find((h) => h.name === m);
      const mount = host?.roles.flatMap((r) => (r.kind === "gluster-client" ? [r.mount] : []))[0];
      if (mount === undefined) continue;
      const st = await hostOf(lab, m).sh(`stat -c '%U %s' ${quote(`${mount}/${rel}`)}`);
      figures[`${m} file`] = st.code === 0 ? st.stdout.trim() : "missing";
      if (st.code !== 0) failures.push(`${m}: the uploaded file is not on its mount ${mount}`);
    }
    const recs = await clientHttp(lab.layout, lab.graph, { requests: [{ path: url.pathname }], count: 8 * pool.members.length, rate: 20, timeoutMs: 5000 });
    const from = [...new Set(recs.filter((r) => r.status === 200).map((r) => r.servedBy))].sort();
    figures["served by"] = from.join("+");
    const silent = membersOf(pool).filter((m) => !from.includes(m));
    if (silent.length > 0) failures.push(`the uploaded file was never served by ${silent.join(", ")}`);
    return { figures, failures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const wordpressUser: MachineScenario = {
  name: "wordpress-user",
  title: "WordPress installed at first boot by the generated units; the admin logs in, posts, uploads through the REST API; the file is on every mount and served by every member",
  run: run1,
};
