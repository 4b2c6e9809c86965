// The secrets file beside the topology: read (bounded, checked, with
// positions), and written with mode 0600 before any secret goes into it.
//
// Nothing read from this file ever reaches a message: diagnostics say where
// and what is wrong in the schema's words only, never quoting a key or value
// (a mangled line may hold a password).
import { randomInt } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { stringify } from "yaml";
import { z } from "zod";
import { error, sortDiagnostics, type Diagnostic, type TopologyPath } from "../diagnostics.js";
import { knownKeysAt } from "../load/known-keys.js";
import { loadYaml } from "../load/yaml.js";
import { SALT_NAMES, SECRET_ALPHABET, SECRET_RE, type Secrets } from "../secrets.js";
import { readTextFile } from "./text-file.js";

export const SECRETS_CODE = "secrets-invalid";
/** The loader's codes for text that is not well-formed YAML. */
const SYNTAX_CODES = new Set(["yaml-syntax", "yaml-duplicate-key", "yaml-bad-alias", "yaml-indentation"]);

export function defaultSecretsPath(topologyPath: string): string {
  const base = basename(topologyPath).replace(/\.ya?ml$/, "");
  return join(dirname(topologyPath), `${base}.secrets.yaml`);
}

const Secret = z.string().regex(SECRET_RE);
const SecretsFile = z.strictObject({
  databases: z.record(z.string(), z.strictObject({ root: Secret.optional(), app: Secret.optional(), replication: Secret.optional() })).optional(),
  salts: z.strictObject(Object.fromEntries(SALT_NAMES.map((n) => [n, Secret.optional()]))).optional(),
  wordpressAdmin: Secret.optional(),
});

export interface SecretsRead {
  /** Undefined when there is no file yet (or it could not be used: see diagnostics). */
  readonly secrets?: Partial<Secrets>;
  readonly diagnostics: Diagnostic[];
  /** Permission bits of the file, when it exists. */
  readonly mode?: number;
}

const typeWords: Record<string, string> = { object: "a mapping", record: "a mapping", string: "a string" };

/** A zod issue in words that quote nothing from the file. */
function describe(issue: z.core.$ZodIssue, value: unknown): { message: string; path: TopologyPath; atKey: boolean }[] {
  const path = issue.path as (string | number)[];
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(SecretsFile, value, path).join(", ");
      return issue.keys.map((k) => ({ message: `unknown key here; expected ${known}`, path: [...path, k], atKey: true }));
    }
    case "invalid_format":
      return [{ message: `a secret must be 16 to 128 letters and digits`, path, atKey: false }];
    case "invalid_type":
      return [{ message: `must be ${typeWords[issue.expected] ?? issue.expected}`, path, atKey: false }];
    default:
      return [{ message: "not a valid entry of a secrets file", path, atKey: false }];
  }
}

export function inspectSecretsFile(path: string): SecretsRead {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { diagnostics: [] };
    mode = 0;
  }
  const read = readTextFile(path);
  if ("diagnostic" in read) return { diagnostics: [read.diagnostic], mode };
  const loaded = loadYaml(read.text, { quiet: true });
  // The path only finds the position: keys of this file may hold secret text, so the diagnostic keeps none.
  const at = (code: string, p: TopologyPath, message: string, atKey = false): Diagnostic => ({
    ...error(code, [], message),
    file: path,
    pos: loaded.locate(p, atKey),
  });
  // Syntax errors under the one code the README promises for a malformed
  // secrets file; the input limits keep their own codes (control-character...).
  if (loaded.diagnostics.length > 0)
    return { diagnostics: loaded.diagnostics.map((d) => ({ ...d, code: SYNTAX_CODES.has(d.code) ? SECRETS_CODE : d.code, file: path })), mode };
  if (loaded.value === undefined || loaded.value === null) {
    // We never write an empty file: this one was truncated or emptied by hand.
    const message = "the secrets file is empty: restore it, or delete it to generate new secrets (and redeploy them)";
    return { diagnostics: [at(SECRETS_CODE, [], message)], mode };
  }
  const parsed = SecretsFile.safeParse(loaded.value);
  if (!parsed.success) {
    const ds = parsed.error.issues.flatMap((i) => describe(i, loaded.value)).map((d) => at(SECRETS_CODE, d.path, d.message, d.atKey));
    return { diagnostics: sortDiagnostics(ds), mode };
  }
  return { secrets: parsed.data as Partial<Secrets>, diagnostics: [], mode };
}

/** The secrets, or undefined when there is no file; throws (naming no value) when the file is not valid. */
export function readSecretsFile(path: string): Partial<Secrets> | undefined {
  const r = inspectSecretsFile(path);
  if (r.diagnostics.length > 0) throw new Error(`${path}: not a valid secrets file (hacompile build shows where)`);
  return r.secrets;
}

/**
 * Writes the secrets file: a new file created 0600 (whatever the umask) before
 * anything is written to it, synced, then renamed over the old one, so the
 * file is always whole and never readable by others.
 */
export function writeSecretsFile(path: string, secrets: Secrets): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    chmodSync(tmp, 0o600);
    writeSync(fd, "# hacompile secrets: generated once, reused by every build. Keep out of git.\n" + stringify(secrets, { sortMapEntries: true }));
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** A CSPRNG source over the secret alphabet, without modulo bias (crypto.randomInt). */
export function cryptoRandom(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return s;
}
