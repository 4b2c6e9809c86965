// The shape most checks share: every file of one kind on every host, handed
// to one tool, reported as skipped when that tool is not installed.
import { join } from "node:path";
import { hasTool } from "./run.js";
import { hostLabel, type CheckResult, type HostFileEntry, type HostTree, type VerifyContext } from "./types.js";

export type Verdict = Pick<CheckResult, "status" | "message"> & { readonly tool?: string };

export function verdict(problems: readonly string[]): Verdict {
  return { status: problems.length ? "fail" : "ok", message: problems.join("; ") };
}

export async function eachFile(
  ctx: VerifyContext,
  kind: string,
  tool: string,
  /** The program that must be installed, if any (checks in code need none). */
  binary: string | undefined,
  check: (abs: string, h: HostTree, f: HostFileEntry) => Promise<Verdict> | Verdict,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const h of ctx.hosts)
    for (const f of h.files.filter((x) => x.kind === kind)) {
      const file = hostLabel(h, f.path);
      if (binary !== undefined && !(await hasTool(binary))) {
        out.push({ tool, file, status: "skipped", message: `${binary} not installed` });
        continue;
      }
      const v = await check(join(h.root, f.path), h, f);
      out.push({ tool: v.tool ?? tool, file, status: v.status, message: v.message });
    }
  return out;
}
