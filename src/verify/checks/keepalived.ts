// keepalived -t on each LB's config with its interface present. keepalived
// 2.2.7's -t dies with 143 for any non-root script_user (a keepalived bug; the
// daemon itself runs such scripts fine), so the copy that is tested says
// `script_user root`, and the check asserts that this is the only difference.
import { readFileSync } from "node:fs";
import { eachFile } from "../each-file.js";
import { firstLines } from "../run.js";
import { inSandbox } from "../sandbox.js";
import type { Check } from "../types.js";

export const keepalivedCheck: Check = (ctx) =>
  eachFile(ctx, "keepalived", "keepalived", "keepalived", async (abs, h) => {
    const text = readFileSync(abs, "utf8");
    const copy = text.replace(/^(\s*script_user\s+)\S+(.*)$/m, "$1root$2");
    const copyLines = copy.split("\n");
    const changed = text.split("\n").filter((l, i) => l !== copyLines[i]);
    if (changed.length > 1 || (changed.length === 1 && !/^\s*script_user\s/.test(changed[0]!)))
      return { status: "fail", message: "internal: the script_user substitution changed more than one line" };
    // -e: a missing file named in the config is an error (without it keepalived -t passes).
    const script = `cat > /mnt/keepalived.conf <<'HACOMPILE_EOF'\n${copy}\nHACOMPILE_EOF\nkeepalived -t -e -f /mnt/keepalived.conf -l 2>&1`;
    const r = await inSandbox(ctx, h, script);
    return { status: r.code === 0 ? "ok" : "fail", message: r.code === 0 ? "" : `exit ${r.code}: ${firstLines(r.stdout + r.stderr)}` };
  });
