// Turns zod issues into diagnostics in the user's words: "mapping" and "list"
// rather than object and array, the dotted path, and "did you mean" for
// misspelt keys.
import type { z } from "zod";
import { dotted, error, type Diagnostic, type TopologyPath } from "../diagnostics.js";
import { formatCodes } from "../../schema/topology.js";
import { shown } from "./shown.js";
import { didYouMean } from "../suggest.js";

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

/** How a wrong value reads in a message: the value itself where it is short and safe. */
function given(v: unknown): string {
  if (typeof v === "number") {
    // YAML's spellings, which is what the user wrote.
    if (Number.isNaN(v)) return ".nan";
    if (!Number.isFinite(v)) return v > 0 ? ".inf" : "-.inf";
    return String(v);
  }
  if (typeof v === "string") return `'${shown(v)}'`;
  return describe(v);
}

/** "must be one of" with the value given and, for a misspelt word, the likely one. */
function oneOf(path: TopologyPath, got: unknown, values: readonly unknown[]): Diagnostic {
  const words = values.map(String);
  if (got === undefined) {
    const parent = path.slice(0, -1);
    return error("missing-key", parent, `${place(parent)}: missing required key '${String(path[path.length - 1])}' (${words.join(", ")})`);
  }
  if (typeof got === "string" && values.every((v) => typeof v === "string"))
    return error("invalid-value", path, `${place(path)}: unknown value ${given(got)}${didYouMean(got, words)} (${words.join(", ")})`);
  return error("invalid-value", path, `${place(path)} must be one of ${words.join(", ")}, not ${given(got)}`);
}

/**
 * A discriminated union (failover) whose discriminator is missing or unknown.
 * zod 4 reports it at the discriminator's own path (loadbalancer.failover.mode);
 * a path that ends at the union is accepted too.
 */
function badDiscriminator(path: TopologyPath, input: unknown, key: string, options: readonly unknown[]): Diagnostic {
  const keyPath = path[path.length - 1] === key ? path : [...path, key];
  const owner = keyPath.slice(0, -1);
  const got = valueAt(input, keyPath);
  if (got === undefined) return error("missing-key", owner, `${place(owner)}: missing required key '${key}'`);
  // Not a word (3, a list): "must be one of ..., not 3".
  if (typeof got !== "string") return oneOf(keyPath, got, options);
  const words = options.map(String);
  const noun = `${String(owner[owner.length - 1] ?? "")} ${key}`.trim();
  return error("invalid-value", keyPath, `unknown ${noun} ${given(got)}${didYouMean(got, words)} (${words.join(", ")})`);
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
      // A number of the wrong kind (100.5 for a whole number, .nan): show it.
      const what = typeof got === "number" ? given(got) : describe(got);
      return [error("invalid-type", path, `${where} must be ${want}, not ${what}`)];
    }
    case "unrecognized_keys":
      return issue.keys.map((k) => {
        const where2 = path.length === 0 ? "the top level" : where;
        return error("unknown-key", [...path, k], `unknown key '${shown(k)}' in ${where2}${didYouMean(k, knownKeys(path))}`, true);
      });
    case "invalid_format":
    case "custom": {
      const msg = issue.message;
      return [error(formatCodes.get(msg) ?? "invalid-value", path, `${where} ${msg}`)];
    }
    case "invalid_value":
      return [oneOf(path, valueAt(input, path), issue.values)];
    case "invalid_key": {
      // A record key (a host, pool, database or volume name) failed its check.
      const nested = issue.issues[0];
      const msg = nested?.message ?? "is not a valid name";
      const code = formatCodes.get(msg) ?? "invalid-value";
      return [error(code, path, `name '${shown(String(path[path.length - 1]))}' ${msg}`, true)];
    }
    case "invalid_union": {
      const disc = (issue as { discriminator?: string; options?: readonly unknown[] });
      if (disc.discriminator !== undefined) return [badDiscriminator(path, input, disc.discriminator, disc.options ?? [])];
      // A union of literals (version: 2 or 3): one message listing them all.
      const literals = issue.errors.map((b) => (b.length === 1 && b[0]!.code === "invalid_value" && b[0]!.path.length === 0 ? b[0]!.values : undefined));
      if (literals.length > 0 && literals.every((v) => v !== undefined)) return [oneOf(path, valueAt(input, path), literals.flat())];
      // Report the branch with the fewest problems: the one the user meant.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      // Never no diagnostic at all: the build would stop without a word.
      if (best.length === 0) return [error("invalid-value", path, `${where} is not any of the forms it may take`)];
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
