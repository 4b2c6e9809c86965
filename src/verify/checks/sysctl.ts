// sysctl files: every key must exist in this kernel and every line must
// parse. Checked by reading /proc/sys, never by writing: some keys are global.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eachFile, verdict } from "../each-file.js";
import type { Check } from "../types.js";

export function checkSysctl(text: string): string[] {
  const problems: string[] = [];
  text.split("\n").forEach((line, i) => {
    const l = line.trim();
    if (l === "" || l.startsWith("#") || l.startsWith(";")) return;
    const m = /^([a-z0-9_.]+)\s*=\s*(\S+)$/.exec(l);
    if (!m) return void problems.push(`line ${i + 1}: not 'key = value'`);
    if (!existsSync(join("/proc/sys", m[1]!.replace(/\./g, "/")))) problems.push(`line ${i + 1}: unknown key ${m[1]}`);
  });
  return problems;
}

export const sysctlCheck: Check = (ctx) => eachFile(ctx, "sysctl", "sysctl", undefined, (abs) => verdict(checkSysctl(readFileSync(abs, "utf8"))));
