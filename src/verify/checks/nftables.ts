// nft -c on every ruleset, in a throwaway network namespace (nothing is loaded).
import { eachFile } from "../each-file.js";
import { firstLines, runTool } from "../run.js";
import type { Check } from "../types.js";

export const nftCheck: Check = (ctx) =>
  eachFile(ctx, "nftables", "nft", "nft", async (abs) => {
    const r = await runTool("unshare", ["--net", "nft", "-c", "-f", abs]);
    return { status: r.code === 0 ? "ok" : "fail", message: r.code === 0 ? "" : firstLines(r.stderr) };
  });
