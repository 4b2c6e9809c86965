// Secrets are generated once per topology and kept in a file beside it, so
// that later builds reuse them and output stays stable. Alphabets are chosen
// so that no secret ever needs escaping in SQL, shell, PHP or nginx. This
// module is pure: the CLI supplies the random source and does the file I/O.
import type { Graph } from "./graph/model.js";

export interface DatabaseSecrets {
  readonly root: string;
  readonly app: string;
  readonly replication: string;
}

export const SALT_NAMES = [
  "AUTH_KEY",
  "SECURE_AUTH_KEY",
  "LOGGED_IN_KEY",
  "NONCE_KEY",
  "AUTH_SALT",
  "SECURE_AUTH_SALT",
  "LOGGED_IN_SALT",
  "NONCE_SALT",
] as const;
export type SaltName = (typeof SALT_NAMES)[number];

export interface Secrets {
  /** By database name. */
  readonly databases: Readonly<Record<string, DatabaseSecrets>>;
  /** WordPress keys and salts, the same on every web host. */
  readonly salts: Readonly<Record<SaltName, string>>;
  /** Password of the WordPress admin the install step creates. */
  readonly wordpressAdmin: string;
}

/** Letters and digits only: safe unquoted in every output language. */
export const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const SECRET_RE = /^[A-Za-z0-9]{16,128}$/;

/** Returns `n` secret characters from SECRET_ALPHABET. */
export type RandomSource = (n: number) => string;

export interface SecretsResult {
  readonly secrets: Secrets;
  /** Names of the secrets that were missing and have been generated. */
  readonly generated: readonly string[];
}

/** Keeps every existing secret the graph still needs and generates the missing ones. */
export function completeSecrets(graph: Graph, existing: Partial<Secrets> | undefined, random: RandomSource): SecretsResult {
  const generated: string[] = [];
  const keep = (name: string, v: string | undefined, n: number): string => {
    if (v !== undefined && SECRET_RE.test(v)) return v;
    generated.push(name);
    return random(n);
  };
  const databases: Record<string, DatabaseSecrets> = {};
  for (const d of graph.databases) {
    const e = existing?.databases?.[d.name];
    databases[d.name] = {
      root: keep(`databases.${d.name}.root`, e?.root, 32),
      app: keep(`databases.${d.name}.app`, e?.app, 32),
      replication: keep(`databases.${d.name}.replication`, e?.replication, 32),
    };
  }
  const salts = Object.fromEntries(SALT_NAMES.map((s) => [s, keep(`salts.${s}`, existing?.salts?.[s], 64)])) as Record<SaltName, string>;
  const wordpressAdmin = keep("wordpressAdmin", existing?.wordpressAdmin, 24);
  return { secrets: { databases, salts, wordpressAdmin }, generated };
}
