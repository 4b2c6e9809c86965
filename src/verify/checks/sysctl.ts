// sysctl files: every key must exist in this kernel and every line must
// parse. Checked by reading /proc/sys, never by writing: some keys are global.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hostLabel, type Check, type CheckResult } from "../types.js";

export const sysctlCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  for (const h of ctx.hosts) {
    for (const f of h.files.filter((x) => x.kind === "sysctl")) {
      const problems: string[] = [];
      readFileSync(join(h.root, f.path), "utf8")
        .split("\n")
        .forEach((line, i) => {
          const l = line.trim();
          if (l === "" || l.startsWith("#") || l.startsWith(";")) return;
          const m = /^([a-z0-9_.]+)\s*=\s*(\S+)$/.exec(l);
          if (!m) return void problems.push(`line ${i + 1}: not 'key = value'`);
          if (!existsSync(join("/proc/sys", m[1]!.replace(/\./g, "/")))) problems.push(`line ${i + 1}: unknown key ${m[1]}`);
        });
      out.push({ tool: "sysctl", file: hostLabel(h, f.path), status: problems.length ? "fail" : "ok", message: problems.join("; ") });
    }
  }
  return out;
};
