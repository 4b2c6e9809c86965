// php -l on every generated PHP file.
import { eachFile } from "../each-file.js";
import { firstLines, runTool } from "../run.js";
import type { Check } from "../types.js";

export const phpLintCheck: Check = (ctx) =>
  eachFile(ctx, "php", "php", "php", async (abs) => {
    const r = await runTool("php", ["-l", abs]);
    return { status: r.code === 0 ? "ok" : "fail", message: r.code === 0 ? "" : firstLines(r.stdout + r.stderr) };
  });
