// A top-level key indented under another one (`databases:` two spaces in,
// under `pools`) reads to zod as a pool named "databases" with no hosts and
// no app, plus a missing top-level key: three or four messages, one of them
// suggesting 'app'. Here it is one diagnostic that says what happened, and
// zod's echoes of it are dropped.
import type { z } from "zod";
import { error, type Diagnostic } from "../diagnostics.js";
import { shown } from "./shown.js";

type Issue = z.core.$ZodIssue;

export interface Misplaced {
  readonly parent: string;
  readonly key: string;
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Top-level keys found one level down, under another top-level key, and absent from the top. */
export function misplacedKeys(root: unknown, topKeys: readonly string[]): Misplaced[] {
  if (!isMapping(root)) return [];
  const out: Misplaced[] = [];
  for (const [parent, v] of Object.entries(root)) {
    if (!topKeys.includes(parent) || !isMapping(v)) continue;
    for (const key of Object.keys(v)) if (key !== parent && topKeys.includes(key) && !Object.hasOwn(root, key)) out.push({ parent, key });
  }
  return out;
}

export function misplacedDiagnostic(m: Misplaced): Diagnostic {
  const message = `'${shown(m.key)}' is indented under '${shown(m.parent)}'; it is a top-level key: start it at column 1`;
  return error("misplaced-key", [m.parent, m.key], message, true);
}

/** An issue about the misplaced subtree, or about the key missing from the top. */
function explains(issue: Issue, m: Misplaced): boolean {
  const [a, b] = issue.path;
  return (a === m.parent && b === m.key) || (a === m.key && issue.path.length === 1) || (issue.code === "unrecognized_keys" && a === m.parent && issue.keys.includes(m.key));
}

/** Whether zod complains about what this misplaced key explains. */
export function echoes(issues: readonly Issue[], m: Misplaced): boolean {
  return issues.some((i) => explains(i, m));
}

/** zod's issues without the ones a misplaced key explains. */
export function withoutEchoes(issues: readonly Issue[], misplaced: readonly Misplaced[]): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const [a, b] = issue.path;
    if (misplaced.some((m) => (a === m.parent && b === m.key) || (a === m.key && issue.path.length === 1))) continue;
    if (issue.code === "unrecognized_keys" && issue.path.length === 1) {
      const keys = issue.keys.filter((k) => !misplaced.some((m) => m.parent === a && m.key === k));
      if (keys.length > 0) out.push({ ...issue, keys });
      continue;
    }
    out.push(issue);
  }
  return out;
}
