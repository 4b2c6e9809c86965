// php -l on every generated PHP file.
import { join } from "node:path";
import { firstLines, hasTool, runTool } from "../run.js";
import { hostLabel, type Check, type CheckResult } from "../types.js";

export const phpLintCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  for (const h of ctx.hosts) {
    for (const f of h.files.filter((x) => x.kind === "php")) {
      const file = hostLabel(h, f.path);
      if (!(await hasTool("php"))) {
        out.push({ tool: "php", file, status: "skipped", message: "php not installed" });
        continue;
      }
      const r = await runTool("php", ["-l", join(h.root, f.path)]);
      out.push({ tool: "php", file, status: r.code === 0 ? "ok" : "fail", message: r.code === 0 ? "" : firstLines(r.stdout + r.stderr) });
    }
  }
  return out;
};
