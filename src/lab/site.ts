// The lab's last step of `up`: every WordPress pool gets its site installed
// through the VIP (WordPress's own installer, the admin password from the
// secrets), so that pages are the site's pages and not the installer.
import { LabError, waitFor } from "./exec.js";
import { clientHttp, membersOf, routeUrl, wordpressNeedles, type HttpRecord } from "./http.js";
import type { Lab } from "./up.js";
import { settleVip } from "./vip.js";

/** The WordPress admin's login name; the password is the topology's secret. */
export const WP_ADMIN_USER = "admin";

export async function waitForVip(lab: Lab): Promise<void> {
  const holders = await settleVip(lab.layout, lab.graph, 15_000, 500);
  if (holders.length !== 1) throw new LabError(`the VIP did not settle on one load balancer: held by ${holders.join(", ") || "none"}`);
}

export async function installSites(lab: Lab): Promise<void> {
  const { graph } = lab;
  for (const pool of graph.pools.filter((p) => p.app === "wordpress")) {
    const path = pool.paths[0];
    if (path === undefined) continue;
    const base = routeUrl(path);
    const members = membersOf(pool);
    let first: HttpRecord | undefined;
    const up = await waitFor(async () => {
      [first] = await clientHttp(lab.layout, graph, { requests: [{ path: base }], count: 1, rate: 1, timeoutMs: 5000 });
      return first !== undefined && members.includes(first.servedBy) && (first.status === 200 || first.status === 302);
    }, 30_000, 500);
    if (!up || !first) throw new LabError(`pool ${pool.name} does not answer at ${base} through the VIP`);
    if (first.status === 302 && first.location.includes("wp-admin/install.php")) {
      const form = {
        weblog_title: graph.site.title,
        user_name: WP_ADMIN_USER,
        admin_password: lab.secrets.wordpressAdmin,
        admin_password2: lab.secrets.wordpressAdmin,
        admin_email: graph.site.adminEmail,
        blog_public: "0",
      };
      const [r] = await clientHttp(lab.layout, graph, {
        requests: [{ path: `${base}wp-admin/install.php?step=2`, method: "POST", form }],
        count: 1,
        rate: 1,
        timeoutMs: 60_000,
        needles: ["<h1>Success!</h1>"],
      });
      if (!r || r.status !== 200 || !r.has[0]) throw new LabError(`WordPress installer of pool ${pool.name} failed: status ${r?.status ?? "none"} ${r?.error ?? ""}`);
      lab.log(`WordPress of pool ${pool.name} installed through the VIP (${((r.end - r.start) / 1000).toFixed(1)} s)`);
    }
    const [page] = await clientHttp(lab.layout, graph, { requests: [{ path: base }], count: 1, rate: 1, timeoutMs: 10_000, needles: wordpressNeedles(graph) });
    if (!page || page.status !== 200 || !page.has.every((h) => h)) {
      throw new LabError(`pool ${pool.name}: ${base} is not the installed site's page (status ${page?.status ?? "none"})`);
    }
  }
}
