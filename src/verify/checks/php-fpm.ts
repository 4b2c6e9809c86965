// php-fpm8.2 -t on each host's pool files together, through a throwaway
// global config that includes them (as Debian's php-fpm.conf includes
// pool.d/*.conf): a file that only disables Debian's default pool is checked
// along with the pool that replaces it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstLines, hasTool, runTool } from "../run.js";
import { hostLabel, type Check, type CheckResult } from "../types.js";

const FPM = "php-fpm8.2";

export const phpFpmCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  for (const h of ctx.hosts) {
    const pools = h.files.filter((x) => x.kind === "php-fpm");
    if (pools.length === 0) continue;
    const file = hostLabel(h, pools.map((p) => p.path).join(" + "));
    if (!(await hasTool(FPM))) {
      out.push({ tool: "php-fpm", file, status: "skipped", message: `${FPM} not installed` });
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), "hacompile-fpm-"));
    try {
      const conf = join(dir, "php-fpm.conf");
      const includes = pools.map((p) => `include = ${join(h.root, p.path)}\n`).join("");
      writeFileSync(conf, `[global]\npid = ${dir}/fpm.pid\nerror_log = ${dir}/fpm.log\n${includes}`);
      const r = await runTool(FPM, ["-t", "-y", conf]);
      const ok = r.code === 0 && !/ERROR/.test(r.stderr);
      out.push({ tool: "php-fpm", file, status: ok ? "ok" : "fail", message: ok ? "" : firstLines(r.stderr) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
};
