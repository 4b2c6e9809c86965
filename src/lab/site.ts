// The lab's last step of `up`: every WordPress pool must already serve its
// installed site through the VIP: hacompile-wp-install installed it when the
// pool's first host started (issue 14 item 12). An installer page instead
// fails the lab: nobody may reach it but the admin network.
import { LabError, waitFor } from "./exec.js";
import { clientHttp, membersOf, routeUrl, wordpressNeedles, type HttpRecord } from "./http.js";
import type { Lab } from "./up.js";
import { settleVip } from "./vip.js";

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
      throw new LabError(`pool ${pool.name}: ${base} redirects to WordPress's installer: the site was not installed when its hosts started (hacompile-wp-install)`);
    }
    const [page] = await clientHttp(lab.layout, graph, { requests: [{ path: base }], count: 1, rate: 1, timeoutMs: 10_000, needles: wordpressNeedles(graph) });
    if (!page || page.status !== 200 || !page.has.every((h) => h)) {
      throw new LabError(`pool ${pool.name}: ${base} is not the installed site's page (status ${page?.status ?? "none"})`);
    }
  }
}
