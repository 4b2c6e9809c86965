// nft -c on every ruleset, in a throwaway network namespace (nothing is loaded).
import { join } from "node:path";
import { firstLines, hasTool, runTool } from "../run.js";
import { hostLabel, type Check, type CheckResult } from "../types.js";

export const nftCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  for (const h of ctx.hosts) {
    for (const f of h.files.filter((x) => x.kind === "nftables")) {
      const file = hostLabel(h, f.path);
      if (!(await hasTool("nft"))) {
        out.push({ tool: "nft", file, status: "skipped", message: "nft not installed" });
        continue;
      }
      const r = await runTool("unshare", ["--net", "nft", "-c", "-f", join(h.root, f.path)]);
      out.push({ tool: "nft", file, status: r.code === 0 ? "ok" : "fail", message: r.code === 0 ? "" : firstLines(r.stderr) });
    }
  }
  return out;
};
