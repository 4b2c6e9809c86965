// Turns zod issues into diagnostics in the user's words: "mapping" and "list"
// rather than object and array, the dotted path, and "did you mean" for
// misspelt keys.
import type { z } from "zod";
import { dotted, error, type Diagnostic, type TopologyPath } from "../diagnostics.js";
import { formatCodes } from "../../schema/topology.js";
import { shown } from "./shown.js";

type Issue = z.core.$ZodIssue;

const typeWords: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  record: "a mapping",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return "a string";
  if (typeof v === "number") return "a number";
  if (typeof v === "boolean") return "true or false";
  return typeof v;
}

/** The dotted path with every key made safe to show (keys are user text). */
function place(path: TopologyPath): string {
  return dotted(path.map((seg) => (typeof seg === "string" ? shown(seg) : seg)));
}

function valueAt(root: unknown, path: TopologyPath): unknown {
  let v: unknown = root;
  for (const seg of path) {
    // Own properties only: a key named 'constructor' must not find Object's.
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function issuesToDiagnostics(
  issues: readonly Issue[],
  input: unknown,
  knownKeys: (path: TopologyPath) => readonly string[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) out.push(...convert(issue, [], input, knownKeys));
  return out;
}

function convert(
  issue: Issue,
  prefix: TopologyPath,
  input: unknown,
  knownKeys: (path: TopologyPath) => readonly string[],
): Diagnostic[] {
  const path: TopologyPath = [...prefix, ...(issue.path as (string | number)[])];
  const where = place(path);
  switch (issue.code) {
    case "invalid_type": {
      const got = valueAt(input, path);
      if (got === undefined) {
        const parent = path.slice(0, -1);
        const key = path[path.length - 1];
        return [error("missing-key", parent, `${place(parent)}: missing required key '${String(key)}'`)];
      }
      const want = typeWords[issue.expected] ?? issue.expected;
      return [error("invalid-type", path, `${where} must be ${want}, not ${describe(got)}`)];
    }
    case "unrecognized_keys":
      return issue.keys.map((k) => {
        const hint = suggest(k, knownKeys(path));
        const where2 = path.length === 0 ? "the top level" : where;
        return error("unknown-key", [...path, k], `unknown key '${shown(k)}' in ${where2}${hint ? `; did you mean '${hint}'?` : ""}`, true);
      });
    case "invalid_format":
    case "invalid_value":
    case "custom": {
      const msg = issue.message;
      const code = formatCodes.get(msg) ?? "invalid-value";
      if (issue.code === "invalid_value") {
        const allowed = issue.values.map((v) => JSON.stringify(v)).join(", ");
        return [error("invalid-value", path, `${where} must be one of ${allowed}`)];
      }
      return [error(code, path, `${where} ${msg}`)];
    }
    case "invalid_key": {
      // A record key (a host, pool, database or volume name) failed its check.
      const nested = issue.issues[0];
      const msg = nested?.message ?? "is not a valid name";
      const code = formatCodes.get(msg) ?? "invalid-value";
      return [error(code, path, `name '${shown(String(path[path.length - 1]))}' ${msg}`, true)];
    }
    case "invalid_union": {
      const disc = (issue as { note?: string }).note;
      if (disc !== undefined || issue.errors.length === 0) {
        const mode = valueAt(input, [...path, "mode"]);
        return [
          error(
            "invalid-value",
            mode === undefined ? path : [...path, "mode"],
            mode === undefined ? `${where}: missing required key 'mode'` : `${where}.mode must be one of "vrrp", "digitalocean", "none"`,
          ),
        ];
      }
      // Report the branch with the fewest problems: the one the user meant.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      return best.flatMap((i) => convert(i, path, input, knownKeys));
    }
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const dir = issue.code === "too_small" ? "at least" : "at most";
      if (issue.origin === "array") return [error("out-of-range", path, `${where} must have ${dir} ${String(bound)} item(s)`)];
      if (issue.origin === "string") return [error("out-of-range", path, `${where} must be ${dir} ${String(bound)} characters long`)];
      return [error("out-of-range", path, `${where} must be ${dir} ${String(bound)}`)];
    }
    case "not_multiple_of":
      return [error("invalid-value", path, `${where} must be a multiple of ${String(issue.divisor)}`)];
    default:
      return [error("invalid-value", path, `${where}: ${issue.message}`)];
  }
}

/** The closest known key within edit distance 2 (or a third of the key), if any. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const limit = Math.max(2, Math.floor(key.length / 3));
  return bestD <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
