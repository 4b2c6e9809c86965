// The secrets file beside the topology: read, and written once with mode 0600
// before any secret goes into it.
import { randomInt } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync, chmodSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { parse, stringify } from "yaml";
import { SECRET_ALPHABET, type Secrets } from "../secrets.js";

export function defaultSecretsPath(topologyPath: string): string {
  const base = basename(topologyPath).replace(/\.ya?ml$/, "");
  return join(dirname(topologyPath), `${base}.secrets.yaml`);
}

export function readSecretsFile(path: string): Partial<Secrets> | undefined {
  if (!existsSync(path)) return undefined;
  const v: unknown = parse(readFileSync(path, "utf8"));
  return v !== null && typeof v === "object" ? (v as Partial<Secrets>) : undefined;
}

export function writeSecretsFile(path: string, secrets: Secrets): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    chmodSync(tmp, 0o600);
    writeSync(fd, "# hacompile secrets: generated once, reused by every build. Keep out of git.\n" + stringify(secrets, { sortMapEntries: true }));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** A CSPRNG source over the secret alphabet, without modulo bias (crypto.randomInt). */
export function cryptoRandom(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return s;
}
