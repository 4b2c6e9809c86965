// cloud-init schema -c on every user-data, plus our own check of top-level
// keys (cloud-init 22.4 lets unknown top-level keys pass).
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { checkUserData } from "../../../targets/systemd/check.js";
import { firstLines, hasTool, mapLimit, runTool } from "../run.js";
import type { Check, CheckResult } from "../types.js";

export const cloudInitCheck: Check = async (ctx) => {
  const dir = join(ctx.outDir, "systemd");
  if (!existsSync(dir)) return [];
  const hosts = readdirSync(dir)
    .sort()
    .filter((h) => existsSync(join(dir, h, "user-data")));
  const haveTool = await hasTool("cloud-init");
  // cloud-init takes about half a second a file: two at a time.
  const perHost = await mapLimit(hosts, 2, async (host): Promise<CheckResult[]> => {
    const abs = join(dir, host, "user-data");
    const file = `systemd/${host}/user-data`;
    const keyProblems = checkUserData(readFileSync(abs, "utf8"));
    const keys: CheckResult = { tool: "user-data-keys", file, status: keyProblems.length ? "fail" : "ok", message: keyProblems.join("; ") };
    if (!haveTool) return [keys, { tool: "cloud-init", file, status: "skipped", message: "cloud-init not installed" }];
    const r = await runTool("cloud-init", ["schema", "-c", abs]);
    return [keys, { tool: "cloud-init", file, status: r.code === 0 ? "ok" : "fail", message: r.code === 0 ? "" : firstLines(r.stderr + r.stdout) }];
  });
  return perHost.flat();
};
