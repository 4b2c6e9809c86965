// docker-compose config -q (Debian's 1.29.2, no engine needed) on
// compose.yaml, plus the checks it does not make (undefined secrets and
// networks, dependencies on services without healthchecks...).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { checkCompose } from "../../../targets/compose/check.js";
import { firstLines, hasTool, runTool } from "../run.js";
import type { Check, CheckResult } from "../types.js";

function filesBelow(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.add(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

export const composeCheck: Check = async (ctx) => {
  const dir = join(ctx.outDir, "compose");
  const abs = join(dir, "compose.yaml");
  if (!existsSync(abs)) return [];
  const file = "compose/compose.yaml";
  const out: CheckResult[] = [];
  const problems = checkCompose(parse(readFileSync(abs, "utf8")), { files: filesBelow(dir) });
  out.push({ tool: "compose-refs", file, status: problems.length ? "fail" : "ok", message: problems.join("; ") });
  if (!(await hasTool("docker-compose"))) {
    out.push({ tool: "docker-compose", file, status: "skipped", message: "docker-compose not installed" });
    return out;
  }
  const r = await runTool("docker-compose", ["-f", abs, "config", "-q"], { cwd: dir });
  out.push({ tool: "docker-compose", file, status: r.code === 0 ? "ok" : "fail", message: r.code === 0 ? "" : firstLines(r.stderr) });
  return out;
};
