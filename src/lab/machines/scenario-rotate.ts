// rotate-secrets: `build --rotate-secrets` of every secret group, re-applied
// the way the output says (systemd target: SECRETS.txt's commands, which end
// with starting hacompile.target; bundle: the bundle copied and install.sh
// run again). Then replication must run, the app connect, the admin log in
// with the new password, and no row be lost.
import { join } from "node:path";
import { cryptoRandom } from "../../io/secrets-file.js";
import { planHosts } from "../../render/plan.js";
import { completeSecrets } from "../../secrets.js";
import { bundle } from "../../../targets/bundle/index.js";
import { systemd } from "../../../targets/systemd/index.js";
import { DEFAULT_TARGET_OPTIONS } from "../../../targets/types.js";
import { HEALTH_SCRIPT } from "../../../targets/shared/health.js";
import { waitFor } from "../exec.js";
import type { HostLab, LabHost } from "../host.js";
import { hostOf } from "../host.js";
import { clientHttp, isReal, membersOf, routeUrl, wordpressNeedles } from "../http.js";
import type { Figures, Outcome } from "../scenario.js";
import { installBundles } from "./bundle.js";
import { copySecrets } from "./secrets.js";
import type { MachineScenario } from "./scenario-type.js";
import { writeOut, type MachinesLab } from "./up.js";
import { wordpressLogin } from "./scenario-wordpress.js";

/** How long every host gets to pass its health check after the secrets are re-applied. */
const HEALTHY_WITHIN_MS = 180_000;

async function count(h: LabHost): Promise<number | undefined> {
  const r = await h.sh("mariadb --batch --skip-column-names -e 'SELECT COUNT(*) FROM hacompile_lab.rotation'", 15_000);
  return r.code === 0 ? Number(r.stdout.trim()) : undefined;
}

async function run(lab: HostLab, m: MachinesLab): Promise<Outcome> {
  const figures: Figures = {};
  const failures: string[] = [];
  const db = lab.graph.databases[0];
  if (db) {
    const p = hostOf(lab, db.primary.host);
    await p.sh("mariadb -e 'CREATE DATABASE IF NOT EXISTS hacompile_lab; CREATE TABLE IF NOT EXISTS hacompile_lab.rotation (id INT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP); INSERT INTO hacompile_lab.rotation (at) VALUES (NOW()), (NOW()), (NOW())'", 30_000);
  }
  const before = db ? await count(hostOf(lab, db.primary.host)) : undefined;
  const rotated = completeSecrets(lab.graph, lab.secrets, cryptoRandom, () => true);
  figures["rotated"] = rotated.rotated.length;
  const plans = planHosts(lab.graph, rotated.secrets);
  const out = join(m.outDir, "rotated");
  if (m.opts.target === "bundle") {
    writeOut(join(out, "bundle"), bundle.emit(lab.graph, plans, DEFAULT_TARGET_OPTIONS).files);
    const failed = await installBundles({ ...m, outDir: out });
    failures.push(...failed.map((f) => `re-install: ${f}`));
  } else if (m.opts.inlineSecrets) {
    return { figures, failures: ["with --inline-secrets the secrets live in user-data, which cloud-init applies at first boot only: re-applying means new machines"] };
  } else {
    writeOut(join(out, "systemd"), systemd.emit(lab.graph, plans, DEFAULT_TARGET_OPTIONS).files);
    figures["commands run"] = await copySecrets(join(out, "systemd"), Object.values(m.state.machines), (h) => lab.graph.hosts.find((x) => x.name === h)!.address);
  }
  // As SECRETS.txt ends: once every host has its secrets, check each one
  // (the steps that apply them run without blocking). Bounded: a replica's
  // bootstrap waits for its primary's new password.
  const t0 = Date.now();
  const sick: string[] = [];
  await Promise.all(
    [...lab.hosts.values()].map(async (h) => {
      if (!(await waitFor(async () => (await h.sh(HEALTH_SCRIPT, 30_000)).code === 0, HEALTHY_WITHIN_MS, 2000))) sick.push(h.name);
    }),
  );
  figures["healthy after s"] = Math.round((Date.now() - t0) / 100) / 10;
  if (sick.length > 0) failures.push(`${HEALTH_SCRIPT} still fails ${HEALTHY_WITHIN_MS / 1000} s after the rotation on ${sick.sort().join(", ")}`);
  if (db) {
    for (const r of db.replicas) {
      const h = hostOf(lab, r.host);
      const ok = await waitFor(async () => ((await h.sh("mariadb -e 'SHOW SLAVE STATUS\\G'", 10_000)).stdout.match(/_Running: Yes/g) ?? []).length === 2, 60_000, 1000);
      if (!ok) failures.push(`${r.host}: replication not running after the rotation`);
      const n = await count(h);
      if (n !== before) failures.push(`${r.host}: ${n ?? "no"} rows in the test table, the primary had ${before ?? "?"}`);
    }
    const after = await count(hostOf(lab, db.primary.host));
    figures["rows before/after"] = `${before ?? "?"}/${after ?? "?"}`;
    if (after !== before) failures.push(`rows before the rotation ${before ?? "?"}, after ${after ?? "?"}`);
  }
  const pool = lab.graph.pools.find((p) => p.app === "wordpress");
  if (pool) {
    const recs = await clientHttp(lab.layout, lab.graph, { requests: [{ path: routeUrl(pool.paths[0] ?? "/") }], count: 4, rate: 2, timeoutMs: 10_000, needles: wordpressNeedles(lab.graph) });
    const good = recs.filter((r) => isReal(r, membersOf(pool))).length;
    figures["app pages ok"] = `${good}/${recs.length}`;
    if (good < recs.length) failures.push(`WordPress pages after the rotation: ${good} of ${recs.length} real (the app does not connect with the new password, or the site is not installed)`);
    const login = await wordpressLogin({ ...lab, secrets: rotated.secrets }, pool);
    figures["admin login"] = login;
    if (login !== "ok") failures.push(`the admin's login with the new password: ${login}`);
  }
  return { figures, failures };
}

export const rotateSecrets: MachineScenario = {
  name: "rotate-secrets",
  title: "build --rotate-secrets of every secret, re-applied as the output says: replication runs, the app connects, the admin logs in with the new password, no row lost",
  run,
};
