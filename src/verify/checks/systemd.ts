// systemd-analyze verify on every unit and drop-in of a host, inside the
// host's sandbox so that our own scripts exist at their ExecStart paths.
// Programs that this machine lacks (glusterd on a checker without Gluster)
// get stub executables in a layer under the host's files, and a drop-in for
// a packaged unit this machine lacks gets a stub base unit: what is checked
// is always our file. Any warning that names one of our units is a failure,
// since systemd-analyze only warns (exit 0) on unknown keys and bad values.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { firstLines, hasTool } from "../run.js";
import { inSandbox } from "../sandbox.js";
import { hostLabel, type Check, type CheckResult, type HostTree } from "../types.js";

const UNIT_DIR = "/etc/systemd/system/";
const SYSTEM_UNIT_DIRS = ["/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system"];

function execPaths(unitText: string): string[] {
  const out: string[] = [];
  for (const m of unitText.matchAll(/^Exec[A-Za-z]*=[-@:+!]*(\/\S+)/gm)) out.push(m[1]!);
  return out;
}

/** A stub layer: executables and base units that this machine lacks. */
function stubLayer(h: HostTree): string {
  const dir = mkdtempSync(join(tmpdir(), "hacompile-stubs-"));
  for (const f of h.files.filter((x) => x.kind === "systemd")) {
    const text = readFileSync(join(h.root, f.path), "utf8");
    for (const p of execPaths(text)) {
      if (existsSync(p) || existsSync(join(h.root, p))) continue;
      mkdirSync(join(dir, dirname(p)), { recursive: true });
      writeFileSync(join(dir, p), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    }
    const dropIn = /^\/etc\/systemd\/system\/([^/]+)\.d\/[^/]+\.conf$/.exec(f.path);
    if (dropIn) {
      const base = dropIn[1]!;
      const known = SYSTEM_UNIT_DIRS.some((d) => existsSync(join(d, base))) || h.files.some((x) => x.path === UNIT_DIR + base);
      if (!known) {
        mkdirSync(join(dir, "etc/systemd/system"), { recursive: true });
        writeFileSync(join(dir, "etc/systemd/system", base), `# stub of the packaged unit, to check our drop-in\n[Service]\nExecStart=/bin/true\n`);
      }
    }
  }
  return dir;
}

export const systemdCheck: Check = async (ctx) => {
  const out: CheckResult[] = [];
  for (const h of ctx.hosts) {
    const units = h.files.filter((f) => f.kind === "systemd");
    if (units.length === 0) continue;
    if (!(await hasTool("systemd-analyze"))) {
      for (const u of units) out.push({ tool: "systemd-analyze", file: hostLabel(h, u.path), status: "skipped", message: "systemd-analyze not installed" });
      continue;
    }
    const stubs = stubLayer(h);
    try {
      // A drop-in is verified through the unit it extends. One call per host
      // (systemd-analyze takes a while to start); each complaint is then
      // attributed to the unit it names.
      const argOf = (path: string): string => /^\/etc\/systemd\/system\/([^/]+)\.d\//.exec(path)?.[1] ?? path;
      const args = [...new Set(units.map((u) => argOf(u.path)))];
      const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
      const r = await inSandbox(ctx, h, `systemd-analyze verify --recursive-errors=no ${quoted} 2>&1`, stubs);
      const lines = r.stdout.split("\n").filter((l) => l.trim() !== "");
      for (const u of units) {
        const names = [basename(u.path), basename(argOf(u.path))];
        const complaints = lines.filter((l) => names.some((n) => l.includes(n)));
        // A failing exit that names no unit at all is charged to every unit.
        const unexplained = r.code !== 0 && !lines.some((l) => units.some((x) => l.includes(basename(x.path)) || l.includes(basename(argOf(x.path)))));
        const ok = complaints.length === 0 && !unexplained;
        out.push({
          tool: "systemd-analyze",
          file: hostLabel(h, u.path),
          status: ok ? "ok" : "fail",
          message: ok ? "" : firstLines(complaints.join("\n") || r.stdout || `exit ${r.code}`),
        });
      }
    } finally {
      rmSync(stubs, { recursive: true, force: true });
    }
  }
  return out;
};
