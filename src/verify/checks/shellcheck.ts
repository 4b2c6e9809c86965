// shellcheck on every generated shell script (and the targets' own scripts),
// in one call: its gcc-style output names each file, which is how findings
// are attributed.
import { join } from "node:path";
import { hasTool, runTool } from "../run.js";
import { hostLabel, type Check, type CheckResult } from "../types.js";

export const shellcheckCheck: Check = async (ctx) => {
  const files = [
    ...ctx.hosts.flatMap((h) => h.files.filter((f) => f.kind === "shell").map((f) => ({ label: hostLabel(h, f.path), abs: join(h.root, f.path) }))),
    ...ctx.extraScripts.map((p) => ({ label: p, abs: join(ctx.outDir, p) })),
  ];
  if (files.length === 0) return [];
  if (!(await hasTool("shellcheck")))
    return files.map((f) => ({ tool: "shellcheck", file: f.label, status: "skipped", message: "shellcheck not installed" }) satisfies CheckResult);
  const r = await runTool("shellcheck", ["-f", "gcc", ...files.map((f) => f.abs)]);
  const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
  return files.map((f): CheckResult => {
    const mine = lines.filter((l) => l.startsWith(`${f.abs}:`)).map((l) => f.label + l.slice(f.abs.length));
    const failed = mine.length > 0 || (r.code !== 0 && lines.length === 0);
    return { tool: "shellcheck", file: f.label, status: failed ? "fail" : "ok", message: failed ? mine.slice(0, 4).join(" | ") || r.stderr.trim() : "" };
  });
};
